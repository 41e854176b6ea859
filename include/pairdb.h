/*
 * pairdb.h - libpairdb, the C client library for PairDB (and any server that
 * speaks RESP2/RESP3).
 *
 * A pdb_conn is one synchronous connection: commands are sent and their
 * replies awaited with a per-command timeout, or appended in bulk and read
 * back later (pipelining). Replies are trees of pdb_reply for every RESP3 type;
 * a caller may plug its own constructors (pdb_builder) to parse without the
 * tree. After a connection loss the next command reconnects (with backoff),
 * and a circuit breaker fails fast while the server keeps failing.
 *
 * Error model: functions return PDB_OK (0) or a negative pdb_error; a function
 * returning a pointer returns NULL and leaves the kind in pdb_err(). A server
 * error reply to a top-level command is PDB_ERR_SERVER: pdb_errstr() holds the
 * server's message and pdb_err_command() the command's name. The connection
 * stays usable after PDB_ERR_SERVER; after PDB_ERR_IO, PDB_ERR_TIMEOUT or
 * PDB_ERR_PROTOCOL it is closed and the next command reconnects.
 *
 * Memory: allocation failure aborts the process (the library never returns
 * NULL for lack of memory). A pdb_conn is not thread-safe; use one per thread.
 */
#ifndef PAIRDB_CLIENT_H
#define PAIRDB_CLIENT_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define PDB_VERSION_MAJOR 0
#define PDB_VERSION_MINOR 1

typedef enum pdb_error {
    PDB_OK = 0,
    PDB_ERR_IO = -1,           /* connect, read or write failed */
    PDB_ERR_TIMEOUT = -2,      /* connect or command deadline passed */
    PDB_ERR_PROTOCOL = -3,     /* the server sent bytes that are not RESP */
    PDB_ERR_SERVER = -4,       /* the server answered with an error reply */
    PDB_ERR_CLOSED = -5,       /* the server closed the connection */
    PDB_ERR_CIRCUIT_OPEN = -6, /* failing fast: the circuit breaker is open */
    PDB_ERR_ARG = -7,          /* bad options, URL, format string or call */
    PDB_ERR_UNSUPPORTED = -8,  /* asked for something not built */
    PDB_ERR_EXECABORT = -9,    /* EXEC refused: a queued command was refused */
    PDB_ERR_WATCH = -10,       /* EXEC did not run: a watched key changed */
    PDB_ERR_QUEUE_FULL = -11,  /* the bounded request queue is full */
    PDB_ERR_CROSSSLOT = -12,   /* cluster: the keys of a command are in different slots */
    PDB_ERR_CLUSTER = -13      /* cluster: no slot map, no node, too many redirections */
} pdb_error;

/* ---- connection options ---- */

typedef struct pdb_options {
    const char *host;        /* default "127.0.0.1"; ignored when unix_path is set */
    int port;                /* default 6379 */
    const char *unix_path;   /* Unix socket path, or NULL for TCP */
    const char *user;        /* ACL user; NULL means "default" */
    const char *password;    /* NULL: no AUTH */
    int db;                  /* SELECTed after the handshake when not 0 */
    const char *client_name; /* sent with HELLO SETNAME / CLIENT SETNAME */
    int protocol;            /* 3 (default): HELLO 3, falling back to RESP2; 2: RESP2 only */
    int connect_timeout_ms;  /* connect plus handshake; default 2000, 0 = none */
    int command_timeout_ms;  /* per command; default 0 = wait forever */
    int keepalive_s;         /* TCP keepalive idle seconds; default 0 = off */

    /* Reconnect on the next command after a loss: up to reconnect_attempts
     * connects, the k-th after a random wait in [0, min(max, base * 2^k)) ms
     * ("full jitter"). attempts 0 disables reconnecting. Defaults 3, 50, 1000. */
    int reconnect_attempts;
    int reconnect_base_ms;
    int reconnect_max_ms;

    /* Circuit breaker: after breaker_threshold consecutive failures (I/O,
     * timeout, closed, protocol -- not server error replies) commands fail
     * with PDB_ERR_CIRCUIT_OPEN for breaker_cooldown_ms; then one trial command
     * is let through (half-open): success closes the breaker, failure opens it
     * again. threshold 0 disables it. Defaults 5 and 1000. */
    int breaker_threshold;
    int breaker_cooldown_ms;

    /* TLS over TCP (rediss:// sets tls = 1). The server's certificate must
     * chain to tls_ca_file / tls_ca_dir (both NULL: the system's CAs) and be
     * issued for tls_server_name (NULL: host; an IP address is matched as
     * one) unless tls_verify is 0. tls_cert_file and tls_key_file (PEM) give
     * a client certificate. A failed handshake or verification is
     * PDB_ERR_IO, the reason in pdb_errstr(). */
    int tls;
    int tls_verify; /* default 1 */
    const char *tls_ca_file;
    const char *tls_ca_dir;
    const char *tls_cert_file;
    const char *tls_key_file;
    const char *tls_server_name;

    /* Bounded request queue: at most max_pending commands awaiting replies
     * (0, the default: no bound). When full, a synchronous append fails with
     * PDB_ERR_QUEUE_FULL (it cannot wait: only its caller takes replies); an
     * async command fails the same way, or with queue_block set waits for
     * room, reading replies and running their callbacks inside the call, at
     * most command_timeout_ms (then PDB_ERR_QUEUE_FULL). */
    int max_pending;
    int queue_block;
} pdb_options;

