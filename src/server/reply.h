/*
 * reply.h - the only way handlers answer a client.
 *
 * Handlers never write protocol bytes: they call these functions, which
 * encode RESP2 or RESP3 for the client's protocol version (c->resp) and
 * append to the client's output buffer. Aggregates are announced with their
 * element count first; when the count is known only at the end, reserve a
 * place with reply_defer() and fill it with reply_defer_set_*().
 *
 * Errors: reply_error() takes the full text with its code and without the
 * leading '-', e.g. "ERR syntax error" or "WRONGTYPE Operation ...". Any
 * CR/LF in the text is replaced by spaces, so an error can never break the
 * stream. Errors are counted per code for INFO errorstats and mark the
 * command as failed for commandstats.
 */
#ifndef PAIRDB_REPLY_H
#define PAIRDB_REPLY_H

#include <stddef.h>

struct client;
struct kv;

void reply_ok(struct client *c);
void reply_status(struct client *c, const char *s);
void reply_status_len(struct client *c, const char *s, size_t len);
void reply_error(struct client *c, const char *msg);
void reply_errorf(struct client *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Redis's common errors, exact texts. */
void reply_error_arity(struct client *c);      /* wrong number of arguments for '<cmd>' command */
void reply_error_syntax(struct client *c);     /* ERR syntax error */
void reply_error_wrongtype(struct client *c);  /* WRONGTYPE Operation against a key holding ... */
void reply_error_not_int(struct client *c);    /* ERR value is not an integer or out of range */
void reply_error_not_float(struct client *c);  /* ERR value is not a valid float */
void reply_error_overflow(struct client *c);   /* ERR increment or decrement would overflow */

void reply_int(struct client *c, long long v);
void reply_bulk(struct client *c, const char *p, size_t len);
void reply_bulk_cstr(struct client *c, const char *s);   /* NULL -> null */
void reply_bulk_ll(struct client *c, long long v);
void reply_bulk_double(struct client *c, double d);      /* always a bulk, "%.17g" */
void reply_kv_str(struct client *c, const struct kv *e); /* a string value as bulk */
void reply_null(struct client *c);         /* RESP2 $-1, RESP3 _ */
void reply_null_array(struct client *c);   /* RESP2 *-1, RESP3 _ */
void reply_bool(struct client *c, int v);  /* RESP2 :1/:0, RESP3 #t/#f */
void reply_double(struct client *c, double d);  /* RESP2 bulk, RESP3 ,d */
void reply_bignum(struct client *c, const char *s, size_t len);
void reply_verbatim(struct client *c, const char *s, size_t len, const char *ext);
void reply_array(struct client *c, long n);
void reply_map(struct client *c, long n);  /* n pairs; RESP2: array of 2n */
void reply_set(struct client *c, long n);  /* RESP2: array */
void reply_push(struct client *c, long n); /* RESP2: array */
/* RESP3 only: callers check c->resp == 3 before sending attributes. */
void reply_attribute(struct client *c, long n);
void reply_empty_array(struct client *c);
/* HELP output: "<CMD> <subcommand> [<arg> ...]. Subcommands are:" then the lines, then HELP. */
void reply_help(struct client *c, const char *const *lines);
/* Bytes already encoded as RESP (for canned replies). */
void reply_raw(struct client *c, const char *p, size_t len);

typedef struct reply_deferred { void *node; } reply_deferred;
reply_deferred reply_defer(struct client *c);
void reply_defer_array(struct client *c, reply_deferred d, long n);
void reply_defer_map(struct client *c, reply_deferred d, long n);
void reply_defer_set(struct client *c, reply_deferred d, long n);

#endif
