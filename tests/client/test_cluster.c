/*
 * test_cluster.c - the cluster client against a real Redis Cluster that
 * each case builds from redis-server processes (cluster-enabled, slots
 * assigned with CLUSTER ADDSLOTSRANGE, nodes joined with CLUSTER MEET), and
 * against scripted fake nodes for replies a healthy cluster does not send.
 *
 * Every node also gets a direct pdb_conn, which is how the cases check where
 * a command really landed.
 */
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdlib.h>
#include <sys/wait.h>

#include "harness.h"

#define TC_MAX 6

typedef struct test_cluster {
    server *s[TC_MAX];
    pdb_conn *c[TC_MAX]; /* direct connections */
    char id[TC_MAX][48];
    char addr[TC_MAX][32];
    int n, masters;
} test_cluster;

/* ---- building a cluster ---- */

static int range_lo(int masters, int i) {
    return i * PDB_CLUSTER_SLOTS / masters;
}

static int range_hi(int masters, int i) {
    return (i + 1) * PDB_CLUSTER_SLOTS / masters - 1;
}

/* The master that owns a slot as assigned at start. */
static int owner_of(const test_cluster *tc, int slot) {
    for (int i = 0; i < tc->masters; i++)
        if (slot >= range_lo(tc->masters, i) && slot <= range_hi(tc->masters, i)) return i;
    return -1;
}

static pdb_reply *direct(test_cluster *tc, int i, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    pdb_reply *r = pdb_vcommand(tc->c[i], fmt, ap);
    va_end(ap);
    return r;
}

/* A direct command expected to answer +OK: 0 if it did. */
static int direct_ok(test_cluster *tc, int i, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    pdb_reply *r = pdb_vcommand(tc->c[i], fmt, ap);
    va_end(ap);
    int ok = r && pdb_reply_type(r) == PDB_REPLY_STATUS && strcmp(pdb_reply_str(r), "OK") == 0;
    if (!ok)
        fprintf(stderr, "node %d: %s -> %s\n", i, fmt, r ? pdb_reply_str(r) : pdb_errstr(tc->c[i]));
    pdb_reply_free(r);
    return ok ? 0 : -1;
}

static long long direct_int(test_cluster *tc, int i, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    pdb_reply *r = pdb_vcommand(tc->c[i], fmt, ap);
    va_end(ap);
    long long v = r && pdb_reply_type(r) == PDB_REPLY_INTEGER ? pdb_reply_integer(r) : -1;
    pdb_reply_free(r);
    return v;
}

/* The cluster bus port is chosen like the data port, so both stay inside
 * PAIRDB_TEST_PORTS and below 65536. A node timeout of 5 s keeps a killed
 * node from failing the whole cluster during a case. */
static server *start_node(int *bus) {
    char busport[16];
    *bus = free_port();
    snprintf(busport, sizeof busport, "%d", *bus);
    return server_start("--cluster-enabled", "yes", "--cluster-config-file", "nodes.conf",
                        "--cluster-port", busport, "--cluster-node-timeout", "5000",
                        "--repl-diskless-sync-delay", "0", "--repl-ping-replica-period", "1", NULL);
}

static int info_has(test_cluster *tc, int i, const char *want) {
    pdb_reply *r = direct(tc, i, "CLUSTER INFO");
    int has = r && pdb_reply_str(r) && strstr(pdb_reply_str(r), want);
    pdb_reply_free(r);
    return has;
}

/* Every node's CLUSTER SLOTS names `masters` ranges with `replicas` each. */
static int slots_complete(test_cluster *tc, int i, int replicas) {
    pdb_reply *r = direct(tc, i, "CLUSTER SLOTS");
    int ok = r && pdb_reply_elements(r) == (size_t)tc->masters;
    for (size_t k = 0; ok && k < pdb_reply_elements(r); k++)
        ok = pdb_reply_elements(pdb_reply_element(r, k)) == (size_t)(3 + replicas);
    pdb_reply_free(r);
    return ok;
}

/* Every node serves (a master waits 2 s after its start before it does)
 * and knows every slot's master. */
static int wait_converged(test_cluster *tc) {
    char known[48];
    snprintf(known, sizeof known, "cluster_known_nodes:%d\r", tc->n);
    for (long long end = now_ms() + 20000; now_ms() < end; sleep_ms(50)) {
        int all = 1;
        for (int i = 0; i < tc->n && all; i++)
            all = info_has(tc, i, "cluster_state:ok") && info_has(tc, i, known) &&
                  slots_complete(tc, i, 0);
        if (all) return 0;
    }
    fprintf(stderr, "cluster did not converge\n");
    return -1;
}

/* Node 0, the seed of the replica cases, names a replica for every range,
 * and every replica's link to its master is up. CLUSTER SLOTS leaves out a
 * replica until its replication offset moves, which the master's pings
 * (every repl-ping-replica-period) do. */
static int wait_replicas(test_cluster *tc) {
    for (long long end = now_ms() + 20000; now_ms() < end; sleep_ms(50)) {
        int all = slots_complete(tc, 0, 1);
        for (int i = tc->masters; i < tc->n && all; i++) {
            pdb_reply *r = direct(tc, i, "INFO replication");
            all = r && pdb_reply_str(r) && strstr(pdb_reply_str(r), "master_link_status:up");
            pdb_reply_free(r);
        }
        if (all) return 0;
    }
    fprintf(stderr, "replicas did not attach\n");
    return -1;
}

static int join_nodes(test_cluster *tc, const int *bus) {
    for (int i = 0; i < tc->n; i++) {
        if (i < tc->masters && direct_ok(tc, i, "CLUSTER ADDSLOTSRANGE %d %d",
                                         range_lo(tc->masters, i), range_hi(tc->masters, i)))
            return -1;
        if (direct_ok(tc, i, "CLUSTER SET-CONFIG-EPOCH %d", i + 1)) return -1;
    }
    /* Every pair meets directly: waiting for gossip to introduce them takes
     * seconds. */
    for (int i = 0; i < tc->n; i++)
        for (int j = i + 1; j < tc->n; j++)
            if (direct_ok(tc, i, "CLUSTER MEET 127.0.0.1 %d %d", tc->s[j]->port, bus[j])) return -1;
    return 0;
}

/* Replica k follows master k - masters, once it has heard of it. */
static int attach_replicas(test_cluster *tc) {
    for (int i = tc->masters; i < tc->n; i++) {
        int done = 0;
        for (long long end = now_ms() + 10000; !done && now_ms() < end; sleep_ms(50)) {
            pdb_reply *r = direct(tc, i, "CLUSTER REPLICATE %s", tc->id[i - tc->masters]);
            done = r != NULL;
            pdb_reply_free(r);
        }
        if (!done) return -1;
    }
    return 0;
}