/* Fills o with the defaults above. */
void pdb_options_init(pdb_options *o);

/* Longest URL pdb_url_parse accepts. */
#define PDB_URL_MAX 1024

/* Parses redis://[user:pass@]host[:port][/db] (also "[v6addr]" hosts and
 * %XX escapes in user and password), the same with rediss:// (which sets
 * tls = 1, else tls = 0), or unix:///path[?db=N] into o, changing only the
 * fields the URL names. The strings o points to are written into buf (at
 * least strlen(url) + 1 bytes). A problem is PDB_ERR_ARG with a message in
 * err. */
int pdb_url_parse(const char *url, pdb_options *o, char *buf, size_t buflen, char *err,
                  size_t errlen);

/* ---- connections ---- */

typedef struct pdb_conn pdb_conn;

/* Connects and runs the handshake. Always returns a connection object (NULL
 * only for a NULL o): check pdb_err(). A connection whose first connect
 * failed reconnects on its next command like any other. The options' strings
 * are copied. */
pdb_conn *pdb_connect(const pdb_options *o);
/* pdb_connect with the fields of a URL over base (NULL: the defaults). A bad
 * URL gives a connection in error that never connects. */
pdb_conn *pdb_connect_url(const char *url, const pdb_options *base);
void pdb_free(pdb_conn *c);

/* Kind and message of the last failure (PDB_OK and "" after a success). */
int pdb_err(const pdb_conn *c);
const char *pdb_errstr(const pdb_conn *c);
/* Name of the command a PDB_ERR_SERVER belongs to, e.g. "SET"; "" if none. */
const char *pdb_err_command(const pdb_conn *c);
/* Static text for an error kind, e.g. "timeout". */
const char *pdb_error_name(int err);

/* Protocol in use (2 or 3), or 0 while not connected. */
int pdb_protocol(const pdb_conn *c);
/* The socket, or -1 while not connected. */
int pdb_fd(const pdb_conn *c);
int pdb_is_connected(const pdb_conn *c);
/* Changes the per-command timeout (ms, 0 = none) for the following calls. */
void pdb_set_timeout(pdb_conn *c, int ms);
/* Closes the socket; the next command reconnects (unless reconnecting is
 * off, then it fails with PDB_ERR_CLOSED). Pending replies are dropped. */
void pdb_disconnect(pdb_conn *c);
/* Connects now if not connected (no backoff). */
int pdb_reconnect(pdb_conn *c);

/* ---- replies ---- */

typedef enum pdb_type {
    PDB_REPLY_STATUS,  /* +OK */
    PDB_REPLY_ERROR,   /* -ERR ..., and RESP3 blob errors */
    PDB_REPLY_INTEGER, /* :1 */
    PDB_REPLY_STRING,  /* bulk string */
    PDB_REPLY_NULL,    /* RESP3 _, RESP2 $-1 and *-1 */
    PDB_REPLY_ARRAY,   /* * */
    PDB_REPLY_MAP,     /* % (children: key, value, key, value...) */
    PDB_REPLY_SET,     /* ~ */
    PDB_REPLY_PUSH,    /* > out-of-band messages */
    PDB_REPLY_ATTR,    /* | only seen through pdb_reply_attribute */
    PDB_REPLY_DOUBLE,  /* , */
    PDB_REPLY_BOOL,    /* # */
    PDB_REPLY_BIGNUM,  /* ( */
    PDB_REPLY_VERBATIM /* = */
} pdb_type;

typedef struct pdb_reply pdb_reply;

/* A read-only slice of a reply's bytes; valid while the reply lives. */
typedef struct pdb_view {
    const char *ptr;
    size_t len;
} pdb_view;

int pdb_reply_type(const pdb_reply *r);
/* Text of STATUS, ERROR, STRING, BIGNUM, VERBATIM (without "txt:") and DOUBLE
 * (as the server wrote it), NUL-terminated (binary data may hold more NULs:
 * use the length); NULL for other types. */
const char *pdb_reply_str(const pdb_reply *r);
size_t pdb_reply_len(const pdb_reply *r);
/* The same bytes as a slice: the string lives inside the reply node itself,
 * so this is the one and only copy made after the socket read. */
