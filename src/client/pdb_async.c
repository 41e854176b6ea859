/*
 * pdb_async.c - the non-blocking connection: commands queue a callback and
 * return at once; an event loop tells the connection when its socket is
 * readable or writable (through an adapter) and replies are handed to the
 * callbacks in order.
 *
 * Auto-pipelining: a command only appends to the output buffer and asks the
 * loop for a write event; the write happens when the loop reports the socket
 * writable, so every command issued during one loop turn leaves in the same
 * send().
 *
 * The connect and handshake reuse the synchronous connection (they block, at
 * most connect_timeout_ms); after that nothing blocks. A lost connection
 * fails every pending callback (PDB_ERR_IO, PDB_ERR_CLOSED, or
 * PDB_ERR_TIMEOUT for the command deadline) and stays down: the async
 * connection does not reconnect by itself.
 */
#include <errno.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>

#include "client/client_int.h"
#include "ds/mem.h"

typedef struct async_cb {
    pdb_async_fn *fn;
    void *priv;
    uint64_t sent_us;
    char name[CL_NAME_MAX];
} async_cb;

struct pdb_async {
    pdb_conn *c;
    pdb_async_adapter ad;
    int reading, writing;
    async_cb *cbs; /* ring of pending callbacks */
    size_t cap, head, len;
    int err;
    char errstr[CL_ERRSTR_MAX];
    pdb_async_stats st;
};

static void async_error(pdb_async *ac, int kind, const char *msg) {
    ac->err = kind;
    snprintf(ac->errstr, sizeof ac->errstr, "%s", msg);
}

pdb_async *pdb_async_connect(const pdb_options *o) {
    if (!o) return NULL;
    pdb_async *ac = mem_calloc(sizeof(*ac));
    ac->c = pdb_connect(o);
    cl_net_set_async(ac->c);
    if (pdb_err(ac->c) != PDB_OK)
        async_error(ac, pdb_err(ac->c), pdb_errstr(ac->c));
    else if (ac->c->custom_builder)
        async_error(ac, PDB_ERR_ARG, "custom builder");
    return ac;
}

int pdb_async_err(const pdb_async *ac) {
    return ac->err;
}

const char *pdb_async_errstr(const pdb_async *ac) {
    return ac->errstr;
}

int pdb_async_fd(const pdb_async *ac) {
    return ac->c->fd;
}

pdb_conn *pdb_async_conn(pdb_async *ac) {
    return ac->c;
}

void pdb_async_get_stats(const pdb_async *ac, pdb_async_stats *out) {
    *out = ac->st;
}

size_t pdb_async_pending(const pdb_async *ac) {
    return ac->len;
}

/* ---- events ---- */

static void want_read(pdb_async *ac, int on) {
    if (on == ac->reading) return;
    ac->reading = on;
    void (*f)(void *) = on ? ac->ad.add_read : ac->ad.del_read;
    if (f) f(ac->ad.data);
}

static void want_write(pdb_async *ac, int on) {
    if (on == ac->writing) return;
    ac->writing = on;
    void (*f)(void *) = on ? ac->ad.add_write : ac->ad.del_write;
    if (f) f(ac->ad.data);
}

static void arm_timer(pdb_async *ac) {
    int ms = ac->c->command_timeout_ms;
    if (ms <= 0 || !ac->len || !ac->ad.schedule_timer) return;
    uint64_t due = ac->cbs[ac->head].sent_us + (uint64_t)ms * 1000, now = cl_now_us();
    int left = due > now ? (int)((due - now + 999) / 1000) : 0;
    ac->ad.schedule_timer(ac->ad.data, left);
}

int pdb_async_attach(pdb_async *ac, const pdb_async_adapter *a) {
    if (!a || ac->ad.data || !a->add_read || !a->del_read || !a->add_write || !a->del_write) {
        async_error(ac, PDB_ERR_ARG, "adapter lacks event functions or one is attached");
        return PDB_ERR_ARG;
    }
    ac->ad = *a;
    if (ac->c->fd >= 0) want_read(ac, 1);
    return PDB_OK;
}

/* ---- failure ---- */

static async_cb cb_pop(pdb_async *ac) {
    async_cb cb = ac->cbs[ac->head];
    ac->head = (ac->head + 1) % ac->cap;
    ac->len--;
    return cb;
}

/* Closes the socket and fails every pending callback with kind. */
static void fail_all(pdb_async *ac, int kind, const char *msg) {
    async_error(ac, kind, msg);
    want_read(ac, 0);
    want_write(ac, 0);
    pdb_disconnect(ac->c);
    uint64_t now = cl_now_us();
    while (ac->len) {
        async_cb cb = cb_pop(ac);
        ac->st.failed++;
        cl_stats_failure(ac->c, cb.name);
        cl_hook_end(ac->c, cb.name, now > cb.sent_us ? now - cb.sent_us : 0, kind, msg);
        if (cb.fn) cb.fn(ac, NULL, kind, cb.priv);
    }
}

