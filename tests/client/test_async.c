/*
 * test_async.c - the non-blocking connection: callbacks in order, server
 * errors, auto-pipelining (one write per loop turn), the command timeout
 * through the adapter's timer, a lost connection failing every callback, the
 * bounded queue (refusing or blocking), tracing hooks, and the libevent and
 * libuv adapters when they were found at build time.
 */
#include <poll.h>
#include <signal.h>
#include <stdlib.h>

#include "harness.h"

#ifdef PDB_TEST_LIBEVENT
#include "pairdb_libevent.h"
#endif
#ifdef PDB_TEST_LIBUV
#include "pairdb_libuv.h"
#endif

/* ---- a minimal poll(2) loop as the adapter ---- */

typedef struct mini_loop {
    pdb_async *ac;
    int rd, wr;
    long long timer_at; /* ms, 0: none */
    int turns;
} mini_loop;

static void ml_add_read(void *d) {
    ((mini_loop *)d)->rd = 1;
}
static void ml_del_read(void *d) {
    ((mini_loop *)d)->rd = 0;
}
static void ml_add_write(void *d) {
    ((mini_loop *)d)->wr = 1;
}
static void ml_del_write(void *d) {
    ((mini_loop *)d)->wr = 0;
}
static void ml_timer(void *d, int ms) {
    ((mini_loop *)d)->timer_at = now_ms() + ms;
}

static void attach_mini(pdb_async *ac, mini_loop *l) {
    memset(l, 0, sizeof *l);
    l->ac = ac;
    pdb_async_adapter a = {l, ml_add_read, ml_del_read, ml_add_write, ml_del_write, ml_timer, NULL, NULL};
    pdb_async_attach(ac, &a);
}

/* One loop turn: waits (at most 100 ms) and dispatches. */
static void ml_turn(mini_loop *l) {
    int fd = pdb_async_fd(l->ac);
    l->turns++;
    if (fd < 0) return;
    struct pollfd p = {.fd = fd, .events = (short)((l->rd ? POLLIN : 0) | (l->wr ? POLLOUT : 0))};
    poll(&p, 1, 100);
    if (p.revents & POLLOUT) pdb_async_handle_write(l->ac);
    if (p.revents & (POLLIN | POLLHUP | POLLERR)) pdb_async_handle_read(l->ac);
    if (l->timer_at && now_ms() >= l->timer_at) {
        l->timer_at = 0;
        pdb_async_handle_timeout(l->ac);
    }
}

static void ml_run_until(mini_loop *l, const int *done, int want) {
    long long until = now_ms() + 5000;
    while (*done < want && now_ms() < until)
        ml_turn(l);
}

/* ---- callbacks ---- */

typedef struct tally {
    int done, ok, server_err, failed, last_err;
    int in_order;
    int next_expected;
    char last[64];
} tally;

static void on_reply(pdb_async *ac, pdb_reply *r, int err, void *priv) {
    (void)ac;
    tally *t = priv;
    t->done++;
    t->last_err = err;
    if (err == PDB_OK)
        t->ok++;
    else if (err == PDB_ERR_SERVER)
        t->server_err++;
    else
        t->failed++;
    if (r && pdb_reply_str(r))
        snprintf(t->last, sizeof t->last, "%s", pdb_reply_str(r));
    else
        t->last[0] = '\0';
}

/* privdata is the index: checks replies come in issue order. */
static tally order_tally;
static void on_indexed(pdb_async *ac, pdb_reply *r, int err, void *priv) {
    (void)ac;
    int i = (int)(intptr_t)priv;
    order_tally.done++;
    char want[32];
    snprintf(want, sizeof want, "%d", i);
    if (err == PDB_OK && i == order_tally.next_expected && r && strcmp(pdb_reply_str(r), want) == 0)
        order_tally.in_order++;
    order_tally.next_expected = i + 1;
}

static pdb_async *async_to(const server *s) {
    pdb_options o = server_options(s);
    return pdb_async_connect(&o);
}

