/*
 * pdb_pubsub.c - subscriptions with per-channel / per-pattern callbacks that
 * survive reconnects.
 *
 * The connection keeps a registry of what the caller subscribed to (kind,
 * name, callback). Messages are routed to it wherever they are read: while a
 * command's reply is awaited (RESP3 pushes, or RESP2 arrays in subscribed
 * mode) and in pdb_dispatch. After a reconnect the whole registry is
 * subscribed again before the command that caused the reconnect is sent, so
 * no message published after the new connection is up is missed.
 */
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "client/client_int.h"
#include "ds/mem.h"

static const char *const sub_words[3] = {"SUBSCRIBE", "PSUBSCRIBE", "SSUBSCRIBE"};
static const char *const unsub_words[3] = {"UNSUBSCRIBE", "PUNSUBSCRIBE", "SUNSUBSCRIBE"};
static const char *const msg_words[3] = {"message", "pmessage", "smessage"};

/* ---- the registry (shared with pdb_async_sub.c) ---- */

cl_sub *cl_subs_find(cl_subs *r, int kind, const char *name, size_t len) {
    for (size_t i = 0; i < r->n; i++) {
        cl_sub *s = &r->v[i];
        if (s->kind == kind && s->len == len && memcmp(s->name, name, len) == 0) return s;
    }
    return NULL;
}

cl_sub *cl_subs_put(cl_subs *r, int kind, const char *name, size_t len) {
    cl_sub *s = cl_subs_find(r, kind, name, len);
    if (s) return s;
    if (r->n == r->cap) {
        r->cap = r->cap ? r->cap * 2 : 8;
        r->v = mem_realloc(r->v, r->cap * sizeof(*r->v));
    }
    s = &r->v[r->n++];
    memset(s, 0, sizeof *s);
    s->kind = kind;
    s->name = mem_alloc(len + 1);
    memcpy(s->name, name, len);
    s->name[len] = '\0';
    s->len = len;
    return s;
}

void cl_subs_remove(cl_subs *r, cl_sub *s) {
    mem_free(s->name);
    *s = r->v[--r->n];
}

void cl_subs_free(cl_subs *r) {
    for (size_t i = 0; i < r->n; i++)
        mem_free(r->v[i].name);
    mem_free(r->v);
    memset(r, 0, sizeof *r);
}

/* ---- the synchronous connection ---- */

static cl_sub *find_sub(pdb_conn *c, int kind, const char *name, size_t len) {
    return cl_subs_find(&c->subs, kind, name, len);
}

static void add_sub(pdb_conn *c, int kind, const char *name, size_t len, pdb_message_fn *fn,
                    void *priv) {
    cl_sub *s = cl_subs_put(&c->subs, kind, name, len);
    s->fn.conn = fn;
    s->priv = priv;
}

static void remove_sub(pdb_conn *c, cl_sub *s) {
    cl_subs_remove(&c->subs, s);
}

void cl_pubsub_free(pdb_conn *c) {
    cl_subs_free(&c->subs);
}

/* The string at index i of a message, or an empty view. */
static pdb_view part(const pdb_reply *r, size_t i) {
    const pdb_reply *e = pdb_reply_element(r, i);
    pdb_view v = {"", 0};
    if (e && pdb_reply_type(e) == PDB_REPLY_STRING) v = pdb_reply_view(e);
    return v;
}

int cl_pubsub_route(pdb_conn *c, void *obj) {
    const pdb_reply *r = obj;
    if (c->subs.n == 0 || c->custom_builder) return 0;
    int t = pdb_reply_type(r);
    if (t != PDB_REPLY_PUSH && t != PDB_REPLY_ARRAY) return 0;
    pdb_view head = part(r, 0);
    int kind = -1;
    for (int k = 0; k < 3; k++)
        if (head.len == strlen(msg_words[k]) && memcmp(head.ptr, msg_words[k], head.len) == 0)
            kind = k;
    size_t want = kind == PDB_SUB_PATTERN ? 4 : 3;
    if (kind < 0 || pdb_reply_elements(r) != want) return 0;
    pdb_message m = {kind, {"", 0}, part(r, 1), part(r, 2)};
    if (kind == PDB_SUB_PATTERN) {
        m.pattern = part(r, 1);
        m.channel = part(r, 2);
        m.payload = part(r, 3);
    }
    pdb_view key = kind == PDB_SUB_PATTERN ? m.pattern : m.channel;
    cl_sub *s = find_sub(c, kind, key.ptr, key.len);
    if (!s) return 0;
    /* The callback may unsubscribe (moving the registry): copy first. */
    pdb_message_fn *fn = s->fn.conn;
    void *priv = s->priv;
    fn(c, &m, priv);
    pdb_reply_free(obj);
    return 1;
}

