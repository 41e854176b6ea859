/*
 * test_cache.c - the client-side cache: hits, invalidation by another
 * client's write (RESP3 pushes and RESP2 redirection), FLUSHALL, the entry,
 * byte and TTL bounds, and the flush on reconnect.
 */
#include <stdlib.h>

#include "harness.h"

static pdb_conn *cached_conn(const server *s, int protocol, size_t entries, size_t bytes, int ttl) {
    pdb_options o = server_options(s);
    o.protocol = protocol;
    pdb_conn *c = pdb_connect(&o);
    pdb_cache_options co = {entries, bytes, ttl};
    if (pdb_cache_enable(c, &co) != PDB_OK) return NULL;
    return c;
}

static void set(pdb_conn *w, const char *k, const char *v) {
    pdb_reply_free(pdb_command(w, "SET %s %s", k, v));
}

/* The cached read's text ("(nil)" for a null reply). */
static const char *read_text(pdb_conn *c, const char *key, char *buf, size_t cap) {
    pdb_reply *r = pdb_cache_get(c, key, strlen(key));
    if (!r)
        snprintf(buf, cap, "(error)");
    else if (pdb_reply_type(r) == PDB_REPLY_NULL)
        snprintf(buf, cap, "(nil)");
    else
        snprintf(buf, cap, "%s", pdb_reply_str(r));
    pdb_reply_free(r);
    return buf;
}

/* Reads until the value is want (the invalidation travels like any packet),
 * at most 2 s. */
static int eventually(pdb_conn *c, const char *key, const char *want) {
    char buf[64];
    for (long long until = now_ms() + 2000; now_ms() < until; sleep_ms(5))
        if (strcmp(read_text(c, key, buf, sizeof buf), want) == 0) return 1;
    return 0;
}

static void invalidation(int protocol) {
    server *s = server_start(NULL);
    CHECK(s && s->pid > 0);
    pdb_conn *c = cached_conn(s, protocol, 100, 1 << 20, 0);
    CHECK(c != NULL);
    pdb_options o = server_options(s);
    pdb_conn *w = pdb_connect(&o);
    char buf[64];
    set(w, "k", "v1");
    CHECK_STR(read_text(c, "k", buf, sizeof buf), "v1");
    CHECK_STR(read_text(c, "k", buf, sizeof buf), "v1");
    pdb_cache_stats cs;
    pdb_cache_get_stats(c, &cs);
    CHECK_INT(cs.misses, 1);
    CHECK_INT(cs.hits, 1);
    CHECK_INT(cs.entries, 1);
    /* The hit did not reach the server: one GET sent. */
    pdb_cmd_stats gs;
    CHECK_INT(pdb_stats_lookup(c, "GET", &gs), PDB_OK);
    CHECK_INT(gs.calls, 1);

    /* Another client writes: the entry goes, the new value is read. */
    set(w, "k", "v2");
    CHECK(eventually(c, "k", "v2"));
    pdb_cache_get_stats(c, &cs);
    CHECK(cs.invalidations >= 1);
    CHECK_INT(pdb_stats_lookup(c, "GET", &gs), PDB_OK);
    CHECK_INT(gs.calls, 2);

    /* A missing key is cached as null, and invalidated like any other. */
    CHECK_STR(read_text(c, "nokey", buf, sizeof buf), "(nil)");
    CHECK_STR(read_text(c, "nokey", buf, sizeof buf), "(nil)");
    set(w, "nokey", "now");
    CHECK(eventually(c, "nokey", "now"));

    /* FLUSHALL invalidates everything. */
    CHECK_STR(read_text(c, "k", buf, sizeof buf), "v2");
    pdb_reply_free(pdb_command(w, "FLUSHALL"));
    CHECK(eventually(c, "k", "(nil)"));
    pdb_cache_get_stats(c, &cs);
    CHECK(cs.flushes >= 2); /* set-up, FLUSHALL */
    pdb_free(c);
    pdb_free(w);
    server_free(s);
}

TEST(cache_invalidation_resp3, ON_BOTH) {
    invalidation(3);
}

TEST(cache_invalidation_resp2_redirect, ON_BOTH) {
    invalidation(2);
}

