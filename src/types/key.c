/*
 * key.c - generic keyspace commands: DEL UNLINK EXISTS TYPE RENAME RENAMENX
 * KEYS SCAN RANDOMKEY TOUCH OBJECT MOVE COPY SWAPDB DBSIZE FLUSHDB FLUSHALL
 * DUMP RESTORE (the EXPIRE/TTL family lives in expire_cmds.c and is
 * registered from here).
 *
 * Replies, error texts and edge cases follow Redis 7.0. The rules every
 * handler keeps:
 *  1. A kv pointer is used only until the next write to any database; after
 *     a write the key is looked up again (db_set/db_add/db_delete may free
 *     or move entries).
 *  2. Every changed key gets one key_modified() (or, in another database
 *     than the client's, db_touch_key() plus one dirty count) and the
 *     keyspace event Redis sends for it.
 *  3. Iteration callbacks (KEYS, SCAN) never write: expired keys met there
 *     are skipped, and SCAN deletes them only after its iteration ends.
 *
 * Called by: the dispatcher, through the table key_register() installs.
 */
#include <limits.h>
#include <string.h>

#include "ds/dstr.h"
#include "ds/glob.h"
#include "ds/mem.h"
#include "ds/numconv.h"
#include "server/blocking.h"
#include "server/config.h"
#include "server/effects.h"
#include "server/handler.h"
#include "server/tracking.h"
#include "types/dump.h"
#include "types/scan.h"
#include "types/types.h"

/* expire_cmds.c: the EXPIRE/TTL family, registered with this family. */
void key__expire_register(void);

/* Redis shares the integers 0..9999 as one object with refcount INT_MAX,
 * unless maxmemory with an LRU/LFU policy needs per-key access data. */
#define SHARED_INTEGERS 10000
#define SHARED_REFCOUNT 2147483647
#define LRU_CLOCK_MAX ((1u << 24) - 1)

/* ---- helpers ---- */

static int same_bytes(const resp_arg *a, const resp_arg *b) {
    return a->len == b->len && memcmp(a->ptr, b->ptr, a->len) == 0;
}

/* The same expiry test db_lookup applies, without deleting anything. */
static int entry_expired(db *d, const kv *e, long long now) {
    return e->expire && db_get_expire(d, e) <= now;
}

/* Redis getIntFromObject: a strict integer within int range. Returns 0,
 * -1 when not an integer, -2 when an integer outside int range. */
static int parse_int(const resp_arg *a, int *out) {
    long long v;
    if (!numconv_str2ll(a->ptr, a->len, &v)) return -1;
    if (v < INT_MIN || v > INT_MAX) return -2;
    *out = (int)v;
    return 0;
}

/* A database index argument as MOVE and COPY read it; replies on error. */
static db *db_arg(client *c, const resp_arg *a) {
    int id, rc = parse_int(a, &id);
    if (rc == -1) {
        reply_error_not_int(c);
        return NULL;
    }
    if (rc == -2) {
        reply_error(c, "ERR value is out of range, value must between -2147483648 and 2147483647");
        return NULL;
    }
    if (id < 0 || id >= db_count()) {
        reply_error(c, "ERR DB index is out of range");
        return NULL;
    }
    return db_get(id);
}

/* key_modified() works on the client's database; writes elsewhere (MOVE,
 * COPY ... DB n) signal the other database directly. */
static void modified_in(client *c, db *d, const char *key, size_t klen) {
    if (d == c->db) {
        key_modified(c, key, klen);
    } else {
        db_touch_key(d, key, klen);
        server_dirty_add(1);
    }
}

/* ---- DEL UNLINK EXISTS TYPE TOUCH ---- */

/* UNLINK frees synchronously too: values are freed in the call for now.
 * The lookup first lets an expired key count as absent (and be reported as
 * expired), as Redis's expireIfNeeded before dbDelete does. */
static void del_generic(client *c) {
    long long deleted = 0;
    for (int j = 1; j < c->argc; j++) {
        const resp_arg *k = &c->argv[j];
        if (!db_delete_live(c->db, k->ptr, k->len)) continue;
        key_modified(c, k->ptr, k->len);
        db_notify(NOTIFY_GENERIC, "del", c->db, k->ptr, k->len);
        deleted++;
    }
    reply_int(c, deleted);
}

static void del_command(client *c) {
    del_generic(c);
}

