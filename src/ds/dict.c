/*
 * dict.c - intrusive hash table with incremental rehashing (see dict.h).
 *
 * Invariants:
 *   - table[0] is NULL only when the dict has never held a node since init
 *     or clear; nbuckets[t] is a power of two >= DICT_MIN_BUCKETS or 0.
 *   - table[1] != NULL exactly while rehashing. Then every table[0] bucket
 *     below rehash_idx is empty, new nodes go to table[1], and a node with
 *     hash h is in table[0][h & mask0] or table[1][h & mask1].
 *   - size == used[0] + used[1].
 *   - While pause > 0, no node moves between buckets and neither array is
 *     freed or replaced; table[1] may appear (a resize may start).
 *
 * Nodes carry no cached hash, so moving a node to a larger table recomputes
 * its hash from ops->key. Moving to a smaller table does not need it: the
 * new index is the old index with high bits dropped.
 *
 * The scan cursor increments its bits in reverse order (high bit first), so
 * that doubling or halving the table maps the buckets already visited onto a
 * prefix of the new cursor order; that is what makes the scan guarantee hold
 * across resizes (the technique described for Redis's SCAN).
 */
#include "dict.h"

#include "mem.h"
#include "siphash.h"

#include <string.h>
#include <time.h>

static uint8_t hash_seed[16];
static uint64_t rng_state = 0x9e3779b97f4a7c15ULL;

void dict_set_hash_seed(const uint8_t seed[16]) {
    memcpy(hash_seed, seed, sizeof(hash_seed));
    uint64_t a, b;
    memcpy(&a, seed, 8);
    memcpy(&b, seed + 8, 8);
    rng_state ^= a ^ (b << 1);
}

uint64_t dict_hash(const char *key, size_t len) {
    return siphash13(key, len, hash_seed);
}

uint64_t dict_hash_nocase(const char *key, size_t len) {
    return siphash13_nocase(key, len, hash_seed);
}

