/*
 * tracking.c - client-side caching (see tracking.h).
 *
 * Three structures:
 *  - the key table: dict of tracked_key (key bytes + the ids of the
 *    clients that read it). Ids, not pointers, so a client that goes away
 *    needs no sweep: a stale id is skipped when the key is invalidated.
 *  - the prefix table: one bcast_prefix per distinct BCAST prefix, with the
 *    ids of its clients and the keys written since the last before-sleep.
 *  - per client, a tracking_state hung on client->tracking while on.
 */
#include "server/tracking.h"

#include <stdlib.h>
#include <string.h>

#include "ds/dict.h"
#include "ds/mem.h"
#include "server/client.h"
#include "server/command.h"
#include "server/config.h"
#include "server/handler.h"
#include "server/reply.h"

enum {
    TRK_BCAST = 1 << 0,
    TRK_OPTIN = 1 << 1,
    TRK_OPTOUT = 1 << 2,
    TRK_NOLOOP = 1 << 3,
    TRK_CACHING = 1 << 4,      /* CLIENT CACHING given for the next command */
    TRK_BROKEN_REDIR = 1 << 5, /* the redirect target was found gone */
};

/* A length-counted byte string (prefixes, queued keys). */
typedef struct bytes {
    char *ptr;
    size_t len;
} bytes;

typedef struct tracking_state {
    unsigned flags;
    uint64_t redirect; /* 0: none */
    bytes *prefixes;   /* BCAST prefixes, kept sorted */
    size_t nprefixes;
} tracking_state;

typedef struct tracked_key {
    dict_node node;
    uint64_t *ids;
    size_t nids, cap;
    size_t klen;
    char key[];
} tracked_key;

typedef struct pending_key {
    bytes key;
    uint64_t writer; /* client id that wrote it, 0 when none */
    size_t seq;      /* arrival order: the last writer of a key wins */
} pending_key;

typedef struct bcast_prefix {
    bytes prefix;
    uint64_t *ids;
    size_t nids, cap;
    pending_key *keys;
    size_t nkeys, kcap;
} bcast_prefix;

static const char *tracked_key_name(const dict_node *n, size_t *len) {
    const tracked_key *t = (const tracked_key *)n;
    *len = t->klen;
    return t->key;
}

static const dict_ops key_table_ops = {tracked_key_name, 0};
static dict key_table;
static int key_table_ready;
static size_t total_items;     /* sum of ids over all tracked keys */
static size_t tracking_clients;

static bcast_prefix **prefix_table;
static size_t nprefix_table, prefix_table_cap;
static size_t pending_seq;

/* The client whose command is running: its own invalidations wait for its
 * reply (key NULL = the flush null). */
static client *current;
static bytes *self_pending;
static size_t nself_pending, self_pending_cap;

static void *grow(void *arr, size_t *cap, size_t need, size_t elem) {
    if (need <= *cap) return arr;
    size_t ncap = *cap ? *cap * 2 : 4;
    while (ncap < need) ncap *= 2;
    *cap = ncap;
    return mem_realloc(arr, ncap * elem);
}

static bytes bytes_dup(const char *p, size_t len) {
    bytes b = {mem_alloc(len + 1), len};
    memcpy(b.ptr, p, len);
    b.ptr[len] = '\0';
    return b;
}

static tracking_state *state_of(const client *c) {
    return (tracking_state *)c->tracking;
}

/* --- delivery --- */

/* Output to a tracking client bypasses CLIENT REPLY OFF/SKIP, as Redis's
 * pushes do. Returns the flags to restore. */
static uint32_t open_push(client *to) {
    uint32_t saved = to->flags & (CLIENT_REPLY_OFF | CLIENT_REPLY_SKIP);
    to->flags &= ~(CLIENT_REPLY_OFF | CLIENT_REPLY_SKIP);
    return saved;
}

static void close_push(client *to, uint32_t saved) {
    to->flags |= saved;
}

/* Where c's invalidations go: c itself or its redirect target. NULL when
 * the target is gone (c learns it by a tracking-redir-broken push when it
 * speaks RESP3). */
