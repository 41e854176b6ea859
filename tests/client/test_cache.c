/*
 * test_cache.c - the client-side cache: hits, invalidation by another
 * client's write (RESP3 pushes and RESP2 redirection), FLUSHALL, the entry,
 * byte and TTL bounds, and the flush on reconnect; then commands beyond GET
 * (hashes, lists, sorted sets, EXISTS, TYPE): hits identical to misses,
 * every entry of a key dropped by one write, commands outside the
 * allow-list and error replies never stored, in RESP3 and RESP2 redirect
 * mode.
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

    /* Bytes: room for two entries of "GET" and a 2-byte key, with a reply
     * of 10 bytes ("$10\r\n0123456789\r\n": 17 bytes of RESP3). */
    size_t one = PDB_CACHE_ENTRY_OVERHEAD + 3 + 2 + 17;
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

/* ---- commands beyond GET ---- */

/* A reply as text, types included, e.g. "[$a,$b]" or "{$f=$v}". */
static void render(const pdb_reply *r, char *buf, size_t cap) {
    size_t used = strlen(buf);
    if (used + 1 >= cap) return;
    char *p = buf + used;
    size_t left = cap - used;
    int t = r ? pdb_reply_type(r) : -1;
    if (t == PDB_REPLY_ARRAY || t == PDB_REPLY_SET || t == PDB_REPLY_MAP) {
        snprintf(p, left, "%c", t == PDB_REPLY_ARRAY ? '[' : t == PDB_REPLY_SET ? '~' : '{');
        for (size_t i = 0; i < pdb_reply_elements(r); i++) {
            if (i) snprintf(buf + strlen(buf), cap - strlen(buf), ",");
            render(pdb_reply_element(r, i), buf, cap);
        }
        snprintf(buf + strlen(buf), cap - strlen(buf), "]");
    } else if (t == PDB_REPLY_INTEGER) {
        snprintf(p, left, ":%lld", pdb_reply_integer(r));
    } else if (t == PDB_REPLY_NULL) {
        snprintf(p, left, "_");
    } else if (t == PDB_REPLY_ERROR) {
        snprintf(p, left, "!%s", pdb_reply_str(r));
    } else if (t >= 0) {
        snprintf(p, left, "%d%s", t, pdb_reply_str(r) ? pdb_reply_str(r) : "?");
    } else {
        snprintf(p, left, "(none)");
    }
}

/* Runs fmt through the cache; its reply rendered into out. */
static const char *cached(pdb_conn *c, char *out, size_t cap, const char *cmd) {
    out[0] = '\0';
    pdb_reply *r = pdb_cache_command(c, cmd);
    render(r, out, cap);
    pdb_reply_free(r);
    return out;
}

/* Reads cmd until its rendering contains want, at most 2 s. */
static int eventually_has(pdb_conn *c, const char *cmd, const char *want) {
    char buf[256];
    for (long long until = now_ms() + 2000; now_ms() < until; sleep_ms(5))
        if (strstr(cached(c, buf, sizeof buf, cmd), want)) return 1;
    return 0;
}