static void unlink_command(client *c) {
    del_generic(c);
}

static void exists_command(client *c) {
    long long n = 0;
    for (int j = 1; j < c->argc; j++)
        if (db_lookup(c->db, c->argv[j].ptr, c->argv[j].len, LOOKUP_NOTOUCH)) n++;
    reply_int(c, n);
}

static void type_command(client *c) {
    kv *e = db_lookup(c->db, c->argv[1].ptr, c->argv[1].len, LOOKUP_NOTOUCH);
    reply_status(c, kv_type_name(e ? (int)e->type : -1));
}

static void touch_command(client *c) {
    long long n = 0;
    for (int j = 1; j < c->argc; j++)
        if (db_lookup(c->db, c->argv[j].ptr, c->argv[j].len, LOOKUP_NONE)) n++;
    reply_int(c, n);
}

/* ---- RENAME RENAMENX ---- */

static void rename_generic(client *c, int nx) {
    const resp_arg *src = &c->argv[1], *dst = &c->argv[2];
    db *d = c->db;
    kv *e = lookup_write(c, src);
    if (!e) {
        reply_error(c, "ERR no such key");
        return;
    }
    if (same_bytes(src, dst)) {
        if (nx)
            reply_int(c, 0);
        else
            reply_ok(c);
        return;
    }
    long long when = db_get_expire(d, e);
    if (lookup_write(c, dst) && nx) {
        reply_int(c, 0);
        return;
    }
    /* The value moves to a new entry under dst; the old entry's shell goes.
     * Its access data moves with it, as Redis keeps the same object. */
    kv *old = db_unlink(d, src->ptr, src->len);
    kv *ne = kv_rekey(old, dst->ptr, dst->len);
    uint32_t lru = old->lru;
    kv_free_shell(old);
    db_set(d, ne, 0);
    ne->lru = lru;
    if (when != -1) db_set_expire(d, ne, when);
    key_modified(c, src->ptr, src->len);
    key_modified(c, dst->ptr, dst->len);
    db_notify(NOTIFY_GENERIC, "rename_from", d, src->ptr, src->len);
    db_notify(NOTIFY_GENERIC, "rename_to", d, dst->ptr, dst->len);
    signal_key_ready(d, dst->ptr, dst->len);
    if (nx)
        reply_int(c, 1);
    else
        reply_ok(c);
}

static void rename_command(client *c) {
    rename_generic(c, 0);
}

static void renamenx_command(client *c) {
    rename_generic(c, 1);
}

/* ---- KEYS ---- */

struct keys_ctx {
    client *c;
    db *d;
    const resp_arg *pat;
    int all;
    long long now;
    long count;
};

/* Replies straight from the entry: no allocation per key beyond the reply. */
static void keys_visit(kv *e, void *arg) {
    struct keys_ctx *k = arg;
    if (!k->all && !glob_match(k->pat->ptr, k->pat->len, kv_key(e), kv_keylen(e), 0)) return;
    if (entry_expired(k->d, e, k->now)) return;
    reply_bulk(k->c, kv_key(e), kv_keylen(e));
    k->count++;
}

static void keys_command(client *c) {
    const resp_arg *pat = &c->argv[1];
    struct keys_ctx k = {c, c->db, pat, pat->len == 1 && pat->ptr[0] == '*', clock_cmd_ms(), 0};
    reply_deferred len = reply_defer(c);
    uint64_t cursor = 0;
    do {
        cursor = db_scan(c->db, cursor, keys_visit, &k);
    } while (cursor);
    reply_defer_array(c, len, k.count);
}

/* ---- SCAN ---- */

struct scan_ctx {
    kv **keys;
    size_t n, cap;
    kv *local[64];
};

static void scan_visit(kv *e, void *arg) {
    struct scan_ctx *s = arg;
    if (s->n == s->cap) {
        size_t cap = s->cap * 2;
        kv **keys = mem_alloc(cap * sizeof *keys);
        memcpy(keys, s->keys, s->n * sizeof *keys);
        if (s->keys != s->local) mem_free(s->keys);
        s->keys = keys;
        s->cap = cap;
    }
    s->keys[s->n++] = e;
}

