/*
 * test_async_link.c - the asynchronous connection losing its server and
 * reconnecting: every callback called exactly once (in flight: failed;
 * issued while down: held and sent after the handshake), the connect and
 * disconnect callbacks, the bound on held commands, the circuit breaker
 * failing fast, the handshake (AUTH, SELECT, name) redone without
 * blocking, and the same with the libevent adapter while another thread
 * kills and restarts the server. Pub/sub on the async connection in RESP3
 * and RESP2: channel, pattern and shard messages, unsubscribing, and the
 * subscriptions made again by a reconnect.
 */
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/wait.h>

#include "async_loop.h"
#include "harness.h"

#ifdef PDB_TEST_LIBEVENT
#include "pairdb_libevent.h"
#endif

/* ---- bookkeeping: each command has a slot that counts its callbacks ---- */

#define SLOTS 2000

typedef struct book {
    int calls[SLOTS];
    int err[SLOTS];
    long long value[SLOTS];
    int done, ok, failed, server_err;
    int connects_ok, connects_failed, disconnects, last_disconnect;
} book;

typedef struct slot_ref {
    book *b;
    int i;
} slot_ref;

static slot_ref refs[SLOTS];

static void on_slot(pdb_async *ac, pdb_reply *r, int err, void *priv) {
    (void)ac;
    slot_ref *s = priv;
    book *b = s->b;
    b->calls[s->i]++;
    b->err[s->i] = err;
    b->value[s->i] = r ? pdb_reply_integer(r) : -1;
    b->done++;
    if (err == PDB_OK)
        b->ok++;
    else if (err == PDB_ERR_SERVER)
        b->server_err++;
    else
        b->failed++;
}

static void on_connect(pdb_async *ac, int status, void *priv) {
    (void)ac;
    book *b = priv;
    if (status == PDB_OK)
        b->connects_ok++;
    else
        b->connects_failed++;
}

static void on_disconnect(pdb_async *ac, int status, void *priv) {
    (void)ac;
    book *b = priv;
    b->disconnects++;
    b->last_disconnect = status;
}

static int issue(pdb_async *ac, book *b, int i, const char *fmt, const char *key) {
    refs[i].b = b;
    refs[i].i = i;
    return pdb_async_command(ac, on_slot, &refs[i], fmt, key);
}

static int each_called_once(const book *b, int n) {
    for (int i = 0; i < n; i++)
        if (b->calls[i] != 1) return 0;
    return 1;
}

static pdb_options link_options(const server *s) {
    pdb_options o = server_options(s);
    o.reconnect_base_ms = 10;
    o.reconnect_max_ms = 100;
    o.breaker_threshold = 0;
    o.command_timeout_ms = 5000;
    return o;
}