pdb_view pdb_reply_view(const pdb_reply *r);
/* INTEGER and BOOL (0/1) values; 0 for other types. */
long long pdb_reply_integer(const pdb_reply *r);
/* DOUBLE, INTEGER as a double; 0 otherwise. */
double pdb_reply_double(const pdb_reply *r);
/* BOOL, or INTEGER != 0. */
int pdb_reply_bool(const pdb_reply *r);
/* "txt" / "mkd" for VERBATIM, "" otherwise. */
const char *pdb_reply_verbatim_format(const pdb_reply *r);
/* Children of ARRAY, SET, PUSH and MAP (a map of n pairs has 2n). */
size_t pdb_reply_elements(const pdb_reply *r);
/* Child i, or NULL when out of range. */
const pdb_reply *pdb_reply_element(const pdb_reply *r, size_t i);
/* Maps (and attribute maps): number of pairs, key and value of pair i. */
size_t pdb_reply_map_size(const pdb_reply *r);
const pdb_reply *pdb_reply_map_key(const pdb_reply *r, size_t i);
const pdb_reply *pdb_reply_map_value(const pdb_reply *r, size_t i);
/* Value for a string-like key (binary-safe compare), or NULL. In RESP2 a
 * flat key/value array works too. */
const pdb_reply *pdb_reply_map_get(const pdb_reply *r, const char *key, size_t keylen);
/* The attribute map that preceded this value, or NULL. */
const pdb_reply *pdb_reply_attribute(const pdb_reply *r);
void pdb_reply_free(pdb_reply *r);

/* ---- pluggable reply builders ---- */

/* What a constructor is asked to build. idx is the position in the parent
 * (-1 for a top-level value and for attributes, which are built detached and
 * handed to set_attribute with the value they annotate); parent is the object
 * create_array returned for the enclosing aggregate, or NULL. elements is the
 * child count of an aggregate (twice the pairs for MAP and ATTR). */
typedef struct pdb_task {
    pdb_type type;
    long long elements;
    long long idx;
    void *parent;
    void *privdata;
} pdb_task;

/* Every create_* returns a non-NULL object (NULL fails the parse); children
 * arrive in index order after their parent. free_object must free an object
 * with all it has linked below it (called on unlinked objects after a
 * protocol error). set_attribute may be NULL to drop attributes. A builder
 * that links nothing and returns a dummy pointer parses without allocating. */
typedef struct pdb_builder {
    void *(*create_string)(const pdb_task *t, const char *s, size_t len);
    void *(*create_array)(const pdb_task *t, size_t n);
    void *(*create_integer)(const pdb_task *t, long long v);
    void *(*create_double)(const pdb_task *t, double d, const char *s, size_t len);
    void *(*create_nil)(const pdb_task *t);
    void *(*create_bool)(const pdb_task *t, int v);
    void (*set_attribute)(void *obj, void *attr);
    void (*free_object)(void *obj);
} pdb_builder;

/* The builder behind pdb_reply trees (to wrap or extend). */
const pdb_builder *pdb_default_builder(void);

/* A standalone, I/O-free parser: feed bytes, take replies. */
typedef struct pdb_parser pdb_parser;
/* NULL b means the default builder (objects are pdb_reply *). Returns NULL if
 * a create_* function is missing. */
pdb_parser *pdb_parser_new(const pdb_builder *b, void *privdata);
void pdb_parser_free(pdb_parser *p);
int pdb_parser_feed(pdb_parser *p, const char *buf, size_t len);
/* PDB_OK with *obj set to the next complete value or NULL when none is ready
 * yet; PDB_ERR_PROTOCOL (sticky) on bad input. */
int pdb_parser_get(pdb_parser *p, void **obj);
const char *pdb_parser_error(const pdb_parser *p);

/* Makes the connection build replies with b (NULL: back to pdb_reply).
 * pdb_get_reply_obj then returns the builder's objects; the pdb_reply
 * functions (pdb_command, pdb_get_reply) must not be used meanwhile.
 * Refused (PDB_ERR_ARG) while replies are pending. */
int pdb_set_builder(pdb_conn *c, const pdb_builder *b, void *privdata);

/* ---- commands ---- */

/* Sends a command and waits for its reply (the reply is the caller's).
 * The format splits on spaces into arguments; inside an argument:
 *   %s  a NUL-terminated string     %b  a (const void *, size_t) binary blob
 *   %d  int     %lld  long long     %zu size_t     %f  double (as "%.17g")
 *   %%  a literal '%'
 * An argument made only of a directive expanding to "" is an empty argument. */
pdb_reply *pdb_command(pdb_conn *c, const char *fmt, ...);
pdb_reply *pdb_vcommand(pdb_conn *c, const char *fmt, va_list ap);
pdb_reply *pdb_command_argv(pdb_conn *c, int argc, const char *const *argv, const size_t *argvlen);

/* Pipelining: append commands to the output buffer (nothing is sent until
 * pdb_flush or pdb_get_reply), then take one reply per command in order. */
int pdb_append_command(pdb_conn *c, const char *fmt, ...);
int pdb_append_vcommand(pdb_conn *c, const char *fmt, va_list ap);
int pdb_append_command_argv(pdb_conn *c, int argc, const char *const *argv, const size_t *argvlen);
/* Writes the output buffer out, waiting at most the command timeout. */
int pdb_flush(pdb_conn *c);
/* Commands appended whose replies were not yet taken. */
size_t pdb_pending(const pdb_conn *c);
/* The reply to the oldest pending command. An error reply is returned too,
 * with PDB_ERR_SERVER. With nothing pending it returns the next queued push
 * message, or waits for the next value the server sends (pub/sub). */