static client *delivery_target(client *c, int *redirected) {
    tracking_state *st = state_of(c);
    *redirected = 0;
    if (!st->redirect) return c;
    client *to = client_by_id(st->redirect);
    if (to) {
        *redirected = 1;
        return to;
    }
    st->flags |= TRK_BROKEN_REDIR;
    if (c->resp >= 3) {
        uint32_t saved = open_push(c);
        reply_push(c, 2);
        reply_bulk(c, "tracking-redir-broken", 21);
        reply_int(c, (long long)st->redirect);
        close_push(c, saved);
    }
    return NULL;
}

/* Writes the message header; 0 when `to` cannot receive it (RESP2 without
 * a redirect to a pub/sub client). */
static int message_header(client *to, int redirected) {
    if (to->resp >= 3) {
        reply_push(to, 2);
        reply_bulk(to, "invalidate", 10);
        return 1;
    }
    if (redirected && (to->flags & CLIENT_PUBSUB)) {
        reply_array(to, 3);
        reply_bulk(to, "message", 7);
        reply_bulk(to, "__redis__:invalidate", 20);
        return 1;
    }
    return 0;
}

/* Sends c an invalidation for keys[0..n), or the flush null when keys is
 * NULL (in the tracking client's own protocol, as Redis does). */
static void send_invalidation(client *c, const bytes *keys, size_t n) {
    int redirected;
    client *to = delivery_target(c, &redirected);
    if (!to) return;
    uint32_t saved = open_push(to);
    if (message_header(to, redirected)) {
        if (!keys) {
            if (c->resp >= 3)
                reply_raw(to, "_\r\n", 3);
            else
                reply_raw(to, "$-1\r\n", 5);
        } else {
            reply_array(to, (long)n);
            for (size_t i = 0; i < n; i++) reply_bulk(to, keys[i].ptr, keys[i].len);
        }
    }
    close_push(to, saved);
}

/* Sends now, or after the reply when c is the client whose command runs. */
static void send_or_queue(client *c, const char *key, size_t klen, int is_flush) {
    if (c == current) {
        self_pending = grow(self_pending, &self_pending_cap, nself_pending + 1, sizeof(bytes));
        self_pending[nself_pending++] = is_flush ? (bytes){NULL, 0} : bytes_dup(key, klen);
        return;
    }
    if (is_flush) {
        send_invalidation(c, NULL, 0);
    } else {
        bytes k = {(char *)key, klen};
        send_invalidation(c, &k, 1);
    }
}

static void send_self_pending(client *c) {
    for (size_t i = 0; i < nself_pending; i++) {
        bytes *k = &self_pending[i];
        if (c && c->tracking) send_invalidation(c, k->ptr ? k : NULL, k->ptr ? 1 : 0);
        mem_free(k->ptr);
    }
    nself_pending = 0;
}

/* --- the key table --- */

static void key_table_init(void) {
    if (key_table_ready) return;
    dict_init(&key_table, &key_table_ops);
    key_table_ready = 1;
}

static void tracked_key_free(tracked_key *t) {
    total_items -= t->nids;
    mem_free(t->ids);
    mem_free(t);
}

static void remember_key(uint64_t id, const char *key, size_t klen) {
    key_table_init();
    uint64_t h = dict_hash(key, klen);
    tracked_key *t = (tracked_key *)dict_find(&key_table, key, klen, h);
    if (!t) {
        t = mem_alloc(sizeof *t + klen);
        memset(t, 0, sizeof *t);
        t->klen = klen;
        memcpy(t->key, key, klen);
        dict_insert(&key_table, &t->node, h);
    }
    for (size_t i = 0; i < t->nids; i++)
        if (t->ids[i] == id) return;
    t->ids = grow(t->ids, &t->cap, t->nids + 1, sizeof(uint64_t));
    t->ids[t->nids++] = id;
    total_items++;
}

/* Sends the key's invalidation to each client that read it and forgets
 * it. skip_current: NOLOOP clients are not told of their own writes. */