static int cluster_up(test_cluster *tc, int masters, int with_replicas) {
    int bus[TC_MAX];
    memset(tc, 0, sizeof(*tc));
    tc->masters = masters;
    tc->n = with_replicas ? 2 * masters : masters;
    for (int i = 0; i < tc->n; i++) {
        tc->s[i] = start_node(&bus[i]);
        if (!tc->s[i] || tc->s[i]->pid <= 0) return -1;
        pdb_options o = server_options(tc->s[i]);
        tc->c[i] = pdb_connect(&o);
        pdb_reply *r = direct(tc, i, "CLUSTER MYID");
        if (!r) return -1;
        snprintf(tc->id[i], sizeof tc->id[i], "%s", pdb_reply_str(r));
        pdb_reply_free(r);
        snprintf(tc->addr[i], sizeof tc->addr[i], "127.0.0.1:%d", tc->s[i]->port);
    }
    if (join_nodes(tc, bus) || wait_converged(tc)) return -1;
    if (with_replicas && (attach_replicas(tc) || wait_replicas(tc))) return -1;
    /* Command statistics then count only what the case does. */
    for (int i = 0; i < tc->n; i++)
        if (direct_ok(tc, i, "CONFIG RESETSTAT")) return -1;
    return 0;
}

/* Direct connections go; the harness stops the servers. */
static void cluster_down(test_cluster *tc) {
    for (int i = 0; i < tc->n; i++)
        pdb_free(tc->c[i]);
    memset(tc->c, 0, sizeof tc->c);
}

static pdb_cluster *client_for(test_cluster *tc, int seed, int replicas) {
    pdb_cluster_options o;
    pdb_cluster_options_init(&o);
    const char *seeds[] = {tc->addr[seed]};
    o.seeds = seeds;
    o.nseeds = 1;
    o.node.command_timeout_ms = 5000;
    o.node.reconnect_attempts = 1;
    o.read_from_replicas = replicas;
    return pdb_cluster_connect(&o);
}

/* "<prefix><n>" for the first n whose slot master `node` owns. */
static void key_on(const test_cluster *tc, int node, const char *prefix, char *out, size_t n) {
    for (int i = 0;; i++) {
        snprintf(out, n, "%s%d", prefix, i);
        if (owner_of(tc, pdb_cluster_keyslot(out, strlen(out))) == node) return;
    }
}

static unsigned long long stat_moved(pdb_cluster *cl) {
    pdb_cluster_stats st;
    pdb_cluster_get_stats(cl, &st);
    return st.moved;
}

/* ---- slots ---- */

TEST(cluster_keyslot_known_values, ON_NONE) {
    CHECK_INT(pdb_cluster_keyslot("foo", 3), 12182);
    CHECK_INT(pdb_cluster_keyslot("", 0), 0);
    CHECK_INT(pdb_cluster_keyslot("123456789", 9), 0x31C3 & 16383);
    CHECK_INT(pdb_cluster_keyslot("{user1000}.following", 20),
              pdb_cluster_keyslot("{user1000}.followers", 20));
    CHECK_INT(pdb_cluster_keyslot("a{user1000}b", 12), pdb_cluster_keyslot("user1000", 8));
    /* An empty tag is no tag; only the first '{' counts. */
    CHECK(pdb_cluster_keyslot("{}user", 6) != pdb_cluster_keyslot("user", 4));
    CHECK_INT(pdb_cluster_keyslot("{{a}}", 5), pdb_cluster_keyslot("{a", 2));
}

/* Edge cases and random binary keys against CLUSTER KEYSLOT. */
TEST(cluster_keyslot_matches_server, ON_CLUSTER) {
    int bus;
    server *s = start_node(&bus);
    CHECK(s && s->pid > 0);
    pdb_options o = server_options(s);
    pdb_conn *c = pdb_connect(&o);
    static const char *edge[] = {
        "",       "{",     "}",    "{}",        "}{",    "{}{}", "{a}",    "a{b}c",
        "{a}{b}", "{{}}",  "{}a}", "a{}b{c}",   "{{a}}", "x{y",  "x}y{z}", "{user1000}.following",
        "foo",    "bar{}", "{ }",  "\xff{\x01}"};
    enum { NEDGE = sizeof edge / sizeof edge[0], NRAND = 2000 };
    static char keys[NRAND][24];
    static size_t lens[NRAND];
    srand(7);
    for (int i = 0; i < NRAND; i++) {
        lens[i] = (size_t)(rand() % 24);
        for (size_t k = 0; k < lens[i]; k++) /* braces often, so tags show up */
            keys[i][k] = rand() % 4 == 0 ? "{}"[rand() % 2] : (char)(rand() % 256);
    }
    for (int i = 0; i < NEDGE; i++)
        pdb_append_command(c, "CLUSTER KEYSLOT %b", edge[i], strlen(edge[i]));
    for (int i = 0; i < NRAND; i++)
        pdb_append_command(c, "CLUSTER KEYSLOT %b", keys[i], lens[i]);
    int mismatches = 0, failures = 0;
    for (int i = 0; i < NEDGE + NRAND; i++) {
        pdb_reply *r = NULL;
        if (pdb_get_reply(c, &r) != PDB_OK || pdb_reply_type(r) != PDB_REPLY_INTEGER) {
            failures++;
        } else {
            const char *k = i < NEDGE ? edge[i] : keys[i - NEDGE];
            size_t len = i < NEDGE ? strlen(edge[i]) : lens[i - NEDGE];
            if (pdb_reply_integer(r) != pdb_cluster_keyslot(k, len)) mismatches++;
        }
        pdb_reply_free(r);
    }
    pdb_free(c);
    CHECK_INT(failures, 0);
    CHECK_INT(mismatches, 0);
}

/* ---- routing ---- */