/* ---- commands ---- */

static void cb_push(pdb_async *ac, pdb_async_fn *fn, void *priv, const char *name, size_t len) {
    if (ac->len == ac->cap) {
        size_t cap = ac->cap ? ac->cap * 2 : 16;
        async_cb *n = mem_alloc(cap * sizeof(*n));
        for (size_t i = 0; i < ac->len; i++)
            n[i] = ac->cbs[(ac->head + i) % ac->cap];
        mem_free(ac->cbs);
        ac->cbs = n;
        ac->cap = cap;
        ac->head = 0;
    }
    async_cb *cb = &ac->cbs[(ac->head + ac->len) % ac->cap];
    cb->fn = fn;
    cb->priv = priv;
    cb->sent_us = cl_now_us();
    if (len > CL_NAME_MAX - 1) len = CL_NAME_MAX - 1;
    for (size_t i = 0; i < len; i++)
        cb->name[i] =
            (char)((unsigned char)name[i] >= 0x20 && (unsigned char)name[i] < 0x7f ? name[i] : '?');
    cb->name[len] = '\0';
    ac->len++;
}

/* Subscribed mode changes what replies mean: not on this connection. */
static int refused_name(const char *name, size_t len) {
    static const char *const words[] = {"SUBSCRIBE", "PSUBSCRIBE", "SSUBSCRIBE", "MONITOR"};
    for (size_t i = 0; i < sizeof(words) / sizeof(words[0]); i++)
        if (len == strlen(words[i]) && strncasecmp(name, words[i], len) == 0) return 1;
    return 0;
}

/* Backpressure by blocking: drives the socket here, outside the loop, until
 * a reply frees a slot (running its callback) or the command timeout. */
static int wait_for_room(pdb_async *ac) {
    pdb_conn *c = ac->c;
    int ms = c->command_timeout_ms;
    uint64_t deadline = ms > 0 ? cl_now_us() + (uint64_t)ms * 1000 : 0;
    while (c->fd >= 0 && ac->len >= (size_t)c->opt.max_pending) {
        uint64_t now = cl_now_us();
        if (deadline && now >= deadline) return PDB_ERR_QUEUE_FULL;
        struct pollfd p = {.fd = c->fd, .events = POLLIN | (ac->writing ? POLLOUT : 0)};
        int wait = deadline ? (int)((deadline - now + 999) / 1000) : -1;
        if (poll(&p, 1, wait) < 0 && errno != EINTR) return PDB_ERR_IO;
        if (p.revents & POLLOUT) pdb_async_handle_write(ac);
        if (p.revents & (POLLIN | POLLHUP | POLLERR)) pdb_async_handle_read(ac);
    }
    return c->fd >= 0 ? PDB_OK : PDB_ERR_CLOSED;
}

static int admit(pdb_async *ac, const char *name, size_t len) {
    if (ac->c->fd < 0) {
        async_error(ac, PDB_ERR_CLOSED, "not connected");
        return PDB_ERR_CLOSED;
    }
    if (refused_name(name, len)) {
        async_error(ac, PDB_ERR_ARG, "subscribing and MONITOR are for the synchronous connection");
        return PDB_ERR_ARG;
    }
    if (ac->c->opt.max_pending > 0 && ac->len >= (size_t)ac->c->opt.max_pending &&
        (!ac->c->opt.queue_block || wait_for_room(ac) != PDB_OK)) {
        ac->st.rejected++;
        ac->c->st.queue_rejections++;
        async_error(ac, PDB_ERR_QUEUE_FULL, "request queue full");
        return PDB_ERR_QUEUE_FULL;
    }
    return PDB_OK;
}

static void queued(pdb_async *ac) {
    ac->st.commands++;
    ac->err = PDB_OK;
    ac->errstr[0] = '\0';
    want_write(ac, 1);
    if (ac->len == 1) arm_timer(ac);
}

int pdb_async_command_argv(pdb_async *ac, pdb_async_fn *fn, void *priv, int argc,
                           const char *const *argv, const size_t *argvlen) {
    if (argc <= 0 || !argv || !argvlen) {
        async_error(ac, PDB_ERR_ARG, "empty command");
        return PDB_ERR_ARG;
    }
    int rc = admit(ac, argv[0], argvlen[0]);
    if (rc != PDB_OK) return rc;
    resp_write_command(&ac->c->obuf, argc, argv, argvlen);
    cb_push(ac, fn, priv, argv[0], argvlen[0]);
    cl_hook_start(ac->c, ac->cbs[(ac->head + ac->len - 1) % ac->cap].name);
    queued(ac);
    return PDB_OK;
}

