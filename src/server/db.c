/*
 * db.c - databases, per-slot tables, expiry (see db.h).
 *
 * Per database:
 *   slots[s]    dict of kv for hash slot s, allocated on first key
 *   fenwick[]   key count per slot as a Fenwick tree, so the n-th key of
 *               the database (random key, fair sampling) is found by a
 *               O(log 16384) descent instead of a walk over slots
 *   expires     dict of expire_node (kv -> absolute ms), one per database;
 *               active expiry samples it
 *
 * Invariant: keys == sum of slot sizes == fenwick total; a kv has
 * expire=1 iff an expire_node points at it.
 */
#include "server/db.h"

#include <stdio.h>
#include <stdlib.h>

#include "ds/crc16.h"
#include "ds/dict.h"
#include "ds/mem.h"
#include "server/clock.h"
#include "persist/propagate.h"
#include "server/blocking.h"
#include "server/config.h"
#include "server/multi.h"
#include "server/pubsub.h"
#include "server/stats.h"
#include "server/tracking.h"

typedef struct expire_node {
    dict_node node;
    kv *e;
    long long when;
} expire_node;

struct db {
    int id;
    dict **slots;       /* DB_SLOTS entries, NULL until the slot has a key */
    size_t *fenwick;    /* 1-based, DB_SLOTS entries used */
    size_t keys;
    dict expires;
    int rehash_cursor;  /* next slot db_rehash_step looks at */
};

static db *dbs;
static int dbs_count;

static const char *kv_node_key(const dict_node *n, size_t *len) {
    const kv *e = (const kv *)n;
    *len = e->keylen;
    return e->data;
}

static const char *expire_node_key(const dict_node *n, size_t *len) {
    const expire_node *x = (const expire_node *)n;
    *len = x->e->keylen;
    return x->e->data;
}

static const dict_ops kv_table_ops = {.key = kv_node_key};
static const dict_ops expire_table_ops = {.key = expire_node_key};

void db_init_all(int count) {
    dbs_count = count;
    dbs = mem_calloc(sizeof(db) * (size_t)count);
    for (int i = 0; i < count; i++) {
        dbs[i].id = i;
        dict_init(&dbs[i].expires, &expire_table_ops);
    }
}

static void free_kv_node(dict_node *n, void *arg) {
    (void)arg;
    kv_free((kv *)n);
}

static void free_expire_node(dict_node *n, void *arg) {
    (void)arg;
    mem_free(n);
}

void db_free_all(void) {
    for (int i = 0; i < dbs_count; i++) {
        db_empty(&dbs[i]);
        mem_free(dbs[i].slots);
        mem_free(dbs[i].fenwick);
    }
    mem_free(dbs);
    dbs = NULL;
    dbs_count = 0;
}

int db_count(void) {
    return dbs_count;
}

db *db_get(int id) {
    return id >= 0 && id < dbs_count ? &dbs[id] : NULL;
}

int db_id(const db *d) {
    return d->id;
}

/* Redis Cluster's rule: if the key has a non-empty {...} section, only
 * that section is hashed, so related keys can share a slot. */
uint16_t db_key_slot(const char *key, size_t klen) {
    const char *open = memchr(key, '{', klen);
    if (open) {
        size_t start = (size_t)(open - key) + 1;
        const char *close = memchr(key + start, '}', klen - start);
        if (close && close > key + start) key += start, klen = (size_t)(close - key);
    }
    return crc16_xmodem(key, klen) & (DB_SLOTS - 1);
}

/* --- Fenwick tree over slot counts --- */

static void fenwick_add(db *d, int slot, long delta) {
    if (!d->fenwick) d->fenwick = mem_calloc(sizeof(size_t) * (DB_SLOTS + 1));
    for (int i = slot + 1; i <= DB_SLOTS; i += i & -i) d->fenwick[i] += (size_t)delta;
}

/* Slot holding the n-th key (0-based) of the database. */
static int fenwick_find(const db *d, size_t n) {
    int pos = 0;
    for (int step = DB_SLOTS; step; step >>= 1) {
        if (pos + step <= DB_SLOTS && d->fenwick[pos + step] <= n) {
            pos += step;
            n -= d->fenwick[pos];
        }
    }
    return pos; /* slot index = pos (1-based pos+1 minus 1) */
}

size_t db_slot_count(const db *d, int slot) {
    return d->slots && d->slots[slot] ? dict_size(d->slots[slot]) : 0;
}