TEST(cluster_commands_land_on_owner, ON_CLUSTER) {
    test_cluster tc;
    CHECK(cluster_up(&tc, 3, 0) == 0);
    pdb_cluster *cl = client_for(&tc, 1, 0);
    CHECK_INT(pdb_cluster_err(cl), PDB_OK);
    CHECK_INT(pdb_cluster_masters(cl), 3);
    for (int i = 0; i < 3; i++)
        CHECK_STR(pdb_cluster_slot_master(cl, range_lo(3, i)), tc.addr[i]);
    int wrong = 0;
    for (int i = 0; i < 300; i++) {
        char key[32];
        snprintf(key, sizeof key, "route:%d", i);
        pdb_reply *r = pdb_cluster_command(cl, "SET %s v%d", key, i);
        CHECK_REPLY(r, PDB_REPLY_STATUS, "OK");
        pdb_reply_free(r);
        int owner = owner_of(&tc, pdb_cluster_keyslot(key, strlen(key)));
        r = direct(&tc, owner, "GET %s", key);
        char want[16];
        snprintf(want, sizeof want, "v%d", i);
        if (!r || strcmp(pdb_reply_str(r), want) != 0) wrong++;
        pdb_reply_free(r);
        /* On another master the key is MOVED to the owner. */
        r = direct(&tc, (owner + 1) % 3, "GET %s", key);
        if (r || strncmp(pdb_errstr(tc.c[(owner + 1) % 3]), "MOVED ", 6) != 0) wrong++;
        pdb_reply_free(r);
    }
    CHECK_INT(wrong, 0);
    CHECK_INT(stat_moved(cl), 0);
    /* The map came from CLUSTER SHARDS. */
    pdb_reply *info = direct(&tc, 1, "INFO commandstats");
    CHECK(info && strstr(pdb_reply_str(info), "cmdstat_cluster|shards:calls=1,"));
    CHECK(strstr(pdb_reply_str(info), "cmdstat_cluster|slots:") == NULL);
    pdb_reply_free(info);
    /* Keyless commands go to a master. */
    pdb_reply *r = pdb_cluster_command(cl, "PING");
    CHECK_REPLY(r, PDB_REPLY_STATUS, "PONG");
    pdb_reply_free(r);
    r = pdb_cluster_command_node(cl, tc.addr[2], "DBSIZE");
    CHECK(r != NULL);
    CHECK_INT(pdb_reply_integer(r), direct_int(&tc, 2, "DBSIZE"));
    pdb_reply_free(r);
    pdb_cluster_free(cl);
    cluster_down(&tc);
}

/* A user may not run CLUSTER SHARDS: the map comes from CLUSTER SLOTS, and
 * the credentials reach every node. */
TEST(cluster_slots_fallback_with_auth, ON_CLUSTER) {
    test_cluster tc;
    CHECK(cluster_up(&tc, 3, 0) == 0);
    for (int i = 0; i < 3; i++)
        CHECK(direct_ok(&tc, i, "ACL SETUSER app on >pw ~* &* +@all -cluster|shards") == 0);
    pdb_cluster_options o;
    pdb_cluster_options_init(&o);
    const char *seeds[] = {tc.addr[0]};
    o.seeds = seeds;
    o.nseeds = 1;
    o.node.user = "app";
    o.node.password = "pw";
    pdb_cluster *cl = pdb_cluster_connect(&o);
    CHECK_INT(pdb_cluster_err(cl), PDB_OK);
    for (int i = 0; i < 3; i++)
        CHECK_STR(pdb_cluster_slot_master(cl, range_hi(3, i)), tc.addr[i]);
    pdb_reply *info = direct(&tc, 0, "INFO commandstats");
    CHECK(info && strstr(pdb_reply_str(info), "cmdstat_cluster|slots:calls=1,"));
    CHECK(strstr(pdb_reply_str(info), "cmdstat_cluster|shards:calls=0,") &&
          strstr(pdb_reply_str(info), "rejected_calls=1,"));
    pdb_reply_free(info);
    int wrong = 0;
    for (int i = 0; i < 3; i++) {
        char key[32];
        key_on(&tc, i, "auth", key, sizeof key);
        pdb_reply *r = pdb_cluster_command(cl, "SET %s %d", key, i);
        pdb_reply_free(r);
        r = pdb_cluster_command(cl, "ACL WHOAMI");
        if (!r || strcmp(pdb_reply_str(r), "app") != 0) wrong++;
        pdb_reply_free(r);
        r = direct(&tc, i, "GET %s", key);
        if (!r || pdb_reply_str(r)[0] != '0' + i) wrong++;
        pdb_reply_free(r);
    }
    CHECK_INT(wrong, 0);
    CHECK_INT(stat_moved(cl), 0);
    pdb_cluster_free(cl);
    cluster_down(&tc);
}

TEST(cluster_crossslot_and_key_positions, ON_CLUSTER) {
    test_cluster tc;
    CHECK(cluster_up(&tc, 3, 0) == 0);
    pdb_cluster *cl = client_for(&tc, 0, 0);
    pdb_cluster_stats before, after;
    pdb_cluster_get_stats(cl, &before);
    /* a and b hash to different slots: refused without a round trip. */
    pdb_reply *r = pdb_cluster_command(cl, "MSET a 1 b 2");
    CHECK(r == NULL);
    CHECK_INT(pdb_cluster_err(cl), PDB_ERR_CROSSSLOT);
    CHECK_STR(pdb_cluster_errstr(cl), "CROSSSLOT Keys in request don't hash to the same slot");
    CHECK_INT(pdb_cluster_append_command(cl, "DEL a b"), PDB_ERR_CROSSSLOT);
    CHECK_INT(pdb_cluster_pending(cl), 0);
    pdb_cluster_get_stats(cl, &after);
    CHECK_INT(after.commands, before.commands);

    r = pdb_cluster_command(cl, "MSET {t}a 1 {t}b 2");
    CHECK_REPLY(r, PDB_REPLY_STATUS, "OK");
    pdb_reply_free(r);
    r = pdb_cluster_command(cl, "MGET {t}a {t}b");
    CHECK(r && pdb_reply_elements(r) == 2);
    CHECK_STR(pdb_reply_str(pdb_reply_element(r, 1)), "2");
    pdb_reply_free(r);
    /* BLPOP's last argument is a timeout, not a key. */
    r = pdb_cluster_command(cl, "BLPOP {t}list {t}other 0.01");
    CHECK(r && pdb_reply_type(r) == PDB_REPLY_NULL);
    pdb_reply_free(r);

    /* EVAL: keys from COMMAND GETKEYS (numkeys decides). */
    r = pdb_cluster_command(cl, "EVAL %s 2 a b", "return 1");
    CHECK(r == NULL);
    CHECK_INT(pdb_cluster_err(cl), PDB_ERR_CROSSSLOT);
    r = pdb_cluster_command(cl, "EVAL %s 1 {t}a x", "return redis.call('GET', KEYS[1])");
    CHECK_REPLY(r, PDB_REPLY_STRING, "1");
    pdb_reply_free(r);
    /* Not in the built-in table: COMMAND INFO, then the right node at once. */
    char key[32];
    key_on(&tc, 2, "h", key, sizeof key);
    r = pdb_cluster_command(cl, "HSET %s f vvv", key);
    pdb_reply_free(r);
    r = pdb_cluster_command(cl, "HSTRLEN %s f", key);
    CHECK(r && pdb_reply_integer(r) == 3);
    pdb_reply_free(r);
    r = pdb_cluster_command(cl, "hstrlen %s f", key); /* cached, any case */
    CHECK(r && pdb_reply_integer(r) == 3);
    pdb_reply_free(r);
    r = pdb_cluster_command(cl, "ZUNIONSTORE {z}d 2 {z}a {z}b");
    CHECK(r && pdb_reply_integer(r) == 0);
    pdb_reply_free(r);
    r = pdb_cluster_command(cl, "ZUNIONSTORE {z}d 2 {z}a other");
    CHECK(r == NULL && pdb_cluster_err(cl) == PDB_ERR_CROSSSLOT);
    CHECK_INT(stat_moved(cl), 0);

    /* Connection state a cluster client cannot keep. */
    r = pdb_cluster_command(cl, "MULTI");
    CHECK(r == NULL);
    CHECK_INT(pdb_cluster_err(cl), PDB_ERR_UNSUPPORTED);
    /* A server error passes through with its text. */
    r = pdb_cluster_command(cl, "LPUSH {t}a x");
    CHECK(r == NULL);
    CHECK_INT(pdb_cluster_err(cl), PDB_ERR_SERVER);
    CHECK_STR(pdb_cluster_errstr(cl),
              "WRONGTYPE Operation against a key holding the wrong kind of value");
    CHECK_STR(pdb_cluster_err_command(cl), "LPUSH");
    pdb_cluster_free(cl);
    cluster_down(&tc);
}