TEST(async_reconnect_own_loop, ON_BOTH) {
    server *s = server_start("--requirepass", "sekret", NULL);
    CHECK(s && s->pid > 0);
    pdb_options o = link_options(s);
    o.password = "sekret";
    o.db = 3;
    o.client_name = "relinker";
    pdb_async *ac = pdb_async_connect(&o);
    CHECK_INT(pdb_async_err(ac), PDB_OK);
    static book b;
    memset(&b, 0, sizeof b);
    pdb_async_set_connect_callback(ac, on_connect, &b);
    pdb_async_set_disconnect_callback(ac, on_disconnect, &b);
    link_loop l;
    /* An adapter without set_fd cannot follow a new socket. */
    pdb_async_adapter bare = {&l, ll_add_read, ll_del_read, ll_add_write, ll_del_write, ll_timer,
                              NULL, NULL};
    CHECK_INT(pdb_async_set_reconnect(ac, 1, 5), PDB_OK);
    CHECK_INT(pdb_async_attach(ac, &bare), PDB_ERR_ARG);
    CHECK_INT(attach_ll(ac, &l), PDB_OK);
    CHECK_INT(l.fd, pdb_async_fd(ac));

    int n = 0;
    for (; n < 50; n++)
        CHECK_INT(issue(ac, &b, n, "INCR %s", "before"), PDB_OK);
    ll_run_until(&l, &b.done, n, 5000);
    CHECK_INT(b.ok, 50);
    CHECK_INT(b.value[49], 50);

    /* Killed with commands in flight: each fails once, none succeeds late. */
    for (int i = 0; i < 20; i++, n++)
        issue(ac, &b, n, "INCR %s", "lost");
    ll_turn(&l);
    kill(s->pid, SIGKILL);
    waitpid(s->pid, NULL, 0);
    s->pid = 0;
    ll_run_until(&l, &b.done, n, 5000);
    CHECK_INT(b.done, 70);
    CHECK_INT(b.ok + b.failed, 70);
    CHECK_INT(b.disconnects, 1);
    CHECK(b.last_disconnect == PDB_ERR_CLOSED || b.last_disconnect == PDB_ERR_IO);
    CHECK_INT(pdb_async_is_connected(ac), 0);

    /* Down: held up to the bound, then refused; attempts keep failing. */
    int held_from = n;
    for (int i = 0; i < 5; i++, n++)
        CHECK_INT(issue(ac, &b, n, "INCR %s", "after"), PDB_OK);
    CHECK_INT(issue(ac, &b, n, "INCR %s", "after"), PDB_ERR_QUEUE_FULL);
    CHECK_INT(pdb_async_pending(ac), 5);
    ll_run_for(&l, 300);
    CHECK(b.connects_failed >= 2);
    CHECK_INT(b.connects_ok, 0);
    CHECK_INT(b.done, 70);

    /* Back: the handshake (AUTH, SELECT 3, name) runs as callbacks, then
     * the held commands go out in order. */
    CHECK_INT(server_restart(s), 0);
    ll_run_until(&l, &b.done, n, 5000);
    CHECK_INT(b.connects_ok, 1);
    for (int i = held_from; i < n; i++) {
        CHECK_INT(b.err[i], PDB_OK);
        CHECK_INT(b.value[i], i - held_from + 1);
    }
    CHECK(each_called_once(&b, n));
    CHECK_INT(pdb_async_is_connected(ac), 1);
    refs[n].b = &b;
    refs[n].i = n;
    pdb_async_command(ac, on_slot, &refs[n], "CLIENT GETNAME");
    refs[n + 1].b = &b;
    refs[n + 1].i = n + 1;
    pdb_async_command(ac, on_slot, &refs[n + 1], "EXISTS after");
    n += 2;
    ll_run_until(&l, &b.done, n, 5000);
    CHECK_INT(b.err[n - 2], PDB_OK);
    CHECK_INT(b.value[n - 1], 1); /* in db 3, where the held INCRs went */
    pdb_async_stats st;
    pdb_async_get_stats(ac, &st);
    CHECK_INT(st.connects, 1);
    CHECK(st.connect_failures >= 2);
    CHECK_INT(st.held, 5);
    CHECK_INT(st.rejected, 1);
    pdb_stats cs;
    pdb_get_stats(pdb_async_conn(ac), &cs);
    CHECK_INT(cs.reconnects, 1);

    pdb_async_free(ac);
    CHECK_INT(b.disconnects, 2);
    CHECK_INT(b.last_disconnect, PDB_OK);
    CHECK(each_called_once(&b, n));
    server_free(s);
}

