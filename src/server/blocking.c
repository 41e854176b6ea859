/*
 * blocking.c - clients waiting for keys (see blocking.h).
 *
 * Data:
 *   waits     dict of bkey, one per (database, key) somebody waits on;
 *             each holds its waiters in FIFO order (bwait nodes)
 *   ready     bkeys signalled since the last before-sleep
 *   resume    clients unblocked by a timeout or CLIENT UNBLOCK whose
 *             pipelined input must be resumed before sleeping
 *
 * A bkey is freed when its last waiter leaves, unless it is on the ready
 * list; then the before-sleep pass frees it.
 */
#include "server/blocking.h"

#include <limits.h>
#include <math.h>

#include "ds/dict.h"
#include "ds/mem.h"
#include "server/handler.h"
#include "server/loop.h"
#include "server/server.h"
#include "server/exec.h"
#include "ds/numconv.h"

typedef struct bkey bkey;

typedef struct bwait {
    struct bwait *prev, *next;
    client *c;
    bkey *key;
    int type;
} bwait;

struct bkey {
    dict_node node;
    int dbid;
    int ready;
    bwait *head, *tail;
    size_t len; /* of name: 4 bytes of dbid, then the key */
    char name[];
};

typedef struct block_state {
    bwait **waits;
    int nwaits;
    long long timer;
    int timeout_reply;
    void *priv;
    void (*priv_free)(void *);
} block_state;

static const char *bkey_name(const dict_node *n, size_t *len) {
    const bkey *k = (const bkey *)n;
    *len = k->len;
    return k->name;
}

static const dict_ops bkey_ops = {.key = bkey_name};
static dict waits;
static int waits_ready;
static size_t blocked_clients;
static bkey **ready;
static size_t ready_len, ready_cap;
static client **resume;
static size_t resume_len, resume_cap;

size_t blocking_client_count(void) {
    return blocked_clients;
}

/* The dict key of (db, key): the db id in 4 bytes, then the key. */
static char *make_name(int dbid, const char *key, size_t klen, char *buf, size_t bufsize,
                       size_t *len) {
    *len = 4 + klen;
    char *name = *len <= bufsize ? buf : mem_alloc(*len);
    memcpy(name, &dbid, 4);
    memcpy(name + 4, key, klen);
    return name;
}

static bkey *find_bkey(int dbid, const char *key, size_t klen) {
    if (!waits_ready) return NULL;
    char buf[256];
    size_t len;
    char *name = make_name(dbid, key, klen, buf, sizeof buf, &len);
    bkey *k = (bkey *)dict_find(&waits, name, len, dict_hash(name, len));
    if (name != buf) mem_free(name);
    return k;
}

static bkey *get_bkey(int dbid, const char *key, size_t klen) {
    if (!waits_ready) {
        dict_init(&waits, &bkey_ops);
        waits_ready = 1;
    }
    bkey *k = find_bkey(dbid, key, klen);
    if (k) return k;
    k = mem_calloc(sizeof(bkey) + 4 + klen);
    k->dbid = dbid;
    make_name(dbid, key, klen, k->name, 4 + klen, &k->len);
    dict_insert(&waits, &k->node, dict_hash(k->name, k->len));
    return k;
}

static void free_bkey_if_unused(bkey *k) {
    if (k->head || k->ready) return;
    dict_remove(&waits, k->name, k->len, dict_hash(k->name, k->len));
    mem_free(k);
}

int block_parse_timeout(client *c, const resp_arg *arg, long long *deadline_ms) {
    long double secs;
    if (!numconv_str2ld(arg->ptr, arg->len, &secs)) {
        reply_error(c, "ERR timeout is not a float or out of range");
        return -1;
    }
    long double ms = secs * 1000.0L;
    if (ms > (long double)LLONG_MAX) {
        reply_error(c, "ERR timeout is out of range");
        return -1;
    }
    long long t = (long long)ceill(ms);
    if (t < 0) {
        reply_error(c, "ERR timeout is negative");
        return -1;
    }
    if (t > 0) {
        long long now = clock_cmd_ms();
        if (t > LLONG_MAX - now) {
            reply_error(c, "ERR timeout is out of range");
            return -1;
        }
        t += now;
    }
    *deadline_ms = t;
    return 0;
}

int block_allowed(client *c) {
    /* Internal clients (log replay) have no one to wait for them. */
    return !(c->flags & CLIENT_MULTI) && c->fd >= 0;
}