static dict *slot_table(db *d, uint16_t slot, int create) {
    if (!d->slots) {
        if (!create) return NULL;
        d->slots = mem_calloc(sizeof(dict *) * DB_SLOTS);
    }
    dict *t = d->slots[slot];
    if (!t && create) {
        t = mem_alloc(sizeof(dict));
        dict_init(t, &kv_table_ops);
        d->slots[slot] = t;
    }
    return t;
}

/* --- access clock --- */

/* Both clocks have a resolution of seconds and minutes, so they read a time
 * the cron refreshes every 1000/hz ms (as Redis's cached LRU clock): a GET
 * then reads no clock at all. Before the first refresh (recovery, tools)
 * they read the command's time. */
static long long lru_clock_ms;

void db_refresh_lru_clock(void) {
    lru_clock_ms = clock_now_ms();
}

static long long lru_now_ms(void) {
    return lru_clock_ms ? lru_clock_ms : clock_cmd_ms();
}

uint32_t db_lru_clock(void) {
    return (uint32_t)((lru_now_ms() / 1000) & ((1u << 24) - 1));
}

#define LFU_INIT_VAL 5

static uint32_t lfu_minutes(void) {
    return (uint32_t)((lru_now_ms() / 60000) & 0xffff);
}

static void init_access(kv *e) {
    if (MAXMEMORY_IS_LFU(cfg->maxmemory_policy))
        e->lru = (lfu_minutes() << 8) | LFU_INIT_VAL;
    else
        e->lru = db_lru_clock();
}

void db_touch_entry(kv *e) {
    if (!MAXMEMORY_IS_LFU(cfg->maxmemory_policy)) {
        e->lru = db_lru_clock();
        return;
    }
    /* Logarithmic counter: decays by one per lfu-decay-time minutes idle,
     * grows with probability 1/((counter-5)*lfu-log-factor+1). */
    uint32_t now = lfu_minutes(), last = e->lru >> 8, counter = e->lru & 0xff;
    uint32_t idle = now >= last ? now - last : 0xffff - last + now;
    if (cfg->lfu_decay_time > 0) {
        uint32_t periods = idle / (uint32_t)cfg->lfu_decay_time;
        counter = periods > counter ? 0 : counter - periods;
    }
    if (counter < 255) {
        double base = counter > LFU_INIT_VAL ? counter - LFU_INIT_VAL : 0;
        double p = 1.0 / (base * cfg->lfu_log_factor + 1);
        if ((double)rand() / RAND_MAX < p) counter++;
    }
    e->lru = (now << 8) | counter;
}

/* --- expires --- */

static expire_node *expire_find(db *d, const kv *e) {
    return (expire_node *)dict_find(&d->expires, e->data, e->keylen,
                                    dict_hash(e->data, e->keylen));
}

static void expire_remove(db *d, kv *e) {
    dict_node *n = dict_remove(&d->expires, e->data, e->keylen, dict_hash(e->data, e->keylen));
    mem_free(n);
    e->expire = 0;
}

void db_set_expire(db *d, kv *e, long long when_ms) {
    if (e->expire) {
        expire_find(d, e)->when = when_ms;
        return;
    }
    expire_node *x = mem_alloc(sizeof *x);
    x->node.next = NULL;
    x->e = e;
    x->when = when_ms;
    dict_insert(&d->expires, &x->node, dict_hash(e->data, e->keylen));
    e->expire = 1;
}

long long db_get_expire(db *d, const kv *e) {
    if (!e->expire) return -1;
    return expire_find(d, e)->when;
}

int db_persist(db *d, kv *e) {
    if (!e->expire) return 0;
    expire_remove(d, e);
    return 1;
}

void db_expire_now(db *d, kv *e) {
    char key[128];
    size_t klen = e->keylen;
    /* The notification needs the key after the entry is gone; long keys
     * are copied to the heap. */
    char *copy = klen <= sizeof key ? key : mem_alloc(klen);
    memcpy(copy, e->data, klen);
    propagate_del(db_id(d), copy, klen);
    db_delete(d, copy, klen);
    stats.expired_keys++;
    db_notify(NOTIFY_EXPIRED, "expired", d, copy, klen);
    db_touch_key(d, copy, klen);
    if (copy != key) mem_free(copy);
}

/* --- lookup and writes --- */

