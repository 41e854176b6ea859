/*
 * resp.h - the RESP2/RESP3 protocol: request parser, encoders, reply reader.
 *
 * One implementation shared by the server, the client library, the cli and
 * the gateway. Nothing here does I/O: callers hand in bytes and take out
 * commands or replies, or ask for bytes to send.
 *
 *   resp_request_*  server side: splits a client's query buffer into commands
 *                   (multibulk and inline), byte-compatible with Redis 7.0,
 *                   including its error texts and its quirks.
 *   resp_encode_* / resp_write_*
 *                   append RESP to a growable buffer; RESP2 fallbacks for the
 *                   RESP3 types follow what Redis sends to a RESP2 client.
 *   resp_reader_*   client side: a reader for every RESP3 type that builds
 *                   replies through a table of constructor callbacks.
 *
 * Error convention: functions that can fail return RESP_OK (0) or
 * RESP_ERROR (-1) and leave a static message where the comment says.
 * Memory comes from ds/mem.h, which aborts on exhaustion, so no function
 * here fails for lack of memory.
 */
#ifndef PAIRDB_RESP_H
#define PAIRDB_RESP_H

#include <stddef.h>
#include <stdint.h>

enum { RESP_OK = 0, RESP_INCOMPLETE = 1, RESP_ERROR = -1 };

/* ---- request parser (server side): multibulk and inline requests ---- */

/* One argument of a parsed command. Not NUL-terminated. */
typedef struct resp_arg {
    const char *ptr;
    size_t len;
} resp_arg;

typedef struct resp_request_parser {
    /* Limits, set by the caller before use (resp_request_init sets the defaults). */
    long long max_bulk_len; /* proto-max-bulk-len, default 512 MiB */
    long long max_args;     /* largest multibulk count, default 1024*1024 (Redis 7.0: INT_MAX) */
    size_t max_inline_len;  /* longest inline line, and longest "*<n>" / "$<n>" line; 64 KiB */
    /* Non-zero while the connection is not authenticated: Redis then refuses
     * a multibulk count above 10 and a bulk length above 16384. Default 0. */
    int unauthenticated;

    /* Output of a RESP_OK call; valid until the next call or resp_request_free. */
    resp_arg *argv;
    int argc;

    /* Set on RESP_ERROR: Redis's text without the "ERR " prefix and without
     * CRLF, e.g. "Protocol error: invalid bulk length". Static storage or the
     * parser's own; never freed by the caller, valid until the next call. */
    const char *error;

    /* ---- private: resume state, all offsets into the caller's buffer ---- */
    int kind_;          /* 0 undecided, 1 multibulk, 2 inline */
    int nul_blocked_;   /* a NUL byte precedes the line end: it never ends */
    size_t seen_;       /* len of the previous call, to notice a shrunk buffer */
    size_t pos_;        /* start of the next unparsed line or payload */
    size_t scan_;       /* [pos_, scan_) holds no line terminator */
    long long pending_; /* multibulk: arguments still to read */
    long long bulklen_; /* length of the payload at pos_, or -1 before its header */
    int nargs_;         /* arguments collected so far */
    size_t *argoff_;    /* offset of each argument; argv[i].ptr is set at the end */
    int argcap_;        /* capacity of argv and argoff_ */
    char *scratch_;     /* inline arguments, unquoted */
    size_t scratchcap_;
    char errbuf_[48]; /* "expected '$', got 'X'" */
} resp_request_parser;

void resp_request_init(resp_request_parser *p);
/* Frees argv and scratch; the parser may be initialised again afterwards. */
void resp_request_free(resp_request_parser *p);

/* Parses at most one command from buf[0..len). The caller passes the same
 * unconsumed data again (possibly with more bytes appended, possibly after the
 * buffer moved) until RESP_OK or RESP_ERROR. Resume state is kept as offsets,
 * so a command that arrives one byte at a time is scanned once in total.
 *
 * RESP_OK: p->argv/p->argc hold one command; argv slices point into buf
 *   (multibulk, zero-copy) or into parser-owned scratch (inline) and stay
 *   valid until the next call; *consumed = bytes of buf this command used.
 *   argc may be 0 (an empty inline line, "*0", "*-1"): skip it.
 * RESP_INCOMPLETE: more bytes needed; *consumed = 0.
 * RESP_ERROR: p->error is set; the stream cannot be resynchronised, so the
 *   caller replies "-ERR <error>" and closes. *consumed = 0. */