static void invalidate_tracked(const char *key, size_t klen) {
    if (!key_table_ready || !dict_size(&key_table)) return;
    uint64_t h = dict_hash(key, klen);
    tracked_key *t = (tracked_key *)dict_remove(&key_table, key, klen, h);
    if (!t) return;
    for (size_t i = 0; i < t->nids; i++) {
        client *target = client_by_id(t->ids[i]);
        if (!target || !target->tracking) continue;
        tracking_state *st = state_of(target);
        if (st->flags & TRK_BCAST) continue;
        if ((st->flags & TRK_NOLOOP) && target == current) continue;
        send_or_queue(target, t->key, t->klen, 0);
    }
    tracked_key_free(t);
}

static void free_key_node(dict_node *n, void *arg) {
    (void)arg;
    tracked_key_free((tracked_key *)n);
}

/* Past tracking-table-max-keys, random keys are invalidated. The effort
 * grows while the table stays over the limit, as in Redis, so a burst of
 * reads is trimmed over a few commands rather than in one long pause. */
static void enforce_table_limit(void) {
    static unsigned over_limit_runs;
    if (!key_table_ready || !dict_size(&key_table)) return;
    long long max = config_get_int("tracking-table-max-keys");
    if (max <= 0 || dict_size(&key_table) <= (size_t)max) {
        over_limit_runs = 0;
        return;
    }
    long effort = 100L * (long)(over_limit_runs + 1);
    while (effort-- > 0) {
        tracked_key *t = (tracked_key *)dict_random(&key_table);
        if (!t) break;
        /* The name is copied: invalidate_tracked frees the entry. */
        char small[128];
        char *name = t->klen <= sizeof small ? small : mem_alloc(t->klen);
        size_t klen = t->klen;
        memcpy(name, t->key, klen);
        invalidate_tracked(name, klen);
        if (name != small) mem_free(name);
        if (dict_size(&key_table) <= (size_t)max) {
            over_limit_runs = 0;
            return;
        }
    }
    over_limit_runs++;
}

/* --- BCAST prefixes --- */

/* Two prefixes overlap when one starts with the other. */
static int prefixes_overlap(const char *a, size_t alen, const char *b, size_t blen) {
    size_t n = alen < blen ? alen : blen;
    return memcmp(a, b, n) == 0;
}

static bcast_prefix *find_prefix(const char *p, size_t len) {
    for (size_t i = 0; i < nprefix_table; i++) {
        bcast_prefix *bp = prefix_table[i];
        if (bp->prefix.len == len && memcmp(bp->prefix.ptr, p, len) == 0) return bp;
    }
    return NULL;
}

static void prefix_add_client(uint64_t id, const char *p, size_t len) {
    bcast_prefix *bp = find_prefix(p, len);
    if (!bp) {
        bp = mem_alloc(sizeof *bp);
        memset(bp, 0, sizeof *bp);
        bp->prefix = bytes_dup(p, len);
        prefix_table = grow(prefix_table, &prefix_table_cap, nprefix_table + 1, sizeof *prefix_table);
        prefix_table[nprefix_table++] = bp;
    }
    bp->ids = grow(bp->ids, &bp->cap, bp->nids + 1, sizeof(uint64_t));
    bp->ids[bp->nids++] = id;
}

static void pending_clear(bcast_prefix *bp) {
    for (size_t i = 0; i < bp->nkeys; i++) mem_free(bp->keys[i].key.ptr);
    bp->nkeys = 0;
}

static void prefix_free(bcast_prefix *bp) {
    pending_clear(bp);
    mem_free(bp->keys);
    mem_free(bp->ids);
    mem_free(bp->prefix.ptr);
    mem_free(bp);
}

static void prefix_remove_client(uint64_t id, const bytes *p) {
    for (size_t i = 0; i < nprefix_table; i++) {
        bcast_prefix *bp = prefix_table[i];
        if (bp->prefix.len != p->len || memcmp(bp->prefix.ptr, p->ptr, p->len) != 0) continue;
        for (size_t j = 0; j < bp->nids; j++)
            if (bp->ids[j] == id) {
                bp->ids[j] = bp->ids[--bp->nids];
                break;
            }
        if (!bp->nids) {
            prefix_free(bp);
            prefix_table[i] = prefix_table[--nprefix_table];
        }
        return;
    }
}

