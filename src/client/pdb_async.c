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
 * The first connect and handshake reuse the synchronous connection (they
 * block, at most connect_timeout_ms); after that nothing blocks. A lost
 * connection fails every callback in flight (PDB_ERR_IO, PDB_ERR_CLOSED, or
 * PDB_ERR_TIMEOUT for the command deadline); what happens next -- staying
 * down, or reconnecting without blocking -- is pdb_async_link.c's business.
 */
#include <errno.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>

#include "client/async_int.h"
#include "ds/mem.h"

void as_error(pdb_async *ac, int kind, const char *msg) {
    ac->err = kind;
    snprintf(ac->errstr, sizeof ac->errstr, "%s", msg);
}

pdb_async *pdb_async_connect(const pdb_options *o) {
    if (!o) return NULL;
    pdb_async *ac = mem_calloc(sizeof(*ac));
    ac->c = pdb_connect(o);
    cl_net_set_async(ac->c);
    ac->state = AS_UP;
    ac->held_max = AS_HELD_DEFAULT;
    if (pdb_err(ac->c) != PDB_OK) {
        as_error(ac, pdb_err(ac->c), pdb_errstr(ac->c));
        ac->state = AS_CLOSED;
    } else if (ac->c->custom_builder) {
        as_error(ac, PDB_ERR_ARG, "custom builder");
    }
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

int pdb_async_is_connected(const pdb_async *ac) {
    return ac->state == AS_UP;
}

/* ---- events ---- */

void as_want_read(pdb_async *ac, int on) {
    if (on == ac->reading) return;
    ac->reading = on;
    void (*f)(void *) = on ? ac->ad.add_read : ac->ad.del_read;
    if (f && ac->attached) f(ac->ad.data);
}

void as_want_write(pdb_async *ac, int on) {
    if (on == ac->writing) return;
    ac->writing = on;
    void (*f)(void *) = on ? ac->ad.add_write : ac->ad.del_write;
    if (f && ac->attached) f(ac->ad.data);
}

int pdb_async_attach(pdb_async *ac, const pdb_async_adapter *a) {
    if (!a || ac->attached || !a->add_read || !a->del_read || !a->add_write || !a->del_write) {
        as_error(ac, PDB_ERR_ARG, "adapter lacks event functions or one is attached");
        return PDB_ERR_ARG;
    }
    if (ac->reconnect && (!a->schedule_timer || !a->set_fd)) {
        as_error(ac, PDB_ERR_ARG, "reconnecting needs an adapter with schedule_timer and set_fd");
        return PDB_ERR_ARG;
    }
    ac->ad = *a;
    ac->attached = 1;
    if (ac->c->fd >= 0 && ac->ad.set_fd) ac->ad.set_fd(ac->ad.data, ac->c->fd);
    /* Interest asked for before the loop was there. */
    int rd = ac->reading, wr = ac->writing;
    ac->reading = ac->writing = 0;
    if (ac->c->fd >= 0) {
        as_want_read(ac, rd || ac->state == AS_UP);
        as_want_write(ac, wr);
    }
    as_arm_timer(ac);
    return PDB_OK;
}

/* ---- the callback ring ---- */

async_cb as_cb_pop(pdb_async *ac) {
    async_cb cb = ac->cbs[ac->head];
    ac->head = (ac->head + 1) % ac->cap;
    ac->len--;
    return cb;
}

void as_cb_fail(pdb_async *ac, const async_cb *cb, int kind, const char *msg) {
    uint64_t now = cl_now_us();
    ac->st.failed++;
    cl_stats_failure(ac->c, cb->name);
    cl_hook_end(ac->c, cb->name, now > cb->sent_us ? now - cb->sent_us : 0, kind, msg);
    if (cb->fn) cb->fn(ac, NULL, kind, cb->priv);
}

void as_fail_first(pdb_async *ac, size_t n, int kind, const char *msg) {
    /* A callback may queue or disconnect: take them one at a time. */
    while (n-- > 0 && ac->len) {
        async_cb cb = as_cb_pop(ac);
        as_cb_fail(ac, &cb, kind, msg);
    }
}

static async_cb *cb_push(pdb_async *ac, pdb_async_fn *fn, void *priv, const char *name,
                         size_t len) {
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
    memset(cb, 0, sizeof(*cb));
    cb->fn = fn;
    cb->priv = priv;
    cb->sent_us = cl_now_us();
    if (len > CL_NAME_MAX - 1) len = CL_NAME_MAX - 1;
    for (size_t i = 0; i < len; i++)
        cb->name[i] =
            (char)((unsigned char)name[i] >= 0x20 && (unsigned char)name[i] < 0x7f ? name[i] : '?');
    cb->name[len] = '\0';
    ac->len++;
    return cb;
}

/* ---- admitting commands ---- */

/* Subscribed mode changes what replies mean: only through the calls of
 * pdb_async_sub.c, which track it. */
static int refused_name(const char *name, size_t len) {
    static const char *const words[] = {"SUBSCRIBE",    "PSUBSCRIBE",   "SSUBSCRIBE",
                                        "UNSUBSCRIBE",  "PUNSUBSCRIBE", "SUNSUBSCRIBE",
                                        "MONITOR",      "RESET"};
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
    while (ac->state == AS_UP && ac->len >= (size_t)c->opt.max_pending) {
        uint64_t now = cl_now_us();
        if (deadline && now >= deadline) return PDB_ERR_QUEUE_FULL;
        struct pollfd p = {.fd = c->fd, .events = POLLIN | (ac->writing ? POLLOUT : 0)};
        int wait = deadline ? (int)((deadline - now + 999) / 1000) : -1;
        if (poll(&p, 1, wait) < 0 && errno != EINTR) return PDB_ERR_IO;
        if (p.revents & POLLOUT) pdb_async_handle_write(ac);
        if (p.revents & (POLLIN | POLLHUP | POLLERR)) pdb_async_handle_read(ac);
    }
    return ac->state == AS_UP ? PDB_OK : PDB_ERR_CLOSED;
}

static int reject(pdb_async *ac, int kind, const char *msg) {
    if (kind == PDB_ERR_QUEUE_FULL) {
        ac->st.rejected++;
        ac->c->st.queue_rejections++;
    } else if (kind == PDB_ERR_CIRCUIT_OPEN) {
        ac->st.breaker_rejected++;
        ac->c->st.breaker_rejections++;
    }
    as_error(ac, kind, msg);
    return kind;
}

/* While down and reconnecting: held up to a bound, or refused fast while
 * the breaker is open. */
static int admit_down(pdb_async *ac) {
    if (ac->state == AS_CLOSED) return reject(ac, PDB_ERR_CLOSED, "not connected");
    if (pdb_breaker_state_now(ac->c) == PDB_BREAKER_OPEN)
        return reject(ac, PDB_ERR_CIRCUIT_OPEN, "circuit breaker open: the server keeps failing");
    if (ac->len >= ac->held_max)
        return reject(ac, PDB_ERR_QUEUE_FULL, "reconnecting: queue of held commands full");
    return PDB_OK;
}

static int admit(pdb_async *ac) {
    if (ac->state != AS_UP) return admit_down(ac);
    pdb_conn *c = ac->c;
    if (c->opt.max_pending > 0 && ac->len >= (size_t)c->opt.max_pending &&
        (!c->opt.queue_block || wait_for_room(ac) != PDB_OK)) {
        if (ac->state != AS_UP) return admit_down(ac);
        return reject(ac, PDB_ERR_QUEUE_FULL, "request queue full");
    }
    return PDB_OK;
}

static void queued(pdb_async *ac) {
    ac->st.commands++;
    ac->err = PDB_OK;
    ac->errstr[0] = '\0';
    if (ac->state == AS_UP)
        as_want_write(ac, 1);
    else
        ac->st.held++;
    if (ac->len == 1) as_arm_timer(ac);
}

/* The command's bytes go to the output buffer when up, else to the held
 * buffer with their length noted on the callback. */
static void enqueue(pdb_async *ac, pdb_async_fn *fn, void *priv, const char *name, size_t len,
                    const void *bytes_src, void (*encode)(resp_buf *, const void *),
                    int sub_confirms) {
    resp_buf *out = ac->state == AS_UP ? &ac->c->obuf : &ac->held;
    size_t before = out->len;
    encode(out, bytes_src);
    async_cb *cb = cb_push(ac, fn, priv, name, len);
    cb->sub_confirms = sub_confirms;
    if (ac->state != AS_UP) cb->bytes = out->len - before;
    cl_hook_start(ac->c, cb->name);
    queued(ac);
}

typedef struct argv_src {
    int argc;
    const char *const *argv;
    const size_t *lens;
} argv_src;

static void encode_argv(resp_buf *out, const void *src) {
    const argv_src *a = src;
    resp_write_command(out, a->argc, a->argv, a->lens);
}

static void encode_args(resp_buf *out, const void *src) {
    cl_encode_args(out, src);
}

int as_queue_argv(pdb_async *ac, pdb_async_fn *fn, void *priv, int argc, const char *const *argv,
                  const size_t *argvlen, int sub_confirms) {
    int rc = admit(ac);
    if (rc != PDB_OK) return rc;
    argv_src src = {argc, argv, argvlen};
    enqueue(ac, fn, priv, argv[0], argvlen[0], &src, encode_argv, sub_confirms);
    return PDB_OK;
}

int pdb_async_command_argv(pdb_async *ac, pdb_async_fn *fn, void *priv, int argc,
                           const char *const *argv, const size_t *argvlen) {
    if (argc <= 0 || !argv || !argvlen) {
        as_error(ac, PDB_ERR_ARG, "empty command");
        return PDB_ERR_ARG;
    }
    if (refused_name(argv[0], argvlen[0])) {
        as_error(ac, PDB_ERR_ARG, "MONITOR, RESET and subscribing go through their own calls");
        return PDB_ERR_ARG;
    }
    return as_queue_argv(ac, fn, priv, argc, argv, argvlen, 0);
}

int pdb_async_vcommand(pdb_async *ac, pdb_async_fn *fn, void *priv, const char *fmt, va_list ap) {
    cl_args a;
    char err[96];
    if (!fmt || cl_format(&a, fmt, ap, err, sizeof err) != PDB_OK) {
        as_error(ac, PDB_ERR_ARG, fmt ? err : "no format");
        return PDB_ERR_ARG;
    }
    int rc = PDB_ERR_ARG;
    if (refused_name(a.bytes.data, a.off[1]))
        as_error(ac, PDB_ERR_ARG, "MONITOR, RESET and subscribing go through their own calls");
    else if ((rc = admit(ac)) == PDB_OK)
        enqueue(ac, fn, priv, a.bytes.data, a.off[1], &a, encode_args, 0);
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
    if (as_connecting(ac)) {
        as_link_write(ac);
        return;
    }
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
        as_lost(ac, PDB_ERR_IO, msg);
        return;
    }
    c->obuf.len = 0;
    c->opos = 0;
    as_want_write(ac, 0);
}

