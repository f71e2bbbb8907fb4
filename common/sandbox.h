/*
 * sandbox: after a handler has read its configuration and opened its
 * files, it gives up what it does not need.  Each mechanism is its own
 * step here; a build without one says so in --version.
 */
#ifndef SANDBOX_H
#define SANDBOX_H

/* Enters the sandbox; 0, or -1 with errno set. */
int		 sandbox_enter(void);
/* Names what sandbox_enter applies, for --version. */
const char	*sandbox_describe(void);

#endif /* SANDBOX_H */
