/*
 * pdb_cluster_cmd.c - running commands on a cluster: one attempt on a node,
 * then the redirection rules, for single commands and for pipelines.
 *
 * The rules, applied to each reply:
 *   -MOVED slot addr   the slot lives elsewhere for good: the map is
 *                      refreshed (at most once per refresh_min_ms), the slot
 *                      pointed at addr, the command sent there.
 *   -ASK slot addr     only this command goes to addr, preceded by ASKING;
 *                      the map is left as it is.
 *   -TRYAGAIN, -CLUSTERDOWN  retried after base * 2^k ms (CLUSTERDOWN also
 *                      refreshes the map), at most retry_attempts times; then
 *                      the error reply is the answer.
 *   I/O failure        (also a closed connection or an open breaker) the
 *                      node is marked, the map refreshed from another node
 *                      and the command sent once more.
 * MOVED and ASK together are followed at most max_redirects times; one more
 * is PDB_ERR_CLUSTER. Timeouts are not retried: the command may have run.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "client/cluster_int.h"
#include "ds/mem.h"

#define CLU_BACKOFF_MAX_MS 1000

/* The outcome of sending a command to a node. */
typedef struct outcome {
    int rc;
    pdb_reply *reply;
    int node;
} outcome;

enum { ACT_DONE, ACT_MOVED, ACT_ASK, ACT_TRYAGAIN, ACT_DOWN, ACT_IO };

static void sleep_ms(int ms) {
    struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
    while (nanosleep(&ts, &ts) != 0) {
    }
}

/* ---- arguments ---- */

static void args_from_argv(cl_args *a, int argc, const char *const *argv, const size_t *lens) {
    memset(a, 0, sizeof(*a));
    a->argc = argc;
    a->cap = argc + 1;
    a->off = mem_alloc((size_t)a->cap * sizeof(*a->off));
    a->off[0] = 0;
    for (int i = 0; i < argc; i++) {
        if (lens[i]) resp_buf_append(&a->bytes, argv[i], lens[i]);
        a->off[i + 1] = a->bytes.len;
    }
}

static int args_check(pdb_cluster *cl, int argc, const char *const *argv, const size_t *lens) {
    if (argc > 0 && argv && lens) return PDB_OK;
    clu_set_error(cl, PDB_ERR_ARG, "empty command");
    return PDB_ERR_ARG;
}

/* Appends a's arguments to node connection c. */
static int append_args(pdb_conn *c, const cl_args *a) {
    const char *small_argv[16] = {0};
    size_t small_lens[16] = {0};
    const char **argv = a->argc <= 16 ? small_argv : mem_alloc((size_t)a->argc * sizeof(*argv));
    size_t *lens = a->argc <= 16 ? small_lens : mem_alloc((size_t)a->argc * sizeof(*lens));
    for (int i = 0; i < a->argc; i++)
        argv[i] = clu_arg(a, i, &lens[i]);
    int rc = pdb_append_command_argv(c, a->argc, argv, lens);
    if (argv != small_argv) mem_free(argv);
    if (lens != small_lens) mem_free(lens);
    return rc;
}

/* ---- one attempt ---- */

static void take_conn_error(pdb_cluster *cl, const pdb_conn *c, int rc) {
    cl->err = rc;
    if (rc == PDB_OK) {
        cl->errstr[0] = cl->errcmd[0] = '\0';
        return;
    }
    snprintf(cl->errstr, sizeof cl->errstr, "%s", pdb_errstr(c));
    snprintf(cl->errcmd, sizeof cl->errcmd, "%s", pdb_err_command(c));
}

/* Sends a to node idx (after ASKING when asking) and takes the reply. */
static outcome attempt(pdb_cluster *cl, int idx, int asking, const cl_args *a) {
    outcome o = {PDB_OK, NULL, idx};
    pdb_conn *c = clu_node_conn(cl, idx);
    int rc = PDB_OK;
    if (clu_is_replica(cl, idx) && !asking) {
        rc = clu_ensure_readonly(cl, idx);
        cl->st.replica_reads++;
    }
    if (rc == PDB_OK && asking) rc = pdb_append_command(c, "ASKING");
    if (rc == PDB_OK) {
        rc = append_args(c, a);
        if (rc != PDB_OK && asking && pdb_pending(c)) {
            pdb_reply *stale = NULL;
            pdb_get_reply(c, &stale); /* ASKING's reply: nothing follows it */
            pdb_reply_free(stale);
        }
    }
    if (rc == PDB_OK) {
        cl->st.commands++;
        if (asking) {
            pdb_reply *ok = NULL;
            pdb_get_reply(c, &ok); /* a failure here fails the command's reply too */
            pdb_reply_free(ok);
        }
        rc = pdb_get_reply(c, &o.reply);
    }
    take_conn_error(cl, c, rc);
    o.rc = rc;
    return o;
}

