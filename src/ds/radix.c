/*
 * radix.c - compressed radix tree (see radix.h).
 *
 * Updates are recursive and return the node that should now stand where
 * the old one stood: splitting a prefix or merging a lone child builds a
 * new node, and the parent stores whatever comes back. Depth is bounded by
 * the number of branch points on a key's path, at most its length.
 *
 * Seeks build the key they find in the iterator's buffer as they descend,
 * and cut it back when a branch turns out to hold nothing suitable.
 */
#include "ds/radix.h"

#include <stdint.h>
#include <string.h>

#include "ds/mem.h"

typedef struct rnode {
    uint32_t plen;
    uint16_t nkids;
    uint8_t has_value;
    void *value;
    unsigned char *edges;   /* first byte of each child's remainder, sorted */
    struct rnode **kids;
    unsigned char prefix[];
} rnode;

struct radix {
    rnode *root;
    size_t size;
    size_t bytes;
    size_t nodes;
};

#define KID_BYTES (1 + sizeof(rnode *))

radix *radix_new(void) {
    radix *t = mem_calloc(sizeof *t);
    return t;
}

size_t radix_size(const radix *t) {
    return t->size;
}

size_t radix_nodes(const radix *t) {
    return t->nodes;
}

size_t radix_mem(const radix *t) {
    return sizeof *t + t->bytes;
}

static rnode *node_new(radix *t, const unsigned char *prefix, size_t plen) {
    rnode *n = mem_alloc(sizeof *n + plen);
    n->plen = (uint32_t)plen;
    n->nkids = 0;
    n->has_value = 0;
    n->value = NULL;
    n->edges = NULL;
    n->kids = NULL;
    if (plen) memcpy(n->prefix, prefix, plen);
    t->bytes += sizeof *n + plen;
    t->nodes++;
    return n;
}

/* Frees the node and its child arrays (not the children). */
static void node_free(radix *t, rnode *n) {
    t->bytes -= sizeof *n + n->plen + n->nkids * KID_BYTES;
    t->nodes--;
    mem_free(n->edges);
    mem_free(n->kids);
    mem_free(n);
}

static void free_tree(radix *t, rnode *n, void (*free_value)(void *)) {
    if (!n) return;
    for (int i = 0; i < n->nkids; i++) free_tree(t, n->kids[i], free_value);
    if (n->has_value && free_value) free_value(n->value);
    node_free(t, n);
}

void radix_free(radix *t, void (*free_value)(void *)) {
    if (!t) return;
    free_tree(t, t->root, free_value);
    mem_free(t);
}

/* Index of the child whose edge is b, or -1; *pos gets where b belongs. */
static int kid_find(const rnode *n, unsigned char b, int *pos) {
    int lo = 0, hi = n->nkids;
    while (lo < hi) {
        int mid = (lo + hi) / 2;
        if (n->edges[mid] < b)
            lo = mid + 1;
        else
            hi = mid;
    }
    if (pos) *pos = lo;
    return lo < n->nkids && n->edges[lo] == b ? lo : -1;
}

static void kid_insert(radix *t, rnode *n, int pos, unsigned char b, rnode *kid) {
    n->edges = mem_realloc(n->edges, (size_t)n->nkids + 1);
    n->kids = mem_realloc(n->kids, sizeof(rnode *) * ((size_t)n->nkids + 1));
    memmove(n->edges + pos + 1, n->edges + pos, (size_t)(n->nkids - pos));
    memmove(n->kids + pos + 1, n->kids + pos, sizeof(rnode *) * (size_t)(n->nkids - pos));
    n->edges[pos] = b;
    n->kids[pos] = kid;
    n->nkids++;
    t->bytes += KID_BYTES;
}

static void kid_remove(radix *t, rnode *n, int pos) {
    memmove(n->edges + pos, n->edges + pos + 1, (size_t)(n->nkids - pos - 1));
    memmove(n->kids + pos, n->kids + pos + 1, sizeof(rnode *) * (size_t)(n->nkids - pos - 1));
    n->nkids--;
    t->bytes -= KID_BYTES;
    if (n->nkids == 0) {
        mem_free(n->edges);
        mem_free(n->kids);
        n->edges = NULL;
        n->kids = NULL;
    }
}

static size_t common_prefix(const unsigned char *a, size_t alen, const unsigned char *b,
                            size_t blen) {
    size_t n = alen < blen ? alen : blen, i = 0;
    while (i < n && a[i] == b[i]) i++;
    return i;
}

/* Splits n after its first c prefix bytes: returns a node holding those
 * bytes with one child, the rest of n (which keeps n's value and kids). */
