/*
 * test_leak_loop.c - a connect / command / disconnect loop over every kind
 * of connection state the library allocates for: replies of every shape,
 * a pipeline, server errors, pub/sub callbacks, the client-side cache, the
 * async connection with its loop, and connects that fail.
 *
 * Under ASan it runs with the other client tests; tests/run.sh also runs
 * it alone under valgrind (`client-tests leak_loop`), which must find no
 * leak and no invalid access (valgrind sees what the sanitizers' own
 * allocator can hide, and the library as shipped, not instrumented).
 */
#include "async_loop.h"
#include "harness.h"

#define LEAK_ROUNDS 40

static void on_message(pdb_conn *c, const pdb_message *m, void *privdata) {
    (void)c;
    (void)m;
    (*(int *)privdata)++;
}

/* The reply belongs to the library (freed after the callback). */
static void on_async_reply(pdb_async *ac, pdb_reply *reply, int err, void *privdata) {
    (void)ac;
    (void)reply;
    (void)err;
    (*(int *)privdata)++;
}

/* One sync connection's life: every reply shape, a pipeline, an error. */
static void sync_round(pdb_options *o, int round) {
    pdb_conn *c = pdb_connect(o);
    CHECK_INT(pdb_err(c), PDB_OK);
    pdb_reply *r = pdb_command(c, "SET leak:%d %b", round, "value", (size_t)5);
    CHECK_REPLY(r, PDB_REPLY_STATUS, "OK");
    pdb_reply_free(r);
    r = pdb_command(c, "HSET leak:h:%d a 1 b 2", round);
    pdb_reply_free(r);
    r = pdb_command(c, "HGETALL leak:h:%d", round); /* a map in RESP3 */
    CHECK(r != NULL);
    pdb_reply_free(r);
    r = pdb_command(c, "EVAL %s 0", "return {1, 'two', {3.5}, redis.error_reply('E')}");
    CHECK(r != NULL);
    pdb_reply_free(r);
    r = pdb_command(c, "NOSUCHCOMMAND");
    CHECK(r == NULL && pdb_err(c) == PDB_ERR_SERVER);
    for (int i = 0; i < 20; i++)
        CHECK_INT(pdb_append_command(c, "INCR leak:n:%d", round), PDB_OK);
    for (int i = 0; i < 20; i++) {
        CHECK_INT(pdb_get_reply(c, &r), PDB_OK);
        pdb_reply_free(r);
    }
    /* Left pending when the connection is freed: freed with it. */
    CHECK_INT(pdb_append_command(c, "GET leak:%d", round), PDB_OK);
    pdb_free(c);
}

static void pubsub_and_cache_round(pdb_options *o, int round) {
    pdb_conn *sub = pdb_connect(o);
    int got = 0;
    CHECK_INT(pdb_subscribe(sub, "leak:chan", on_message, &got), PDB_OK);
    pdb_conn *pub = pdb_connect(o);
    pdb_reply *r = pdb_command(pub, "PUBLISH leak:chan m%d", round);
    pdb_reply_free(r);
    for (int i = 0; i < 50 && got == 0; i++)
        pdb_dispatch(sub, 20);
    CHECK_INT(got, 1);
    pdb_free(sub);

    pdb_cache_options co = {.max_entries = 100, .max_bytes = 1 << 20, .ttl_ms = 0};
    CHECK_INT(pdb_cache_enable(pub, &co), PDB_OK);
    const char *argv[] = {"HGET", "leak:h:0", "a"};
    for (int i = 0; i < 3; i++) {
        r = pdb_cache_command_argv(pub, 3, argv, NULL);
        pdb_reply_free(r);
    }
    pdb_free(pub);
}

static void async_round(pdb_options *o) {
    pdb_async *ac = pdb_async_connect(o);
    CHECK_INT(pdb_async_err(ac), PDB_OK);
    link_loop l;
    CHECK_INT(attach_ll(ac, &l), PDB_OK);
    int done = 0;
    for (int i = 0; i < 10; i++)
        CHECK_INT(pdb_async_command(ac, on_async_reply, &done, "PING"), PDB_OK);
    ll_run_until(&l, &done, 10, 5000);
    CHECK_INT(done, 10);
    /* Freed with a command in flight: its callback runs once, failed. */
    CHECK_INT(pdb_async_command(ac, on_async_reply, &done, "PING"), PDB_OK);
    pdb_async_free(ac);
    CHECK_INT(done, 11);
}

TEST(leak_loop_connect_command_disconnect, ON_PAIRDB) {
    server *s = server_start(NULL);
    CHECK(s && s->pid > 0);
    pdb_options o = server_options(s);
    for (int round = 0; round < LEAK_ROUNDS; round++) {
        o.protocol = round % 2 ? 2 : 3;
        sync_round(&o, round);
        pubsub_and_cache_round(&o, round);
        async_round(&o);
    }
    /* A URL, and a connect that fails (nothing listens there). */
    char url[64];
    snprintf(url, sizeof url, "redis://127.0.0.1:%d/2", s->port);
    pdb_conn *c = pdb_connect_url(url, NULL);
    CHECK_INT(pdb_err(c), PDB_OK);
    pdb_free(c);
    pdb_options dead = server_options(s);
    dead.port = free_port();
    dead.reconnect_attempts = 1;
    c = pdb_connect(&dead);
    CHECK(pdb_err(c) == PDB_ERR_IO);
    pdb_free(c);
}