TEST(async_callbacks_and_autopipelining, ON_BOTH) {
    server *s = server_start(NULL);
    CHECK(s && s->pid > 0);
    pdb_async *ac = async_to(s);
    CHECK_INT(pdb_async_err(ac), PDB_OK);
    mini_loop l;
    attach_mini(ac, &l);
    /* 200 commands issued in one turn: one write carries them all. */
    memset(&order_tally, 0, sizeof order_tally);
    for (int i = 0; i < 100; i++) {
        CHECK_INT(pdb_async_command(ac, NULL, NULL, "SET n:%d %d", i, i), PDB_OK);
        CHECK_INT(pdb_async_command(ac, on_indexed, (void *)(intptr_t)i, "GET n:%d", i), PDB_OK);
    }
    CHECK_INT(pdb_async_pending(ac), 200);
    pdb_async_stats st;
    pdb_async_get_stats(ac, &st);
    CHECK_INT(st.writes, 0); /* nothing left before the loop ran */
    ml_run_until(&l, &order_tally.done, 100);
    CHECK_INT(order_tally.in_order, 100);
    pdb_async_get_stats(ac, &st);
    CHECK_INT(st.writes, 1);
    CHECK_INT(st.replies, 200);
    CHECK_INT(pdb_async_pending(ac), 0);

    /* Server errors reach the callback with the text. */
    tally t = {0};
    pdb_async_command(ac, on_reply, &t, "INCR n:1 extra");
    pdb_async_command(ac, on_reply, &t, "PING");
    ml_run_until(&l, &t.done, 2);
    CHECK_INT(t.server_err, 1);
    CHECK_INT(t.ok, 1);
    CHECK_STR(t.last, "PONG");
    pdb_async_get_stats(ac, &st);
    CHECK_INT(st.writes, 2);
    /* Refused on this connection. */
    CHECK_INT(pdb_async_command(ac, on_reply, &t, "SUBSCRIBE x"), PDB_ERR_ARG);
    CHECK_INT(pdb_async_command(ac, on_reply, &t, ""), PDB_ERR_ARG);
    pdb_async_free(ac);
    server_free(s);
}

TEST(async_timeout_and_loss, ON_BOTH) {
    server *s = server_start(NULL);
    CHECK(s && s->pid > 0);
    pdb_options o = server_options(s);
    o.command_timeout_ms = 150;
    pdb_async *ac = pdb_async_connect(&o);
    mini_loop l;
    attach_mini(ac, &l);
    tally t = {0};
    pdb_async_command(ac, on_reply, &t, "DEBUG SLEEP 1");
    pdb_async_command(ac, on_reply, &t, "PING");
    long long t0 = now_ms();
    ml_run_until(&l, &t.done, 2);
    CHECK_INT(t.failed, 2);
    CHECK_INT(t.last_err, PDB_ERR_TIMEOUT);
    CHECK(now_ms() - t0 < 900);
    CHECK_INT(pdb_async_command(ac, on_reply, &t, "PING"), PDB_ERR_CLOSED);
    pdb_async_free(ac);
    sleep_ms(1000); /* let the server finish its sleep */

    /* Killed under a pipeline: every callback fails, none succeeds late. */
    o.command_timeout_ms = 0;
    ac = pdb_async_connect(&o);
    attach_mini(ac, &l);
    tally k = {0};
    pdb_async_command(ac, on_reply, &k, "DEBUG SLEEP 2");
    for (int i = 0; i < 1000; i++)
        pdb_async_command(ac, on_reply, &k, "SET x %d", i);
    ml_turn(&l);
    kill(s->pid, SIGKILL);
    ml_run_until(&l, &k.done, 1001);
    CHECK_INT(k.done, 1001);
    CHECK_INT(k.ok, 0);
    CHECK(k.last_err == PDB_ERR_CLOSED || k.last_err == PDB_ERR_IO);
    pdb_async_free(ac);
    server_free(s);
}

static int starts, ends, end_errors;
static char last_end[32];
static void hook_start(pdb_conn *c, const char *name, void *priv) {
    (void)c;
    (void)name;
    (void)priv;
    starts++;
}
static void hook_end(pdb_conn *c, const char *name, unsigned long long usec, int err,
                     const char *msg, void *priv) {
    (void)c;
    (void)usec;
    (void)priv;
    ends++;
    if (err != PDB_OK) end_errors++;
    snprintf(last_end, sizeof last_end, "%s:%d:%.12s", name, err, msg);
}