TEST(async_reconnect_breaker_and_deadline, ON_PAIRDB) {
    server *s = server_start(NULL);
    CHECK(s && s->pid > 0);
    pdb_options o = link_options(s);
    o.breaker_threshold = 2;
    o.breaker_cooldown_ms = 400;
    o.command_timeout_ms = 150;
    pdb_async *ac = pdb_async_connect(&o);
    static book b;
    memset(&b, 0, sizeof b);
    pdb_async_set_connect_callback(ac, on_connect, &b);
    link_loop l;
    CHECK_INT(attach_ll(ac, &l), PDB_OK);
    CHECK_INT(pdb_async_set_reconnect(ac, 1, 0), PDB_OK);
    server_stop(s);
    int n = 0;
    issue(ac, &b, n++, "GET %s", "k");
    ll_run_until(&l, &b.done, 1, 3000);
    CHECK_INT(b.err[0], PDB_ERR_CLOSED);

    /* A held command past its deadline fails alone (PDB_ERR_TIMEOUT) or
     * for the breaker opening, whichever comes first. */
    CHECK_INT(issue(ac, &b, n++, "GET %s", "k"), PDB_OK);
    ll_run_until(&l, &b.done, 2, 3000);
    CHECK(b.err[1] == PDB_ERR_TIMEOUT || b.err[1] == PDB_ERR_CIRCUIT_OPEN);
    ll_run_for(&l, 100);
    CHECK_INT(pdb_breaker_state_now(pdb_async_conn(ac)), PDB_BREAKER_OPEN);
    /* Open: refused at once, nothing held. */
    CHECK_INT(issue(ac, &b, n, "GET %s", "k"), PDB_ERR_CIRCUIT_OPEN);
    CHECK_INT(pdb_async_pending(ac), 0);
    pdb_async_stats st;
    pdb_async_get_stats(ac, &st);
    CHECK_INT(st.breaker_rejected, 1);

    /* The server returns; after the cool-down the trial attempt succeeds. */
    CHECK_INT(server_restart(s), 0);
    ll_run_for(&l, 20);
    long long t0 = now_ms();
    while (!pdb_async_is_connected(ac) && now_ms() - t0 < 3000)
        ll_turn(&l);
    CHECK_INT(pdb_async_is_connected(ac), 1);
    CHECK_INT(pdb_breaker_state_now(pdb_async_conn(ac)), PDB_BREAKER_CLOSED);
    CHECK_INT(issue(ac, &b, n++, "SET %s 1", "k"), PDB_OK);
    ll_run_until(&l, &b.done, 3, 3000);
    CHECK_INT(b.err[2], PDB_OK);
    CHECK(each_called_once(&b, n));

    /* Reconnecting off while down: held commands fail, later ones too. */
    server_stop(s);
    issue(ac, &b, n++, "GET %s", "k");
    ll_run_until(&l, &b.done, 4, 3000);
    CHECK_INT(issue(ac, &b, n++, "GET %s", "k"), PDB_OK);
    CHECK_INT(pdb_async_set_reconnect(ac, 0, 0), PDB_OK);
    CHECK_INT(b.err[n - 1], PDB_ERR_CLOSED);
    CHECK_INT(issue(ac, &b, n, "GET %s", "k"), PDB_ERR_CLOSED);
    CHECK(each_called_once(&b, n));
    pdb_async_free(ac);
    server_free(s);
}

/* The server refuses the handshake (the password changed under a live
 * connection): attempts fail with the refusal, the held command waits, and
 * the next attempt after the password is back goes through. */
static int last_attempt;
static char last_attempt_msg[256];
static void note_attempt(pdb_async *ac, int status, void *priv) {
    on_connect(ac, status, priv);
    last_attempt = status;
    snprintf(last_attempt_msg, sizeof last_attempt_msg, "%s", pdb_async_errstr(ac));
}

static void refused_handshake(int protocol) {
    server *s = server_start("--requirepass", "p1", NULL);
    CHECK(s && s->pid > 0);
    pdb_options o = link_options(s);
    o.password = "p1";
    o.protocol = protocol;
    pdb_conn *admin = pdb_connect(&o);
    CHECK_INT(pdb_err(admin), PDB_OK);
    pdb_async *ac = pdb_async_connect(&o);
    CHECK_INT(pdb_async_err(ac), PDB_OK);
    static book b;
    memset(&b, 0, sizeof b);
    pdb_async_set_connect_callback(ac, note_attempt, &b);
    pdb_async_set_disconnect_callback(ac, on_disconnect, &b);
    link_loop l;
    CHECK_INT(attach_ll(ac, &l), PDB_OK);
    CHECK_INT(pdb_async_set_reconnect(ac, 1, 0), PDB_OK);
    CHECK_INT(issue(ac, &b, 0, "CLIENT %s", "ID"), PDB_OK);
    ll_run_until(&l, &b.done, 1, 5000);
    CHECK_INT(b.err[0], PDB_OK);
    pdb_reply_free(pdb_command(admin, "CONFIG SET requirepass p2"));
    pdb_reply *r = pdb_command(admin, "CLIENT KILL ID %lld", b.value[0]);
    CHECK(r != NULL);
    pdb_reply_free(r);
    ll_run_until(&l, &b.disconnects, 1, 5000);
    CHECK_INT(b.disconnects, 1);
    CHECK_INT(issue(ac, &b, 1, "GET %s", "k"), PDB_OK);
    long long t0 = now_ms();
    while (b.connects_failed < 2 && now_ms() - t0 < 5000)
        ll_turn(&l);
    CHECK(b.connects_failed >= 2);
    CHECK_INT(last_attempt, PDB_ERR_SERVER);
    CHECK(strstr(last_attempt_msg, "refused") != NULL);
    CHECK(strstr(last_attempt_msg, "WRONGPASS") != NULL ||
          strstr(last_attempt_msg, "invalid password") != NULL);
    CHECK_INT(b.done, 1); /* the GET is held, not failed */
    pdb_reply_free(pdb_command(admin, "CONFIG SET requirepass p1"));
    ll_run_until(&l, &b.done, 2, 5000);
    CHECK_INT(b.err[1], PDB_OK);
    CHECK_INT(b.connects_ok, 1);
    CHECK(each_called_once(&b, 2));
    pdb_async_free(ac);
    pdb_free(admin);
    server_free(s);
}