/* Is the value just read the reply to the oldest callback? Not a message;
 * a push only when it confirms the subscribe command that callback stands
 * for. */
static int is_reply(pdb_async *ac) {
    pdb_conn *c = ac->c;
    if (!ac->len || as_sub_is_message(ac)) return 0;
    if (ac->cbs[ac->head].sub_confirms)
        return c->shim.root_type == PDB_REPLY_ERROR || as_sub_is_confirmation(ac);
    return c->shim.root_type != PDB_REPLY_PUSH;
}

static void deliver(pdb_async *ac, void *obj) {
    pdb_conn *c = ac->c;
    if (!is_reply(ac)) {
        if (as_sub_is_message(ac))
            as_sub_route(ac, obj);
        else
            cl_deliver_push(c, obj);
        return;
    }
    async_cb cb = as_cb_pop(ac);
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
    if (as_connecting(ac)) {
        as_link_read(ac);
        return;
    }
    /* Until the socket (and TLS) has nothing more: a loop only wakes us for
     * bytes the kernel holds. */
    int got;
    while ((got = cl_net_read_nowait(c, c->reader)) > 0) {
    }
    if (got < 0) {
        as_lost(ac, got, pdb_errstr(c));
        return;
    }
    for (;;) {
        void *obj = NULL;
        if (resp_reader_get_reply(c->reader, &obj) != RESP_OK) {
            as_lost(ac, PDB_ERR_PROTOCOL, resp_reader_error(c->reader));
            return;
        }
        if (!obj) break;
        if (ac->state == AS_UP)
            deliver(ac, obj);
        else
            as_handshake_reply(ac, obj);
        if (c->fd < 0) return; /* lost, or a callback disconnected */
    }
    as_arm_timer(ac);
}

void pdb_async_handle_timeout(pdb_async *ac) {
    as_link_timeout(ac);
}

void pdb_async_free(pdb_async *ac) {
    if (!ac) return;
    if (ac->state != AS_CLOSED || ac->len) pdb_async_disconnect(ac);
    if (ac->ad.cleanup && ac->attached) ac->ad.cleanup(ac->ad.data);
    as_sub_free(ac);
    pdb_free(ac->c);
    resp_buf_free(&ac->held);
    mem_free(ac->cbs);
    mem_free(ac);
}
