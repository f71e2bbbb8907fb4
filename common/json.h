/*
 * json: the only user of json-c, plus the JSON writer used for log
 * records, response bodies and ledger columns.
 *
 * Reading is strict (RFC 8259: one value, nothing but white space after
 * it) and bounded in depth by LIMIT_JSON_DEPTH.  Writing escapes every
 * control byte and refuses invalid UTF-8, so a record is always one line
 * of valid JSON whatever bytes the request held.
 */
#ifndef JSON_H
#define JSON_H

#include <stddef.h>

#include "buf.h"

struct json_doc;

/*
 * Parses len bytes.  Returns a document the caller frees with
 * json_doc_free(), or NULL with a reason copied into err.
 */
struct json_doc	*json_parse(const char *, size_t, char *err, size_t errlen);
void		 json_doc_free(struct json_doc *);

/*
 * Appends the value at a dotted path ("event.type"; a number steps into
 * an array: "0.event") of a document to out: strings as their bytes,
 * numbers and booleans as their JSON text.
 * Returns 1 when found, 0 when absent, null, an object or an array, and
 * -1 when out is full.
 */
int	json_get(const struct json_doc *, const char *path, struct buf *out);

/* Returns 1 when the top-level value is an object. */
int	json_is_object(const struct json_doc *);

/* Re-indents a document for people, two spaces a level; 0 or -1. */
int	json_pretty(const struct json_doc *, struct buf *out);

/* Returns 1 when the bytes are valid UTF-8 (RFC 3629), else 0. */
int	json_utf8_valid(const char *, size_t);

/*
 * Appends a quoted, escaped JSON string.  Returns 0, or -1 when the
 * bytes are not valid UTF-8 or out is full; out is unchanged on -1.
 */
int	json_add_string(struct buf *out, const char *, size_t);
/*
 * As json_add_string, but bytes that are not UTF-8 are written as U+FFFD
 * instead of failing: for text from a request that must be logged
 * whatever it holds.  Returns 0, or -1 when out is full.
 */
int	json_add_string_lossy(struct buf *out, const char *, size_t);

/* Appends ,"key":"value" (or without the comma when first is set). */
int	json_add_kv(struct buf *out, int first, const char *key,
	    const char *, size_t);
/* Appends ,"key":number. */
int	json_add_kv_int(struct buf *out, const char *key, long long);

/* Appends standard base64 of the bytes (no quotes); 0 or -1. */
int	json_add_base64(struct buf *out, const unsigned char *, size_t);

/*
 * Calls fn(arg, key, value, length) for each member of the object at a
 * dotted path ("" for the top level) whose value is a string, in
 * document order; key and value are borrowed for the call.  Stops at
 * the first non-zero return of fn and returns it; returns 0 after the
 * last member, -1 when there is no object at path.
 */
int	json_members(const struct json_doc *, const char *path,
	    int (*fn)(void *, const char *, const char *, size_t), void *arg);

/* Appends the document without white space ({"a":1}); 0 or -1. */
int	json_compact(const struct json_doc *, struct buf *out);

#endif /* JSON_H */