/* ---- the rules ---- */

static int starts_with(const char *s, const char *word) {
    return strncmp(s, word, strlen(word)) == 0;
}

static int classify(const outcome *o) {
    if (o->rc == PDB_ERR_IO || o->rc == PDB_ERR_CLOSED || o->rc == PDB_ERR_CIRCUIT_OPEN)
        return o->node >= 0 ? ACT_IO : ACT_DONE;
    if (o->rc != PDB_ERR_SERVER || !o->reply || !pdb_reply_str(o->reply)) return ACT_DONE;
    const char *s = pdb_reply_str(o->reply);
    if (starts_with(s, "MOVED ")) return ACT_MOVED;
    if (starts_with(s, "ASK ")) return ACT_ASK;
    if (starts_with(s, "TRYAGAIN")) return ACT_TRYAGAIN;
    if (starts_with(s, "CLUSTERDOWN")) return ACT_DOWN;
    return ACT_DONE;
}

/* Reads "MOVED|ASK <slot> <host>:<port>"; an empty host is the answering
 * node's. Returns the target node, or -1 when unreadable. */
static int redirect_target(pdb_cluster *cl, const outcome *o, int *slot) {
    const char *s = strchr(pdb_reply_str(o->reply), ' ');
    long v = 0;
    int digits = 0;
    for (s++; *s >= '0' && *s <= '9' && digits < 6; s++, digits++)
        v = v * 10 + (*s - '0');
    if (digits == 0 || *s != ' ' || v >= PDB_CLUSTER_SLOTS) return -1;
    s++;
    char host[CLU_HOST_MAX];
    int port;
    if (clu_parse_addr(s, strlen(s), host, &port) != PDB_OK) return -1;
    if (host[0] == '\0') {
        if (o->node < 0 || !cl->nodes[o->node]) return -1;
        snprintf(host, sizeof host, "%s", cl->nodes[o->node]->host);
    }
    *slot = (int)v;
    return clu_node_find_or_add(cl, host, port);
}

/* MOVED: the map is refreshed first, then the slot pointed where the owner
 * said, in case the node asked for the map has not heard of the move yet. */
static int follow_moved(pdb_cluster *cl, const outcome *o) {
    int slot;
    if (redirect_target(cl, o, &slot) < 0) return -1;
    cl->st.moved++;
    clu_refresh(cl, 0);
    int idx = redirect_target(cl, o, &slot); /* the refresh may have renumbered it */
    if (idx < 0) return -1;
    cl->nodes[idx]->in_map = cl->nodes[idx]->is_master = 1;
    cl->slots[slot] = (int16_t)idx;
    return idx;
}

static int backoff_ms(const pdb_cluster *cl, int k) {
    long long ms = (long long)cl->opt.retry_base_ms << (k < 20 ? k : 20);
    return ms > CLU_BACKOFF_MAX_MS ? CLU_BACKOFF_MAX_MS : (int)ms;
}

/* Applies the rules to cur until a reply is final; the error state of cl
 * describes the result. */
static outcome drive(pdb_cluster *cl, const cl_args *a, int slot, int readonly, outcome cur) {
    int redirects = 0, retries = 0, io_retried = 0;
    for (;;) {
        int act = classify(&cur), target, asking = 0;
        if (act == ACT_DONE) return cur;
        if (act == ACT_MOVED || act == ACT_ASK) {
            if (redirects++ >= cl->opt.max_redirects) {
                clu_set_error(cl, PDB_ERR_CLUSTER, "too many redirections (%d), last: %s",
                              cl->opt.max_redirects, pdb_reply_str(cur.reply));
                pdb_reply_free(cur.reply);
                return (outcome){PDB_ERR_CLUSTER, NULL, cur.node};
            }
            int ask_slot;
            target =
                act == ACT_MOVED ? follow_moved(cl, &cur) : redirect_target(cl, &cur, &ask_slot);
            if (target < 0) return cur; /* unreadable: the error reply is the answer */
            asking = act == ACT_ASK;
            if (asking) cl->st.ask++;
        } else if (act == ACT_TRYAGAIN || act == ACT_DOWN) {
            if (retries >= cl->opt.retry_attempts) return cur;
            sleep_ms(backoff_ms(cl, retries++));
            cl->st.retries++;
            if (act == ACT_DOWN) clu_refresh(cl, 0);
            target = clu_pick(cl, slot, readonly);
        } else {
            if (io_retried++) return cur;
            cl->st.io_retries++;
            clu_mark_failed(cl, cur.node);
            clu_refresh(cl, 0);
            target = clu_pick(cl, slot, readonly);
        }
        pdb_reply_free(cur.reply);
        if (target < 0) return (outcome){cl->err, NULL, -1};
        cur = attempt(cl, target, asking, a);
    }
}

