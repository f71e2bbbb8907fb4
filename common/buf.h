/*
 * struct buf: a binary-safe byte buffer with a ceiling fixed at init.
 *
 * Invariants: data is NULL or holds cap bytes; len < cap whenever data is
 * set, and data[len] == '\0' so the bytes may also be read as a string.
 * Growing past max is an error (-1), never a larger allocation: every
 * buffer that holds untrusted bytes is bounded when it is created.
 */
#ifndef BUF_H
#define BUF_H

#include <stdarg.h>
#include <stddef.h>

struct buf {
	char	*data;	/* the bytes, NUL-terminated; NULL until first use */
	size_t	 len;	/* bytes in use */
	size_t	 cap;	/* bytes allocated */
	size_t	 max;	/* len never exceeds this */
};

/* Sets up an empty buffer that may hold at most max bytes. */
void	buf_init(struct buf *, size_t max);
/* Frees what the buffer holds and leaves it empty, ready for reuse. */
void	buf_release(struct buf *);
/* Empties the buffer but keeps its memory. */
void	buf_reset(struct buf *);
/* Appends n bytes; returns 0, or -1 past max or out of memory. */
int	buf_add(struct buf *, const void *, size_t n);
/* Appends a NUL-terminated string; returns 0 or -1 as buf_add. */
int	buf_adds(struct buf *, const char *);
/* Appends one byte; returns 0 or -1 as buf_add. */
int	buf_addc(struct buf *, char);
/* Appends formatted text; returns 0 or -1 as buf_add. */
int	buf_printf(struct buf *, const char *, ...)
	    __attribute__((format(printf, 2, 3)));
int	buf_vprintf(struct buf *, const char *, va_list)
	    __attribute__((format(printf, 2, 0)));
/* Makes room for n more bytes without changing len; 0 or -1. */
int	buf_reserve(struct buf *, size_t n);
/* Cuts the buffer back to len bytes (len <= current length). */
void	buf_truncate(struct buf *, size_t len);

#endif /* BUF_H */