static int subscribe_kind(pdb_conn *c, int kind, const char *name, pdb_message_fn *fn, void *priv) {
    if (!name || !fn || c->custom_builder) {
        cl_set_error(c, PDB_ERR_ARG,
                     "subscribing needs a name, a callback and the default builder");
        return PDB_ERR_ARG;
    }
    size_t len = strlen(name);
    /* Registered first: a reconnect inside the call subscribes it too. */
    int known = find_sub(c, kind, name, len) != NULL;
    add_sub(c, kind, name, len, fn, priv);
    pdb_reply *r = pdb_command(c, "%s %s", sub_words[kind], name);
    if (!r) {
        if (!known) remove_sub(c, find_sub(c, kind, name, len));
        return pdb_err(c);
    }
    pdb_reply_free(r);
    return PDB_OK;
}

int pdb_subscribe(pdb_conn *c, const char *channel, pdb_message_fn *fn, void *privdata) {
    return subscribe_kind(c, PDB_SUB_CHANNEL, channel, fn, privdata);
}

int pdb_psubscribe(pdb_conn *c, const char *pattern, pdb_message_fn *fn, void *privdata) {
    return subscribe_kind(c, PDB_SUB_PATTERN, pattern, fn, privdata);
}

int pdb_ssubscribe(pdb_conn *c, const char *channel, pdb_message_fn *fn, void *privdata) {
    return subscribe_kind(c, PDB_SUB_SHARD, channel, fn, privdata);
}

int pdb_unsubscribe_kind(pdb_conn *c, int kind, const char *name) {
    if (kind < 0 || kind > 2 || !name) {
        cl_set_error(c, PDB_ERR_ARG, "bad subscription kind or name");
        return PDB_ERR_ARG;
    }
    cl_sub *s = find_sub(c, kind, name, strlen(name));
    if (s) remove_sub(c, s);
    pdb_reply *r = pdb_command(c, "%s %s", unsub_words[kind], name);
    if (!r) return pdb_err(c);
    pdb_reply_free(r);
    return PDB_OK;
}

size_t pdb_subscriptions(const pdb_conn *c) {
    return c->subs.n;
}

/* Sends one (X)SUBSCRIBE per registered name on the fresh connection and
 * reads the confirmations; messages that overtake them are routed. */
int cl_pubsub_resubscribe(pdb_conn *c, uint64_t deadline) {
    if (c->subs.n == 0 || c->custom_builder) return PDB_OK;
    for (size_t i = 0; i < c->subs.n; i++) {
        const char *argv[2] = {sub_words[c->subs.v[i].kind], c->subs.v[i].name};
        size_t lens[2] = {strlen(argv[0]), c->subs.v[i].len};
        resp_write_command(&c->obuf, 2, argv, lens);
    }
    int rc = cl_net_flush(c, c->reader, deadline);
    size_t owed = c->subs.n;
    while (rc == PDB_OK && owed > 0) {
        void *obj = NULL;
        if (resp_reader_get_reply(c->reader, &obj) != RESP_OK) {
            cl_set_error(c, PDB_ERR_PROTOCOL, "%s", resp_reader_error(c->reader));
            return PDB_ERR_PROTOCOL;
        }
        if (!obj) {
            rc = cl_net_read(c, c->reader, deadline);
            continue;
        }
        const char *head = c->shim.root_head;
        if (strcasecmp(head, "subscribe") == 0 || strcasecmp(head, "psubscribe") == 0 ||
            strcasecmp(head, "ssubscribe") == 0) {
            owed--;
            c->resp2_subscribed = c->proto == 2;
            pdb_reply_free(obj);
        } else if (c->shim.root_type == PDB_REPLY_ERROR) {
            cl_set_error(c, PDB_ERR_SERVER, "%s", c->shim.root_err);
            snprintf(c->errcmd, sizeof c->errcmd, "SUBSCRIBE");
            pdb_reply_free(obj);
            return PDB_ERR_SERVER;
        } else if (!cl_pubsub_route(c, obj)) {
            cl_deliver_push(c, obj);
        }
    }
    return rc;
}

int pdb_dispatch(pdb_conn *c, int timeout_ms) {
    if (c->pend_len || c->failed_pending) {
        cl_set_error(c, PDB_ERR_ARG, "replies are pending: take them first");
        return PDB_ERR_ARG;
    }
    if (c->fd < 0 && c->subs.n) {
        /* Lost: reconnecting subscribes everything again. */
        int rc = cl_ensure_connected(c);
        if (rc != PDB_OK) return rc;
    }
    int saved = c->command_timeout_ms;
    c->command_timeout_ms = timeout_ms > 0 ? timeout_ms : 1;
    pdb_reply *r = NULL;
    int rc = pdb_get_reply(c, &r);
    c->command_timeout_ms = saved;
    if (rc != PDB_OK) return rc;
    if (cl_pubsub_route(c, r)) return 1;
    /* Not a message for a callback: the push handler has it, or it is
     * dropped (queueing it would hand it back to the next call). */
    if (c->push_fn) {
        c->push_fn(c, r, c->push_priv);
    } else {
        c->st.pushes_dropped++;
        pdb_reply_free(r);
    }
    return 0;
}
