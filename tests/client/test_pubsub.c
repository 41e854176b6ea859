/*
 * test_pubsub.c - subscriptions with callbacks in RESP3 and RESP2, routing
 * of messages that arrive while a command is awaited, and subscriptions made
 * again after the server restarts.
 */
#include <stdlib.h>

#include "harness.h"

typedef struct seen {
    int count;
    int kind;
    char channel[64];
    char pattern[64];
    char payload[64];
    size_t payload_len;
} seen;

static void copy_view(char *dst, size_t cap, pdb_view v) {
    size_t n = v.len < cap - 1 ? v.len : cap - 1;
    memcpy(dst, v.ptr, n);
    dst[n] = '\0';
}

static void on_message(pdb_conn *c, const pdb_message *m, void *priv) {
    (void)c;
    seen *s = priv;
    s->count++;
    s->kind = m->kind;
    copy_view(s->channel, sizeof s->channel, m->channel);
    copy_view(s->pattern, sizeof s->pattern, m->pattern);
    copy_view(s->payload, sizeof s->payload, m->payload);
    s->payload_len = m->payload.len;
}

static int publish(pdb_conn *p, const char *ch, const char *msg) {
    pdb_reply *r = pdb_command(p, "PUBLISH %s %s", ch, msg);
    int n = r ? (int)pdb_reply_integer(r) : -1;
    pdb_reply_free(r);
    return n;
}

/* Dispatches until a callback ran or 2 s passed. */
static int dispatch_one(pdb_conn *c) {
    long long until = now_ms() + 2000;
    while (now_ms() < until) {
        int rc = pdb_dispatch(c, 200);
        if (rc == 1) return 1;
        if (rc != PDB_ERR_TIMEOUT && rc != 0) return rc;
    }
    return PDB_ERR_TIMEOUT;
}

static void callbacks(int protocol) {
    server *s = server_start(NULL);
    CHECK(s && s->pid > 0);
    pdb_options o = server_options(s);
    o.protocol = protocol;
    pdb_conn *c = pdb_connect(&o), *p = pdb_connect(&o);
    seen news = {0}, pat = {0}, shard = {0};
    CHECK_INT(pdb_subscribe(c, "news", on_message, &news), PDB_OK);
    CHECK_INT(pdb_psubscribe(c, "sport.*", on_message, &pat), PDB_OK);
    CHECK_INT(pdb_ssubscribe(c, "orders", on_message, &shard), PDB_OK);
    CHECK_INT(pdb_subscriptions(c), 3);

    CHECK_INT(publish(p, "news", "hello"), 1);
    CHECK_INT(dispatch_one(c), 1);
    CHECK_INT(news.count, 1);
    CHECK_INT(news.kind, PDB_SUB_CHANNEL);
    CHECK_STR(news.channel, "news");
    CHECK_STR(news.payload, "hello");
    CHECK_STR(news.pattern, "");

    CHECK_INT(publish(p, "sport.golf", "par"), 1);
    CHECK_INT(dispatch_one(c), 1);
    CHECK_INT(pat.count, 1);
    CHECK_INT(pat.kind, PDB_SUB_PATTERN);
    CHECK_STR(pat.pattern, "sport.*");
    CHECK_STR(pat.channel, "sport.golf");
    CHECK_STR(pat.payload, "par");

    pdb_reply *r = pdb_command(p, "SPUBLISH orders o-1");
    CHECK_INT(pdb_reply_integer(r), 1);
    pdb_reply_free(r);
    CHECK_INT(dispatch_one(c), 1);
    CHECK_INT(shard.count, 1);
    CHECK_INT(shard.kind, PDB_SUB_SHARD);
    CHECK_STR(shard.channel, "orders");
    CHECK_STR(shard.payload, "o-1");

    /* A message published before a command's reply reaches the callback
     * while that command is awaited. */
    CHECK_INT(publish(p, "news", "during"), 1);
    sleep_ms(50);
    r = pdb_command(c, "PING");
    CHECK(r != NULL);
    pdb_reply_free(r);
    CHECK_INT(news.count, 2);
    CHECK_STR(news.payload, "during");

    CHECK_INT(pdb_unsubscribe_kind(c, PDB_SUB_CHANNEL, "news"), PDB_OK);
    CHECK_INT(pdb_subscriptions(c), 2);
    CHECK_INT(publish(p, "news", "gone"), 0);
    CHECK_INT(pdb_dispatch(c, 100), PDB_ERR_TIMEOUT);
    CHECK_INT(news.count, 2);
    pdb_free(c);
    pdb_free(p);
    server_free(s);
}