int pdb_get_reply(pdb_conn *c, pdb_reply **reply);
/* The same for a connection with a custom builder. */
int pdb_get_reply_obj(pdb_conn *c, void **obj);

/* Turns a value into the RESP multibulk the server reads (for tests and
 * tools): returns the length and sets *out (free with free()). */
long long pdb_format_command(char **out, const char *fmt, ...);

/* ---- transactions and scripts ---- */

/* MULTI; the commands that follow (pdb_command) answer +QUEUED, or fail with
 * PDB_ERR_SERVER when the server refuses to queue them. */
int pdb_multi(pdb_conn *c);
/* EXEC. PDB_OK: *replies is an array with one reply per queued command (a
 * command that failed while running has an ERROR element there).
 * PDB_ERR_EXECABORT: a command had been refused while queueing, nothing ran
 * (pdb_errstr holds the EXECABORT text). PDB_ERR_WATCH: a watched key
 * changed, nothing ran (the server's null reply). PDB_ERR_CLOSED: the
 * connection was lost after WATCH or MULTI, nothing ran. */
int pdb_exec(pdb_conn *c, pdb_reply **replies);
int pdb_discard(pdb_conn *c);
/* 1 after WATCH or MULTI until EXEC, DISCARD (or UNWATCH for a watch). A
 * connection lost meanwhile is not silently reconnected: every command fails
 * with PDB_ERR_CLOSED until EXEC, DISCARD or UNWATCH takes note of the loss. */
int pdb_in_transaction(const pdb_conn *c);

/* Runs script by its SHA-1 (EVALSHA); when the server answers NOSCRIPT, loads
 * it once (SCRIPT LOAD) and retries. argv holds numkeys keys, then the other
 * arguments. Returns the reply or NULL (error kind in pdb_err). */
pdb_reply *pdb_evalsha_auto(pdb_conn *c, const char *script, int numkeys, int argc,
                            const char *const *argv, const size_t *argvlen);

/* ---- push messages (RESP3 invalidations, pub/sub) ---- */

/* Pushes that arrive while a reply is awaited go to fn (which takes
 * ownership of the reply) or, with no handler, to a queue that pdb_get_reply
 * hands out when nothing is pending (at most 4096 kept; older ones dropped
 * and counted in pdb_stats.pushes_dropped). A push answering a pending
 * (P|S)(UN)SUBSCRIBE is that command's reply. */
typedef void pdb_push_fn(pdb_conn *c, pdb_reply *push, void *privdata);
void pdb_set_push_handler(pdb_conn *c, pdb_push_fn *fn, void *privdata);

/* ---- pub/sub with callbacks ---- */

enum { PDB_SUB_CHANNEL = 0, PDB_SUB_PATTERN = 1, PDB_SUB_SHARD = 2 };

/* A message: kind is PDB_SUB_*; pattern is empty but for pattern
 * subscriptions. The views live only during the callback. */
typedef struct pdb_message {
    int kind;
    pdb_view pattern;
    pdb_view channel;
    pdb_view payload;
} pdb_message;
typedef void pdb_message_fn(pdb_conn *c, const pdb_message *m, void *privdata);

/* Subscribes (SUBSCRIBE, PSUBSCRIBE, SSUBSCRIBE) and routes the messages of
 * that channel or pattern to fn, whether they arrive while another command's
 * reply is awaited (RESP3) or in pdb_dispatch. Subscribing a name again
 * replaces its callback. The subscriptions are remembered: after a reconnect
 * they are all made again before anything else is sent. Works in RESP3
 * (pushes) and RESP2 (subscribed mode: only (P|S)(UN)SUBSCRIBE, PING and
 * QUIT are allowed then). Not with a custom builder. */
int pdb_subscribe(pdb_conn *c, const char *channel, pdb_message_fn *fn, void *privdata);
int pdb_psubscribe(pdb_conn *c, const char *pattern, pdb_message_fn *fn, void *privdata);
int pdb_ssubscribe(pdb_conn *c, const char *channel, pdb_message_fn *fn, void *privdata);
/* Forgets and unsubscribes one name of a PDB_SUB_* kind. */
int pdb_unsubscribe_kind(pdb_conn *c, int kind, const char *name);
/* Names subscribed through the calls above. */
size_t pdb_subscriptions(const pdb_conn *c);
/* Waits up to timeout_ms (at least 1) for the next value from the server and
 * routes it: 1 when a callback took a message, 0 when it was something else
 * (given to the push handler, or dropped and counted in pushes_dropped when
 * there is none), PDB_ERR_TIMEOUT when nothing came (the connection stays),
 * another error when the connection failed: the next call reconnects and
 * subscribes again. Refused (PDB_ERR_ARG) while replies are pending. */