static void remember_for_broadcast(const char *key, size_t klen) {
    uint64_t writer = current ? current->id : 0;
    for (size_t i = 0; i < nprefix_table; i++) {
        bcast_prefix *bp = prefix_table[i];
        if (klen < bp->prefix.len || memcmp(key, bp->prefix.ptr, bp->prefix.len) != 0) continue;
        bp->keys = grow(bp->keys, &bp->kcap, bp->nkeys + 1, sizeof(pending_key));
        bp->keys[bp->nkeys++] = (pending_key){bytes_dup(key, klen), writer, pending_seq++};
    }
}

static int cmp_pending(const void *a, const void *b) {
    const pending_key *x = a, *y = b;
    size_t n = x->key.len < y->key.len ? x->key.len : y->key.len;
    int r = memcmp(x->key.ptr, y->key.ptr, n);
    if (r) return r;
    if (x->key.len != y->key.len) return x->key.len < y->key.len ? -1 : 1;
    return x->seq < y->seq ? -1 : (x->seq > y->seq);
}

/* Sorts the prefix's keys by name and keeps one per name, the one of the
 * last writer (which decides what NOLOOP clients are spared). */
static void pending_sort_unique(bcast_prefix *bp) {
    qsort(bp->keys, bp->nkeys, sizeof(pending_key), cmp_pending);
    size_t out = 0;
    for (size_t i = 0; i < bp->nkeys; i++) {
        int dup_of_next = i + 1 < bp->nkeys && bp->keys[i].key.len == bp->keys[i + 1].key.len &&
                          memcmp(bp->keys[i].key.ptr, bp->keys[i + 1].key.ptr, bp->keys[i].key.len) == 0;
        if (dup_of_next) {
            mem_free(bp->keys[i].key.ptr);
            continue;
        }
        bp->keys[out++] = bp->keys[i];
    }
    bp->nkeys = out;
}

static void broadcast_prefix(bcast_prefix *bp) {
    pending_sort_unique(bp);
    bytes *all = mem_alloc(sizeof(bytes) * bp->nkeys);
    bytes *mine = mem_alloc(sizeof(bytes) * bp->nkeys);
    for (size_t i = 0; i < bp->nkeys; i++) all[i] = bp->keys[i].key;
    for (size_t j = 0; j < bp->nids; j++) {
        client *c = client_by_id(bp->ids[j]);
        if (!c || !c->tracking) continue;
        if (!(state_of(c)->flags & TRK_NOLOOP)) {
            send_invalidation(c, all, bp->nkeys);
            continue;
        }
        size_t n = 0;
        for (size_t i = 0; i < bp->nkeys; i++)
            if (bp->keys[i].writer != c->id) mine[n++] = bp->keys[i].key;
        if (n) send_invalidation(c, mine, n);
    }
    mem_free(all);
    mem_free(mine);
    pending_clear(bp);
}

void tracking_before_sleep(void) {
    for (size_t i = 0; i < nprefix_table; i++)
        if (prefix_table[i]->nkeys) broadcast_prefix(prefix_table[i]);
}

/* --- hooks --- */

void tracking_key_modified(const char *key, size_t klen) {
    if (nprefix_table) remember_for_broadcast(key, klen);
    invalidate_tracked(key, klen);
}

static void flush_one(client *c, void *arg) {
    (void)arg;
    if (c->tracking) send_or_queue(c, NULL, 0, 1);
}

void tracking_flush(void) {
    if (tracking_clients) client_foreach(flush_one, NULL);
    if (key_table_ready) dict_clear(&key_table, free_key_node, NULL);
}