TEST(async_reconnect_refused_handshake_resp3, ON_BOTH) {
    refused_handshake(3);
}

TEST(async_reconnect_refused_handshake_resp2, ON_BOTH) {
    refused_handshake(2);
}

#ifdef PDB_TEST_LIBEVENT
/* The loop issues one command every 5 ms while a thread kills the server
 * and starts it again: every callback runs once, traffic resumes. */
#define EV_TOTAL 240

typedef struct ev_link {
    struct event_base *base;
    struct event *tick;
    pdb_async *ac;
    book *b;
    int issued, refused;
    server *s;
} ev_link;

static void ev_tick(evutil_socket_t fd, short what, void *arg) {
    (void)fd;
    (void)what;
    ev_link *x = arg;
    if (x->issued < EV_TOTAL) {
        int i = x->issued++;
        if (issue(x->ac, x->b, i, "INCR %s", "ev") != PDB_OK) {
            x->b->calls[i]++; /* refused: counts as its one outcome */
            x->refused++;
        }
    }
    if (x->issued == EV_TOTAL && x->b->done + x->refused == EV_TOTAL) {
        event_base_loopbreak(x->base);
        return;
    }
    struct timeval tv = {0, 5000};
    evtimer_add(x->tick, &tv);
}

static void *bounce_server(void *arg) {
    ev_link *x = arg;
    sleep_ms(250);
    kill(x->s->pid, SIGKILL);
    waitpid(x->s->pid, NULL, 0);
    x->s->pid = 0;
    sleep_ms(250);
    server_restart(x->s);
    return NULL;
}

TEST(async_reconnect_libevent, ON_BOTH) {
    server *s = server_start(NULL);
    CHECK(s && s->pid > 0);
    pdb_options o = link_options(s);
    static book b;
    memset(&b, 0, sizeof b);
    ev_link x = {event_base_new(), NULL, pdb_async_connect(&o), &b, 0, 0, s};
    CHECK_INT(pdb_async_err(x.ac), PDB_OK);
    pdb_async_set_connect_callback(x.ac, on_connect, &b);
    pdb_async_set_disconnect_callback(x.ac, on_disconnect, &b);
    CHECK_INT(pdb_async_set_reconnect(x.ac, 1, 1000), PDB_OK);
    CHECK_INT(pdb_libevent_attach(x.ac, x.base), PDB_OK);
    x.tick = evtimer_new(x.base, ev_tick, &x);
    struct timeval tv = {0, 0}, stop = {20, 0};
    evtimer_add(x.tick, &tv);
    event_base_loopexit(x.base, &stop);
    pthread_t th;
    pthread_create(&th, NULL, bounce_server, &x);
    event_base_dispatch(x.base);
    pthread_join(th, NULL);
    CHECK_INT(x.issued, EV_TOTAL);
    CHECK_INT(x.refused, 0);
    CHECK_INT(b.done, EV_TOTAL);
    CHECK(each_called_once(&b, EV_TOTAL));
    CHECK_INT(b.disconnects, 1);
    CHECK_INT(b.connects_ok, 1);
    CHECK_INT(b.ok + b.failed, EV_TOTAL);
    pdb_async_stats st;
    pdb_async_get_stats(x.ac, &st);
    CHECK(st.held >= 10); /* issued while the server was away */
    CHECK_INT(st.connects, 1);
    /* Traffic resumed: the last command ran on the new server, where the
     * counter started again. */
    CHECK_INT(b.err[EV_TOTAL - 1], PDB_OK);
    CHECK(b.value[EV_TOTAL - 1] >= 1 && b.value[EV_TOTAL - 1] < EV_TOTAL);
    pdb_async_free(x.ac);
    event_free(x.tick);
    event_base_free(x.base);
    server_free(s);
}
#endif

/* ---- pub/sub on the asynchronous connection ---- */

typedef struct inbox {
    int messages, confirmed, refused;
    int kinds[3];
    char last_channel[32], last_pattern[32], last_payload[32];
} inbox;