/* Routes and runs one command: PDB_OK or PDB_ERR_SERVER with *out set, or
 * a failure kind. */
static int run_args(pdb_cluster *cl, const cl_args *a, pdb_reply **out) {
    *out = NULL;
    if (cl->fatal) {
        clu_set_error(cl, PDB_ERR_ARG, "%s", cl->fatal_msg);
        return PDB_ERR_ARG;
    }
    int slot, readonly;
    int rc = clu_route(cl, a, &slot, &readonly);
    if (rc != PDB_OK) return rc;
    int idx = clu_pick(cl, slot, readonly);
    if (idx < 0) return cl->err;
    outcome o = drive(cl, a, slot, readonly, attempt(cl, idx, 0, a));
    *out = o.reply;
    return o.rc;
}

pdb_reply *clu_any_call(pdb_cluster *cl, int argc, const char *const *argv, const size_t *lens) {
    cl_args a;
    args_from_argv(&a, argc, argv, lens);
    pdb_reply *r = NULL;
    int idx = clu_pick(cl, -1, 0);
    if (idx >= 0) r = drive(cl, &a, -1, 0, attempt(cl, idx, 0, &a)).reply;
    cl_args_free(&a);
    return r;
}

/* ---- single commands ---- */

/* The synchronous convention: an error reply becomes NULL. */
static pdb_reply *sync_result(int rc, pdb_reply *r) {
    if (rc == PDB_OK) return r;
    pdb_reply_free(r);
    return NULL;
}

pdb_reply *pdb_cluster_vcommand(pdb_cluster *cl, const char *fmt, va_list ap) {
    cl_args a;
    char why[96];
    if (!fmt || cl_format(&a, fmt, ap, why, sizeof why) != PDB_OK) {
        clu_set_error(cl, PDB_ERR_ARG, "%s", fmt ? why : "no format");
        return NULL;
    }
    pdb_reply *r = NULL;
    int rc = run_args(cl, &a, &r);
    cl_args_free(&a);
    return sync_result(rc, r);
}

pdb_reply *pdb_cluster_command(pdb_cluster *cl, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    pdb_reply *r = pdb_cluster_vcommand(cl, fmt, ap);
    va_end(ap);
    return r;
}

pdb_reply *pdb_cluster_command_argv(pdb_cluster *cl, int argc, const char *const *argv,
                                    const size_t *argvlen) {
    if (args_check(cl, argc, argv, argvlen) != PDB_OK) return NULL;
    cl_args a;
    args_from_argv(&a, argc, argv, argvlen);
    pdb_reply *r = NULL;
    int rc = run_args(cl, &a, &r);
    cl_args_free(&a);
    return sync_result(rc, r);
}

pdb_reply *pdb_cluster_command_node(pdb_cluster *cl, const char *addr, const char *fmt, ...) {
    char host[CLU_HOST_MAX], why[96];
    int port;
    if (cl->fatal) {
        clu_set_error(cl, PDB_ERR_ARG, "%s", cl->fatal_msg);
        return NULL;
    }
    if (!addr || clu_parse_addr(addr, strlen(addr), host, &port) != PDB_OK) {
        clu_set_error(cl, PDB_ERR_ARG, "bad node address \"%s\"", addr ? addr : "(null)");
        return NULL;
    }
    int idx = clu_node_find_or_add(cl, host, port);
    if (idx < 0) {
        clu_set_error(cl, PDB_ERR_CLUSTER, "too many nodes known");
        return NULL;
    }
    cl_args a;
    va_list ap;
    va_start(ap, fmt);
    int rc = fmt ? cl_format(&a, fmt, ap, why, sizeof why) : PDB_ERR_ARG;
    va_end(ap);
    if (rc != PDB_OK) {
        clu_set_error(cl, PDB_ERR_ARG, "%s", fmt ? why : "no format");
        return NULL;
    }
    outcome o = attempt(cl, idx, 0, &a);
    cl_args_free(&a);
    return sync_result(o.rc, o.reply);
}