/* ---- redirections ---- */

TEST(cluster_moved_after_setslot, ON_CLUSTER) {
    test_cluster tc;
    CHECK(cluster_up(&tc, 3, 0) == 0);
    pdb_cluster *cl = client_for(&tc, 0, 0);
    char key[32];
    key_on(&tc, 0, "mv", key, sizeof key);
    int slot = pdb_cluster_keyslot(key, strlen(key));
    CHECK_STR(pdb_cluster_slot_master(cl, slot), tc.addr[0]);
    /* The slot is empty: it can simply be given to node 1. */
    for (int i = 1; i >= 0; i--)
        CHECK(direct_ok(&tc, i, "CLUSTER SETSLOT %d NODE %s", slot, tc.id[1]) == 0);
    pdb_reply *r = pdb_cluster_command(cl, "SET %s here", key);
    CHECK_REPLY(r, PDB_REPLY_STATUS, "OK");
    pdb_reply_free(r);
    CHECK_INT(stat_moved(cl), 1);
    CHECK_STR(pdb_cluster_slot_master(cl, slot), tc.addr[1]);
    r = direct(&tc, 1, "GET %s", key);
    CHECK_REPLY(r, PDB_REPLY_STRING, "here");
    pdb_reply_free(r);
    r = pdb_cluster_command(cl, "GET %s", key);
    CHECK_REPLY(r, PDB_REPLY_STRING, "here");
    pdb_reply_free(r);
    CHECK_INT(stat_moved(cl), 1);
    pdb_cluster_free(cl);
    cluster_down(&tc);
}

static int count_in_slot(test_cluster *tc, int node, int slot) {
    return (int)direct_int(tc, node, "CLUSTER COUNTKEYSINSLOT %d", slot);
}

/* A real migration: ASK while the slot moves (the map unchanged), MOVED
 * once it has moved. */
TEST(cluster_ask_during_migration_then_moved, ON_CLUSTER) {
    test_cluster tc;
    CHECK(cluster_up(&tc, 3, 0) == 0);
    pdb_cluster *cl = client_for(&tc, 0, 0);
    int slot = pdb_cluster_keyslot("{mig}", 5);
    int src = owner_of(&tc, slot), dst = (src + 1) % 3, other = (src + 2) % 3;
    pdb_cluster_stats st;
    pdb_reply *r = pdb_cluster_command(cl, "MSET {mig}1 a {mig}2 b");
    CHECK_REPLY(r, PDB_REPLY_STATUS, "OK");
    pdb_reply_free(r);
    CHECK(direct_ok(&tc, dst, "CLUSTER SETSLOT %d IMPORTING %s", slot, tc.id[src]) == 0);
    CHECK(direct_ok(&tc, src, "CLUSTER SETSLOT %d MIGRATING %s", slot, tc.id[dst]) == 0);
    CHECK(direct_ok(&tc, src, "MIGRATE 127.0.0.1 %d %s 0 5000 KEYS {mig}1", tc.s[dst]->port, "") ==
          0);

    r = pdb_cluster_command(cl, "GET {mig}1"); /* moved already: ASK */
    CHECK_REPLY(r, PDB_REPLY_STRING, "a");
    pdb_reply_free(r);
    r = pdb_cluster_command(cl, "GET {mig}2"); /* still at the source */
    CHECK_REPLY(r, PDB_REPLY_STRING, "b");
    pdb_reply_free(r);
    r = pdb_cluster_command(cl, "SET {mig}3 c"); /* new keys go to the target */
    CHECK_REPLY(r, PDB_REPLY_STATUS, "OK");
    pdb_reply_free(r);
    pdb_cluster_get_stats(cl, &st);
    CHECK_INT(st.ask, 2);
    CHECK_INT(st.moved, 0);
    CHECK_STR(pdb_cluster_slot_master(cl, slot), tc.addr[src]);
    CHECK_INT(count_in_slot(&tc, dst, slot), 2);
    CHECK_INT(count_in_slot(&tc, src, slot), 1);

    /* The same through a pipeline, replies in order. */
    const char *want[] = {"a", "b", "c"};
    for (int i = 0; i < 3; i++)
        CHECK_INT(pdb_cluster_append_command(cl, "GET {mig}%d", i + 1), PDB_OK);
    for (int i = 0; i < 3; i++) {
        CHECK_INT(pdb_cluster_get_reply(cl, &r), PDB_OK);
        CHECK_REPLY(r, PDB_REPLY_STRING, want[i]);
        pdb_reply_free(r);
    }
    pdb_cluster_get_stats(cl, &st);
    CHECK_INT(st.ask, 4);

    /* Finish: the last key moves, then every node learns the new owner. */
    CHECK(direct_ok(&tc, src, "MIGRATE 127.0.0.1 %d %s 0 5000 KEYS {mig}2", tc.s[dst]->port, "") ==
          0);
    CHECK(direct_ok(&tc, dst, "CLUSTER SETSLOT %d NODE %s", slot, tc.id[dst]) == 0);
    CHECK(direct_ok(&tc, src, "CLUSTER SETSLOT %d NODE %s", slot, tc.id[dst]) == 0);
    CHECK(direct_ok(&tc, other, "CLUSTER SETSLOT %d NODE %s", slot, tc.id[dst]) == 0);
    r = pdb_cluster_command(cl, "GET {mig}2");
    CHECK_REPLY(r, PDB_REPLY_STRING, "b");
    pdb_reply_free(r);
    pdb_cluster_get_stats(cl, &st);
    CHECK_INT(st.moved, 1);
    CHECK_INT(st.ask, 4);
    CHECK_STR(pdb_cluster_slot_master(cl, slot), tc.addr[dst]);
    r = pdb_cluster_command(cl, "GET {mig}1");
    CHECK_REPLY(r, PDB_REPLY_STRING, "a");
    pdb_reply_free(r);
    CHECK_INT(stat_moved(cl), 1);
    CHECK_INT(count_in_slot(&tc, dst, slot), 3);
    pdb_cluster_free(cl);
    cluster_down(&tc);
}