TEST(pubsub_callbacks_resp3, ON_BOTH) {
    callbacks(3);
}

TEST(pubsub_callbacks_resp2, ON_BOTH) {
    callbacks(2);
}

static void resubscribe(int protocol) {
    server *s = server_start(NULL);
    CHECK(s && s->pid > 0);
    pdb_options o = server_options(s);
    o.protocol = protocol;
    pdb_conn *c = pdb_connect(&o);
    seen a = {0}, b = {0};
    CHECK_INT(pdb_subscribe(c, "alpha", on_message, &a), PDB_OK);
    CHECK_INT(pdb_psubscribe(c, "beta:*", on_message, &b), PDB_OK);
    CHECK_INT(server_restart(s), 0);
    /* The loss is seen by the next dispatch, the one after reconnects and
     * subscribes both again. */
    int rc = pdb_dispatch(c, 300);
    CHECK(rc == PDB_ERR_CLOSED || rc == PDB_ERR_IO);
    CHECK_INT(pdb_dispatch(c, 100), PDB_ERR_TIMEOUT);
    pdb_conn *p = pdb_connect(&o);
    CHECK_INT(publish(p, "alpha", "after restart"), 1);
    CHECK_INT(publish(p, "beta:1", "pattern too"), 1);
    CHECK_INT(dispatch_one(c), 1);
    CHECK_INT(dispatch_one(c), 1);
    CHECK_INT(a.count, 1);
    CHECK_STR(a.payload, "after restart");
    CHECK_INT(b.count, 1);
    CHECK_STR(b.channel, "beta:1");
    pdb_stats st;
    pdb_get_stats(c, &st);
    CHECK_INT(st.reconnects, 1);

    /* A command issued after another restart reconnects and resubscribes
     * before it is sent. */
    CHECK_INT(server_restart(s), 0);
    pdb_reply *r = pdb_command(c, "PING");
    CHECK(r != NULL);
    pdb_reply_free(r);
    pdb_free(p);
    p = pdb_connect(&o);
    CHECK_INT(publish(p, "alpha", "again"), 1);
    CHECK_INT(dispatch_one(c), 1);
    CHECK_INT(a.count, 2);
    CHECK_STR(a.payload, "again");
    pdb_free(c);
    pdb_free(p);
    server_free(s);
}

TEST(pubsub_resubscribe_resp3, ON_BOTH) {
    resubscribe(3);
}

TEST(pubsub_resubscribe_resp2, ON_BOTH) {
    resubscribe(2);
}

TEST(pubsub_binary_payload_and_args, ON_BOTH) {
    server *s = server_start(NULL);
    CHECK(s && s->pid > 0);
    pdb_options o = server_options(s);
    pdb_conn *c = pdb_connect(&o), *p = pdb_connect(&o);
    seen x = {0};
    CHECK_INT(pdb_subscribe(c, NULL, on_message, &x), PDB_ERR_ARG);
    CHECK_INT(pdb_subscribe(c, "bin", NULL, &x), PDB_ERR_ARG);
    CHECK_INT(pdb_unsubscribe_kind(c, 7, "bin"), PDB_ERR_ARG);
    CHECK_INT(pdb_subscribe(c, "bin", on_message, &x), PDB_OK);
    pdb_reply *r = pdb_command(p, "PUBLISH bin %b", "a\0b", (size_t)3);
    pdb_reply_free(r);
    CHECK_INT(dispatch_one(c), 1);
    CHECK_INT(x.payload_len, 3);
    CHECK(memcmp(x.payload, "a\0b", 3) == 0);
    pdb_free(c);
    pdb_free(p);
    server_free(s);
}