/* ---- pipelines ---- */

static void item_release(clu_item *it) {
    cl_args_free(&it->args);
    pdb_reply_free(it->reply);
    mem_free(it->errstr);
    it->reply = NULL;
    it->errstr = NULL;
}

void clu_pipeline_free(pdb_cluster *cl) {
    for (size_t i = cl->taken; i < cl->nitems; i++)
        item_release(&cl->items[i]);
    mem_free(cl->items);
    cl->items = NULL;
    cl->nitems = cl->cap_items = cl->sent = cl->taken = 0;
}

/* Queues a (taken over) once routed. */
static int queue_args(pdb_cluster *cl, cl_args *a) {
    int slot, readonly;
    int rc = cl->fatal ? PDB_ERR_ARG : clu_route(cl, a, &slot, &readonly);
    if (cl->fatal) clu_set_error(cl, PDB_ERR_ARG, "%s", cl->fatal_msg);
    if (rc != PDB_OK) {
        cl_args_free(a);
        return rc;
    }
    if (cl->nitems == cl->cap_items) {
        cl->cap_items = cl->cap_items ? cl->cap_items * 2 : 64;
        cl->items = mem_realloc(cl->items, cl->cap_items * sizeof(*cl->items));
    }
    clu_item *it = &cl->items[cl->nitems++];
    memset(it, 0, sizeof(*it));
    it->args = *a;
    it->slot = slot;
    it->readonly = readonly;
    it->node = -1;
    clu_set_error(cl, PDB_OK, "%s", "");
    return PDB_OK;
}

int pdb_cluster_append_command(pdb_cluster *cl, const char *fmt, ...) {
    cl_args a;
    char why[96];
    va_list ap;
    va_start(ap, fmt);
    int rc = fmt ? cl_format(&a, fmt, ap, why, sizeof why) : PDB_ERR_ARG;
    va_end(ap);
    if (rc != PDB_OK) {
        clu_set_error(cl, PDB_ERR_ARG, "%s", fmt ? why : "no format");
        return PDB_ERR_ARG;
    }
    return queue_args(cl, &a);
}

int pdb_cluster_append_command_argv(pdb_cluster *cl, int argc, const char *const *argv,
                                    const size_t *argvlen) {
    if (args_check(cl, argc, argv, argvlen) != PDB_OK) return PDB_ERR_ARG;
    cl_args a;
    args_from_argv(&a, argc, argv, argvlen);
    return queue_args(cl, &a);
}

size_t pdb_cluster_pending(const pdb_cluster *cl) {
    return cl->nitems - cl->taken;
}

static void item_set(pdb_cluster *cl, clu_item *it, outcome o) {
    it->rc = o.rc;
    it->reply = o.reply;
    it->node = o.node;
    mem_free(it->errstr);
    it->errstr = NULL;
    if (o.rc != PDB_OK) {
        it->errstr = mem_strdup(cl->errstr);
        memcpy(it->errcmd, cl->errcmd, sizeof it->errcmd);
    }
}

enum { NODE_IDLE = 0, NODE_IN_WAVE = 1, NODE_DONE = 2 };

/* Sends the items of one wave of nodes (their connections all open at
 * once), then reads every reply in item order: each connection hands its
 * replies back in the order its commands went out. */
static void send_wave(pdb_cluster *cl, const int *target, const char *state) {
    int node_rc[CLU_MAX_NODES];
    for (int n = 0; n < CLU_MAX_NODES; n++)
        node_rc[n] =
            state[n] == NODE_IN_WAVE && clu_is_replica(cl, n) ? clu_ensure_readonly(cl, n) : PDB_OK;
    for (size_t i = cl->sent; i < cl->nitems; i++) {
        clu_item *it = &cl->items[i];
        int t = target[i - cl->sent];
        if (t < 0 || state[t] != NODE_IN_WAVE) continue;
        pdb_conn *c = clu_node_conn(cl, t);
        int rc = node_rc[t];
        if (rc == PDB_OK) rc = append_args(c, &it->args);
        it->node = t;
        it->rc = rc == PDB_OK ? 1 : rc; /* 1: awaiting its reply */
        if (rc != PDB_OK) {
            take_conn_error(cl, c, rc);
            item_set(cl, it, (outcome){rc, NULL, t});
            continue;
        }
        cl->st.commands++;
        if (clu_is_replica(cl, t)) cl->st.replica_reads++;
    }
    for (int n = 0; n < CLU_MAX_NODES; n++)
        if (state[n] == NODE_IN_WAVE)
            pdb_flush(clu_node_conn(cl, n)); /* failures come back per reply */
    for (size_t i = cl->sent; i < cl->nitems; i++) {
        clu_item *it = &cl->items[i];
        int t = target[i - cl->sent];
        if (t < 0 || state[t] != NODE_IN_WAVE || it->rc != 1) continue;
        pdb_conn *c = cl->nodes[t]->conn;
        pdb_reply *r = NULL;
        int rc = pdb_get_reply(c, &r);
        take_conn_error(cl, c, rc);
        item_set(cl, it, (outcome){rc, r, t});
    }
}

