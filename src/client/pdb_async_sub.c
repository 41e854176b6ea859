/*
 * pdb_async_sub.c - pub/sub on the asynchronous connection: per-channel,
 * per-pattern and per-shard-channel message callbacks, remembered so that a
 * reconnect subscribes them all again as part of its handshake.
 *
 * Each (UN)SUBSCRIBE names one channel, so it gets exactly one confirmation
 * and takes one slot of the callback ring like any command: in RESP3 the
 * confirmation is a push, recognised as the reply because the oldest
 * callback stands for a subscribe command. Messages are pushes (RESP3), or
 * arrays while a RESP2 connection is subscribed (the count in the last
 * confirmation says whether it still is); they go to the callback
 * registered for their channel or pattern and are never taken as replies.
 */
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "client/async_int.h"
#include "ds/mem.h"

static const char *const sub_words[3] = {"SUBSCRIBE", "PSUBSCRIBE", "SSUBSCRIBE"};
static const char *const unsub_words[3] = {"UNSUBSCRIBE", "PUNSUBSCRIBE", "SUNSUBSCRIBE"};
static const char *const msg_words[3] = {"message", "pmessage", "smessage"};

static cl_sub *find_sub(pdb_async *ac, int kind, const char *name, size_t len) {
    return cl_subs_find(&ac->subs, kind, name, len);
}

void as_sub_free(pdb_async *ac) {
    cl_subs_free(&ac->subs);
}

/* ---- recognising traffic ---- */

static int message_kind(const char *head) {
    for (int k = 0; k < 3; k++)
        if (strcmp(head, msg_words[k]) == 0) return k;
    return -1;
}

int as_sub_is_message(const pdb_async *ac) {
    const pdb_conn *c = ac->c;
    int t = c->shim.root_type;
    int oob = t == PDB_REPLY_PUSH || (t == PDB_REPLY_ARRAY && c->proto == 2 && c->resp2_subscribed);
    return oob && message_kind(c->shim.root_head) >= 0;
}

int as_sub_is_confirmation(pdb_async *ac) {
    pdb_conn *c = ac->c;
    int t = c->shim.root_type;
    if (t != PDB_REPLY_PUSH && t != PDB_REPLY_ARRAY) return 0;
    for (int k = 0; k < 3; k++) {
        if (strcasecmp(c->shim.root_head, sub_words[k]) == 0 ||
            strcasecmp(c->shim.root_head, unsub_words[k]) == 0) {
            if (c->shim.root_count >= 0) c->resp2_subscribed = c->proto == 2 && c->shim.root_count > 0;
            return 1;
        }
    }
    return 0;
}

/* The string at index i of a message, or an empty view. */
static pdb_view part(const pdb_reply *r, size_t i) {
    const pdb_reply *e = pdb_reply_element(r, i);
    pdb_view v = {"", 0};
    if (e && pdb_reply_type(e) == PDB_REPLY_STRING) v = pdb_reply_view(e);
    return v;
}

void as_sub_route(pdb_async *ac, void *obj) {
    pdb_reply *r = obj;
    int kind = message_kind(ac->c->shim.root_head);
    size_t want = kind == PDB_SUB_PATTERN ? 4 : 3;
    cl_sub *s = NULL;
    pdb_message m = {kind, {"", 0}, part(r, 1), part(r, 2)};
    if (kind == PDB_SUB_PATTERN) {
        m.pattern = part(r, 1);
        m.channel = part(r, 2);
        m.payload = part(r, 3);
    }
    if (pdb_reply_elements(r) == want) {
        pdb_view key = kind == PDB_SUB_PATTERN ? m.pattern : m.channel;
        s = find_sub(ac, kind, key.ptr, key.len);
    }
    ac->c->st.pushes++;
    if (s)
        s->fn.async(ac, &m, s->priv);
    else
        ac->c->st.pushes_dropped++; /* unsubscribed meanwhile */
    pdb_reply_free(r);
}

int as_sub_resubscribe(pdb_async *ac) {
    for (size_t i = 0; i < ac->subs.n; i++) {
        const char *argv[2] = {sub_words[ac->subs.v[i].kind], ac->subs.v[i].name};
        size_t lens[2] = {strlen(argv[0]), ac->subs.v[i].len};
        resp_write_command(&ac->c->obuf, 2, argv, lens);
    }
    return (int)ac->subs.n;
}

/* ---- the public calls ---- */

/* What a subscribe's confirmation callback needs: the caller's callback
 * and, to forget a subscription the server refused, its name. */
typedef struct sub_done {
    pdb_async_fn *fn;
    void *priv;
    int kind;
    size_t len;
    char name[];
} sub_done;

static void on_subscribed(pdb_async *ac, pdb_reply *r, int err, void *priv) {
    sub_done *d = priv;
    if (err == PDB_ERR_SERVER) {
        cl_sub *s = find_sub(ac, d->kind, d->name, d->len);
        if (s) cl_subs_remove(&ac->subs, s);
    }
    if (d->fn) d->fn(ac, r, err, d->priv);
    mem_free(d);
}

static int valid(pdb_async *ac, int kind, const char *name) {
    if (kind < 0 || kind > 2 || !name || ac->c->custom_builder) {
        as_error(ac, PDB_ERR_ARG, "bad subscription kind or name, or a custom builder");
        return 0;
    }
    return 1;
}

int pdb_async_subscribe(pdb_async *ac, int kind, const char *name, pdb_async_message_fn *fn,
                        void *privdata, pdb_async_fn *done) {
    if (!valid(ac, kind, name)) return PDB_ERR_ARG;
    size_t len = strlen(name);
    cl_sub *s = find_sub(ac, kind, name, len);
    if (!fn || (!s && ac->subs.n >= AS_SUB_MAX)) {
        as_error(ac, PDB_ERR_ARG, fn ? "too many subscriptions" : "no message callback");
        return PDB_ERR_ARG;
    }
    sub_done *d = mem_alloc(sizeof(*d) + len);
    d->fn = done;
    d->priv = privdata;
    d->kind = kind;
    d->len = len;
    memcpy(d->name, name, len);
    const char *argv[2] = {sub_words[kind], name};
    size_t lens[2] = {strlen(sub_words[kind]), len};
    int rc = as_queue_argv(ac, on_subscribed, d, 2, argv, lens, 1);
    if (rc != PDB_OK) {
        mem_free(d);
        return rc;
    }
    s = cl_subs_put(&ac->subs, kind, name, len);
    s->fn.async = fn;
    s->priv = privdata;
    return PDB_OK;
}

int pdb_async_unsubscribe(pdb_async *ac, int kind, const char *name, pdb_async_fn *done,
                          void *privdata) {
    if (!valid(ac, kind, name)) return PDB_ERR_ARG;
    size_t len = strlen(name);
    const char *argv[2] = {unsub_words[kind], name};
    size_t lens[2] = {strlen(unsub_words[kind]), len};
    int rc = as_queue_argv(ac, done, privdata, 2, argv, lens, 1);
    /* Forgotten either way: no reconnect subscribes it again. */
    cl_sub *s = find_sub(ac, kind, name, len);
    if (s) cl_subs_remove(&ac->subs, s);
    return rc;
}

size_t pdb_async_subscriptions(const pdb_async *ac) {
    return ac->subs.n;
}