int pdb_dispatch(pdb_conn *c, int timeout_ms);

/* ---- client-side cache ---- */

/* Bytes counted for each cache entry besides its command and reply. */
#define PDB_CACHE_ENTRY_OVERHEAD 64

/* Bounds of the local cache. max_bytes counts, per entry, the bytes of the
 * command's arguments, its reply as RESP3 encodes it and
 * PDB_CACHE_ENTRY_OVERHEAD; ttl_ms 0 keeps entries until invalidated or
 * evicted (least recently used first). */
typedef struct pdb_cache_options {
    size_t max_entries; /* 1..1000000 */
    size_t max_bytes;
    int ttl_ms;
} pdb_cache_options;

typedef struct pdb_cache_stats {
    unsigned long long hits, misses;
    unsigned long long invalidations; /* keys the server invalidated */
    unsigned long long evictions;     /* dropped for the bounds */
    unsigned long long expired;       /* dropped for the TTL */
    unsigned long long flushes;       /* emptied: reconnect, FLUSHALL, set-up */
    size_t entries, bytes;
    unsigned long long uncached; /* commands outside the allow-list, passed through */
} pdb_cache_stats;

/* Turns the cache on (off and on again empties it). Tracking is set up on
 * the first cached read: RESP3 uses CLIENT TRACKING on the connection and
 * its invalidation pushes (consumed by the cache, not handed to the push
 * handler); RESP2 opens a second connection subscribed to
 * __redis__:invalidate and redirects the tracking there. A reconnect empties
 * the cache and sets tracking up again. Not with a custom builder. */
int pdb_cache_enable(pdb_conn *c, const pdb_cache_options *o);
void pdb_cache_disable(pdb_conn *c);
/* 1 if the command may be cached: a read-only command on the one key at
 * argv[1] whose reply depends only on that key and the arguments -- GET,
 * STRLEN, GETRANGE, SUBSTR, GETBIT, BITCOUNT, BITPOS, HGET, HMGET, HGETALL,
 * HEXISTS, HLEN, HKEYS, HVALS, HSTRLEN, LRANGE, LLEN, LINDEX, LPOS,
 * SMEMBERS, SISMEMBER, SMISMEMBER, SCARD, ZRANGE, ZRANGEBYSCORE,
 * ZRANGEBYLEX, ZREVRANGE, ZREVRANGEBYSCORE, ZREVRANGEBYLEX, ZSCORE,
 * ZMSCORE, ZCARD, ZCOUNT, ZLEXCOUNT, ZRANK, ZREVRANK, EXISTS (one key),
 * TYPE, XLEN, XRANGE, XREVRANGE, GEOPOS, GEODIST, GEOHASH (names in any
 * case). */
int pdb_cache_cacheable(int argc, const char *const *argv, const size_t *argvlen);
/* Runs a command through the cache: an allow-listed one is answered from a
 * live entry for the same command (name case aside, arguments byte for
 * byte), else sent and its reply stored (errors are not); any other
 * command is sent as pdb_command_argv would. Every entry read from a key
 * is dropped together when the server invalidates the key. Invalidations
 * already received are applied first, without waiting; one still in flight
 * on the network is not: the usual client-side caching window. The reply
 * is the caller's. Without a cache it is a plain command. */
pdb_reply *pdb_cache_command_argv(pdb_conn *c, int argc, const char *const *argv,
                                  const size_t *argvlen);
/* The same with a format (as pdb_command). */
pdb_reply *pdb_cache_command(pdb_conn *c, const char *fmt, ...);
/* GET key through the cache. */
pdb_reply *pdb_cache_get(pdb_conn *c, const char *key, size_t keylen);
void pdb_cache_get_stats(const pdb_conn *c, pdb_cache_stats *out);

/* ---- tracing hooks ---- */

/* on_start runs when a command is queued (name upper-case, as in the
 * statistics); on_end when its reply arrived or it failed: the time since
 * queueing, PDB_OK / PDB_ERR_SERVER (errmsg: the server's text) or the
 * failure kind. Both may be NULL. They run inside the library's calls: they
 * must not call the connection. */
typedef struct pdb_hooks {
    void (*on_start)(pdb_conn *c, const char *name, void *privdata);
    void (*on_end)(pdb_conn *c, const char *name, unsigned long long usec, int err,
                   const char *errmsg, void *privdata);
    void *privdata;
} pdb_hooks;
/* NULL removes them. */
void pdb_set_hooks(pdb_conn *c, const pdb_hooks *h);

/* ---- asynchronous connections ---- */

typedef struct pdb_async pdb_async;
/* A reply (valid during the call only: freed after it returns) with PDB_OK
 * or PDB_ERR_SERVER, or NULL with the failure kind. */
typedef void pdb_async_fn(pdb_async *ac, pdb_reply *reply, int err, void *privdata);