static void scan_command(client *c) {
    uint64_t cursor;
    long long count = 10;
    const resp_arg *pat = NULL, *type = NULL;
    if (scan_parse_cursor(c, &c->argv[1], &cursor) < 0) return;
    for (int i = 2; i < c->argc; i += 2) {
        int more = c->argc - i >= 2;
        if (more && arg_is(&c->argv[i], "count")) {
            if (arg_ll(c, &c->argv[i + 1], &count) < 0) return;
            if (count < 1) {
                reply_error_syntax(c);
                return;
            }
        } else if (more && arg_is(&c->argv[i], "match")) {
            pat = &c->argv[i + 1];
            if (pat->len == 1 && pat->ptr[0] == '*') pat = NULL;
        } else if (more && arg_is(&c->argv[i], "type")) {
            type = &c->argv[i + 1];
        } else {
            reply_error_syntax(c);
            return;
        }
    }

    /* Visit buckets until COUNT keys were gathered (before filtering, as
     * Redis counts them) or ten times COUNT buckets were visited. */
    struct scan_ctx s = {.keys = s.local, .n = 0, .cap = 64};
    long long budget = count > LLONG_MAX / 10 ? LLONG_MAX : count * 10;
    do {
        cursor = db_scan(c->db, cursor, scan_visit, &s);
    } while (cursor && budget-- && s.n < (unsigned long long)count);

    /* Filter in place (kept <= i, so no unread entry is overwritten).
     * Expired keys go to their own list, deleted once the reply is built:
     * a deletion may invalidate the other gathered entries. */
    long long now = clock_cmd_ms();
    struct scan_ctx x = {.keys = x.local, .n = 0, .cap = 64};
    size_t kept = 0;
    for (size_t i = 0; i < s.n; i++) {
        kv *e = s.keys[i];
        if (pat && !glob_match(pat->ptr, pat->len, kv_key(e), kv_keylen(e), 0)) continue;
        if (type && !arg_is(type, kv_type_name(e->type))) continue;
        if (entry_expired(c->db, e, now))
            scan_visit(e, &x);
        else
            s.keys[kept++] = e;
    }
    reply_array(c, 2);
    char buf[NUMCONV_LL_BUFSIZE];
    size_t blen = numconv_ull2str(buf, cursor);
    reply_bulk(c, buf, blen);
    reply_array(c, (long)kept);
    for (size_t i = 0; i < kept; i++) reply_bulk(c, kv_key(s.keys[i]), kv_keylen(s.keys[i]));

    if (x.n) {
        /* Copy the names first, then let db_lookup delete and report them. */
        size_t total = 0, off = 0;
        for (size_t i = 0; i < x.n; i++) total += kv_keylen(x.keys[i]);
        char *names = mem_alloc(total ? total : 1);
        size_t *lens = mem_alloc(x.n * sizeof *lens);
        for (size_t i = 0; i < x.n; i++) {
            lens[i] = kv_keylen(x.keys[i]);
            memcpy(names + off, kv_key(x.keys[i]), lens[i]);
            off += lens[i];
        }
        off = 0;
        for (size_t i = 0; i < x.n; i++) {
            db_lookup(c->db, names + off, lens[i], LOOKUP_NOTOUCH | LOOKUP_NOSTATS);
            off += lens[i];
        }
        mem_free(names);
        mem_free(lens);
        if (x.keys != x.local) mem_free(x.keys);
    }
    if (s.keys != s.local) mem_free(s.keys);
}

/* ---- RANDOMKEY DBSIZE ---- */

static void randomkey_command(client *c) {
    kv *e = db_random(c->db);
    if (!e) {
        reply_null(c);
        return;
    }
    reply_bulk(c, kv_key(e), kv_keylen(e));
}

static void dbsize_command(client *c) {
    reply_int(c, (long long)db_size(c->db));
}

/* ---- OBJECT ---- */

static kv *object_lookup(client *c) {
    kv *e = db_lookup(c->db, c->argv[2].ptr, c->argv[2].len, LOOKUP_NOTOUCH);
    if (!e) reply_null(c);
    return e;
}

static void object_encoding_command(client *c) {
    kv *e = object_lookup(c);
    if (e) reply_bulk_cstr(c, kv_encoding_name(e->enc));
}

static int shared_integers_enabled(void) {
    int p = cfg->maxmemory_policy;
    int lru_lfu = p == MAXMEMORY_ALLKEYS_LRU || p == MAXMEMORY_VOLATILE_LRU || MAXMEMORY_IS_LFU(p);
    return cfg->maxmemory == 0 || !lru_lfu;
}