/* ---- pipelines ---- */

enum { PIPE_N = 10000 };

TEST(cluster_pipeline_10k_in_order, ON_CLUSTER) {
    test_cluster tc;
    CHECK(cluster_up(&tc, 3, 0) == 0);
    pdb_cluster *cl = client_for(&tc, 2, 0);
    /* A stale map for one slot: its commands come back MOVED and are
     * retried, without disturbing the order. */
    int moved_slot = pdb_cluster_keyslot("p:0", 3);
    int from = owner_of(&tc, moved_slot), to = (from + 1) % 3;
    CHECK(direct_ok(&tc, to, "CLUSTER SETSLOT %d NODE %s", moved_slot, tc.id[to]) == 0);
    CHECK(direct_ok(&tc, from, "CLUSTER SETSLOT %d NODE %s", moved_slot, tc.id[to]) == 0);

    for (int i = 0; i < PIPE_N; i++)
        CHECK_INT(pdb_cluster_append_command(cl, "SET p:%d %d", i, i), PDB_OK);
    CHECK_INT(pdb_cluster_pending(cl), PIPE_N);
    int bad = 0;
    for (int i = 0; i < PIPE_N; i++) {
        pdb_reply *r = NULL;
        if (pdb_cluster_get_reply(cl, &r) != PDB_OK || strcmp(pdb_reply_str(r), "OK") != 0) bad++;
        pdb_reply_free(r);
    }
    CHECK_INT(bad, 0);
    CHECK(stat_moved(cl) >= 1);
    for (int i = 0; i < PIPE_N; i++)
        CHECK_INT(pdb_cluster_append_command(cl, "GET p:%d", i), PDB_OK);
    for (int i = 0; i < PIPE_N; i++) {
        pdb_reply *r = NULL;
        char want[16];
        snprintf(want, sizeof want, "%d", i);
        if (pdb_cluster_get_reply(cl, &r) != PDB_OK || strcmp(pdb_reply_str(r), want) != 0) bad++;
        pdb_reply_free(r);
    }
    CHECK_INT(bad, 0);
    CHECK_INT(pdb_cluster_pending(cl), 0);
    pdb_reply *none = NULL;
    CHECK_INT(pdb_cluster_get_reply(cl, &none), PDB_ERR_ARG);

    /* Each node holds exactly the keys of its slots. */
    int expect[3] = {0, 0, 0};
    for (int i = 0; i < PIPE_N; i++) {
        char key[16];
        snprintf(key, sizeof key, "p:%d", i);
        int slot = pdb_cluster_keyslot(key, strlen(key));
        expect[slot == moved_slot ? to : owner_of(&tc, slot)]++;
    }
    for (int i = 0; i < 3; i++)
        CHECK_INT(direct_int(&tc, i, "DBSIZE"), expect[i]);

    /* With one connection allowed, the pipeline goes node by node and the
     * replies still come back in order. */
    pdb_cluster_options o;
    pdb_cluster_options_init(&o);
    const char *seeds[] = {tc.addr[0]};
    o.seeds = seeds;
    o.nseeds = 1;
    o.max_connections = 1;
    pdb_cluster *one = pdb_cluster_connect(&o);
    for (int i = 0; i < 3000; i++)
        CHECK_INT(pdb_cluster_append_command(one, "GET p:%d", i), PDB_OK);
    for (int i = 0; i < 3000; i++) {
        pdb_reply *r = NULL;
        char want[16];
        snprintf(want, sizeof want, "%d", i);
        if (pdb_cluster_get_reply(one, &r) != PDB_OK || strcmp(pdb_reply_str(r), want) != 0) bad++;
        pdb_reply_free(r);
    }
    CHECK_INT(bad, 0);
    /* Clients: 3 direct, 3 of cl, 1 of `one` (a closed one may take the
     * server a moment to notice). */
    int clients = 0;
    for (long long end = now_ms() + 2000; now_ms() < end && clients != 7; sleep_ms(20)) {
        clients = 0;
        for (int i = 0; i < 3; i++) {
            pdb_reply *r = direct(&tc, i, "INFO clients");
            const char *p = r ? strstr(pdb_reply_str(r), "connected_clients:") : NULL;
            clients += p ? atoi(p + strlen("connected_clients:")) : 100;
            pdb_reply_free(r);
        }
    }
    CHECK_INT(clients, 7);
    pdb_cluster_free(one);
    pdb_cluster_free(cl);
    cluster_down(&tc);
}

/* ---- failures ---- */

typedef struct client_killer {
    pdb_conn *c;
    int after_ms;
} client_killer;

/* Drops every other normal client of one node, such as the cluster
 * client's connection in the middle of a command. */
static void *kill_clients_later(void *arg) {
    client_killer *k = arg;
    sleep_ms(k->after_ms);
    pdb_reply_free(pdb_command(k->c, "CLIENT KILL TYPE normal SKIPME yes"));
    return NULL;
}