static void reply_timeout(client *c, int kind) {
    if (kind == BLOCK_REPLY_NULL)
        reply_null(c);
    else
        reply_null_array(c);
}

static void queue_resume(client *c) {
    if (c->flags & CLIENT_BLOCK_RESUME) return;
    if (resume_len == resume_cap) {
        resume_cap = resume_cap ? resume_cap * 2 : 16;
        resume = mem_realloc(resume, resume_cap * sizeof(client *));
    }
    resume[resume_len++] = c;
    c->flags |= CLIENT_BLOCK_RESUME;
}

/* Drops the waiting command from the client's input (after a timeout or
 * CLIENT UNBLOCK answered it) and schedules the rest of its input. */
static void finish_without_serving(client *c) {
    blocking_unblock(c);
    client_skip_current_command(c);
    queue_resume(c);
}

static long long on_timeout(loop *l, long long id, void *data) {
    (void)l;
    (void)id;
    client *c = data;
    block_state *st = c->blocked;
    if (st) {
        st->timer = 0; /* this timer is ending: do not delete it again */
        reply_timeout(c, st->timeout_reply);
        finish_without_serving(c);
    }
    return LOOP_TIMER_STOP;
}

void block_on_keys(client *c, const resp_arg *keys, int nkeys, int key_type,
                   long long deadline_ms, int timeout_reply) {
    c->flags |= CLIENT_BLOCK_PENDING;
    if (c->flags & CLIENT_BLOCKED) return; /* a retry that must wait again: same place */
    block_state *st = mem_calloc(sizeof *st);
    st->waits = mem_alloc(sizeof(bwait *) * (size_t)nkeys);
    st->timeout_reply = timeout_reply;
    for (int i = 0; i < nkeys; i++) {
        bkey *k = get_bkey(c->dbid, keys[i].ptr, keys[i].len);
        int dup = 0;
        for (int j = 0; j < st->nwaits; j++) dup |= st->waits[j]->key == k;
        if (dup) continue;
        bwait *w = mem_alloc(sizeof *w);
        w->c = c;
        w->key = k;
        w->type = key_type;
        w->next = NULL;
        w->prev = k->tail;
        if (k->tail)
            k->tail->next = w;
        else
            k->head = w;
        k->tail = w;
        st->waits[st->nwaits++] = w;
    }
    if (deadline_ms > 0) {
        long long ms = deadline_ms - clock_now_ms();
        st->timer = loop_timer_add(server_loop(), ms > 0 ? ms : 0, on_timeout, c);
    }
    c->blocked = st;
    c->flags |= CLIENT_BLOCKED;
    blocked_clients++;
}

void block_set_private(client *c, void *data, void (*free_fn)(void *)) {
    block_state *st = c->blocked;
    if (!st) {
        if (free_fn) free_fn(data);
        return;
    }
    if (st->priv_free && st->priv != data) st->priv_free(st->priv);
    st->priv = data;
    st->priv_free = free_fn;
}

void *block_private(client *c) {
    block_state *st = c->blocked;
    return st ? st->priv : NULL;
}

void blocking_unblock(client *c) {
    block_state *st = c->blocked;
    if (st) {
        for (int i = 0; i < st->nwaits; i++) {
            bwait *w = st->waits[i];
            bkey *k = w->key;
            if (w->prev)
                w->prev->next = w->next;
            else
                k->head = w->next;
            if (w->next)
                w->next->prev = w->prev;
            else
                k->tail = w->prev;
            mem_free(w);
            free_bkey_if_unused(k);
        }
        if (st->timer) loop_timer_del(server_loop(), st->timer);
        if (st->priv_free) st->priv_free(st->priv);
        mem_free(st->waits);
        mem_free(st);
        c->blocked = NULL;
        blocked_clients--;
    }
    c->flags &= ~(CLIENT_BLOCKED | CLIENT_BLOCK_PENDING);
}

void blocking_forget_client(client *c) {
    blocking_unblock(c);
    if (c->flags & CLIENT_BLOCK_RESUME) {
        for (size_t i = 0; i < resume_len; i++)
            if (resume[i] == c) resume[i] = NULL;
        c->flags &= ~CLIENT_BLOCK_RESUME;
    }
}

int blocking_unblock_by_request(client *c, int with_error) {
    if (!(c->flags & CLIENT_BLOCKED)) return 0;
    block_state *st = c->blocked;
    if (with_error)
        reply_error(c, "UNBLOCKED client unblocked via CLIENT UNBLOCK");
    else
        reply_timeout(c, st->timeout_reply);
    finish_without_serving(c);
    return 1;
}