static void object_refcount_command(client *c) {
    kv *e = object_lookup(c);
    if (!e) return;
    long long rc = 1;
    if (e->type == TYPE_STRING && e->enc == ENC_INT && shared_integers_enabled()) {
        long long v = kv_int(e);
        if (v >= 0 && v < SHARED_INTEGERS) rc = SHARED_REFCOUNT;
    }
    reply_int(c, rc);
}

static void object_idletime_command(client *c) {
    kv *e = object_lookup(c);
    if (!e) return;
    if (MAXMEMORY_IS_LFU(cfg->maxmemory_policy)) {
        reply_error(c, "ERR An LFU maxmemory policy is selected, idle time not tracked. Please "
                       "note that when switching between policies at runtime LRU and LFU data "
                       "will take some time to adjust.");
        return;
    }
    uint32_t now = db_lru_clock(), lru = e->lru;
    long long idle = now >= lru ? now - lru : (long long)now + (LRU_CLOCK_MAX - lru);
    reply_int(c, idle);
}

static void object_freq_command(client *c) {
    kv *e = object_lookup(c);
    if (!e) return;
    if (!MAXMEMORY_IS_LFU(cfg->maxmemory_policy)) {
        reply_error(c, "ERR An LFU maxmemory policy is not selected, access frequency not "
                       "tracked. Please note that when switching between policies at runtime LRU "
                       "and LFU data will take some time to adjust.");
        return;
    }
    /* The counter as it would read after its idle decay (Redis LFUDecrAndReturn). */
    uint32_t now = (uint32_t)((clock_now_ms() / 60000) & 0xffff);
    uint32_t last = e->lru >> 8, counter = e->lru & 0xff;
    uint32_t idle = now >= last ? now - last : 0xffff - last + now;
    uint32_t periods = cfg->lfu_decay_time > 0 ? idle / (uint32_t)cfg->lfu_decay_time : 0;
    reply_int(c, periods > counter ? 0 : counter - periods);
}

static void object_help_command(client *c) {
    static const char *const help[] = {
        "ENCODING <key>",
        "    Return the kind of internal representation used in order to store the value",
        "    associated with a <key>.",
        "FREQ <key>",
        "    Return the access frequency index of the <key>. The returned integer is",
        "    proportional to the logarithm of the recent access frequency of the key.",
        "IDLETIME <key>",
        "    Return the idle time of the <key>, that is the approximated number of",
        "    seconds elapsed since the last access to the key.",
        "REFCOUNT <key>",
        "    Return the number of references of the value associated with the specified",
        "    <key>.",
        NULL,
    };
    reply_help(c, help);
}

/* ---- MOVE COPY ---- */

static void move_command(client *c) {
    const resp_arg *key = &c->argv[1];
    db *src = c->db, *dst = db_arg(c, &c->argv[2]);
    if (!dst) return;
    if (src == dst) {
        reply_error(c, "ERR source and destination objects are the same");
        return;
    }
    kv *e = lookup_write(c, key);
    if (!e) {
        reply_int(c, 0);
        return;
    }
    long long when = db_get_expire(src, e);
    if (db_lookup(dst, key->ptr, key->len, LOOKUP_NOTOUCH | LOOKUP_NOSTATS)) {
        reply_int(c, 0);
        return;
    }
    kv *old = db_unlink(src, key->ptr, key->len);
    kv *ne = kv_rekey(old, key->ptr, key->len);
    uint32_t lru = old->lru;
    kv_free_shell(old);
    db_add(dst, ne);
    ne->lru = lru;
    if (when != -1) db_set_expire(dst, ne, when);
    key_modified(c, key->ptr, key->len);
    modified_in(c, dst, key->ptr, key->len);
    db_notify(NOTIFY_GENERIC, "move_from", src, key->ptr, key->len);
    db_notify(NOTIFY_GENERIC, "move_to", dst, key->ptr, key->len);
    signal_key_ready(dst, key->ptr, key->len);
    reply_int(c, 1);
}