/* While the dataset loads, nothing expires: the log replayed after a
 * snapshot may still act on a key whose time has passed since, and its
 * expiry is itself in the log as a DEL. */
static int expiry_suspended;

void db_suspend_expiry(int on) {
    expiry_suspended = on;
}

/* Redis's rule: a key is gone once the time is strictly past its expire. */
static int is_expired(db *d, const kv *e) {
    return e->expire && !expiry_suspended && expire_find(d, e)->when < clock_cmd_ms();
}

kv *db_lookup(db *d, const char *key, size_t klen, int flags) {
    dict *t = slot_table(d, db_key_slot(key, klen), 0);
    kv *e = t ? (kv *)dict_find(t, key, klen, dict_hash(key, klen)) : NULL;
    if (e && e->expire && !(flags & LOOKUP_NOEXPIRE) && is_expired(d, e)) {
        db_expire_now(d, e);
        e = NULL;
    }
    if (!e) {
        if (!(flags & LOOKUP_NOSTATS)) {
            stats.keyspace_misses++;
            db_notify(NOTIFY_KEY_MISS, "keymiss", d, key, klen);
        }
        return NULL;
    }
    if (!(flags & LOOKUP_NOSTATS)) stats.keyspace_hits++;
    if (!(flags & LOOKUP_NOTOUCH)) db_touch_entry(e);
    return e;
}

void db_add(db *d, kv *e) {
    uint16_t slot = db_key_slot(e->data, e->keylen);
    e->expire = 0;
    init_access(e);
    dict_insert(slot_table(d, slot, 1), &e->node, dict_hash(e->data, e->keylen));
    d->keys++;
    fenwick_add(d, slot, 1);
    db_notify(NOTIFY_NEW, "new", d, e->data, e->keylen);
}

void db_set(db *d, kv *e, int keep_ttl) {
    uint16_t slot = db_key_slot(e->data, e->keylen);
    dict *t = slot_table(d, slot, 1);
    uint64_t h = dict_hash(e->data, e->keylen);
    kv *old = (kv *)dict_find(t, e->data, e->keylen, h);
    if (!old) {
        db_add(d, e);
        return;
    }
    e->expire = 0;
    e->lru = old->lru;
    if (is_expired(d, old)) {
        /* The old key's time had come: it counts as expired, as if the
         * write had looked it up first, and its TTL does not carry over. */
        stats.expired_keys++;
        propagate_del(db_id(d), old->data, old->keylen);
        db_notify(NOTIFY_EXPIRED, "expired", d, old->data, old->keylen);
        db_notify(NOTIFY_NEW, "new", d, e->data, e->keylen);
        keep_ttl = 0;
    }
    if (old->expire) {
        expire_node *x = expire_find(d, old);
        if (keep_ttl) {
            x->e = e;
            e->expire = 1;
        } else {
            expire_remove(d, old);
        }
    }
    if (old->type == TYPE_STREAM && e->type != TYPE_STREAM) signal_key_ready(d, e->data, e->keylen);
    e->node.next = old->node.next; /* take over old's place in its chain */
    dict_replace_node(t, &old->node, &e->node, h);
    kv_free(old);
}

/* Removes a key from its slot table and the expires table; tells whether
 * its time had already come. One hash lookup in the slot table. */
static kv *unlink_entry(db *d, const char *key, size_t klen, int *was_expired) {
    uint16_t slot = db_key_slot(key, klen);
    dict *t = slot_table(d, slot, 0);
    if (!t) return NULL;
    kv *e = (kv *)dict_remove(t, key, klen, dict_hash(key, klen));
    if (!e) return NULL;
    if (was_expired) *was_expired = is_expired(d, e);
    if (e->expire) expire_remove(d, e);
    /* Redis 7.0 wakes a stream's group readers when it goes (they fail). */
    if (e->type == TYPE_STREAM) signal_key_ready(d, key, klen);
    d->keys--;
    fenwick_add(d, slot, -1);
    if (dict_size(t) == 0) {
        dict_clear(t, NULL, NULL);
        mem_free(t);
        d->slots[slot] = NULL;
    }
    return e;
}

kv *db_unlink(db *d, const char *key, size_t klen) {
    return unlink_entry(d, key, klen, NULL);
}