TEST(cache_bounds_and_ttl, ON_BOTH) {
    server *s = server_start(NULL);
    CHECK(s && s->pid > 0);
    pdb_options o = server_options(s);
    pdb_conn *w = pdb_connect(&o);
    char buf[64], key[16];
    for (int i = 0; i < 5; i++) {
        snprintf(key, sizeof key, "b%d", i);
        set(w, key, "0123456789");
    }
    pdb_conn *c = cached_conn(s, 3, 3, 1 << 20, 0);
    CHECK(c != NULL);
    for (int i = 0; i < 5; i++) {
        snprintf(key, sizeof key, "b%d", i);
        CHECK_STR(read_text(c, key, buf, sizeof buf), "0123456789");
    }
    pdb_cache_stats cs;
    pdb_cache_get_stats(c, &cs);
    CHECK_INT(cs.entries, 3);
    CHECK_INT(cs.evictions, 2);
    /* Least recently used went first: b0 misses, b4 hits. */
    read_text(c, "b4", buf, sizeof buf);
    read_text(c, "b0", buf, sizeof buf);
    pdb_cache_get_stats(c, &cs);
    CHECK_INT(cs.hits, 1);
    CHECK_INT(cs.misses, 6);
    pdb_free(c);

    /* Bytes: room for two entries of a 2-byte key and a 10-byte value. */
    size_t one = PDB_CACHE_ENTRY_OVERHEAD + 2 + 10;
    c = cached_conn(s, 3, 100, 2 * one + 10, 0);
    for (int i = 0; i < 5; i++) {
        snprintf(key, sizeof key, "b%d", i);
        read_text(c, key, buf, sizeof buf);
    }
    pdb_cache_get_stats(c, &cs);
    CHECK_INT(cs.entries, 2);
    CHECK_INT(cs.bytes, 2 * one);
    CHECK_INT(cs.evictions, 3);
    pdb_free(c);

    /* TTL. */
    c = cached_conn(s, 3, 100, 1 << 20, 60);
    read_text(c, "b1", buf, sizeof buf);
    read_text(c, "b1", buf, sizeof buf);
    sleep_ms(100);
    CHECK_STR(read_text(c, "b1", buf, sizeof buf), "0123456789");
    pdb_cache_get_stats(c, &cs);
    CHECK_INT(cs.hits, 1);
    CHECK_INT(cs.expired, 1);
    CHECK_INT(cs.misses, 2);

    /* Bad options. */
    pdb_cache_options bad = {0, 100, 0};
    CHECK_INT(pdb_cache_enable(c, &bad), PDB_ERR_ARG);
    bad.max_entries = 10;
    bad.ttl_ms = -1;
    CHECK_INT(pdb_cache_enable(c, &bad), PDB_ERR_ARG);
    pdb_free(c);
    pdb_free(w);
    server_free(s);
}

static void flushed_on_reconnect(int protocol) {
    server *s = server_start(NULL);
    CHECK(s && s->pid > 0);
    pdb_conn *c = cached_conn(s, protocol, 100, 1 << 20, 0);
    pdb_options o = server_options(s);
    pdb_conn *w = pdb_connect(&o);
    char buf[64];
    set(w, "r", "before");
    CHECK_STR(read_text(c, "r", buf, sizeof buf), "before");
    CHECK_STR(read_text(c, "r", buf, sizeof buf), "before");
    pdb_free(w);
    /* The restarted server holds no data: a stale cache would still say
     * "before". */
    CHECK_INT(server_restart(s), 0);
    CHECK_STR(read_text(c, "r", buf, sizeof buf), "(nil)");
    w = pdb_connect(&o);
    set(w, "r", "after");
    /* Tracking was set up again on the new connection. */
    CHECK(eventually(c, "r", "after"));
    pdb_cache_stats cs;
    pdb_cache_get_stats(c, &cs);
    CHECK(cs.flushes >= 2);
    pdb_stats st;
    pdb_get_stats(c, &st);
    CHECK_INT(st.reconnects, 1);
    pdb_free(c);
    pdb_free(w);
    server_free(s);
}

TEST(cache_flushed_on_reconnect_resp3, ON_BOTH) {
    flushed_on_reconnect(3);
}

TEST(cache_flushed_on_reconnect_resp2, ON_BOTH) {
    flushed_on_reconnect(2);
}