/* How the connection talks to an event loop: the loop watches pdb_async_fd
 * for reading or writing while asked to, and calls pdb_async_handle_read /
 * _write when ready; schedule_timer (optional, for command_timeout_ms; needed
 * to reconnect) asks for one pdb_async_handle_timeout call after ms
 * (replacing any earlier request). cleanup runs from pdb_async_free.
 * set_fd (optional; needed to reconnect) tells the loop which socket to
 * watch from now on: it runs at attach and after each new connect, before
 * the first add_read/add_write on that socket, never from inside
 * pdb_async_handle_read/_write (the old socket is no longer watched then).
 * Adapters for libevent and libuv are in pairdb_libevent.h and
 * pairdb_libuv.h. */
typedef struct pdb_async_adapter {
    void *data;
    void (*add_read)(void *data);
    void (*del_read)(void *data);
    void (*add_write)(void *data);
    void (*del_write)(void *data);
    void (*schedule_timer)(void *data, int ms);
    void (*cleanup)(void *data);
    void (*set_fd)(void *data, int fd);
} pdb_async_adapter;

typedef struct pdb_async_stats {
    unsigned long long commands; /* queued */
    unsigned long long replies;
    unsigned long long failed;   /* callbacks run with a failure */
    unsigned long long writes;   /* send() calls that wrote bytes */
    unsigned long long rejected; /* PDB_ERR_QUEUE_FULL */
    unsigned long long connects; /* successful reconnects (handshake done) */
    unsigned long long connect_failures;
    unsigned long long held;             /* commands issued while down */
    unsigned long long breaker_rejected; /* PDB_ERR_CIRCUIT_OPEN */
} pdb_async_stats;

/* Connects and runs the handshake (these block, at most connect_timeout_ms;
 * check pdb_async_err), then never blocks. By default it does not reconnect:
 * after a loss every pending callback gets the failure and later commands
 * fail with PDB_ERR_CLOSED (see pdb_async_set_reconnect). MONITOR, RESET
 * and the subscribe commands sent as plain commands are refused
 * (PDB_ERR_ARG; see pdb_async_subscribe); RESP3 pushes other than messages
 * go to the push handler of pdb_async_conn. */
pdb_async *pdb_async_connect(const pdb_options *o);
int pdb_async_attach(pdb_async *ac, const pdb_async_adapter *a);
int pdb_async_err(const pdb_async *ac);
const char *pdb_async_errstr(const pdb_async *ac);
int pdb_async_fd(const pdb_async *ac);
/* The connection underneath: for hooks, statistics and the push handler. */
pdb_conn *pdb_async_conn(pdb_async *ac);
/* Queues a command (same formats as pdb_command). Commands queued in one
 * loop turn leave in one write (auto-pipelining). fn may be NULL. */
int pdb_async_command(pdb_async *ac, pdb_async_fn *fn, void *privdata, const char *fmt, ...);
int pdb_async_vcommand(pdb_async *ac, pdb_async_fn *fn, void *privdata, const char *fmt,
                       va_list ap);
int pdb_async_command_argv(pdb_async *ac, pdb_async_fn *fn, void *privdata, int argc,
                           const char *const *argv, const size_t *argvlen);
void pdb_async_handle_read(pdb_async *ac);
void pdb_async_handle_write(pdb_async *ac);
void pdb_async_handle_timeout(pdb_async *ac);
size_t pdb_async_pending(const pdb_async *ac);
void pdb_async_get_stats(const pdb_async *ac, pdb_async_stats *out);
/* Closes the socket for good (no reconnect); pending callbacks, queued
 * ones included, get PDB_ERR_CLOSED. */
void pdb_async_disconnect(pdb_async *ac);

/* Reconnecting (off by default). With on set, a lost connection -- I/O
 * error, the server closing, a command past command_timeout_ms -- first
 * fails every callback in flight (each exactly once), then reconnects from
 * the adapter's timer: the first attempt at once, the k-th after a random
 * wait in [0, min(reconnect_max_ms, reconnect_base_ms * 2^k)) (full jitter),
 * for as long as it takes. Each attempt connects without blocking (a host
 * name is still resolved with getaddrinfo) and redoes the handshake (TLS,
 * HELLO, AUTH, SETNAME, SELECT, then the subscriptions) as replies to
 * commands it sent itself, bounded by connect_timeout_ms. Commands issued
 * while down are held (in order, at most max_held: then PDB_ERR_QUEUE_FULL;
 * 0 means 1000) and sent once the handshake is done; command_timeout_ms
 * counts from when they were issued. The circuit breaker of the options
 * counts losses and failed attempts: while it is open, held commands are
 * failed with PDB_ERR_CIRCUIT_OPEN, new ones are refused with it, and the
 * next attempt (the half-open trial) waits for the cool-down. Needs an
 * adapter with schedule_timer and set_fd (PDB_ERR_ARG otherwise). Turned
 * on while the connection is down (its first connect failed, it was lost
 * while reconnecting was off, or pdb_async_disconnect closed it), it starts
 * reconnecting. */