void signal_key_ready(db *d, const char *key, size_t klen) {
    if (!blocked_clients) return;
    bkey *k = find_bkey(db_id(d), key, klen);
    if (!k || k->ready || !k->head) return;
    if (ready_len == ready_cap) {
        ready_cap = ready_cap ? ready_cap * 2 : 16;
        ready = mem_realloc(ready, ready_cap * sizeof(bkey *));
    }
    ready[ready_len++] = k;
    k->ready = 1;
}

void signal_db_ready(db *d) {
    if (!blocked_clients) return;
    dict_iter it;
    dict_iter_init(&waits, &it);
    dict_node *n;
    while ((n = dict_iter_next(&it))) {
        bkey *k = (bkey *)n;
        if (k->dbid != db_id(d) || !k->head) continue;
        if (db_lookup(d, k->name + 4, k->len - 4, LOOKUP_NOTOUCH | LOOKUP_NOSTATS))
            signal_key_ready(d, k->name + 4, k->len - 4);
    }
    dict_iter_done(&it);
}

/* Runs c's waiting command again. Served: unblock and go on with its
 * pipelined input. Not served: it blocked again and keeps its place. */
static void retry_client(client *c) {
    if (client_rerun_current_command(c) == EXEC_BLOCKED) return;
    blocking_unblock(c);
    client_skip_current_command(c);
    client_resume_input(c);
}

static void serve_key(bkey *k) {
    db *d = db_get(k->dbid);
    /* Snapshot the waiters: retries unlink them as they are served. */
    size_t n = 0;
    for (bwait *w = k->head; w; w = w->next) n++;
    client **who = mem_alloc(sizeof(client *) * (n ? n : 1));
    int *types = mem_alloc(sizeof(int) * (n ? n : 1));
    n = 0;
    for (bwait *w = k->head; w; w = w->next) {
        who[n] = w->c;
        types[n++] = w->type;
    }
    for (size_t i = 0; i < n; i++) {
        client *c = who[i];
        int still = 0;
        for (bwait *w = k->head; w; w = w->next) still |= w->c == c;
        if (!still || (c->flags & CLIENT_CLOSE_ASAP)) continue;
        kv *e = db_lookup(d, k->name + 4, k->len - 4, LOOKUP_NOTOUCH | LOOKUP_NOSTATS);
        /* Stream readers also hear that the stream went (7.0: XREADGROUP
         * fails then, XREAD waits on); other waiters only a value of their
         * type. */
        int stream_wait = types[i] == TYPE_STREAM;
        if (!e && !stream_wait) break;       /* emptied by earlier waiters */
        if (e && e->type != (unsigned)types[i] && !stream_wait) continue;
        retry_client(c);
    }
    mem_free(who);
    mem_free(types);
}

void blocking_handle_ready(void) {
    /* Under CLIENT PAUSE nobody is served (a served pop is a write); the
     * ready keys wait for the pause to end. Timeouts still fire. */
    if (client_pause_mode() != PAUSE_OFF) return;
    while (ready_len || resume_len) {
        /* Keys signalled while serving go to a fresh list, served next round. */
        bkey **batch = ready;
        size_t nbatch = ready_len;
        ready = NULL;
        ready_len = ready_cap = 0;
        for (size_t i = 0; i < nbatch; i++) {
            bkey *k = batch[i];
            /* ready stays set while serving, so the bkey outlives its
             * waiters leaving one by one. */
            if (k->head) serve_key(k);
            k->ready = 0;
            free_bkey_if_unused(k);
        }
        mem_free(batch);
        client **rs = resume;
        size_t nrs = resume_len;
        resume = NULL;
        resume_len = resume_cap = 0;
        for (size_t i = 0; i < nrs; i++) {
            if (!rs[i]) continue;
            rs[i]->flags &= ~CLIENT_BLOCK_RESUME;
            client_resume_input(rs[i]);
        }
        mem_free(rs);
    }
}

void blocking_free_all(void) {
    mem_free(ready);
    mem_free(resume);
    ready = NULL;
    resume = NULL;
    ready_len = ready_cap = resume_len = resume_cap = 0;
    if (waits_ready) {
        dict_clear(&waits, NULL, NULL);
        waits_ready = 0;
    }
}