static rnode *split(radix *t, rnode *n, size_t c) {
    rnode *rest = node_new(t, n->prefix + c + 1, n->plen - c - 1);
    rest->has_value = n->has_value;
    rest->value = n->value;
    rest->edges = n->edges;
    rest->kids = n->kids;
    rest->nkids = n->nkids;
    rnode *top = node_new(t, n->prefix, c);
    kid_insert(t, top, 0, n->prefix[c], rest);
    /* The child arrays moved to rest: free only n's own block. */
    t->bytes -= sizeof *n + n->plen;
    t->nodes--;
    mem_free(n);
    return top;
}

static rnode *insert_at(radix *t, rnode *n, const unsigned char *k, size_t len, void *value,
                        int *res, void **old) {
    if (!n) {
        n = node_new(t, k, len);
        n->has_value = 1;
        n->value = value;
        *res = 1;
        return n;
    }
    size_t c = common_prefix(n->prefix, n->plen, k, len);
    if (c < n->plen) n = split(t, n, c);
    if (len == n->plen) {
        if (n->has_value) {
            if (old) *old = n->value;
            *res = 0;
        } else {
            *res = 1;
        }
        n->has_value = 1;
        n->value = value;
        return n;
    }
    int pos, i = kid_find(n, k[n->plen], &pos);
    const unsigned char *rest = k + n->plen + 1;
    size_t rlen = len - n->plen - 1;
    if (i >= 0)
        n->kids[i] = insert_at(t, n->kids[i], rest, rlen, value, res, old);
    else
        kid_insert(t, n, pos, k[n->plen], insert_at(t, NULL, rest, rlen, value, res, old));
    return n;
}

int radix_insert(radix *t, const void *key, size_t len, void *value, void **old) {
    if (len > RADIX_MAX_KEY) return -1;
    int res = 0;
    t->root = insert_at(t, t->root, key, len, value, &res, old);
    if (res) t->size++;
    return res;
}

int radix_find(const radix *t, const void *key, size_t len, void **value) {
    const unsigned char *k = key;
    const rnode *n = t->root;
    while (n) {
        if (len < n->plen || memcmp(n->prefix, k, n->plen) != 0) return 0;
        k += n->plen;
        len -= n->plen;
        if (len == 0) {
            if (!n->has_value) return 0;
            if (value) *value = n->value;
            return 1;
        }
        int i = kid_find(n, k[0], NULL);
        if (i < 0) return 0;
        n = n->kids[i];
        k++;
        len--;
    }
    return 0;
}

/* After a removal below or at n: a node with no value and no children
 * goes; one with no value and a single child merges with it. */
static rnode *compact(radix *t, rnode *n) {
    if (n->has_value || n->nkids > 1) return n;
    if (n->nkids == 0) {
        node_free(t, n);
        return NULL;
    }
    rnode *kid = n->kids[0];
    size_t plen = (size_t)n->plen + 1 + kid->plen;
    rnode *m = mem_alloc(sizeof *m + plen);
    memcpy(m->prefix, n->prefix, n->plen);
    m->prefix[n->plen] = n->edges[0];
    memcpy(m->prefix + n->plen + 1, kid->prefix, kid->plen);
    m->plen = (uint32_t)plen;
    m->nkids = kid->nkids;
    m->has_value = kid->has_value;
    m->value = kid->value;
    m->edges = kid->edges;
    m->kids = kid->kids;
    t->bytes += sizeof *m + plen;
    t->bytes -= sizeof *kid + kid->plen;
    mem_free(kid);
    /* m replaces kid: the node count is unchanged until n goes. */
    node_free(t, n);
    return m;
}

static rnode *remove_at(radix *t, rnode *n, const unsigned char *k, size_t len, int *found,
                        void **old) {
    if (!n || len < n->plen || memcmp(n->prefix, k, n->plen) != 0) return n;
    if (len == n->plen) {
        if (!n->has_value) return n;
        *found = 1;
        if (old) *old = n->value;
        n->has_value = 0;
        n->value = NULL;
    } else {
        int i = kid_find(n, k[n->plen], NULL);
        if (i < 0) return n;
        rnode *kid = remove_at(t, n->kids[i], k + n->plen + 1, len - n->plen - 1, found, old);
        if (!*found) return n;
        if (kid)
            n->kids[i] = kid;
        else
            kid_remove(t, n, i);
    }
    return compact(t, n);
}

int radix_remove(radix *t, const void *key, size_t len, void **old) {
    int found = 0;
    t->root = remove_at(t, t->root, key, len, &found, old);
    if (found) t->size--;
    return found;
}

/* ---- ordered access ------------------------------------------------------ */

void radix_iter_init(radix_iter *it, const radix *t) {
    it->t = t;
    it->key = it->inline_key;
    it->len = 0;
    it->cap = sizeof it->inline_key;
    it->value = NULL;
}

void radix_iter_done(radix_iter *it) {
    if (it->key != it->inline_key) mem_free(it->key);
    it->key = it->inline_key;
    it->len = 0;
    it->cap = sizeof it->inline_key;
}