int pdb_async_vcommand(pdb_async *ac, pdb_async_fn *fn, void *priv, const char *fmt, va_list ap) {
    cl_args a;
    char err[96];
    if (!fmt || cl_format(&a, fmt, ap, err, sizeof err) != PDB_OK) {
        async_error(ac, PDB_ERR_ARG, fmt ? err : "no format");
        return PDB_ERR_ARG;
    }
    int rc = admit(ac, a.bytes.data, a.off[1]);
    if (rc == PDB_OK) {
        cl_encode_args(&ac->c->obuf, &a);
        cb_push(ac, fn, priv, a.bytes.data, a.off[1]);
        cl_hook_start(ac->c, ac->cbs[(ac->head + ac->len - 1) % ac->cap].name);
        queued(ac);
    }
    cl_args_free(&a);
    return rc;
}

int pdb_async_command(pdb_async *ac, pdb_async_fn *fn, void *priv, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    int rc = pdb_async_vcommand(ac, fn, priv, fmt, ap);
    va_end(ap);
    return rc;
}

/* ---- the loop's calls ---- */

void pdb_async_handle_write(pdb_async *ac) {
    pdb_conn *c = ac->c;
    if (c->fd < 0) return;
    while (c->opos < c->obuf.len) {
        const char *p = c->obuf.data + c->opos;
        size_t left = c->obuf.len - c->opos;
        ssize_t n = c->ssl ? cl_tls_send(c, p, left)
                           : send(c->fd, p, left, MSG_NOSIGNAL | MSG_DONTWAIT);
        if (n > 0) {
            c->opos += (size_t)n;
            ac->st.writes++;
            continue;
        }
        if (n < 0 && errno == EINTR) continue;
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) return; /* stays armed */
        char msg[128];
        snprintf(msg, sizeof msg, "write: %s", strerror(errno));
        fail_all(ac, PDB_ERR_IO, msg);
        return;
    }
    c->obuf.len = 0;
    c->opos = 0;
    want_write(ac, 0);
}

static void deliver(pdb_async *ac, void *obj) {
    pdb_conn *c = ac->c;
    if (c->shim.root_type == PDB_REPLY_PUSH || !ac->len) {
        cl_deliver_push(c, obj);
        return;
    }
    async_cb cb = cb_pop(ac);
    int rc = c->shim.root_type == PDB_REPLY_ERROR ? PDB_ERR_SERVER : PDB_OK;
    uint64_t now = cl_now_us(), took = now > cb.sent_us ? now - cb.sent_us : 0;
    cl_stats_reply(c, cb.name, took, rc);
    cl_hook_end(c, cb.name, took, rc, rc == PDB_ERR_SERVER ? c->shim.root_err : NULL);
    ac->st.replies++;
    if (cb.fn) cb.fn(ac, obj, rc, cb.priv);
    pdb_reply_free(obj);
}

void pdb_async_handle_read(pdb_async *ac) {
    pdb_conn *c = ac->c;
    if (c->fd < 0) return;
    /* Until the socket (and TLS) has nothing more: a loop only wakes us for
     * bytes the kernel holds. */
    int got;
    while ((got = cl_net_read_nowait(c, c->reader)) > 0) {
    }
    if (got < 0) {
        fail_all(ac, got, pdb_errstr(c));
        return;
    }
    for (;;) {
        void *obj = NULL;
        if (resp_reader_get_reply(c->reader, &obj) != RESP_OK) {
            fail_all(ac, PDB_ERR_PROTOCOL, resp_reader_error(c->reader));
            return;
        }
        if (!obj) break;
        deliver(ac, obj);
        if (c->fd < 0) return; /* a callback disconnected */
    }
    arm_timer(ac);
}

void pdb_async_handle_timeout(pdb_async *ac) {
    int ms = ac->c->command_timeout_ms;
    if (ms <= 0 || !ac->len) return;
    if (cl_now_us() >= ac->cbs[ac->head].sent_us + (uint64_t)ms * 1000)
        fail_all(ac, PDB_ERR_TIMEOUT, "timed out waiting for the reply");
    else
        arm_timer(ac);
}

void pdb_async_disconnect(pdb_async *ac) {
    fail_all(ac, PDB_ERR_CLOSED, "disconnected");
}

void pdb_async_free(pdb_async *ac) {
    if (!ac) return;
    if (ac->c->fd >= 0 || ac->len) fail_all(ac, PDB_ERR_CLOSED, "connection freed");
    if (ac->ad.cleanup) ac->ad.cleanup(ac->ad.data);
    pdb_free(ac->c);
    mem_free(ac->cbs);
    mem_free(ac);
}