TEST(hooks_and_bounded_queue, ON_BOTH) {
    server *s = server_start(NULL);
    CHECK(s && s->pid > 0);
    pdb_options o = server_options(s);
    o.max_pending = 10;
    pdb_conn *c = pdb_connect(&o);
    pdb_hooks h = {hook_start, hook_end, NULL};
    pdb_set_hooks(c, &h);
    starts = ends = end_errors = 0;
    pdb_reply_free(pdb_command(c, "SET a 1"));
    CHECK(pdb_command(c, "INCR a b") == NULL);
    CHECK_INT(starts, 2);
    CHECK_INT(ends, 2);
    CHECK_INT(end_errors, 1);
    CHECK_STR(last_end, "INCR:-4:ERR wrong nu");
    /* Sync pipeline: the 11th append is refused. */
    for (int i = 0; i < 10; i++)
        CHECK_INT(pdb_append_command(c, "PING"), PDB_OK);
    CHECK_INT(pdb_append_command(c, "PING"), PDB_ERR_QUEUE_FULL);
    CHECK_STR(pdb_error_name(PDB_ERR_QUEUE_FULL), "request queue full");
    for (int i = 0; i < 10; i++) {
        pdb_reply *r = NULL;
        CHECK_INT(pdb_get_reply(c, &r), PDB_OK);
        pdb_reply_free(r);
    }
    pdb_stats st;
    pdb_get_stats(c, &st);
    CHECK_INT(st.queue_rejections, 1);
    pdb_set_hooks(c, NULL);
    pdb_free(c);

    /* Async, refusing. */
    pdb_async *ac = pdb_async_connect(&o);
    mini_loop l;
    attach_mini(ac, &l);
    tally t = {0};
    for (int i = 0; i < 10; i++)
        CHECK_INT(pdb_async_command(ac, on_reply, &t, "PING"), PDB_OK);
    CHECK_INT(pdb_async_command(ac, on_reply, &t, "PING"), PDB_ERR_QUEUE_FULL);
    ml_run_until(&l, &t.done, 10);
    CHECK_INT(pdb_async_command(ac, on_reply, &t, "PING"), PDB_OK);
    ml_run_until(&l, &t.done, 11);
    CHECK_INT(t.ok, 11);
    pdb_async_free(ac);

    /* Async, blocking: 50 commands through a queue of 10, all answered. */
    o.queue_block = 1;
    o.command_timeout_ms = 2000;
    ac = pdb_async_connect(&o);
    attach_mini(ac, &l);
    pdb_hooks ah = {hook_start, hook_end, NULL};
    pdb_set_hooks(pdb_async_conn(ac), &ah);
    starts = ends = 0;
    tally b = {0};
    for (int i = 0; i < 50; i++) {
        CHECK_INT(pdb_async_command(ac, on_reply, &b, "INCR blocked"), PDB_OK);
        CHECK(pdb_async_pending(ac) <= 10);
    }
    CHECK(b.done >= 40); /* answered while waiting for room */
    ml_run_until(&l, &b.done, 50);
    CHECK_INT(b.ok, 50);
    CHECK_STR(b.last, "");
    CHECK_INT(starts, 50);
    CHECK_INT(ends, 50);
    pdb_async_free(ac);
    server_free(s);
}

#ifdef PDB_TEST_LIBEVENT
typedef struct ev_ctx {
    tally t;
    struct event_base *base;
} ev_ctx;

static void ev_stop_when_done(pdb_async *ac, pdb_reply *r, int err, void *priv) {
    ev_ctx *x = priv;
    on_reply(ac, r, err, &x->t);
    if (x->t.done == 3) event_base_loopbreak(x->base);
}

TEST(async_libevent_adapter, ON_BOTH) {
    server *s = server_start(NULL);
    CHECK(s && s->pid > 0);
    ev_ctx ctx = {{0}, event_base_new()};
    pdb_async *ac = async_to(s);
    CHECK_INT(pdb_libevent_attach(ac, ctx.base), PDB_OK);
    pdb_async_command(ac, ev_stop_when_done, &ctx, "SET ev %s", "libevent");
    pdb_async_command(ac, ev_stop_when_done, &ctx, "INCR ev");
    pdb_async_command(ac, ev_stop_when_done, &ctx, "GET ev");
    event_base_dispatch(ctx.base);
    CHECK_INT(ctx.t.done, 3);
    CHECK_INT(ctx.t.ok, 2);
    CHECK_INT(ctx.t.server_err, 1);
    CHECK_STR(ctx.t.last, "libevent");
    pdb_async_stats st;
    pdb_async_get_stats(ac, &st);
    CHECK_INT(st.writes, 1);
    pdb_async_free(ac);
    event_base_free(ctx.base);
    server_free(s);
}
#endif

#ifdef PDB_TEST_LIBUV
static void uv_stop_when_done(pdb_async *ac, pdb_reply *r, int err, void *priv) {
    on_reply(ac, r, err, priv);
    tally *t = priv;
    if (t->done == 3) uv_stop(uv_default_loop());
}

TEST(async_libuv_adapter, ON_BOTH) {
    server *s = server_start(NULL);
    CHECK(s && s->pid > 0);
    tally t = {0};
    pdb_options o = server_options(s);
    o.command_timeout_ms = 2000; /* exercises the timer handle */
    pdb_async *ac = pdb_async_connect(&o);
    CHECK_INT(pdb_libuv_attach(ac, uv_default_loop()), PDB_OK);
    pdb_async_command(ac, uv_stop_when_done, &t, "SET uv %s", "libuv");
    pdb_async_command(ac, uv_stop_when_done, &t, "APPEND uv !");
    pdb_async_command(ac, uv_stop_when_done, &t, "GET uv");
    uv_run(uv_default_loop(), UV_RUN_DEFAULT);
    CHECK_INT(t.done, 3);
    CHECK_INT(t.ok, 3);
    CHECK_STR(t.last, "libuv!");
    pdb_async_stats st;
    pdb_async_get_stats(ac, &st);
    CHECK_INT(st.writes, 1);
    pdb_async_free(ac);
    uv_run(uv_default_loop(), UV_RUN_NOWAIT); /* the close callbacks */
    server_free(s);
}
#endif