int resp_request_parse(resp_request_parser *p, const char *buf, size_t len, size_t *consumed);

/* After RESP_INCOMPLETE: how many bytes beyond the len of the last call the
 * argument being read still needs (payload plus its two trailing bytes), so the
 * caller can grow its buffer to fit a big bulk exactly. 0 when unknown. */
size_t resp_request_pending_bulk(const resp_request_parser *p);

/* ---- encoders: append RESP to a growable buffer ---- */

typedef struct resp_buf {
    char *data;
    size_t len, cap;
} resp_buf; /* zero-initialised = empty */

void resp_buf_free(resp_buf *b);
void resp_buf_append(resp_buf *b, const void *p, size_t n);
/* printf-style append (INFO text); at most 1 KiB per call, longer output is cut. */
void resp_buf_appendf(resp_buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Longest header resp_encode_header can write. */
#define RESP_HDR_MAX 32

/* Writes "<type><n>\r\n" into dst and returns its length (at most
 * RESP_HDR_MAX). type is one of '*' '$' '%' '~' '>' '|' ':'. */
size_t resp_encode_header(char *dst, char type, long long n);
/* Decimal form of v, no NUL; returns the length. dst needs 21 bytes. */
size_t resp_ll2str(char *dst, long long v);
/* A double as Redis 7.0 replies it: "%.17g", and "inf", "-inf", "nan" for
 * the special values. No NUL; returns the length. dst needs 32 bytes. */
size_t resp_d2str(char *dst, double d);

void resp_write_simple(resp_buf *b, const char *s, size_t n); /* +s */
void resp_write_error(resp_buf *b, const char *s, size_t n);  /* -s */
void resp_write_int(resp_buf *b, long long v);                /* :v */
void resp_write_bulk(resp_buf *b, const char *s, size_t n);   /* $n s */
void resp_write_null(resp_buf *b, int resp3);                 /* "_" or "$-1" */
void resp_write_double(resp_buf *b, double d, int resp3);     /* ",d" or bulk */
void resp_write_bool(resp_buf *b, int v, int resp3);          /* "#t"/"#f" or ":1"/":0" */
void resp_write_bignum(resp_buf *b, const char *s, size_t n, int resp3); /* "(s" or bulk */
/* fmt3 is the three-letter format ("txt", "mkd"); RESP2 gets a plain bulk of s. */
void resp_write_verbatim(resp_buf *b, const char *fmt3, const char *s, size_t n, int resp3);
/* Aggregate header. In RESP2 '%' becomes '*' with 2n, '~' and '>' become '*',
 * and '|' (attribute) is left out entirely. For '*' a negative n is the null
 * array: "*-1" in RESP2, "_" in RESP3. */
void resp_write_agg(resp_buf *b, char type, long long n, int resp3);
/* A command as a multibulk array of bulk strings (what clients send). */
void resp_write_command(resp_buf *b, int argc, const char *const *argv, const size_t *argvlen);

/* ---- reply reader (client library, tests, cli) ---- */

typedef enum {
    RESP_T_SIMPLE,
    RESP_T_ERROR, /* '-' and the blob error '!' */
    RESP_T_INT,
    RESP_T_BULK,
    RESP_T_NULL, /* '_', and RESP2's "$-1" and "*-1" */
    RESP_T_ARRAY,
    RESP_T_MAP,
    RESP_T_SET,
    RESP_T_PUSH,
    RESP_T_ATTR,
    RESP_T_DOUBLE,
    RESP_T_BOOL,
    RESP_T_BIGNUM,
    RESP_T_VERBATIM
} resp_type;

/* What a constructor is asked to build, and where it goes. */
typedef struct resp_task {
    resp_type type;
    /* Aggregates: the number of child values that will follow; for maps and
     * attributes that is twice the number of pairs. */
    long long elements;
    /* Position in the parent aggregate; -1 at top level and for attributes. */
    long long idx;
    /* The object create_array returned for this aggregate (children read it
     * through their parent pointer). */
    void *obj;
    /* Enclosing aggregate, NULL at top level. Attributes are built detached
     * (parent NULL): the reader hands a finished attribute to set_attribute
     * together with the value it annotates. */
    const struct resp_task *parent;
    void *privdata;
} resp_task;

/* Constructor table. Every create_* builds one value and, when task->parent
 * is set, links it into the parent's object at task->idx (children arrive in
 * index order). Returning NULL makes the reader fail with an error. On an
 * error mid-reply the reader calls free_object on each unlinked object
 * (roots and attributes), which must free what was linked into it.
 *   create_string: SIMPLE, ERROR, BULK, BIGNUM, VERBATIM ("fmt:text" as sent)
 *   create_array:  ARRAY, MAP, SET, PUSH, ATTR; n = task->elements
 *   create_double: the value and its text as sent
 *   set_attribute: gives attr (an ATTR object) to obj; NULL to drop attributes */
typedef struct resp_builder {
    void *(*create_string)(const resp_task *t, const char *s, size_t len);
    void *(*create_array)(const resp_task *t, size_t n);
    void *(*create_integer)(const resp_task *t, long long v);
    void *(*create_double)(const resp_task *t, double d, const char *s, size_t len);
    void *(*create_nil)(const resp_task *t);
    void *(*create_bool)(const resp_task *t, int v);
    void (*set_attribute)(void *obj, void *attr);
    void (*free_object)(void *obj);
} resp_builder;

/* The default builder's value tree. str is NUL-terminated (SIMPLE, ERROR,
 * BULK, BIGNUM, VERBATIM without its "fmt:" prefix, DOUBLE as sent); integer
 * holds INT and BOOL; vtype the verbatim format; element[0..elements) the
 * children of aggregates (maps: key, value, key, value...); attribute the
 * attribute map that preceded this value, or NULL. */
typedef struct resp_value {
    resp_type type;
    long long integer;
    double dval;
    char *str;
    size_t len;
    char vtype[4];
    size_t elements;
    struct resp_value **element;
    struct resp_value *attribute;
} resp_value;

/* Frees v, its children and its attribute. NULL is allowed. */
void resp_value_free(resp_value *v);

typedef struct resp_reader resp_reader;

/* A reader with the default builder: replies are resp_value trees that the
 * caller frees with resp_value_free. */
resp_reader *resp_reader_new(void);
/* A reader with the caller's builder (copied); privdata is passed in every
 * task. Returns NULL if a create_* function is missing. */
resp_reader *resp_reader_new_with(const resp_builder *fns, void *privdata);
/* Frees the reader, unread bytes and any half-built reply. NULL is allowed. */
void resp_reader_free(resp_reader *r);

/* Limits. Defaults: depth 7 (nested aggregates, attributes included), bulk
 * 512 MiB (also bounds simple strings, errors and big numbers), elements
 * 2^32-1 per aggregate (pairs for maps). The setters return
 * RESP_ERROR, changing nothing, for values out of range (depth 1..64, bulk
 * >= 0, elements 0..2^60). */
int resp_reader_set_max_depth(resp_reader *r, int depth);
int resp_reader_set_max_bulk(resp_reader *r, long long len);
int resp_reader_set_max_elements(resp_reader *r, long long n);

/* Appends bytes to the reader's buffer. RESP_ERROR if the reader is already
 * in error (the bytes are then dropped). */
int resp_reader_feed(resp_reader *r, const char *buf, size_t len);
/* RESP_OK with *reply set to the next complete reply, or to NULL if none is
 * complete yet (the caller owns a returned reply). RESP_ERROR on a protocol
 * violation or a limit; the error is sticky: every later call returns it. */
int resp_reader_get_reply(resp_reader *r, void **reply);
/* The error message, or NULL if the reader is not in error. */
const char *resp_reader_error(const resp_reader *r);

#endif