static void copy_command(client *c) {
    const resp_arg *key = &c->argv[1], *newkey = &c->argv[2];
    db *src = c->db, *dst = c->db;
    int replace = 0;
    for (int j = 3; j < c->argc; j++) {
        if (arg_is(&c->argv[j], "replace")) {
            replace = 1;
        } else if (arg_is(&c->argv[j], "db") && j + 1 < c->argc) {
            if (!(dst = db_arg(c, &c->argv[j + 1]))) return;
            j++;
        } else {
            reply_error_syntax(c);
            return;
        }
    }
    if (src == dst && same_bytes(key, newkey)) {
        reply_error(c, "ERR source and destination objects are the same");
        return;
    }
    kv *e = lookup_read(c, key);
    if (!e) {
        reply_int(c, 0);
        return;
    }
    long long when = db_get_expire(src, e);
    /* Redis's lookupKeyWrite on the target: an expired target is deleted. */
    int exists = db_lookup(dst, newkey->ptr, newkey->len, LOOKUP_NOTOUCH | LOOKUP_NOSTATS) != NULL;
    if (exists && !replace) {
        reply_int(c, 0);
        return;
    }
    /* The lookup of the target may have deleted an expired entry: re-find
     * the source (it is live: it was just read within this command). */
    e = db_lookup(src, key->ptr, key->len, LOOKUP_NOTOUCH | LOOKUP_NOSTATS | LOOKUP_NOEXPIRE);
    kv *ne = kv_dup(e, newkey->ptr, newkey->len);
    /* REPLACE deletes the target and adds the copy, so a "new" event is
     * sent either way, as in Redis. */
    if (exists) db_delete(dst, newkey->ptr, newkey->len);
    db_add(dst, ne);
    if (when != -1) db_set_expire(dst, ne, when);
    modified_in(c, dst, newkey->ptr, newkey->len);
    db_notify(NOTIFY_GENERIC, "copy_to", dst, newkey->ptr, newkey->len);
    signal_key_ready(dst, newkey->ptr, newkey->len);
    reply_int(c, 1);
}

/* ---- SWAPDB FLUSHDB FLUSHALL ---- */

static void swapdb_command(client *c) {
    int a, b;
    if (parse_int(&c->argv[1], &a) < 0) {
        reply_error(c, "ERR invalid first DB index");
        return;
    }
    if (parse_int(&c->argv[2], &b) < 0) {
        reply_error(c, "ERR invalid second DB index");
        return;
    }
    if (a < 0 || a >= db_count() || b < 0 || b >= db_count()) {
        reply_error(c, "ERR DB index is out of range");
        return;
    }
    if (a != b) {
        db_swap(a, b);
        /* Clients waiting in either database may find their keys now. */
        signal_db_ready(db_get(a));
        signal_db_ready(db_get(b));
    }
    server_dirty_add(1);
    reply_ok(c);
}

/* [ASYNC|SYNC]: both free synchronously for now; ASYNC will hand the
 * tables to a background thread once one exists. Returns -1 after
 * replying a syntax error. */
static int flush_mode(client *c) {
    if (c->argc == 1) return 0;
    if (c->argc == 2 && (arg_is(&c->argv[1], "sync") || arg_is(&c->argv[1], "async"))) return 0;
    reply_error_syntax(c);
    return -1;
}

/* The dirty count includes one for the command itself, so a flush of an
 * empty database is still logged and replicated (Redis forces it too). */
static void flushdb_command(client *c) {
    if (flush_mode(c) < 0) return;
    server_dirty_add((long long)db_empty(c->db) + 1);
    tracking_flush();
    reply_ok(c);
}

static void flushall_command(client *c) {
    if (flush_mode(c) < 0) return;
    long long n = 0;
    for (int i = 0; i < db_count(); i++) n += (long long)db_empty(db_get(i));
    server_dirty_add(n + 1);
    tracking_flush();
    reply_ok(c);
}

/* ---- DUMP RESTORE ---- */

static void dump_command(client *c) {
    kv *e = lookup_read(c, &c->argv[1]);
    if (!e) {
        reply_null(c);
        return;
    }
    dstr *s = dump_encode(e);
    if (!s) {
        reply_error(c, "ERR this value type cannot be serialized");
        return;
    }
    reply_bulk(c, s->buf, s->len);
    dstr_free(s);
}

/* Access data of a restored entry (Redis objectSetLRUOrLFU): FREQ applies
 * under an LFU policy, IDLETIME (seconds) under the others. */
