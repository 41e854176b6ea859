/*
 * stream_int.h - the stream type's representation, shared by stream.c (the
 * entries), stream_cmds.c (XADD, XRANGE, XREAD, XINFO...) and stream_cg.c
 * (consumer groups).
 *
 * A stream is a radix tree (ds/radix.h) of listpack nodes keyed by the
 * 16-byte big-endian ID of each node's master entry, plus counters and the
 * consumer groups. A node's listpack:
 *
 *   master:  count deleted nfields field_1 .. field_n 0
 *   entry:   flags ms-delta seq-delta values... lp-count
 *
 * count is the number of live entries, deleted the number flagged deleted.
 * An entry whose fields are the master's (flag SAMEFIELDS) stores only
 * values v_1..v_n; any other stores nfields f_1 v_1 .. f_n v_n. ms-delta and
 * seq-delta are the entry's ID minus the master ID (mod 2^64, so any ID
 * above the master fits). lp-count is how many listpack elements precede
 * it in the entry, so the node can be walked backwards. XDEL only flags an
 * entry; a node is freed when its last live entry goes.
 *
 * Invariants:
 *  1. length is the number of live entries over all nodes; first_id is the
 *     first live one (0-0 when empty); last_id >= every ID ever added.
 *  2. Master IDs increase with the radix key and every entry of a node is
 *     >= its master ID and < the next node's master ID.
 *  3. No node is empty (count > 0).
 */
#ifndef PAIRDB_STREAM_INT_H
#define PAIRDB_STREAM_INT_H

#include <stdint.h>

#include "ds/listpack.h"
#include "ds/radix.h"
#include "server/handler.h"
#include "types/dump.h"

typedef struct stream_id {
    uint64_t ms, seq;
} stream_id;

typedef struct stream {
    radix *nodes;              /* master ID (16 bytes BE) -> listpack */
    uint64_t length;
    stream_id last_id;         /* the last ID ever added (or XSETID) */
    stream_id first_id;
    stream_id max_deleted_id;  /* largest ID XDEL removed */
    uint64_t entries_added;
    radix *groups;             /* name -> stream_cg */
} stream;

/* A pending entry: delivered to a consumer and not yet acknowledged. The
 * same record sits in the group's PEL and in its consumer's PEL. */
typedef struct stream_nack {
    long long delivery_time;   /* unix ms of the last delivery */
    uint64_t delivery_count;
    struct stream_consumer *consumer;
} stream_nack;

typedef struct stream_consumer {
    long long seen_time;       /* unix ms of the last read or claim */
    radix *pel;                /* ID -> stream_nack (owned by the group's PEL) */
    size_t nlen;
    char name[];
} stream_consumer;

/* entries_read when the group's position in the stream is unknown. */
#define STREAM_ENTRIES_UNKNOWN (-1LL)

typedef struct stream_cg {
    stream_id last_id;         /* the last entry delivered with ">" */
    long long entries_read;    /* logical position, or STREAM_ENTRIES_UNKNOWN */
    radix *pel;                /* ID -> stream_nack */
    radix *consumers;          /* name -> stream_consumer */
} stream_cg;

/* Entry flags inside a node. */
enum { STREAM_ENTRY_DELETED = 1, STREAM_ENTRY_SAMEFIELDS = 2 };

/* ---- IDs ---- */

static inline int stream_id_cmp(const stream_id *a, const stream_id *b) {
    if (a->ms != b->ms) return a->ms < b->ms ? -1 : 1;
    if (a->seq != b->seq) return a->seq < b->seq ? -1 : 1;
    return 0;
}
void stream_id_encode(const stream_id *id, unsigned char out[16]);
void stream_id_decode(const unsigned char in[16], stream_id *id);
/* "ms-seq" into buf (>= STREAM_ID_STR); returns the length. */
#define STREAM_ID_STR 44
size_t stream_id_format(const stream_id *id, char *buf);
/* 1 after a successful increment, 0 when id is the largest ID. */
int stream_id_incr(stream_id *id);
int stream_id_decr(stream_id *id);

/* Parses "ms[-seq]" (strict: no "-", "+" or "$"). When seq is missing it
 * is missing_seq and *seq_given = 0. With allow_star_seq, "ms-*" parses
 * with *seq_given = 0 too (XADD). 0 ok, -1 invalid. */