static void push(radix_iter *it, const unsigned char *p, size_t n) {
    if (it->len + n > it->cap) {
        size_t cap = it->cap * 2;
        while (cap < it->len + n) cap *= 2;
        if (it->key == it->inline_key) {
            unsigned char *heap = mem_alloc(cap);
            memcpy(heap, it->key, it->len);
            it->key = heap;
        } else {
            it->key = mem_realloc(it->key, cap);
        }
        it->cap = cap;
    }
    if (n) memcpy(it->key + it->len, p, n);
    it->len += n;
}

/* The smallest key of n's subtree, appended to the iterator's key. */
static int descend_min(radix_iter *it, const rnode *n) {
    for (;;) {
        push(it, n->prefix, n->plen);
        if (n->has_value) {
            it->value = n->value;
            return 1;
        }
        if (!n->nkids) return 0;
        push(it, n->edges, 1);
        n = n->kids[0];
    }
}

static int descend_max(radix_iter *it, const rnode *n) {
    for (;;) {
        push(it, n->prefix, n->plen);
        if (!n->nkids) break;
        push(it, &n->edges[n->nkids - 1], 1);
        n = n->kids[n->nkids - 1];
    }
    if (!n->has_value) return 0;
    it->value = n->value;
    return 1;
}

/* First key >= (or > when strict) k in n's subtree. */
static int seek_up(radix_iter *it, const rnode *n, const unsigned char *k, size_t len,
                   int strict) {
    size_t base = it->len, m = n->plen;
    int cmp = memcmp(n->prefix, k, m < len ? m : len);
    if (cmp > 0 || (cmp == 0 && len < m)) return descend_min(it, n);
    if (cmp < 0) return 0;
    push(it, n->prefix, m);
    if (len == m) {
        if (n->has_value && !strict) {
            it->value = n->value;
            return 1;
        }
        if (n->nkids) {
            push(it, n->edges, 1);
            return descend_min(it, n->kids[0]);
        }
    } else {
        unsigned char b = k[m];
        int pos;
        int i = kid_find(n, b, &pos);
        if (i >= 0) {
            push(it, &n->edges[i], 1);
            if (seek_up(it, n->kids[i], k + m + 1, len - m - 1, strict)) return 1;
            it->len = base + m;
            pos = i + 1;
        }
        if (pos < n->nkids) {
            push(it, &n->edges[pos], 1);
            return descend_min(it, n->kids[pos]);
        }
    }
    it->len = base;
    return 0;
}

/* Last key <= (or < when strict) k in n's subtree. */
static int seek_down(radix_iter *it, const rnode *n, const unsigned char *k, size_t len,
                     int strict) {
    size_t base = it->len, m = n->plen;
    int cmp = memcmp(n->prefix, k, m < len ? m : len);
    if (cmp < 0) return descend_max(it, n);
    if (cmp > 0 || len < m) return 0;
    push(it, n->prefix, m);
    if (len == m) {
        if (n->has_value && !strict) {
            it->value = n->value;
            return 1;
        }
        it->len = base;
        return 0;
    }
    unsigned char b = k[m];
    int pos;
    int i = kid_find(n, b, &pos);
    if (i >= 0) {
        push(it, &n->edges[i], 1);
        if (seek_down(it, n->kids[i], k + m + 1, len - m - 1, strict)) return 1;
        it->len = base + m;
        pos = i;
    }
    if (pos > 0) {
        push(it, &n->edges[pos - 1], 1);
        return descend_max(it, n->kids[pos - 1]);
    }
    if (n->has_value) {
        it->value = n->value;
        return 1;
    }
    it->len = base;
    return 0;
}

int radix_seek(radix_iter *it, enum radix_op op, const void *key, size_t len) {
    const rnode *root = it->t->root;
    /* The key may be the iterator's own buffer, which the seek rewrites. */
    unsigned char small[64] = {0};
    unsigned char *copy = NULL;
    if (op != RADIX_FIRST && op != RADIX_LAST) {
        copy = len <= sizeof small ? small : mem_alloc(len);
        if (len) memcpy(copy, key, len);
    }
    it->len = 0;
    int found = 0;
    if (root) {
        switch (op) {
        case RADIX_FIRST: found = descend_min(it, root); break;
        case RADIX_LAST: found = descend_max(it, root); break;
        case RADIX_GE: found = seek_up(it, root, copy, len, 0); break;
        case RADIX_GT: found = seek_up(it, root, copy, len, 1); break;
        case RADIX_LE: found = seek_down(it, root, copy, len, 0); break;
        case RADIX_LT: found = seek_down(it, root, copy, len, 1); break;
        }
    }
    if (copy && copy != small) mem_free(copy);
    if (!found) {
        it->len = 0;
        it->value = NULL;
    }
    return found;
}

int radix_next(radix_iter *it) {
    return radix_seek(it, RADIX_GT, it->key, it->len);
}

int radix_prev(radix_iter *it) {
    return radix_seek(it, RADIX_LT, it->key, it->len);
}