int db_delete_live(db *d, const char *key, size_t klen) {
    int expired = 0;
    kv *e = unlink_entry(d, key, klen, &expired);
    if (!e) return 0;
    kv_free(e);
    if (expired) {
        stats.expired_keys++;
        propagate_del(db_id(d), key, klen);
        db_notify(NOTIFY_EXPIRED, "expired", d, key, klen);
        db_touch_key(d, key, klen);
        return 0;
    }
    return 1;
}

int db_delete(db *d, const char *key, size_t klen) {
    kv *e = db_unlink(d, key, klen);
    if (!e) return 0;
    kv_free(e);
    return 1;
}

size_t db_size(const db *d) {
    return d->keys;
}

size_t db_expires_count(const db *d) {
    return dict_size(&d->expires);
}

size_t db_overhead_bytes(const db *d) {
    if (d->keys == 0) return dict_overhead_bytes(&d->expires);
    size_t n = DB_SLOTS * (sizeof(dict *) + sizeof(size_t)) + dict_overhead_bytes(&d->expires);
    for (int i = 0; i < DB_SLOTS; i++)
        if (d->slots[i]) n += sizeof(dict) + dict_overhead_bytes(d->slots[i]);
    return n;
}

/* Average TTL of a sample, as INFO keyspace reports it. */
long long db_avg_ttl(const db *d) {
    dict_node *sample[32];
    size_t n = dict_sample((dict *)&d->expires, sample, 32);
    if (!n) return 0;
    long long now = clock_now_ms(), sum = 0;
    for (size_t i = 0; i < n; i++) {
        long long ttl = ((expire_node *)sample[i])->when - now;
        sum += ttl > 0 ? ttl : 0;
    }
    return sum / (long long)n;
}

size_t db_empty(db *d) {
    size_t removed = d->keys;
    /* Watchers of keys that exist see the flush (Redis's signalFlushedDb). */
    multi_touch_db(d, NULL);
    dict_clear(&d->expires, free_expire_node, NULL);
    if (d->slots) {
        for (int s = 0; s < DB_SLOTS; s++) {
            if (!d->slots[s]) continue;
            dict_clear(d->slots[s], free_kv_node, NULL);
            mem_free(d->slots[s]);
            d->slots[s] = NULL;
        }
    }
    if (d->fenwick) memset(d->fenwick, 0, sizeof(size_t) * (DB_SLOTS + 1));
    d->keys = 0;
    return removed;
}

void db_swap(int a, int b) {
    multi_touch_db(&dbs[a], &dbs[b]);
    multi_touch_db(&dbs[b], &dbs[a]);
    db tmp = dbs[a];
    dbs[a] = dbs[b];
    dbs[b] = tmp;
    dbs[a].id = a;
    dbs[b].id = b;
}

kv *db_random(db *d) {
    /* Bounded retries: a database whose keys are all expired is emptied
     * as we go; past the bound an expired key is returned, as Redis does
     * for a replica-like worst case. */
    for (int tries = 0; tries < 100 && d->keys; tries++) {
        int slot = fenwick_find(d, (size_t)rand() % d->keys);
        kv *e = (kv *)dict_random(d->slots[slot]);
        if (!is_expired(d, e)) return e;
        db_expire_now(d, e);
    }
    return NULL;
}

struct scan_adapter {
    db_scan_cb *fn;
    void *arg;
};

static void scan_visit(dict_node *n, void *arg) {
    struct scan_adapter *a = arg;
    a->fn((kv *)n, a->arg);
}

/* Cursor = (dict cursor << 14) | slot. Each call visits one bucket step of
 * one non-empty slot, so the caller's COUNT bounds the work. */
uint64_t db_scan(db *d, uint64_t cursor, db_scan_cb *fn, void *arg) {
    int slot = (int)(cursor & (DB_SLOTS - 1));
    uint64_t inner = cursor >> 14;
    struct scan_adapter a = {fn, arg};
    if (!d->slots) return 0;
    for (; slot < DB_SLOTS; slot++, inner = 0) {
        dict *t = d->slots[slot];
        if (!t || dict_size(t) == 0) continue;
        inner = dict_scan(t, inner, scan_visit, &a);
        if (inner) return (inner << 14) | (uint64_t)slot;
        return slot + 1 < DB_SLOTS ? (uint64_t)(slot + 1) : 0;
    }
    return 0;
}