/* Groups the unsent items by node, in waves of at most max_connections
 * nodes. */
static void send_grouped(pdb_cluster *cl, const int *target) {
    char *state = mem_calloc(CLU_MAX_NODES);
    for (;;) {
        int in_wave = 0;
        for (size_t i = 0; i < cl->nitems - cl->sent; i++) {
            int t = target[i];
            if (t >= 0 && state[t] == NODE_IDLE && in_wave < cl->opt.max_connections) {
                state[t] = NODE_IN_WAVE;
                cl->nodes[t]->pinned = 1;
                in_wave++;
            }
        }
        if (!in_wave) break;
        send_wave(cl, target, state);
        for (int n = 0; n < CLU_MAX_NODES; n++)
            if (state[n] == NODE_IN_WAVE) {
                state[n] = NODE_DONE;
                cl->nodes[n]->pinned = 0;
            }
    }
    mem_free(state);
}

/* Items whose reply asks for a redirection or retry go through the rules
 * one by one. A node whose retry failed too is not tried again for the
 * other items of this pipeline that it failed. */
static void follow_up(pdb_cluster *cl) {
    char *dead = mem_calloc(CLU_MAX_NODES);
    for (size_t i = cl->sent; i < cl->nitems; i++) {
        clu_item *it = &cl->items[i];
        outcome o = {it->rc, it->reply, it->node};
        int act = classify(&o);
        if (act == ACT_DONE) continue;
        if (act == ACT_IO && dead[o.node] && (it->slot < 0 || cl->slots[it->slot] == o.node))
            continue;
        it->reply = NULL;
        o = drive(cl, &it->args, it->slot, it->readonly, o);
        if (classify(&o) == ACT_IO) dead[o.node] = 1;
        item_set(cl, it, o);
    }
    mem_free(dead);
}

static void send_pending(pdb_cluster *cl) {
    size_t n = cl->nitems - cl->sent;
    int *target = mem_alloc(n * sizeof(*target));
    for (size_t i = 0; i < n; i++) {
        clu_item *it = &cl->items[cl->sent + i];
        target[i] = clu_pick(cl, it->slot, it->readonly);
        /* A later pick may refresh the map, which must not drop a node
         * already chosen. */
        if (target[i] >= 0) cl->nodes[target[i]]->chosen = 1;
        if (target[i] < 0) item_set(cl, it, (outcome){cl->err, NULL, -1});
    }
    send_grouped(cl, target);
    for (size_t i = 0; i < n; i++)
        if (target[i] >= 0) cl->nodes[target[i]]->chosen = 0;
    mem_free(target);
    follow_up(cl);
    cl->sent = cl->nitems;
}

int pdb_cluster_get_reply(pdb_cluster *cl, pdb_reply **reply) {
    *reply = NULL;
    if (cl->taken == cl->nitems) {
        clu_set_error(cl, PDB_ERR_ARG, "no appended command is awaiting its reply");
        return PDB_ERR_ARG;
    }
    if (cl->taken == cl->sent) send_pending(cl);
    clu_item *it = &cl->items[cl->taken++];
    int rc = it->rc;
    *reply = it->reply;
    it->reply = NULL;
    cl->err = rc;
    snprintf(cl->errstr, sizeof cl->errstr, "%s", it->errstr ? it->errstr : "");
    snprintf(cl->errcmd, sizeof cl->errcmd, "%s", rc != PDB_OK ? it->errcmd : "");
    item_release(it);
    if (cl->taken == cl->nitems) cl->nitems = cl->sent = cl->taken = 0;
    return rc;
}
