/*
 * evict.c - maxmemory eviction (see evict.h).
 *
 * Approximated LRU/LFU/TTL: each pass samples maxmemory-samples keys per
 * database and merges them into a small pool kept sorted by "idleness"
 * (LRU: seconds since access; LFU: 255 - decayed counter; TTL: how soon it
 * expires, inverted). The best candidate of the pool that still exists is
 * evicted. Pool entries hold a copy of the key, never a kv pointer, since
 * entries move and die between passes.
 */
#include "server/evict.h"

#include <stdlib.h>

#include "ds/mem.h"
#include "server/clock.h"
#include "server/config.h"
#include "server/db.h"
#include "server/latency.h"
#include "server/log.h"
#include "server/propagate.h"
#include "server/stats.h"

#define POOL_SIZE 16

typedef struct pool_entry {
    unsigned long long idle;
    int dbid;
    size_t klen;
    char *key; /* NULL = empty slot */
} pool_entry;

static pool_entry pool[POOL_SIZE];

static unsigned long long lru_idle(const kv *e) {
    uint32_t now = db_lru_clock(), then = e->lru;
    uint32_t secs = now >= then ? now - then : (1u << 24) - then + now;
    return (unsigned long long)secs * 1000;
}

static unsigned long long lfu_score(const kv *e) {
    uint32_t now = (uint32_t)((clock_now_ms() / 60000) & 0xffff), last = e->lru >> 8;
    uint32_t counter = e->lru & 0xff;
    uint32_t idle = now >= last ? now - last : 0xffff - last + now;
    if (cfg->lfu_decay_time > 0) {
        uint32_t periods = idle / (uint32_t)cfg->lfu_decay_time;
        counter = periods > counter ? 0 : counter - periods;
    }
    return 255 - counter;
}

static unsigned long long score(db *d, kv *e, int policy) {
    switch (policy) {
    case MAXMEMORY_ALLKEYS_LFU:
    case MAXMEMORY_VOLATILE_LFU: return lfu_score(e);
    case MAXMEMORY_VOLATILE_TTL: return ~0ULL - (unsigned long long)db_get_expire(d, e);
    default: return lru_idle(e);
    }
}

/* Inserts a candidate keeping the pool sorted ascending; the best (largest
 * idle) is at the right end. A full pool drops its worst entry. */
static void pool_insert(unsigned long long idle, int dbid, const char *key, size_t klen) {
    int k = 0;
    while (k < POOL_SIZE && pool[k].key && pool[k].idle < idle) k++;
    for (int i = 0; i < POOL_SIZE && pool[i].key; i++)
        if (pool[i].dbid == dbid && pool[i].klen == klen && memcmp(pool[i].key, key, klen) == 0)
            return; /* already a candidate */
    if (k == 0 && pool[POOL_SIZE - 1].key) return; /* worse than everything in a full pool */
    if (pool[POOL_SIZE - 1].key == NULL) {
        /* Free slot at the end: shift right. */
        memmove(&pool[k + 1], &pool[k], sizeof(pool_entry) * (POOL_SIZE - k - 1));
    } else {
        /* Full: drop the worst (leftmost), shift left. */
        k--;
        mem_free(pool[0].key);
        memmove(&pool[0], &pool[1], sizeof(pool_entry) * (size_t)k);
    }
    pool[k].idle = idle;
    pool[k].dbid = dbid;
    pool[k].klen = klen;
    pool[k].key = mem_memdup(key, klen ? klen : 1);
}

static void pool_populate(int policy, int volatile_only) {
    kv *sample[64];
    int n = cfg->maxmemory_samples;
    if (n > 64) n = 64;
    if (n < 1) n = 1;
    for (int id = 0; id < db_count(); id++) {
        db *d = db_get(id);
        size_t got = db_sample(d, volatile_only, sample, (size_t)n);
        for (size_t i = 0; i < got; i++)
            pool_insert(score(d, sample[i], policy), id, kv_key(sample[i]), kv_keylen(sample[i]));
    }
}

/* Takes the best pool candidate that still exists. Returns 1 with its
 * db/key (caller frees *key), 0 when the pool holds nothing live. */
static int pool_pop(int *dbid, char **key, size_t *klen, int volatile_only) {
    for (int k = POOL_SIZE - 1; k >= 0; k--) {
        if (!pool[k].key) continue;
        pool_entry e = pool[k];
        pool[k].key = NULL;
        /* Keep the pool packed to the left. */
        memmove(&pool[k], &pool[k + 1], sizeof(pool_entry) * (size_t)(POOL_SIZE - k - 1));
        pool[POOL_SIZE - 1].key = NULL;
        kv *x = db_lookup(db_get(e.dbid), e.key, e.klen,
                          LOOKUP_NOTOUCH | LOOKUP_NOSTATS | LOOKUP_NOEXPIRE);
        if (x && (!volatile_only || x->expire)) {
            *dbid = e.dbid;
            *key = e.key;
            *klen = e.klen;
            return 1;
        }
        mem_free(e.key);
    }
    return 0;
}

static int next_random_db;

static int pick_random(int *dbid, char **key, size_t *klen, int volatile_only) {
    for (int i = 0; i < db_count(); i++) {
        int id = (next_random_db + i) % db_count();
        kv *sample[1];
        if (db_sample(db_get(id), volatile_only, sample, 1) == 1) {
            next_random_db = id + 1;
            *dbid = id;
            *klen = kv_keylen(sample[0]);
            *key = mem_memdup(kv_key(sample[0]), *klen ? *klen : 1);
            return 1;
        }
    }
    return 0;
}

int evict_perform(void) {
    if (!cfg->maxmemory || mem_used() <= (size_t)cfg->maxmemory) return EVICT_OK;
    int policy = cfg->maxmemory_policy;
    if (policy == MAXMEMORY_NOEVICTION) return EVICT_FAIL;
    int volatile_only = policy >= MAXMEMORY_VOLATILE_LRU;
    int random = policy == MAXMEMORY_ALLKEYS_RANDOM || policy == MAXMEMORY_VOLATILE_RANDOM;
    /* Bounded effort per command: tenacity 10 allows about 500 us. */
    long long limit_us = 50LL * (cfg->maxmemory_eviction_tenacity > 0 ? cfg->maxmemory_eviction_tenacity : 1);
    long long start = clock_mono_us();
    while (mem_used() > (size_t)cfg->maxmemory) {
        int dbid;
        char *key;
        size_t klen;
        int found;
        if (random) {
            found = pick_random(&dbid, &key, &klen, volatile_only);
        } else {
            pool_populate(policy, volatile_only);
            found = pool_pop(&dbid, &key, &klen, volatile_only);
        }
        if (!found) return EVICT_FAIL;
        db *d = db_get(dbid);
        propagate_del(dbid, key, klen);
        db_delete(d, key, klen);
        stats.evicted_keys++;
        stats.dirty++;
        db_notify(NOTIFY_EVICTED, "evicted", d, key, klen);
        db_touch_key(d, key, klen);
        mem_free(key);
        if (clock_mono_us() - start > limit_us) break;
    }
    latency_add_sample_if_needed("eviction-cycle", (clock_mono_us() - start) / 1000);
    /* Out of time but not out of candidates: let the command run; the next
     * commands and the cron continue the work (Redis's EVICT_RUNNING). */
    return EVICT_OK;
}

void evict_free_pool(void) {
    for (int k = 0; k < POOL_SIZE; k++) {
        mem_free(pool[k].key);
        pool[k].key = NULL;
    }
}