int pdb_async_set_reconnect(pdb_async *ac, int on, size_t max_held);
/* 1 while the handshake is done and commands go out at once. */
int pdb_async_is_connected(const pdb_async *ac);

/* Status callbacks (NULL removes). connect: after each attempt the
 * connection makes by itself, with PDB_OK or the failure kind (not for
 * pdb_async_connect's own connect). disconnect: when a live connection is
 * lost, with the failure kind, or PDB_OK for pdb_async_disconnect and
 * pdb_async_free; it runs after the callbacks in flight were failed. */
typedef void pdb_async_event_fn(pdb_async *ac, int status, void *privdata);
void pdb_async_set_connect_callback(pdb_async *ac, pdb_async_event_fn *fn, void *privdata);
void pdb_async_set_disconnect_callback(pdb_async *ac, pdb_async_event_fn *fn, void *privdata);
/* Disconnects (callbacks run), runs the adapter's cleanup, frees. Not from
 * inside a callback. */
void pdb_async_free(pdb_async *ac);

/* Pub/sub on the asynchronous connection. fn gets each message of the
 * channel, pattern or shard channel (kind: PDB_SUB_*; the views live during
 * the call only). done (may be NULL) gets the confirmation, or the failure:
 * a server refusal forgets the subscription, a lost connection does not (a
 * reconnect subscribes it again). Subscribing a name again replaces its
 * callback. Each call sends one (P|S)(UN)SUBSCRIBE for one name, in order
 * with the other commands; in RESP2 the server then refuses every command
 * but those and PING until the last subscription is gone. The plain
 * command calls refuse the subscribe commands (PDB_ERR_ARG). */
typedef void pdb_async_message_fn(pdb_async *ac, const pdb_message *m, void *privdata);
int pdb_async_subscribe(pdb_async *ac, int kind, const char *name, pdb_async_message_fn *fn,
                        void *privdata, pdb_async_fn *done);
/* Forgets the name and unsubscribes; done (may be NULL) gets the
 * confirmation with privdata. */
int pdb_async_unsubscribe(pdb_async *ac, int kind, const char *name, pdb_async_fn *done,
                          void *privdata);
/* Names subscribed through pdb_async_subscribe. */
size_t pdb_async_subscriptions(const pdb_async *ac);

/* ---- cluster ---- */

/* A client for a Redis Cluster (protocol 7.0): keys are routed to the node
 * that owns their slot, learned with CLUSTER SHARDS (or CLUSTER SLOTS) from
 * a seed. Commands are
 * synchronous, like pdb_command; one pdb_conn per node, opened on first use.
 * Not thread-safe. See docs/CLIENT.md, "Cluster", for the rules. */

#define PDB_CLUSTER_SLOTS 16384

typedef struct pdb_cluster pdb_cluster;

typedef struct pdb_cluster_options {
    /* "host:port" (or "[v6addr]:port") of one or more nodes; the map is
     * asked from them in order until one answers. */
    const char *const *seeds;
    size_t nseeds;
    /* Applied to every node connection (auth, TLS, timeouts, protocol,
     * reconnect and breaker); host, port, unix_path and db are ignored. */
    pdb_options node;
    int max_redirects;      /* MOVED/ASK followed per command; default 5 */
    int max_connections;    /* node connections kept open (LRU); default 64 */
    int refresh_min_ms;     /* least time between two map refreshes; default 100 */
    int retry_attempts;     /* TRYAGAIN / CLUSTERDOWN retries; default 5 */
    int retry_base_ms;      /* their backoff: base * 2^k ms, capped at 1000; default 20 */
    int read_from_replicas; /* read-only commands go to a replica (READONLY); default 0 */
} pdb_cluster_options;

typedef struct pdb_cluster_stats {
    unsigned long long commands;      /* commands sent to nodes (retries included) */
    unsigned long long moved;         /* MOVED replies followed */
    unsigned long long ask;           /* ASK replies followed */
    unsigned long long retries;       /* TRYAGAIN / CLUSTERDOWN retries */
    unsigned long long io_retries;    /* commands retried once after a node failure */
    unsigned long long refreshes;     /* slot maps fetched */
    unsigned long long replica_reads; /* commands sent to a replica */
} pdb_cluster_stats;

/* Fills o with the defaults above (and pdb_options_init for o->node). */
void pdb_cluster_options_init(pdb_cluster_options *o);
/* Connects to a seed and loads the slot map. Always returns an object (NULL
 * only for a NULL o): check pdb_cluster_err(); a cluster whose map could
 * not be loaded tries again on each command. Strings are copied. */
pdb_cluster *pdb_cluster_connect(const pdb_cluster_options *o);
void pdb_cluster_free(pdb_cluster *cl);

/* Kind, message and command name of the last failure, as pdb_err() etc. */
int pdb_cluster_err(const pdb_cluster *cl);
const char *pdb_cluster_errstr(const pdb_cluster *cl);
const char *pdb_cluster_err_command(const pdb_cluster *cl);

/* The hash slot of a key: CRC16 (XMODEM) mod 16384 of the key, or of the
 * part between the first '{' and the first '}' after it when that part is
 * not empty. */