static void on_message(pdb_async *ac, const pdb_message *m, void *priv) {
    (void)ac;
    inbox *in = priv;
    in->messages++;
    in->kinds[m->kind]++;
    snprintf(in->last_channel, sizeof in->last_channel, "%.*s", (int)m->channel.len,
             m->channel.ptr);
    snprintf(in->last_pattern, sizeof in->last_pattern, "%.*s", (int)m->pattern.len,
             m->pattern.ptr);
    snprintf(in->last_payload, sizeof in->last_payload, "%.*s", (int)m->payload.len,
             m->payload.ptr);
}

static void on_confirmed(pdb_async *ac, pdb_reply *r, int err, void *priv) {
    (void)ac;
    (void)r;
    inbox *in = priv;
    if (err == PDB_OK)
        in->confirmed++;
    else
        in->refused++;
}

static long long publish(const server *s, const char *cmd, const char *ch, const char *msg) {
    pdb_options o = server_options(s);
    pdb_conn *c = pdb_connect(&o);
    pdb_reply *r = pdb_command(c, "%s %s %s", cmd, ch, msg);
    long long n = r ? pdb_reply_integer(r) : -1;
    pdb_reply_free(r);
    pdb_free(c);
    return n;
}

static void run_pubsub(int protocol) {
    server *s = server_start(NULL);
    CHECK(s && s->pid > 0);
    pdb_options o = link_options(s);
    o.protocol = protocol;
    pdb_async *ac = pdb_async_connect(&o);
    CHECK_INT(pdb_async_err(ac), PDB_OK);
    link_loop l;
    CHECK_INT(attach_ll(ac, &l), PDB_OK);
    CHECK_INT(pdb_async_set_reconnect(ac, 1, 0), PDB_OK);
    static inbox in;
    memset(&in, 0, sizeof in);
    CHECK_INT(pdb_async_command(ac, NULL, NULL, "SUBSCRIBE x"), PDB_ERR_ARG);
    CHECK_INT(pdb_async_subscribe(ac, 7, "x", on_message, &in, NULL), PDB_ERR_ARG);
    CHECK_INT(pdb_async_subscribe(ac, PDB_SUB_CHANNEL, "news", on_message, &in, on_confirmed),
              PDB_OK);
    CHECK_INT(pdb_async_subscribe(ac, PDB_SUB_PATTERN, "ev.*", on_message, &in, on_confirmed),
              PDB_OK);
    CHECK_INT(pdb_async_subscribe(ac, PDB_SUB_SHARD, "shard1", on_message, &in, on_confirmed),
              PDB_OK);
    static book b;
    memset(&b, 0, sizeof b);
    issue(ac, &b, 0, "PING %s", "");
    ll_run_until(&l, &in.confirmed, 3, 5000);
    ll_run_until(&l, &b.done, 1, 5000);
    CHECK_INT(in.confirmed, 3);
    CHECK_INT(b.err[0], PDB_OK);
    CHECK_INT(pdb_async_subscriptions(ac), 3);

    CHECK_INT(publish(s, "PUBLISH", "news", "hello"), 1);
    ll_run_until(&l, &in.messages, 1, 5000);
    CHECK_STR(in.last_channel, "news");
    CHECK_STR(in.last_payload, "hello");
    CHECK_STR(in.last_pattern, "");
    CHECK_INT(publish(s, "PUBLISH", "ev.login", "alice"), 1);
    ll_run_until(&l, &in.messages, 2, 5000);
    CHECK_STR(in.last_pattern, "ev.*");
    CHECK_STR(in.last_channel, "ev.login");
    CHECK_STR(in.last_payload, "alice");
    CHECK_INT(publish(s, "SPUBLISH", "shard1", "s1"), 1);
    ll_run_until(&l, &in.messages, 3, 5000);
    CHECK_INT(in.kinds[PDB_SUB_SHARD], 1);
    CHECK_STR(in.last_payload, "s1");
    if (protocol == 3) {
        /* Replies and messages interleave on one RESP3 connection. */
        issue(ac, &b, 1, "SET %s v", "k");
        ll_run_until(&l, &b.done, 2, 5000);
        CHECK_INT(b.err[1], PDB_OK);
    }

    /* Unsubscribed: forgotten, and the server no longer counts it. */
    CHECK_INT(pdb_async_unsubscribe(ac, PDB_SUB_CHANNEL, "news", on_confirmed, &in), PDB_OK);
    ll_run_until(&l, &in.confirmed, 4, 5000);
    CHECK_INT(pdb_async_subscriptions(ac), 2);
    CHECK_INT(publish(s, "PUBLISH", "news", "nobody"), 0);

    /* The server restarts: the reconnect subscribes again, and a message
     * published afterwards arrives. */
    kill(s->pid, SIGKILL);
    waitpid(s->pid, NULL, 0);
    s->pid = 0;
    ll_run_for(&l, 100);
    CHECK_INT(pdb_async_is_connected(ac), 0);
    CHECK_INT(server_restart(s), 0);
    long long t0 = now_ms();
    while (!pdb_async_is_connected(ac) && now_ms() - t0 < 5000)
        ll_turn(&l);
    CHECK_INT(pdb_async_is_connected(ac), 1);
    CHECK_INT(publish(s, "PUBLISH", "ev.after", "back"), 1);
    CHECK_INT(publish(s, "SPUBLISH", "shard1", "again"), 1);
    CHECK_INT(publish(s, "PUBLISH", "news", "still-nobody"), 0);
    ll_run_until(&l, &in.messages, 5, 5000);
    CHECK_INT(in.messages, 5);
    CHECK_INT(in.kinds[PDB_SUB_PATTERN], 2);
    CHECK_INT(in.kinds[PDB_SUB_SHARD], 2);
    CHECK_STR(in.last_payload, "again");
    pdb_async_free(ac);
    server_free(s);
}