void tracking_remember_keys(client *c, const command *cmd, int argc, const resp_arg *argv) {
    tracking_state *st = state_of(c);
    if (!st || (st->flags & TRK_BCAST) || !(cmd->flags & CMD_READONLY)) return;
    int caching = (st->flags & TRK_CACHING) != 0;
    if (((st->flags & TRK_OPTIN) && !caching) || ((st->flags & TRK_OPTOUT) && caching)) return;
    int small[16];
    int *keys = argc <= 16 ? small : mem_alloc(sizeof(int) * (size_t)argc);
    int n = command_keys(cmd, argc, argv, keys, argc);
    for (int i = 0; i < n; i++)
        if (keys[i] > 0 && keys[i] < argc) remember_key(c->id, argv[keys[i]].ptr, argv[keys[i]].len);
    if (keys != small) mem_free(keys);
}

/* Commands nest (EXEC runs its queue through the same call path): the
 * outermost call owns the client's own invalidations and CLIENT CACHING. */
static int call_depth;

void tracking_command_begin(client *c) {
    if (call_depth++ == 0) {
        if (tracking_clients) enforce_table_limit();
        current = c;
    }
}

static int is_client_command(const command *cmd) {
    const command *top = cmd->parent ? cmd->parent : cmd;
    return strcmp(top->name, "client") == 0;
}

void tracking_command_end(client *c, const command *cmd) {
    tracking_state *st = state_of(c);
    /* Only commands that ran get here (MULTI queues without running), EXEC's
     * queue included. */
    if (st) tracking_remember_keys(c, cmd, c->argc, c->argv);
    if (--call_depth > 0) return;
    current = NULL;
    send_self_pending(c);
    /* CLIENT CACHING covers the next command, or the next transaction. */
    st = state_of(c);
    if (st && !(c->flags & CLIENT_MULTI) && !is_client_command(cmd)) st->flags &= ~TRK_CACHING;
}

static void disable_tracking(client *c) {
    tracking_state *st = state_of(c);
    if (!st) return;
    for (size_t i = 0; i < st->nprefixes; i++) {
        prefix_remove_client(c->id, &st->prefixes[i]);
        mem_free(st->prefixes[i].ptr);
    }
    mem_free(st->prefixes);
    mem_free(st);
    c->tracking = NULL;
    tracking_clients--;
}

void tracking_client_gone(client *c) {
    disable_tracking(c);
}

/* --- commands --- */

typedef struct tracking_args {
    int on;
    unsigned options;
    long long redirect;
    const resp_arg **prefixes;
    size_t nprefixes;
} tracking_args;

/* Parses CLIENT TRACKING's options; 0 after replying an error. */
static int parse_tracking_options(client *c, tracking_args *a) {
    for (int j = 3; j < c->argc; j++) {
        int more = c->argc - 1 - j;
        const resp_arg *opt = &c->argv[j];
        if (arg_is(opt, "redirect") && more) {
            j++;
            if (a->redirect) {
                reply_error(c, "ERR A client can only redirect to a single other client");
                return 0;
            }
            if (arg_ll(c, &c->argv[j], &a->redirect) < 0) return 0;
            /* The target must exist now, even if it may leave later. */
            if (a->redirect <= 0 || !client_by_id((uint64_t)a->redirect)) {
                reply_error(c, "ERR The client ID you want redirect to does not exist");
                return 0;
            }
        } else if (arg_is(opt, "bcast")) {
            a->options |= TRK_BCAST;
        } else if (arg_is(opt, "optin")) {
            a->options |= TRK_OPTIN;
        } else if (arg_is(opt, "optout")) {
            a->options |= TRK_OPTOUT;
        } else if (arg_is(opt, "noloop")) {
            a->options |= TRK_NOLOOP;
        } else if (arg_is(opt, "prefix") && more) {
            a->prefixes[a->nprefixes++] = &c->argv[++j];
        } else {
            reply_error_syntax(c);
            return 0;
        }
    }
    return 1;
}