TEST(cluster_node_killed, ON_CLUSTER) {
    test_cluster tc;
    CHECK(cluster_up(&tc, 3, 0) == 0);
    pdb_cluster *cl = client_for(&tc, 0, 0);

    /* A connection lost under a command: sent once more, on a new one. */
    char bkey[32];
    key_on(&tc, 1, "blk", bkey, sizeof bkey);
    client_killer ck = {tc.c[1], 300};
    pthread_t th;
    pthread_create(&th, NULL, kill_clients_later, &ck);
    long long t0 = now_ms();
    pdb_reply *r = pdb_cluster_command(cl, "BLPOP %s 1", bkey);
    long long took = now_ms() - t0;
    pthread_join(th, NULL);
    CHECK(r != NULL);
    CHECK_INT(pdb_reply_type(r), PDB_REPLY_NULL);
    pdb_reply_free(r);
    CHECK(took >= 1200 && took < 5000);
    pdb_cluster_stats st;
    pdb_cluster_get_stats(cl, &st);
    CHECK_INT(st.io_retries, 1);

    char k[3][32];
    for (int i = 0; i < 3; i++) {
        key_on(&tc, i, "kill", k[i], sizeof k[i]);
        pdb_reply *r = pdb_cluster_command(cl, "SET %s v%d", k[i], i);
        CHECK_REPLY(r, PDB_REPLY_STATUS, "OK");
        pdb_reply_free(r);
    }
    kill(tc.s[1]->pid, SIGKILL);
    waitpid(tc.s[1]->pid, NULL, 0);
    tc.s[1]->pid = 0;

    t0 = now_ms();
    r = pdb_cluster_command(cl, "GET %s", k[1]);
    took = now_ms() - t0;
    CHECK(r == NULL);
    CHECK_INT(pdb_cluster_err(cl), PDB_ERR_IO);
    CHECK(took < 3000);
    pdb_cluster_get_stats(cl, &st);
    CHECK_INT(st.io_retries, 2);
    /* The other masters still answer (before the cluster notices). */
    r = pdb_cluster_command(cl, "GET %s", k[2]);
    CHECK_REPLY(r, PDB_REPLY_STRING, "v2");
    pdb_reply_free(r);

    t0 = now_ms();
    for (int i = 0; i < 3; i++)
        CHECK_INT(pdb_cluster_append_command(cl, "GET %s", k[i]), PDB_OK);
    int rc[3];
    pdb_reply *rep[3];
    for (int i = 0; i < 3; i++)
        rc[i] = pdb_cluster_get_reply(cl, &rep[i]);
    took = now_ms() - t0;
    CHECK_INT(rc[0], PDB_OK);
    CHECK_REPLY(rep[0], PDB_REPLY_STRING, "v0");
    CHECK_INT(rc[1], PDB_ERR_IO);
    CHECK(rep[1] == NULL);
    CHECK_INT(rc[2], PDB_OK);
    CHECK_REPLY(rep[2], PDB_REPLY_STRING, "v2");
    CHECK(took < 3000);
    pdb_reply_free(rep[0]);
    pdb_reply_free(rep[2]);
    pdb_cluster_free(cl);
    cluster_down(&tc);
}

TEST(cluster_read_from_replicas, ON_CLUSTER) {
    test_cluster tc;
    CHECK(cluster_up(&tc, 3, 1) == 0);
    pdb_cluster *cl = client_for(&tc, 0, 1);
    char key[32];
    key_on(&tc, 0, "ro", key, sizeof key);
    pdb_reply *r = pdb_cluster_command(cl, "SET %s replicated", key);
    CHECK_REPLY(r, PDB_REPLY_STATUS, "OK");
    pdb_reply_free(r);
    /* WAIT on the connection that wrote. */
    r = pdb_cluster_command_node(cl, tc.addr[0], "WAIT 1 5000");
    CHECK(r && pdb_reply_integer(r) == 1);
    pdb_reply_free(r);
    r = pdb_cluster_command(cl, "GET %s", key);
    CHECK_REPLY(r, PDB_REPLY_STRING, "replicated");
    pdb_reply_free(r);
    pdb_cluster_stats st;
    pdb_cluster_get_stats(cl, &st);
    CHECK_INT(st.replica_reads, 1);
    CHECK_INT(st.moved, 0);
    /* The replica of node 0 (node 3) served it. */
    r = direct(&tc, 3, "INFO commandstats");
    CHECK(r && strstr(pdb_reply_str(r), "cmdstat_get:calls=1,"));
    pdb_reply_free(r);
    pdb_cluster_free(cl);
    cluster_down(&tc);
}

/* ---- scripted nodes ---- */

static char slots_reply[160];

/* What a node without CLUSTER SHARDS (before 7.0) answers; the client then
 * asks CLUSTER SLOTS, and only that from then on. */
#define NO_SHARDS "-ERR unknown subcommand 'SHARDS'. Try CLUSTER HELP.\r\n"

/* A fake node without CLUSTER SHARDS whose CLUSTER SLOTS gives it every
 * slot (script[0] is slots_reply), then the rest of the script. */
static fake_server *fake_node(const char **script, int n, pdb_cluster **cl, int retry_attempts) {
    static const char *full[16];
    full[0] = NO_SHARDS;
    for (int i = 0; i < n && i < 15; i++)
        full[i + 1] = script[i];
    fake_server *f = fake_start(full, n + 1);
    snprintf(slots_reply, sizeof slots_reply,
             "*1\r\n*3\r\n:0\r\n:16383\r\n*3\r\n$9\r\n127.0.0.1\r\n:%d\r\n$2\r\nid\r\n",
             fake_port(f));
    static char seed[32];
    snprintf(seed, sizeof seed, "127.0.0.1:%d", fake_port(f));
    const char *seeds[] = {seed};
    pdb_cluster_options o;
    pdb_cluster_options_init(&o);
    o.seeds = seeds;
    o.nseeds = 1;
    o.node.protocol = 2;
    o.node.command_timeout_ms = 2000;
    o.refresh_min_ms = 600000; /* no refreshes: the script has none */
    o.retry_base_ms = 1;
    o.retry_attempts = retry_attempts;
    *cl = pdb_cluster_connect(&o);
    return f;
}

TEST(cluster_too_many_redirections, ON_NONE) {
    static char moved[64];
    const char *script[] = {slots_reply, moved, moved, moved, moved, moved, moved};
    pdb_cluster *cl;
    fake_server *f = fake_node(script, 7, &cl, 5);
    snprintf(moved, sizeof moved, "-MOVED 5 127.0.0.1:%d\r\n", fake_port(f));
    int err0 = pdb_cluster_err(cl);
    pdb_reply *r = pdb_cluster_command(cl, "GET x");
    int err = pdb_cluster_err(cl);
    char msg[160];
    snprintf(msg, sizeof msg, "%s", pdb_cluster_errstr(cl));
    pdb_cluster_stats st;
    pdb_cluster_get_stats(cl, &st);
    char want[160];
    snprintf(want, sizeof want, "too many redirections (5), last: MOVED 5 127.0.0.1:%d",
             fake_port(f));
    pdb_cluster_free(cl);
    fake_stop(f);
    CHECK_INT(err0, PDB_OK);
    CHECK(r == NULL);
    CHECK_INT(err, PDB_ERR_CLUSTER);
    CHECK_STR(msg, want);
    CHECK_INT(st.moved, 5);
}