int stream_id_parse(const char *p, size_t len, uint64_t missing_seq, stream_id *id,
                    int *seq_given, int allow_star_seq);
/* Parses and replies "ERR Invalid stream ID ..." on failure. */
int stream_id_arg(client *c, const resp_arg *a, uint64_t missing_seq, stream_id *id);
void reply_stream_id(client *c, const stream_id *id);

/* ---- the stream ---- */

stream *stream_new(void);
void stream_free(stream *s);
kv *stream_kv_new(const char *key, size_t klen, stream *s);
static inline stream *stream_of(const kv *e) {
    return kv_ptr(e);
}

/* Appends an entry with the given ID (> last_id, checked by the caller)
 * and nfields field/value pairs at fv[0..2*nfields). */
void stream_append(stream *s, const stream_id *id, const resp_arg *fv, long nfields);
/* 1 if the entry existed and was deleted. */
int stream_delete(stream *s, const stream_id *id);
/* Trimming. approx removes only whole nodes; limit > 0 caps the entries
 * removed (0: no cap). Returns the number removed. */
enum { STREAM_TRIM_MAXLEN = 1, STREAM_TRIM_MINID = 2 };
long long stream_trim(stream *s, int strategy, uint64_t maxlen, const stream_id *minid,
                      int approx, long long limit);
/* The last live entry's ID (0-0 when empty). */
void stream_last_valid_id(stream *s, stream_id *out);

/* Iteration over live entries with start <= ID <= end, forwards or back. */
typedef struct stream_iter {
    stream *s;
    radix_iter ri;
    listpack *lp;            /* current node, NULL before the first */
    stream_id master_id;
    unsigned char *master_fields;   /* first master field */
    long master_nfields;
    unsigned char *first_entry;     /* flags of the node's first entry */
    unsigned char *pos;      /* flags of the current entry */
    unsigned char *after_id; /* the element after its ID */
    long long flags;         /* its flags */
    stream_id start, end;
    int rev, started, done;
    /* the current entry */
    stream_id id;
    long nfields;
    int samefields;
    unsigned char *fv;       /* first value (samefields) or first field */
} stream_iter;

void stream_iter_start(stream_iter *it, stream *s, const stream_id *start, const stream_id *end,
                       int rev);
/* 1 with it->id set on the next entry, 0 at the end. */
int stream_iter_next(stream_iter *it);
/* Walks the current entry's field/value pairs in order. */
typedef struct stream_fields {
    unsigned char *f, *v;
    int same;
} stream_fields;
void stream_fields_begin(stream_iter *it, stream_fields *fc);
void stream_fields_next(stream_iter *it, stream_fields *fc, const char **f, size_t *flen,
                        char fbuf[LP_INTBUF], const char **v, size_t *vlen, char vbuf[LP_INTBUF]);
void stream_iter_done(stream_iter *it);

/* Replies [id, [f, v, ...]] for the current entry. */
void stream_reply_entry(client *c, stream_iter *it);
/* Counts of the tree, for XINFO. */
size_t stream_node_count(const stream *s);
size_t stream_tree_nodes(const stream *s);

/* ---- consumer groups (stream_cg.c) ---- */

stream_cg *stream_group_find(stream *s, const char *name, size_t len);
void stream_group_free(void *cg);
void *stream_groups_dup(const radix *groups);
size_t stream_groups_mem(const radix *groups);
/* The group's lag as XINFO reports it; 0 and *valid = 0 when unknown. */
long long stream_group_lag(stream *s, stream_cg *cg, int *valid);
int stream_range_has_tombstones(stream *s, const stream_id *start, const stream_id *end);
long long stream_estimate_entries_read(stream *s, const stream_id *id);
/* XREADGROUP on one stream: replies the entries array after start
 * (history: from the consumer's PEL), updates the group and logs effects. */
void stream_group_serve(client *c, const resp_arg *key, stream *s, stream_cg *g,
                        const resp_arg *consumer, const stream_id *start, long long count,
                        int noack, int history);
/* The groups part of the DUMP body. */
void stream_groups_encode(stream *s, dstr **out);
int stream_groups_decode(stream *s, dump_reader *r);
void stream_cg_register(void);
void stream_cmds_register(void);   /* stream_cmds.c */

#endif