size_t db_sample(db *d, int volatile_only, kv **out, size_t count) {
    if (volatile_only) {
        dict_node *nodes[64];
        if (count > 64) count = 64;
        size_t n = dict_sample(&d->expires, nodes, count);
        for (size_t i = 0; i < n; i++) out[i] = ((expire_node *)nodes[i])->e;
        return n;
    }
    size_t got = 0;
    for (size_t i = 0; i < count && d->keys; i++) {
        int slot = fenwick_find(d, (size_t)rand() % d->keys);
        out[got++] = (kv *)dict_random(d->slots[slot]);
    }
    return got;
}

/* --- periodic work --- */

#define ACTIVE_EXPIRE_SAMPLE 20

void db_active_expire_cycle(long long time_limit_us) {
    static int next_db;
    if (expiry_suspended) return;
    long long start = clock_mono_us();
    long long now = clock_now_ms();
    int effort = cfg->active_expire_effort > 0 ? cfg->active_expire_effort : 1;
    size_t sample = ACTIVE_EXPIRE_SAMPLE + (size_t)(effort - 1) * 5;
    for (int visited = 0; visited < dbs_count; visited++) {
        db *d = &dbs[next_db];
        next_db = (next_db + 1) % dbs_count;
        /* Keep sampling this database while more than 10% of what we saw
         * had expired: there is likely more to reap. */
        for (;;) {
            if (dict_size(&d->expires) == 0) break;
            dict_node *nodes[64];
            size_t n = dict_sample(&d->expires, nodes, sample > 64 ? 64 : sample);
            size_t expired = 0;
            /* Collect first, delete after: deleting changes the table. */
            kv *dead[64];
            for (size_t i = 0; i < n; i++) {
                expire_node *x = (expire_node *)nodes[i];
                if (x->when < now) {
                    int dup = 0;
                    for (size_t j = 0; j < expired; j++) dup |= dead[j] == x->e;
                    if (!dup) dead[expired++] = x->e;
                }
            }
            for (size_t i = 0; i < expired; i++) db_expire_now(d, dead[i]);
            if (clock_mono_us() - start > time_limit_us) {
                stats.expired_time_cap_reached_count++;
                return;
            }
            if (n == 0 || expired * 10 <= n) break;
        }
    }
}

void db_rehash_step(long long time_limit_us) {
    long long start = clock_mono_us();
    for (int i = 0; i < dbs_count; i++) {
        db *d = &dbs[i];
        if (!d->slots) continue;
        for (int n = 0; n < 256; n++) {
            dict *t = d->slots[d->rehash_cursor];
            d->rehash_cursor = (d->rehash_cursor + 1) % DB_SLOTS;
            if (t && dict_is_rehashing(t)) dict_rehash_for(t, 100);
        }
        if (dict_is_rehashing(&d->expires)) dict_rehash_for(&d->expires, 100);
        if (clock_mono_us() - start > time_limit_us) return;
    }
}

/* --- hooks --- */

/* Redis's signalModifiedKey: WATCH and client-side caching attach here. */
void db_touch_key(db *d, const char *key, size_t klen) {
    multi_touch_key(d, key, klen);
    tracking_key_modified(key, klen);
}

/* Publishes "<prefix><db>__:<name>" with msg: the channel is built in a
 * stack buffer unless the key is long. */
static void notify_publish(const char *prefix, int dbid, const char *name, size_t nlen,
                           const char *msg, size_t mlen) {
    char small[256];
    char head[48];
    int hlen = snprintf(head, sizeof head, "%s%d__:", prefix, dbid);
    size_t clen = (size_t)hlen + nlen;
    char *chan = clen <= sizeof small ? small : mem_alloc(clen);
    memcpy(chan, head, (size_t)hlen);
    memcpy(chan + hlen, name, nlen);
    pubsub_publish(chan, clen, msg, mlen);
    if (chan != small) mem_free(chan);
}

/* Keyspace notifications (Redis's notifyKeyspaceEvent): the K flag sends
 * the event name on the key's channel, the E flag the key name on the
 * event's channel, when the event's class is enabled. */
void db_notify(int event_class, const char *event, db *d, const char *key, size_t klen) {
    int flags = cfg->notify_keyspace_events;
    if (!(flags & event_class)) return;
    int dbid = db_id(d);
    size_t elen = strlen(event);
    if (flags & NOTIFY_KEYSPACE) notify_publish("__keyspace@", dbid, key, klen, event, elen);
    if (flags & NOTIFY_KEYEVENT) notify_publish("__keyevent@", dbid, event, elen, key, klen);
}