static void restore_access(kv *e, long long freq, long long idle) {
    if (MAXMEMORY_IS_LFU(cfg->maxmemory_policy)) {
        if (freq >= 0)
            e->lru = (uint32_t)((((clock_now_ms() / 60000) & 0xffff) << 8) | (uint32_t)freq);
    } else if (idle >= 0) {
        long long clk = db_lru_clock(), abs = clk - idle;
        /* Idle longer than the wrapping clock can say: half a period back. */
        if (abs < 0) abs = (clk + LRU_CLOCK_MAX / 2) % LRU_CLOCK_MAX;
        e->lru = (uint32_t)abs;
    }
}

/* RESTORE is logged with its TTL absolute (a relative one would restart on
 * replay), keeping the options that shape the result. */
static void log_restore_effect(client *c, long long abs_ttl, int replace, long long freq,
                               long long idle) {
    effect e;
    effect_start(&e, "RESTORE");
    effect_add_arg(&e, &c->argv[1]);
    effect_add_ll(&e, abs_ttl);
    effect_add_arg(&e, &c->argv[3]);
    if (replace) effect_add_str(&e, "REPLACE");
    if (abs_ttl) effect_add_str(&e, "ABSTTL");
    if (idle >= 0) {
        effect_add_str(&e, "IDLETIME");
        effect_add_ll(&e, idle);
    }
    if (freq >= 0) {
        effect_add_str(&e, "FREQ");
        effect_add_ll(&e, freq);
    }
    effect_log(&e, c->dbid);
}

static void restore_command(client *c) {
    const resp_arg *key = &c->argv[1], *payload = &c->argv[3];
    long long ttl, freq = -1, idle = -1;
    int replace = 0, absttl = 0;
    for (int j = 4; j < c->argc; j++) {
        int more = j + 1 < c->argc;
        if (arg_is(&c->argv[j], "replace")) {
            replace = 1;
        } else if (arg_is(&c->argv[j], "absttl")) {
            absttl = 1;
        } else if (arg_is(&c->argv[j], "idletime") && more && freq == -1) {
            if (arg_ll(c, &c->argv[++j], &idle) < 0) return;
            if (idle < 0) {
                reply_error(c, "ERR Invalid IDLETIME value, must be >= 0");
                return;
            }
        } else if (arg_is(&c->argv[j], "freq") && more && idle == -1) {
            if (arg_ll(c, &c->argv[++j], &freq) < 0) return;
            if (freq < 0 || freq > 255) {
                reply_error(c, "ERR Invalid FREQ value, must be >= 0 and <= 255");
                return;
            }
        } else {
            reply_error_syntax(c);
            return;
        }
    }
    if (!replace && lookup_write(c, key)) {
        reply_error(c, "BUSYKEY Target key name already exists.");
        return;
    }
    if (arg_ll(c, &c->argv[2], &ttl) < 0) return;
    if (ttl < 0) {
        reply_error(c, "ERR Invalid TTL value, must be >= 0");
        return;
    }
    kv *e = NULL;
    int rc = dump_decode(payload->ptr, payload->len, key->ptr, key->len, &e);
    if (rc == DUMP_ERR_CHECKSUM) {
        reply_error(c, "ERR DUMP payload version or checksum are wrong");
        return;
    }
    if (rc != DUMP_OK) {
        reply_error(c, "ERR Bad data format");
        return;
    }
    int deleted = replace ? db_delete(c->db, key->ptr, key->len) : 0;
    long long now = clock_cmd_ms();
    if (ttl && !absttl) ttl = ttl > LLONG_MAX - now ? LLONG_MAX : ttl + now;
    if (ttl && ttl <= now) {
        /* Already expired: the net effect is only the deletion. */
        kv_free(e);
        if (deleted) {
            key_modified(c, key->ptr, key->len);
            db_notify(NOTIFY_GENERIC, "del", c->db, key->ptr, key->len);
            effect_log_del(c->dbid, key);
        }
        reply_ok(c);
        return;
    }
    db_add(c->db, e);
    if (ttl) db_set_expire(c->db, e, ttl);
    restore_access(e, freq, idle);
    log_restore_effect(c, ttl, replace, freq, idle);
    key_modified(c, key->ptr, key->len);
    db_notify(NOTIFY_GENERIC, "restore", c->db, key->ptr, key->len);
    signal_key_ready(c->db, key->ptr, key->len);
    reply_ok(c);
}

/* ---- command table ---- */