int pdb_cluster_keyslot(const char *key, size_t len);

/* A command, routed by its keys (the same formats as pdb_command). Keys in
 * different slots fail with PDB_ERR_CROSSSLOT before anything is sent; a
 * keyless command goes to any master. NULL on failure, as pdb_command. */
pdb_reply *pdb_cluster_command(pdb_cluster *cl, const char *fmt, ...);
pdb_reply *pdb_cluster_vcommand(pdb_cluster *cl, const char *fmt, va_list ap);
pdb_reply *pdb_cluster_command_argv(pdb_cluster *cl, int argc, const char *const *argv,
                                    const size_t *argvlen);
/* A command for one node, "host:port" as the map names it (no routing, no
 * redirections followed). */
pdb_reply *pdb_cluster_command_node(pdb_cluster *cl, const char *addr, const char *fmt, ...);

/* Pipelining: appended commands are routed (and checked for CROSSSLOT) at
 * once but sent only when the first reply is asked for; then they leave
 * together, grouped per node, and pdb_cluster_get_reply hands the replies
 * out in the order the commands were appended (redirected ones retried
 * one by one). Returns as pdb_get_reply: the reply, PDB_ERR_SERVER with an
 * error reply, or a failure kind with NULL. */
int pdb_cluster_append_command(pdb_cluster *cl, const char *fmt, ...);
int pdb_cluster_append_command_argv(pdb_cluster *cl, int argc, const char *const *argv,
                                    const size_t *argvlen);
int pdb_cluster_get_reply(pdb_cluster *cl, pdb_reply **reply);
/* Commands appended whose replies were not yet taken. */
size_t pdb_cluster_pending(const pdb_cluster *cl);

/* Fetches the slot map now. */
int pdb_cluster_refresh(pdb_cluster *cl);
/* "host:port" of the master the map names for a slot, or NULL. Valid until
 * the next call on cl. */
const char *pdb_cluster_slot_master(pdb_cluster *cl, int slot);
/* Distinct masters in the map, and the address of master i. */
size_t pdb_cluster_masters(const pdb_cluster *cl);
const char *pdb_cluster_master_addr(const pdb_cluster *cl, size_t i);
void pdb_cluster_get_stats(const pdb_cluster *cl, pdb_cluster_stats *out);

/* ---- statistics ---- */

/* Latency histogram: bucket i counts replies that took [2^i, 2^(i+1))
 * microseconds (bucket 0 also holds 0 and 1 us; the last bucket everything
 * longer). */
#define PDB_HIST_BUCKETS 32

typedef struct pdb_cmd_stats {
    char name[32];               /* upper-case command name ("OTHER" past the table) */
    unsigned long long calls;    /* replies received (errors included) */
    unsigned long long errors;   /* server error replies */
    unsigned long long failures; /* I/O, timeout, closed, protocol */
    unsigned long long usec_total;
    unsigned long long hist[PDB_HIST_BUCKETS];
} pdb_cmd_stats;

typedef struct pdb_stats {
    unsigned long long commands;      /* commands sent */
    unsigned long long replies;       /* replies received */
    unsigned long long server_errors; /* PDB_ERR_SERVER */
    unsigned long long io_errors;     /* PDB_ERR_IO and PDB_ERR_CLOSED */
    unsigned long long timeouts;
    unsigned long long protocol_errors;
    unsigned long long connects;   /* successful connects (handshake done) */
    unsigned long long reconnects; /* of those, after a loss */
    unsigned long long connect_failures;
    unsigned long long breaker_opens;
    unsigned long long breaker_rejections; /* PDB_ERR_CIRCUIT_OPEN returned */
    unsigned long long pushes;
    unsigned long long pushes_dropped;
    unsigned long long queue_rejections; /* PDB_ERR_QUEUE_FULL returned */
    size_t command_kinds;                /* entries readable through pdb_stats_command */
} pdb_stats;

void pdb_get_stats(const pdb_conn *c, pdb_stats *out);
/* Per-command entry i (0 <= i < command_kinds), or by name (case-insensitive);
 * PDB_ERR_ARG when there is none. */
int pdb_stats_command(const pdb_conn *c, size_t i, pdb_cmd_stats *out);
int pdb_stats_lookup(const pdb_conn *c, const char *name, pdb_cmd_stats *out);
/* Upper bound (us) of the bucket holding the q-quantile (0..1) of h. */
unsigned long long pdb_stats_quantile(const pdb_cmd_stats *s, double q);
void pdb_reset_stats(pdb_conn *c);

typedef enum pdb_breaker_state {
    PDB_BREAKER_CLOSED,
    PDB_BREAKER_OPEN,
    PDB_BREAKER_HALF_OPEN
} pdb_breaker_state;
/* The breaker's state now (OPEN turns HALF_OPEN once the cool-down passed). */
int pdb_breaker_state_now(const pdb_conn *c);

#ifdef __cplusplus
}
#endif

#endif