/* New prefixes may not overlap the client's existing ones or each other. */
static int check_prefix_collisions(client *c, const tracking_args *a) {
    tracking_state *st = state_of(c);
    for (size_t i = 0; i < a->nprefixes; i++) {
        const resp_arg *p = a->prefixes[i];
        for (size_t k = 0; st && k < st->nprefixes; k++)
            if (prefixes_overlap(st->prefixes[k].ptr, st->prefixes[k].len, p->ptr, p->len)) {
                reply_errorf(c,
                             "ERR Prefix '%.*s' overlaps with an existing prefix '%.*s'. "
                             "Prefixes for a single client must not overlap.",
                             (int)p->len, p->ptr, (int)st->prefixes[k].len, st->prefixes[k].ptr);
                return 0;
            }
        for (size_t j = i + 1; j < a->nprefixes; j++) {
            const resp_arg *q = a->prefixes[j];
            if (prefixes_overlap(p->ptr, p->len, q->ptr, q->len)) {
                reply_errorf(c,
                             "ERR Prefix '%.*s' overlaps with another provided prefix '%.*s'. "
                             "Prefixes for a single client must not overlap.",
                             (int)p->len, p->ptr, (int)q->len, q->ptr);
                return 0;
            }
        }
    }
    return 1;
}

/* The checks Redis makes before switching on; 0 after replying. */
static int tracking_options_valid(client *c, const tracking_args *a) {
    tracking_state *st = state_of(c);
    unsigned o = a->options;
    if (!(o & TRK_BCAST) && a->nprefixes) {
        reply_error(c, "ERR PREFIX option requires BCAST mode to be enabled");
        return 0;
    }
    if (st && (st->flags & TRK_BCAST) != (o & TRK_BCAST)) {
        reply_error(c, "ERR You can't switch BCAST mode on/off before disabling tracking for "
                       "this client, and then re-enabling it with a different mode.");
        return 0;
    }
    if ((o & TRK_BCAST) && (o & (TRK_OPTIN | TRK_OPTOUT))) {
        reply_error(c, "ERR OPTIN and OPTOUT are not compatible with BCAST");
        return 0;
    }
    if ((o & TRK_OPTIN) && (o & TRK_OPTOUT)) {
        reply_error(c, "ERR You can't specify both OPTIN mode and OPTOUT mode");
        return 0;
    }
    if (st && (((o & TRK_OPTIN) && (st->flags & TRK_OPTOUT)) ||
               ((o & TRK_OPTOUT) && (st->flags & TRK_OPTIN)))) {
        reply_error(c, "ERR You can't switch OPTIN/OPTOUT mode before disabling tracking for "
                       "this client, and then re-enabling it with a different mode.");
        return 0;
    }
    if ((o & TRK_BCAST) && !check_prefix_collisions(c, a)) return 0;
    return 1;
}

static void add_client_prefix(client *c, const char *p, size_t len) {
    tracking_state *st = state_of(c);
    for (size_t i = 0; i < st->nprefixes; i++)
        if (st->prefixes[i].len == len && memcmp(st->prefixes[i].ptr, p, len) == 0) return;
    size_t at = 0;
    while (at < st->nprefixes) {
        const bytes *b = &st->prefixes[at];
        size_t n = b->len < len ? b->len : len;
        int r = memcmp(b->ptr, p, n);
        if (r > 0 || (r == 0 && b->len > len)) break;
        at++;
    }
    st->prefixes = mem_realloc(st->prefixes, sizeof(bytes) * (st->nprefixes + 1));
    memmove(st->prefixes + at + 1, st->prefixes + at, sizeof(bytes) * (st->nprefixes - at));
    st->prefixes[at] = bytes_dup(p, len);
    st->nprefixes++;
    prefix_add_client(c->id, p, len);
}

static void enable_tracking(client *c, const tracking_args *a) {
    tracking_state *st = state_of(c);
    if (!st) {
        st = mem_alloc(sizeof *st);
        memset(st, 0, sizeof *st);
        c->tracking = st;
        tracking_clients++;
    }
    /* CACHING survives a re-enable; the mode flags are replaced. */
    st->flags = (st->flags & TRK_CACHING) | (a->options & (TRK_OPTIN | TRK_OPTOUT | TRK_NOLOOP));
    st->redirect = (uint64_t)a->redirect;
    if (a->options & TRK_BCAST) {
        st->flags |= TRK_BCAST;
        if (!a->nprefixes) add_client_prefix(c, "", 0);
        for (size_t i = 0; i < a->nprefixes; i++)
            add_client_prefix(c, a->prefixes[i]->ptr, a->prefixes[i]->len);
    }
}