static command object_subcommands[] = {
    {.name = "encoding", .proc = object_encoding_command, .arity = 3, .flags = CMD_READONLY,
     .acl = ACL_KEYSPACE, .first_key = 2, .last_key = 2, .key_step = 1,
     .summary = "Names the representation a value is kept in.", .since = "2.2.3",
     .group = "generic", .complexity = "O(1)"},
    {.name = "freq", .proc = object_freq_command, .arity = 3, .flags = CMD_READONLY,
     .acl = ACL_KEYSPACE, .first_key = 2, .last_key = 2, .key_step = 1,
     .summary = "Reads the access frequency counter of a key (LFU policies).",
     .since = "4.0.0", .group = "generic", .complexity = "O(1)"},
    {.name = "help", .proc = object_help_command, .arity = 2, .flags = CMD_LOADING | CMD_STALE,
     .acl = ACL_KEYSPACE, .summary = "Describes the OBJECT subcommands.",
     .since = "6.2.0", .group = "generic", .complexity = "O(1)"},
    {.name = "idletime", .proc = object_idletime_command, .arity = 3, .flags = CMD_READONLY,
     .acl = ACL_KEYSPACE, .first_key = 2, .last_key = 2, .key_step = 1,
     .summary = "Tells how many seconds passed since a key was last read or written.",
     .since = "2.2.3", .group = "generic", .complexity = "O(1)"},
    {.name = "refcount", .proc = object_refcount_command, .arity = 3, .flags = CMD_READONLY,
     .acl = ACL_KEYSPACE, .first_key = 2, .last_key = 2, .key_step = 1,
     .summary = "Tells how many references share a value.", .since = "2.2.3",
     .group = "generic", .complexity = "O(1)"},
    {.name = NULL},
};