/* splitmix64: sampling needs speed and spread, not unpredictability. */
static uint64_t rnd(void) {
    uint64_t z = (rng_state += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

static inline uint64_t node_hash(const dict *d, const dict_node *n) {
    size_t len;
    const char *k = d->ops->key(n, &len);
    return dict_hash_for(d, k, len);
}

static int eq_nocase(const char *a, const char *b, size_t len) {
    for (size_t i = 0; i < len; i++) {
        unsigned char x = (unsigned char)a[i], y = (unsigned char)b[i];
        if (x == y) continue;
        if (x >= 'A' && x <= 'Z') x += 'a' - 'A';
        if (y >= 'A' && y <= 'Z') y += 'a' - 'A';
        if (x != y) return 0;
    }
    return 1;
}

static inline int key_eq(const dict *d, const dict_node *n, const char *key, size_t len) {
    size_t nlen;
    const char *nk = d->ops->key(n, &nlen);
    if (nlen != len) return 0;
    return d->ops->nocase ? eq_nocase(nk, key, len) : memcmp(nk, key, len) == 0;
}

static size_t next_pow2(size_t n) {
    size_t p = DICT_MIN_BUCKETS;
    while (p < n)
        p <<= 1;
    return p;
}

void dict_init(dict *d, const dict_ops *ops) {
    memset(d, 0, sizeof(*d));
    d->ops = ops;
}

void dict_clear(dict *d, void (*free_node)(dict_node *n, void *arg), void *arg) {
    for (int t = 0; t < 2; t++) {
        if (!d->table[t]) continue;
        if (free_node) {
            for (size_t i = 0; i < d->nbuckets[t]; i++) {
                dict_node *n = d->table[t][i];
                while (n) {
                    dict_node *next = n->next;
                    free_node(n, arg);
                    n = next;
                }
            }
        }
        mem_free(d->table[t]);
    }
    const dict_ops *ops = d->ops;
    int pause = d->pause;
    dict_init(d, ops);
    d->pause = pause;
}

static void shrink_if_needed(dict *d);

/* Moves up to n non-empty buckets from table[0] to table[1], visiting at most
 * 10*n empty ones so a sparse table cannot stall the caller. Returns 1 while
 * rehashing remains. */
static int rehash(dict *d, size_t n) {
    size_t empty_budget = n * 10;
    size_t mask1 = d->nbuckets[1] - 1;
    int growing = d->nbuckets[1] > d->nbuckets[0];

    while (n-- && d->used[0]) {
        /* used[0] > 0 guarantees a non-empty bucket at or after rehash_idx. */
        while (!d->table[0][d->rehash_idx]) {
            d->rehash_idx++;
            if (--empty_budget == 0) return 1;
        }
        dict_node *node = d->table[0][d->rehash_idx];
        while (node) {
            dict_node *next = node->next;
            size_t idx = growing ? (size_t)node_hash(d, node) & mask1 : d->rehash_idx & mask1;
            node->next = d->table[1][idx];
            d->table[1][idx] = node;
            d->used[0]--;
            d->used[1]++;
            node = next;
        }
        d->table[0][d->rehash_idx++] = NULL;
    }
    if (d->used[0]) return 1;
    mem_free(d->table[0]);
    d->table[0] = d->table[1];
    d->nbuckets[0] = d->nbuckets[1];
    d->used[0] = d->used[1];
    d->table[1] = NULL;
    d->nbuckets[1] = 0;
    d->used[1] = 0;
    d->rehash_idx = 0;
    /* Deletes during a grow may have left the new table mostly empty. */
    shrink_if_needed(d);
    return 0;
}

static inline void rehash_step(dict *d) {
    if (d->table[1] && !d->pause) rehash(d, 1);
}

static void start_resize(dict *d, size_t buckets) {
    if (buckets == d->nbuckets[0]) return;
    d->table[1] = mem_calloc(buckets * sizeof(dict_node *));
    d->nbuckets[1] = buckets;
    d->used[1] = 0;
    d->rehash_idx = 0;
}

static void grow_if_needed(dict *d) {
    if (d->table[1]) return;
    if (!d->table[0]) {
        d->table[0] = mem_calloc(DICT_MIN_BUCKETS * sizeof(dict_node *));
        d->nbuckets[0] = DICT_MIN_BUCKETS;
        return;
    }
    if (d->size >= d->nbuckets[0]) start_resize(d, next_pow2(d->size + 1));
}

static void shrink_if_needed(dict *d) {
    if (d->table[1] || d->nbuckets[0] <= DICT_MIN_BUCKETS) return;
    /* Land at a load factor of at most 1/2, away from both thresholds. */
    if (d->size < d->nbuckets[0] / 8) start_resize(d, next_pow2(d->size * 2));
}

dict_node *dict_find(dict *d, const char *key, size_t len, uint64_t h) {
    if (d->size == 0) return NULL;
    rehash_step(d);
    for (int t = 0; t < 2; t++) {
        if (!d->table[t]) break;
        for (dict_node *n = d->table[t][h & (d->nbuckets[t] - 1)]; n; n = n->next)
            if (key_eq(d, n, key, len)) return n;
    }
    return NULL;
}

void dict_insert(dict *d, dict_node *n, uint64_t h) {
    rehash_step(d);
    grow_if_needed(d);
    int t = d->table[1] ? 1 : 0;
    dict_node **b = &d->table[t][h & (d->nbuckets[t] - 1)];
    n->next = *b;
    *b = n;
    d->used[t]++;
    d->size++;
}

dict_node *dict_remove(dict *d, const char *key, size_t len, uint64_t h) {
    if (d->size == 0) return NULL;
    rehash_step(d);
    for (int t = 0; t < 2; t++) {
        if (!d->table[t]) break;
        for (dict_node **pp = &d->table[t][h & (d->nbuckets[t] - 1)]; *pp; pp = &(*pp)->next) {
            dict_node *n = *pp;
            if (!key_eq(d, n, key, len)) continue;
            *pp = n->next;
            n->next = NULL;
            d->used[t]--;
            d->size--;
            shrink_if_needed(d);
            return n;
        }
    }
    return NULL;
}

int dict_replace_node(dict *d, dict_node *old, dict_node *repl, uint64_t h) {
    for (int t = 0; t < 2; t++) {
        if (!d->table[t]) break;
        for (dict_node **pp = &d->table[t][h & (d->nbuckets[t] - 1)]; *pp; pp = &(*pp)->next) {
            if (*pp == old) {
                *pp = repl;
                return 0;
            }
        }
    }
    return -1;
}

static uint64_t rev64(uint64_t v) {
    v = ((v >> 1) & 0x5555555555555555ULL) | ((v & 0x5555555555555555ULL) << 1);
    v = ((v >> 2) & 0x3333333333333333ULL) | ((v & 0x3333333333333333ULL) << 2);
    v = ((v >> 4) & 0x0f0f0f0f0f0f0f0fULL) | ((v & 0x0f0f0f0f0f0f0f0fULL) << 4);
    return __builtin_bswap64(v);
}

/* Adds one to the cursor bits under mask, counting from the high bit down. */
static inline uint64_t cursor_next(uint64_t v, uint64_t mask) {
    v |= ~mask; /* unmasked bits carry straight through */
    return rev64(rev64(v) + 1);
}

static void scan_bucket(dict_node *n, void (*fn)(dict_node *n, void *arg), void *arg) {
    while (n) {
        dict_node *next = n->next; /* fn may unlink n */
        fn(n, arg);
        n = next;
    }
}

uint64_t dict_scan(dict *d, uint64_t v, void (*fn)(dict_node *n, void *arg), void *arg) {
    if (d->size == 0) return 0;
    d->pause++;
    if (!d->table[1]) {
        uint64_t m0 = d->nbuckets[0] - 1;
        scan_bucket(d->table[0][v & m0], fn, arg);
        v = cursor_next(v, m0);
    } else {
        /* Visit bucket v of the small table, then every bucket of the large
         * one whose index reduces to it. */
        int small = d->nbuckets[0] <= d->nbuckets[1] ? 0 : 1, big = 1 - small;
        dict_node **ts = d->table[small], **tb = d->table[big];
        uint64_t m0 = d->nbuckets[small] - 1, m1 = d->nbuckets[big] - 1;
        scan_bucket(ts[v & m0], fn, arg);
        do {
            scan_bucket(tb[v & m1], fn, arg);
            v = cursor_next(v, m1);
        } while (v & (m0 ^ m1));
    }
    d->pause--;
    return v;
}

size_t dict_sample(dict *d, dict_node **out, size_t count) {
    if (count > d->size) count = d->size;
    if (count == 0) return 0;
    for (size_t j = 0; j < count && d->table[1] && !d->pause; j++)
        rehash(d, 1);

    int tables = d->table[1] ? 2 : 1;
    size_t span = d->nbuckets[0];
    if (tables == 2 && d->nbuckets[1] > span) span = d->nbuckets[1];
    size_t mask = span - 1;
    size_t i = (size_t)rnd() & mask, stored = 0, empty_run = 0;
    size_t steps = count * 10;

    while (stored < count && steps--) {
        int found = 0;
        for (int t = 0; t < tables; t++) {
            if (i >= d->nbuckets[t]) continue;
            if (t == 0 && tables == 2 && i < d->rehash_idx) continue; /* already moved */
            for (dict_node *n = d->table[t][i]; n && stored < count; n = n->next) {
                out[stored++] = n;
                found = 1;
            }
        }
        /* A long empty stretch: jump elsewhere rather than crawl through it. */
        if (!found && ++empty_run >= 5 && empty_run > count) {
            i = (size_t)rnd() & mask;
            empty_run = 0;
            continue;
        }
        if (found) empty_run = 0;
        i = (i + 1) & mask;
    }
    return stored;
}

dict_node *dict_random(dict *d) {
    if (d->size == 0) return NULL;
    rehash_step(d);

    /* Rejection sampling: pick a random live bucket, accept it with
     * probability len/bound, then a uniform node of its chain. Each node is
     * then equally likely, except in chains longer than bound, which are
     * rare at our load factors and only slightly under-weighted. Picking a
     * bucket then a chain position without the rejection would favour nodes
     * in short chains. */
    size_t lo = d->table[1] ? d->rehash_idx : 0;
    size_t live = d->nbuckets[0] - lo + d->nbuckets[1];
    size_t bound = 1 + (3 * d->size + live - 1) / live;
    if (bound < 2) bound = 2;
    if (bound > 16) bound = 16;
    for (int tries = 0; tries < 128; tries++) {
        size_t i = lo + (size_t)(rnd() % live);
        dict_node *head = i < d->nbuckets[0] ? d->table[0][i] : d->table[1][i - d->nbuckets[0]];
        if (!head) continue;
        size_t len = 0;
        for (dict_node *x = head; x; x = x->next)
            len++;
        if (len < bound && (size_t)(rnd() % bound) >= len) continue;
        for (size_t k = (size_t)(rnd() % len); k; k--)
            head = head->next;
        return head;
    }

    /* Very sparse table: take a node among a few neighbouring buckets. */
    dict_node *pick[16];
    size_t n = dict_sample(d, pick, 16);
    if (n) return pick[rnd() % n];
    for (size_t i = lo;; i++) {
        dict_node *x = i < d->nbuckets[0] ? d->table[0][i] : d->table[1][i - d->nbuckets[0]];
        if (x) return x; /* size > 0, so some live bucket is non-empty */
    }
}

void dict_iter_init(dict *d, dict_iter *it) {
    it->d = d;
    it->next = NULL;
    it->idx = 0;
    it->table = 0;
    d->pause++;
}

dict_node *dict_iter_next(dict_iter *it) {
    dict *d = it->d;
    while (!it->next) {
        if (it->table > 1) return NULL;
        if (!d->table[it->table] || it->idx >= d->nbuckets[it->table]) {
            /* table[1] may have appeared since init (a resize started). */
            it->table = (it->table == 0 && d->table[1]) ? 1 : 2;
            it->idx = 0;
            continue;
        }
        it->next = d->table[it->table][it->idx++];
    }
    dict_node *n = it->next;
    it->next = n->next; /* saved now so the caller may unlink n */
    return n;
}

void dict_iter_done(dict_iter *it) {
    it->d->pause--;
    it->table = 2;
    it->next = NULL;
}

static long long now_usec(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

int dict_rehash_for(dict *d, long long usec) {
    if (!d->table[1]) return 0;
    if (d->pause) return 1;
    long long start = now_usec();
    while (rehash(d, 100)) {
        if (now_usec() - start >= usec) return 1;
    }
    return 0;
}

int dict_is_rehashing(const dict *d) {
    return d->table[1] != NULL;
}

size_t dict_buckets(const dict *d) {
    return d->nbuckets[0] + d->nbuckets[1];
}

size_t dict_overhead_bytes(const dict *d) {
    return dict_buckets(d) * sizeof(dict_node *);
}