static void commands_cached(int protocol) {
    server *s = server_start(NULL);
    CHECK(s && s->pid > 0);
    pdb_options o = server_options(s);
    pdb_conn *w = pdb_connect(&o);
    pdb_reply_free(pdb_command(w, "HSET h f1 v1 f2 v2"));
    pdb_reply_free(pdb_command(w, "RPUSH l a b c"));
    pdb_reply_free(pdb_command(w, "ZADD z 1 a 2 b"));
    pdb_conn *c = cached_conn(s, protocol, 100, 1 << 20, 0);
    CHECK(c != NULL);
    const char *reads[] = {"HGET h f1",     "HGETALL h",   "HMGET h f1 f2 nof", "HLEN h",
                           "LRANGE l 0 -1", "LINDEX l 1",  "ZRANGE z 0 -1 WITHSCORES",
                           "ZSCORE z b",    "ZCARD z",     "EXISTS h",          "TYPE l"};
    enum { NREADS = sizeof reads / sizeof reads[0] };
    char first[NREADS][256], again[256];
    for (int i = 0; i < NREADS; i++)
        cached(c, first[i], sizeof first[i], reads[i]);
    CHECK_STR(first[0], "3v1");
    CHECK_STR(first[4], "[3a,3b,3c]");
    CHECK_STR(first[10], "0list");
    CHECK_STR(first[9], ":1");
    if (protocol == 3) {
        CHECK_STR(first[1], "{3f1,3v1,3f2,3v2]");
        CHECK_STR(first[6], "[[3a,101],[3b,102]]");
        CHECK_STR(first[7], "102");
    } else {
        CHECK_STR(first[1], "[3f1,3v1,3f2,3v2]");
        CHECK_STR(first[6], "[3a,31,3b,32]");
    }
    /* Answered from the cache, identical, case of the name aside. */
    for (int i = 0; i < NREADS; i++)
        CHECK_STR(cached(c, again, sizeof again, reads[i]), first[i]);
    CHECK_STR(cached(c, again, sizeof again, "hget h f1"), "3v1");
    pdb_cache_stats cs;
    pdb_cache_get_stats(c, &cs);
    CHECK_INT(cs.misses, NREADS);
    CHECK_INT(cs.hits, NREADS + 1);
    CHECK_INT(cs.entries, NREADS);
    pdb_cmd_stats hs;
    CHECK_INT(pdb_stats_lookup(c, "HGETALL", &hs), PDB_OK);
    CHECK_INT(hs.calls, 1);

    /* A write to h drops every entry read from h (HGET, HGETALL, HMGET,
     * HLEN, EXISTS), and only those. */
    pdb_reply_free(pdb_command(w, "HSET h f1 new"));
    CHECK(eventually_has(c, "HGET h f1", "new"));
    pdb_cache_get_stats(c, &cs);
    CHECK_INT(cs.entries, NREADS - 4);
    CHECK_STR(cached(c, again, sizeof again, "HGETALL h"),
              protocol == 3 ? "{3f1,3new,3f2,3v2]" : "[3f1,3new,3f2,3v2]");
    CHECK_STR(cached(c, again, sizeof again, "LRANGE l 0 -1"), "[3a,3b,3c]");
    pdb_cache_stats after;
    pdb_cache_get_stats(c, &after);
    CHECK_INT(after.hits, cs.hits + 1); /* LRANGE still cached */

    pdb_reply_free(pdb_command(w, "RPUSH l d"));
    CHECK(eventually_has(c, "LRANGE l 0 -1", "3d]"));
    CHECK_STR(cached(c, again, sizeof again, "LINDEX l 3"), "3d");
    pdb_reply_free(pdb_command(w, "ZADD z 0 first"));
    CHECK(eventually_has(c, "ZRANGE z 0 -1 WITHSCORES", "3first"));
    CHECK_STR(cached(c, again, sizeof again, "ZCARD z"), ":3");

    /* Outside the allow-list: passed through, never stored. */
    pdb_cache_get_stats(c, &cs);
    CHECK_STR(cached(c, again, sizeof again, "EXISTS h l"), ":2");
    CHECK_STR(cached(c, again, sizeof again, "SET x 1"), "0OK");
    CHECK_STR(cached(c, again, sizeof again, "TTL x"), ":-1");
    pdb_cache_get_stats(c, &after);
    CHECK_INT(after.uncached, cs.uncached + 3);
    CHECK_INT(after.entries, cs.entries);
    /* Error replies are not stored. */
    CHECK(pdb_cache_command(c, "HGET l f") == NULL);
    CHECK_INT(pdb_err(c), PDB_ERR_SERVER);
    CHECK(pdb_cache_command(c, "HGET l f") == NULL);
    pdb_cache_get_stats(c, &cs);
    CHECK_INT(cs.misses, after.misses + 2);
    CHECK(pdb_cache_command(c, "") == NULL);
    CHECK_INT(pdb_err(c), PDB_ERR_ARG);
    const char *argv[] = {"GET", "x"};
    size_t lens[] = {3, 1};
    CHECK_INT(pdb_cache_cacheable(2, argv, lens), 1);
    CHECK_INT(pdb_cache_cacheable(1, argv, lens), 0);
    argv[0] = "srandmember";
    lens[0] = strlen(argv[0]);
    CHECK_INT(pdb_cache_cacheable(2, argv, lens), 0);
    pdb_free(c);
    pdb_free(w);
    server_free(s);
}

TEST(cache_commands_resp3, ON_BOTH) {
    commands_cached(3);
}

TEST(cache_commands_resp2_redirect, ON_BOTH) {
    commands_cached(2);
}

TEST(cache_commands_bounded, ON_BOTH) {
    server *s = server_start(NULL);
    CHECK(s && s->pid > 0);
    pdb_options o = server_options(s);
    pdb_conn *w = pdb_connect(&o);
    pdb_reply_free(pdb_command(w, "RPUSH l a b c d e f"));
    pdb_conn *c = cached_conn(s, 3, 3, 1 << 20, 0);
    char buf[256];
    /* Four commands on one key, room for three: the oldest goes. */
    cached(c, buf, sizeof buf, "LRANGE l 0 0");
    cached(c, buf, sizeof buf, "LRANGE l 0 1");
    cached(c, buf, sizeof buf, "LRANGE l 0 2");
    cached(c, buf, sizeof buf, "LLEN l");
    pdb_cache_stats cs;
    pdb_cache_get_stats(c, &cs);
    CHECK_INT(cs.entries, 3);
    CHECK_INT(cs.evictions, 1);
    CHECK_STR(cached(c, buf, sizeof buf, "LRANGE l 0 1"), "[3a,3b]");
    CHECK_STR(cached(c, buf, sizeof buf, "LRANGE l 0 0"), "[3a]");
    pdb_cache_get_stats(c, &cs);
    CHECK_INT(cs.hits, 1);
    CHECK_INT(cs.misses, 5);
    pdb_free(c);

    /* A reply bigger than max_bytes is returned, not stored; bytes count
     * the arguments and the RESP3 reply. */
    pdb_cache_options co = {100, PDB_CACHE_ENTRY_OVERHEAD + 40, 0};
    c = pdb_connect(&o);
    CHECK_INT(pdb_cache_enable(c, &co), PDB_OK);
    CHECK_STR(cached(c, buf, sizeof buf, "LRANGE l 0 -1"), "[3a,3b,3c,3d,3e,3f]");
    CHECK_STR(cached(c, buf, sizeof buf, "LLEN l"), ":6");
    pdb_cache_get_stats(c, &cs);
    CHECK_INT(cs.entries, 1);
    CHECK_INT(cs.bytes, PDB_CACHE_ENTRY_OVERHEAD + 4 + 1 + 4); /* "LLEN" "l" ":6\r\n" */
    pdb_free(c);
    pdb_free(w);
    server_free(s);
}