static command key_commands[] = {
    {.name = "del", .proc = del_command, .arity = -2, .flags = CMD_WRITE, .acl = ACL_KEYSPACE,
     .first_key = 1, .last_key = -1, .key_step = 1, .summary = "Removes the given keys.",
     .since = "1.0.0", .group = "generic",
     .complexity = "O(N) in the keys removed; a key holding a collection costs O(M) in its M "
                   "elements, a string key O(1)."},
    {.name = "unlink", .proc = unlink_command, .arity = -2, .flags = CMD_WRITE | CMD_FAST,
     .acl = ACL_KEYSPACE, .first_key = 1, .last_key = -1, .key_step = 1,
     .summary = "Removes the given keys, freeing their memory in the background.", .since = "4.0.0",
     .group = "generic",
     .complexity = "O(1) per key whatever its size; freeing the N allocations of the values takes "
                   "O(N) later, off the main thread."},
    {.name = "exists", .proc = exists_command, .arity = -2, .flags = CMD_READONLY | CMD_FAST,
     .acl = ACL_KEYSPACE, .first_key = 1, .last_key = -1, .key_step = 1,
     .summary = "Counts how many of the given keys exist.", .since = "1.0.0",
     .group = "generic", .complexity = "O(N) in the keys checked."},
    {.name = "type", .proc = type_command, .arity = 2, .flags = CMD_READONLY | CMD_FAST,
     .acl = ACL_KEYSPACE, .first_key = 1, .last_key = 1, .key_step = 1,
     .summary = "Names the type of the value at a key.", .since = "1.0.0",
     .group = "generic", .complexity = "O(1)"},
    {.name = "rename", .proc = rename_command, .arity = 3, .flags = CMD_WRITE,
     .acl = ACL_KEYSPACE, .first_key = 1, .last_key = 2, .key_step = 1,
     .summary = "Gives a key a new name, replacing any key already there.", .since = "1.0.0",
     .group = "generic", .complexity = "O(1)"},
    {.name = "renamenx", .proc = renamenx_command, .arity = 3, .flags = CMD_WRITE | CMD_FAST,
     .acl = ACL_KEYSPACE, .first_key = 1, .last_key = 2, .key_step = 1,
     .summary = "Gives a key a new name unless that name is taken.", .since = "1.0.0",
     .group = "generic", .complexity = "O(1)"},
    {.name = "keys", .proc = keys_command, .arity = 2, .flags = CMD_READONLY,
     .acl = ACL_KEYSPACE | ACL_DANGEROUS,
     .summary = "Lists the key names that match a glob pattern.",
     .since = "1.0.0", .group = "generic",
     .complexity = "O(N) in the keys of the database, for key names and patterns of bounded "
                   "length."},
    {.name = "scan", .proc = scan_command, .arity = -2, .flags = CMD_READONLY,
     .acl = ACL_KEYSPACE, .summary = "Walks the key names of the database with a cursor.",
     .since = "2.8.0", .group = "generic",
     .complexity = "O(1) per call; O(N) over a whole walk back to cursor 0, N being the size of "
                   "the collection."},
    {.name = "randomkey", .proc = randomkey_command, .arity = 1, .flags = CMD_READONLY,
     .acl = ACL_KEYSPACE, .summary = "Picks a key name of the database at random.",
     .since = "1.0.0", .group = "generic", .complexity = "O(1)"},
    {.name = "touch", .proc = touch_command, .arity = -2, .flags = CMD_READONLY | CMD_FAST,
     .acl = ACL_KEYSPACE, .first_key = 1, .last_key = -1, .key_step = 1,
     .summary = "Updates the last access time of the given keys and counts those that exist.",
     .since = "3.2.1", .group = "generic",
     .complexity = "O(N) in the keys touched."},
    {.name = "object", .arity = -2,
     .summary = "Container for subcommands that look inside stored values.",
     .since = "2.2.3", .group = "generic", .complexity = "Set by the subcommand.",
     .subcommands = object_subcommands},
    {.name = "move", .proc = move_command, .arity = 3, .flags = CMD_WRITE | CMD_FAST,
     .acl = ACL_KEYSPACE, .first_key = 1, .last_key = 1, .key_step = 1,
     .summary = "Shifts a key from the selected database into another one.", .since = "1.0.0",
     .group = "generic", .complexity = "O(1)"},
    {.name = "copy", .proc = copy_command, .arity = -3, .flags = CMD_WRITE | CMD_DENYOOM,
     .acl = ACL_KEYSPACE, .first_key = 1, .last_key = 2, .key_step = 1,
     .summary = "Duplicates a key's value under another name.", .since = "6.2.0",
     .group = "generic",
     .complexity = "O(1) for a string; up to O(N) for a collection of N items."},
    {.name = "swapdb", .proc = swapdb_command, .arity = 3, .flags = CMD_WRITE | CMD_FAST,
     .acl = ACL_KEYSPACE | ACL_DANGEROUS, .summary = "Exchanges the contents of two databases.",
     .since = "4.0.0",
     .group = "server",
     .complexity = "O(N) in the clients watching or waiting on keys of the two databases."},
    {.name = "dbsize", .proc = dbsize_command, .arity = 1, .flags = CMD_READONLY | CMD_FAST,
     .acl = ACL_KEYSPACE, .summary = "Counts the keys of the selected database.",
     .since = "1.0.0", .group = "server", .complexity = "O(1)"},
    {.name = "flushdb", .proc = flushdb_command, .arity = -1, .flags = CMD_WRITE,
     .acl = ACL_KEYSPACE | ACL_DANGEROUS, .summary = "Empties the selected database.",
     .since = "1.0.0", .group = "server",
     .complexity = "O(N) in the keys of the selected database"},
    {.name = "flushall", .proc = flushall_command, .arity = -1, .flags = CMD_WRITE,
     .acl = ACL_KEYSPACE | ACL_DANGEROUS, .summary = "Empties every database.",
     .since = "1.0.0", .group = "server",
     .complexity = "O(N) in the keys of all databases"},
    {.name = "dump", .proc = dump_command, .arity = 2, .flags = CMD_READONLY,
     .acl = ACL_KEYSPACE, .first_key = 1, .last_key = 1, .key_step = 1,
     .summary = "Serializes a key's value into an opaque payload for RESTORE.",
     .since = "2.6.0", .group = "generic",
     .complexity = "O(1) to find the key, O(N*M) to serialize N objects of average size M."},
    {.name = "restore", .proc = restore_command, .arity = -4, .flags = CMD_WRITE | CMD_DENYOOM,
     .acl = ACL_KEYSPACE | ACL_DANGEROUS, .first_key = 1, .last_key = 1, .key_step = 1,
     .summary = "Rebuilds a key from a DUMP payload.",
     .since = "2.6.0", .group = "generic",
     .complexity = "O(1) to add the key plus O(N*M) to rebuild N objects of average size M."},
    {.name = NULL},
};

void key_register(void) {
    command_register(key_commands);
    key__expire_register();
}