TEST(cluster_tryagain_and_clusterdown_retried, ON_NONE) {
    const char *script[] = {slots_reply, "-CLUSTERDOWN The cluster is down\r\n",
                            "-TRYAGAIN Multiple keys request during rehashing of slot\r\n",
                            "+OK\r\n"};
    pdb_cluster *cl;
    fake_server *f = fake_node(script, 4, &cl, 5);
    pdb_reply *r = pdb_cluster_command(cl, "SET x y");
    pdb_cluster_stats st;
    pdb_cluster_get_stats(cl, &st);
    pdb_cluster_free(cl);
    fake_stop(f);
    CHECK_REPLY(r, PDB_REPLY_STATUS, "OK");
    pdb_reply_free(r);
    CHECK_INT(st.retries, 2);

    /* Past retry_attempts the error reply is the answer. */
    const char *again[] = {slots_reply, "-TRYAGAIN busy\r\n", "-TRYAGAIN busy\r\n",
                           "-TRYAGAIN busy\r\n"};
    f = fake_node(again, 4, &cl, 2);
    r = pdb_cluster_command(cl, "SET x y");
    int err = pdb_cluster_err(cl);
    char msg[64];
    snprintf(msg, sizeof msg, "%s", pdb_cluster_errstr(cl));
    pdb_cluster_get_stats(cl, &st);
    pdb_cluster_free(cl);
    fake_stop(f);
    CHECK(r == NULL);
    CHECK_INT(err, PDB_ERR_SERVER);
    CHECK_STR(msg, "TRYAGAIN busy");
    CHECK_INT(st.retries, 2);
}

/* A redirection that cannot be read is an ordinary error reply. */
TEST(cluster_unreadable_redirection, ON_NONE) {
    const char *script[] = {slots_reply, "-MOVED x 127.0.0.1:1\r\n", "-ASK 1 nohost\r\n"};
    pdb_cluster *cl;
    fake_server *f = fake_node(script, 3, &cl, 5);
    pdb_reply *r1 = pdb_cluster_command(cl, "GET x");
    int err1 = pdb_cluster_err(cl);
    char msg1[64];
    snprintf(msg1, sizeof msg1, "%s", pdb_cluster_errstr(cl));
    pdb_reply *r2 = pdb_cluster_command(cl, "GET x");
    int err2 = pdb_cluster_err(cl);
    char msg2[64];
    snprintf(msg2, sizeof msg2, "%s", pdb_cluster_errstr(cl));
    pdb_cluster_free(cl);
    fake_stop(f);
    CHECK(r1 == NULL && r2 == NULL);
    CHECK_INT(err1, PDB_ERR_SERVER);
    CHECK_STR(msg1, "MOVED x 127.0.0.1:1");
    CHECK_INT(err2, PDB_ERR_SERVER);
    CHECK_STR(msg2, "ASK 1 nohost");
}

/* Picking nodes for a pipeline refreshes the map (a slot had no node);
 * the new map leaves out a node an earlier command was given to, which
 * still gets it. */
TEST(cluster_pipeline_keeps_chosen_node, ON_NONE) {
    static char map1[160], map2[160];
    /* A (the seed) gives slots 0-100 to B; the refresh asks B, the only
     * master, which answers with a map of A alone. */
    const char *a_script[] = {NO_SHARDS, map1, "$1\r\na\r\n"};
    const char *b_script[] = {map2, "$1\r\nb\r\n"};
    fake_server *a = fake_start(a_script, 3), *b = fake_start(b_script, 2);
    snprintf(map1, sizeof map1, "*1\r\n*3\r\n:0\r\n:100\r\n*2\r\n$9\r\n127.0.0.1\r\n:%d\r\n",
             fake_port(b));
    snprintf(map2, sizeof map2, "*1\r\n*3\r\n:0\r\n:16383\r\n*2\r\n$9\r\n127.0.0.1\r\n:%d\r\n",
             fake_port(a));
    char seed[32], kb[16], ka[16];
    snprintf(seed, sizeof seed, "127.0.0.1:%d", fake_port(a));
    for (int i = 0;; i++) { /* kb in slots 0-100, ka outside */
        snprintf(kb, sizeof kb, "b%d", i);
        if (pdb_cluster_keyslot(kb, strlen(kb)) <= 100) break;
    }
    snprintf(ka, sizeof ka, "a");
    const char *seeds[] = {seed};
    pdb_cluster_options o;
    pdb_cluster_options_init(&o);
    o.seeds = seeds;
    o.nseeds = 1;
    o.node.protocol = 2;
    o.node.command_timeout_ms = 2000;
    o.refresh_min_ms = 0;
    pdb_cluster *cl = pdb_cluster_connect(&o);
    int err0 = pdb_cluster_err(cl);
    pdb_cluster_append_command(cl, "GET %s", kb);
    pdb_cluster_append_command(cl, "GET %s", ka);
    pdb_reply *r1 = NULL, *r2 = NULL;
    int rc1 = pdb_cluster_get_reply(cl, &r1), rc2 = pdb_cluster_get_reply(cl, &r2);
    pdb_cluster_free(cl);
    fake_stop(a);
    fake_stop(b);
    CHECK_INT(err0, PDB_OK);
    CHECK(pdb_cluster_keyslot(ka, 1) > 100);
    CHECK_INT(rc1, PDB_OK);
    CHECK_REPLY(r1, PDB_REPLY_STRING, "b");
    CHECK_INT(rc2, PDB_OK);
    CHECK_REPLY(r2, PDB_REPLY_STRING, "a");
    pdb_reply_free(r1);
    pdb_reply_free(r2);
}

/* CLUSTER SHARDS in RESP2 (flat key/value arrays): a shard with a bad range
 * is skipped, a loading replica is not read from. */