void tracking_client_tracking_command(client *c) {
    tracking_args a = {0};
    a.prefixes = mem_alloc(sizeof(resp_arg *) * (size_t)c->argc);
    if (!parse_tracking_options(c, &a)) goto out;
    if (arg_is(&c->argv[2], "on")) {
        if (!tracking_options_valid(c, &a)) goto out;
        enable_tracking(c, &a);
    } else if (arg_is(&c->argv[2], "off")) {
        disable_tracking(c);
    } else {
        reply_error_syntax(c);
        goto out;
    }
    reply_ok(c);
out:
    mem_free(a.prefixes);
}

void tracking_client_caching_command(client *c) {
    tracking_state *st = state_of(c);
    if (!st) {
        reply_error(c, "ERR CLIENT CACHING can be called only when the client is in tracking mode "
                       "with OPTIN or OPTOUT mode enabled");
        return;
    }
    if (arg_is(&c->argv[2], "yes")) {
        if (!(st->flags & TRK_OPTIN)) {
            reply_error(c, "ERR CLIENT CACHING YES is only valid when tracking is enabled in OPTIN mode.");
            return;
        }
    } else if (arg_is(&c->argv[2], "no")) {
        if (!(st->flags & TRK_OPTOUT)) {
            reply_error(c, "ERR CLIENT CACHING NO is only valid when tracking is enabled in OPTOUT mode.");
            return;
        }
    } else {
        reply_error_syntax(c);
        return;
    }
    st->flags |= TRK_CACHING;
    reply_ok(c);
}

void tracking_client_getredir_command(client *c) {
    tracking_state *st = state_of(c);
    reply_int(c, st ? (long long)st->redirect : -1);
}

void tracking_client_trackinginfo_command(client *c) {
    static const struct {
        unsigned flag;
        const char *name;
    } names[] = {
        {TRK_BCAST, "bcast"}, {TRK_OPTIN, "optin"}, {TRK_OPTOUT, "optout"}, {TRK_NOLOOP, "noloop"},
        {TRK_BROKEN_REDIR, "broken_redirect"},
    };
    tracking_state *st = state_of(c);
    unsigned f = st ? st->flags : 0;
    reply_map(c, 3);
    reply_bulk(c, "flags", 5);
    reply_deferred d = reply_defer(c);
    long n = 1;
    reply_bulk_cstr(c, st ? "on" : "off");
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        if (!(f & names[i].flag)) continue;
        reply_bulk_cstr(c, names[i].name);
        n++;
        if (names[i].flag == TRK_OPTIN && (f & TRK_CACHING)) {
            reply_bulk_cstr(c, "caching-yes");
            n++;
        } else if (names[i].flag == TRK_OPTOUT && (f & TRK_CACHING)) {
            reply_bulk_cstr(c, "caching-no");
            n++;
        }
    }
    reply_defer_set(c, d, n);
    reply_bulk(c, "redirect", 8);
    reply_int(c, st ? (long long)st->redirect : -1);
    reply_bulk(c, "prefixes", 8);
    reply_array(c, st ? (long)st->nprefixes : 0);
    for (size_t i = 0; st && i < st->nprefixes; i++) reply_bulk(c, st->prefixes[i].ptr, st->prefixes[i].len);
}

/* --- INFO and shutdown --- */

size_t tracking_client_count(void) {
    return tracking_clients;
}

size_t tracking_key_count(void) {
    return key_table_ready ? dict_size(&key_table) : 0;
}

size_t tracking_item_count(void) {
    return total_items;
}

size_t tracking_prefix_count(void) {
    return nprefix_table;
}

void tracking_free_all(void) {
    if (key_table_ready) dict_clear(&key_table, free_key_node, NULL);
    for (size_t i = 0; i < nprefix_table; i++) prefix_free(prefix_table[i]);
    mem_free(prefix_table);
    prefix_table = NULL;
    nprefix_table = prefix_table_cap = 0;
    send_self_pending(NULL);
    mem_free(self_pending);
    self_pending = NULL;
    self_pending_cap = 0;
}