TEST(async_pubsub_resp3, ON_BOTH) {
    run_pubsub(3);
}

TEST(async_pubsub_resp2, ON_BOTH) {
    run_pubsub(2);
}

#ifdef PDB_TEST_LIBUV
#include "pairdb_libuv.h"

#define EV_TOTAL_UV 200

/* The libuv adapter across a restart: its poll handle is replaced on the
 * new socket. */
typedef struct uv_link {
    uv_timer_t tick;
    pdb_async *ac;
    book *b;
    int issued;
    server *s;
    long long until; /* gives up then: a refused command never answers */
} uv_link;

static void uv_tick(uv_timer_t *t) {
    uv_link *x = t->data;
    if (x->issued < EV_TOTAL_UV) {
        int i = x->issued++;
        if (issue(x->ac, x->b, i, "INCR %s", "uv") != PDB_OK) x->b->calls[i] += 100;
    }
    if ((x->issued == EV_TOTAL_UV && x->b->done == EV_TOTAL_UV) || now_ms() > x->until) {
        uv_timer_stop(t);
        uv_stop(t->loop);
    }
}

static void *uv_bounce(void *arg) {
    uv_link *x = arg;
    sleep_ms(200);
    kill(x->s->pid, SIGKILL);
    waitpid(x->s->pid, NULL, 0);
    x->s->pid = 0;
    sleep_ms(200);
    server_restart(x->s);
    return NULL;
}

TEST(async_reconnect_libuv, ON_PAIRDB) {
    server *s = server_start(NULL);
    CHECK(s && s->pid > 0);
    pdb_options o = link_options(s);
    static book b;
    memset(&b, 0, sizeof b);
    uv_loop_t *loop = uv_default_loop();
    uv_link x = {.ac = pdb_async_connect(&o), .b = &b, .s = s, .until = now_ms() + 20000};
    CHECK_INT(pdb_async_err(x.ac), PDB_OK);
    pdb_async_set_connect_callback(x.ac, on_connect, &b);
    CHECK_INT(pdb_async_set_reconnect(x.ac, 1, 1000), PDB_OK);
    CHECK_INT(pdb_libuv_attach(x.ac, loop), PDB_OK);
    uv_timer_init(loop, &x.tick);
    x.tick.data = &x;
    uv_timer_start(&x.tick, uv_tick, 0, 5);
    pthread_t th;
    pthread_create(&th, NULL, uv_bounce, &x);
    uv_run(loop, UV_RUN_DEFAULT);
    pthread_join(th, NULL);
    CHECK_INT(b.done, EV_TOTAL_UV);
    CHECK(each_called_once(&b, EV_TOTAL_UV));
    CHECK_INT(b.connects_ok, 1);
    CHECK_INT(b.err[EV_TOTAL_UV - 1], PDB_OK);
    CHECK(b.value[EV_TOTAL_UV - 1] >= 1 && b.value[EV_TOTAL_UV - 1] < EV_TOTAL_UV);
    pdb_async_free(x.ac);
    uv_close((uv_handle_t *)&x.tick, NULL);
    uv_run(loop, UV_RUN_NOWAIT); /* the close callbacks */
    server_free(s);
}
#endif