TEST(cluster_shards_map_checked, ON_NONE) {
    static char shards[900];
    const char *script[] = {shards, "$1\r\nv\r\n"};
    fake_server *f = fake_start(script, 2);
    char master[200], replica[200], other[200];
    snprintf(other, sizeof other,
             "*8\r\n$8\r\nendpoint\r\n$9\r\n127.0.0.1\r\n$4\r\nport\r\n:%d\r\n"
             "$4\r\nrole\r\n$6\r\nmaster\r\n$6\r\nhealth\r\n$6\r\nonline\r\n",
             free_port());
    snprintf(master, sizeof master,
             "*8\r\n$8\r\nendpoint\r\n$9\r\n127.0.0.1\r\n$4\r\nport\r\n:%d\r\n"
             "$4\r\nrole\r\n$6\r\nmaster\r\n$6\r\nhealth\r\n$6\r\nonline\r\n",
             fake_port(f));
    snprintf(replica, sizeof replica,
             "*8\r\n$8\r\nendpoint\r\n$9\r\n127.0.0.1\r\n$4\r\nport\r\n:%d\r\n"
             "$4\r\nrole\r\n$7\r\nreplica\r\n$6\r\nhealth\r\n$7\r\nloading\r\n",
             free_port());
    snprintf(shards, sizeof shards,
             "*3\r\n"
             "*4\r\n$5\r\nslots\r\n*2\r\n:0\r\n:99\r\n$5\r\nnodes\r\n*2\r\n%s%s"
             "*4\r\n$5\r\nslots\r\n*2\r\n:200\r\n:99999\r\n$5\r\nnodes\r\n*1\r\n%s"
             "$7\r\ngarbage\r\n",
             master, replica, other);
    char seed[32], key[16];
    snprintf(seed, sizeof seed, "127.0.0.1:%d", fake_port(f));
    for (int i = 0;; i++) {
        snprintf(key, sizeof key, "k%d", i);
        if (pdb_cluster_keyslot(key, strlen(key)) < 100) break;
    }
    const char *seeds[] = {seed};
    pdb_cluster_options o;
    pdb_cluster_options_init(&o);
    o.seeds = seeds;
    o.nseeds = 1;
    o.node.protocol = 2;
    o.node.command_timeout_ms = 1000;
    o.read_from_replicas = 1;
    pdb_cluster *cl = pdb_cluster_connect(&o);
    int err = pdb_cluster_err(cl);
    const char *m0 = pdb_cluster_slot_master(cl, 0), *m200 = pdb_cluster_slot_master(cl, 200);
    int map_ok = m0 && strcmp(m0, seed) == 0 && m200 == NULL && pdb_cluster_masters(cl) == 1;
    pdb_reply *r = pdb_cluster_command(cl, "GET %s", key);
    pdb_cluster_stats st;
    pdb_cluster_get_stats(cl, &st);
    pdb_cluster_free(cl);
    fake_stop(f);
    CHECK_INT(err, PDB_OK);
    CHECK(map_ok);
    CHECK_REPLY(r, PDB_REPLY_STRING, "v");
    pdb_reply_free(r);
    CHECK_INT(st.replica_reads, 0);
}

/* A map a hostile node sends: bad ranges and ports are skipped, never used. */
TEST(cluster_hostile_slot_map, ON_NONE) {
    static char bad[400];
    const char *script[] = {NO_SHARDS, bad};
    fake_server *f = fake_start(script, 2);
    snprintf(bad, sizeof bad,
             "*4\r\n"
             "*3\r\n:5\r\n:2\r\n*2\r\n$9\r\n127.0.0.1\r\n:%d\r\n"     /* start > end */
             "*3\r\n:0\r\n:99999\r\n*2\r\n$9\r\n127.0.0.1\r\n:%d\r\n" /* past 16383 */
             "*3\r\n:0\r\n:10\r\n*2\r\n$9\r\n127.0.0.1\r\n:70000\r\n" /* bad port */
             "*3\r\n:11\r\n:20\r\n*2\r\n$0\r\n\r\n:%d\r\n",           /* "" = the node asked */
             fake_port(f), fake_port(f), fake_port(f));
    char seed[32];
    snprintf(seed, sizeof seed, "127.0.0.1:%d", fake_port(f));
    const char *seeds[] = {seed};
    pdb_cluster_options o;
    pdb_cluster_options_init(&o);
    o.seeds = seeds;
    o.nseeds = 1;
    o.node.protocol = 2;
    o.node.command_timeout_ms = 1000;
    pdb_cluster *cl = pdb_cluster_connect(&o);
    int err = pdb_cluster_err(cl);
    const char *m0 = pdb_cluster_slot_master(cl, 0), *m15 = pdb_cluster_slot_master(cl, 15);
    int ok = m0 == NULL && m15 && strcmp(m15, seed) == 0 && pdb_cluster_masters(cl) == 1;
    pdb_cluster_free(cl);
    fake_stop(f);
    CHECK_INT(err, PDB_OK);
    CHECK(ok);
}

TEST(cluster_bad_options_and_no_node, ON_NONE) {
    pdb_cluster_options o;
    pdb_cluster_options_init(&o);
    CHECK(pdb_cluster_connect(NULL) == NULL);
    pdb_cluster *cl = pdb_cluster_connect(&o); /* no seeds */
    CHECK_INT(pdb_cluster_err(cl), PDB_ERR_ARG);
    CHECK_STR(pdb_cluster_errstr(cl), "no seed address");
    CHECK(pdb_cluster_command(cl, "GET x") == NULL);
    CHECK_INT(pdb_cluster_err(cl), PDB_ERR_ARG);
    pdb_cluster_free(cl);

    const char *bad[] = {"127.0.0.1"};
    o.seeds = bad;
    o.nseeds = 1;
    cl = pdb_cluster_connect(&o);
    CHECK_STR(pdb_cluster_errstr(cl), "bad seed address \"127.0.0.1\"");
    pdb_cluster_free(cl);

    /* Nothing listens there: an error, quickly, and again per command. */
    char seed[32];
    snprintf(seed, sizeof seed, "127.0.0.1:%d", free_port());
    const char *seeds[] = {seed};
    o.seeds = seeds;
    o.node.reconnect_attempts = 1;
    long long t0 = now_ms();
    cl = pdb_cluster_connect(&o);
    CHECK_INT(pdb_cluster_err(cl), PDB_ERR_IO);
    pdb_reply *r = pdb_cluster_command(cl, "GET x");
    CHECK(r == NULL);
    CHECK(pdb_cluster_err(cl) == PDB_ERR_CLUSTER || pdb_cluster_err(cl) == PDB_ERR_IO);
    CHECK(now_ms() - t0 < 2000);
    pdb_cluster_free(cl);
}
