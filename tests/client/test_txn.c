/*
 * test_txn.c - MULTI/EXEC helpers, WATCH failures, EXECABORT, a transaction
 * cut by a lost connection, and EVALSHA with automatic loading.
 */
#include <stdlib.h>

#include "harness.h"

static pdb_conn *connect_to(const server *s, int protocol) {
    pdb_options o = server_options(s);
    o.protocol = protocol;
    return pdb_connect(&o);
}

static void exec_each_reply(int protocol) {
    server *s = server_start(NULL);
    CHECK(s && s->pid > 0);
    pdb_conn *c = connect_to(s, protocol);
    CHECK_INT(pdb_err(c), PDB_OK);
    CHECK_INT(pdb_multi(c), PDB_OK);
    CHECK_INT(pdb_in_transaction(c), 1);
    pdb_reply *r = pdb_command(c, "SET k v");
    CHECK_REPLY(r, PDB_REPLY_STATUS, "QUEUED");
    pdb_reply_free(r);
    pdb_reply_free(pdb_command(c, "INCR k"));
    pdb_reply_free(pdb_command(c, "GET k"));
    pdb_reply *ex = NULL;
    CHECK_INT(pdb_exec(c, &ex), PDB_OK);
    CHECK_INT(pdb_in_transaction(c), 0);
    CHECK_INT(pdb_reply_type(ex), PDB_REPLY_ARRAY);
    CHECK_INT(pdb_reply_elements(ex), 3);
    CHECK_REPLY(pdb_reply_element(ex, 0), PDB_REPLY_STATUS, "OK");
    /* A command failing while it runs is an error element; the rest ran. */
    CHECK_REPLY(pdb_reply_element(ex, 1), PDB_REPLY_ERROR,
                "ERR value is not an integer or out of range");
    CHECK_REPLY(pdb_reply_element(ex, 2), PDB_REPLY_STRING, "v");
    pdb_reply_free(ex);
    pdb_free(c);
    server_free(s);
}

TEST(txn_exec_resp3, ON_BOTH) {
    exec_each_reply(3);
}

TEST(txn_exec_resp2, ON_BOTH) {
    exec_each_reply(2);
}

TEST(txn_execabort, ON_BOTH) {
    server *s = server_start(NULL);
    CHECK(s && s->pid > 0);
    pdb_conn *c = connect_to(s, 3);
    CHECK_INT(pdb_multi(c), PDB_OK);
    pdb_reply_free(pdb_command(c, "SET a 1"));
    CHECK(pdb_command(c, "SET onlykey") == NULL);
    CHECK_INT(pdb_err(c), PDB_ERR_SERVER);
    CHECK_STR(pdb_errstr(c), "ERR wrong number of arguments for 'set' command");
    pdb_reply *ex = NULL;
    CHECK_INT(pdb_exec(c, &ex), PDB_ERR_EXECABORT);
    CHECK(ex == NULL);
    CHECK_STR(pdb_errstr(c), "EXECABORT Transaction discarded because of previous errors.");
    pdb_reply *r = pdb_command(c, "EXISTS a");
    CHECK_INT(pdb_reply_integer(r), 0);
    pdb_reply_free(r);
    /* DISCARD drops what was queued. */
    CHECK_INT(pdb_multi(c), PDB_OK);
    pdb_reply_free(pdb_command(c, "SET a 1"));
    CHECK_INT(pdb_discard(c), PDB_OK);
    r = pdb_command(c, "EXISTS a");
    CHECK_INT(pdb_reply_integer(r), 0);
    pdb_reply_free(r);
    CHECK_INT(pdb_exec(c, &ex), PDB_ERR_SERVER);
    CHECK_STR(pdb_errstr(c), "ERR EXEC without MULTI");
    pdb_free(c);
    server_free(s);
}

static void watch_fails(int protocol) {
    server *s = server_start(NULL);
    CHECK(s && s->pid > 0);
    pdb_conn *c = connect_to(s, protocol), *w = connect_to(s, protocol);
    pdb_reply_free(pdb_command(c, "WATCH balance"));
    CHECK_INT(pdb_in_transaction(c), 1);
    pdb_reply_free(pdb_command(w, "SET balance 5"));
    CHECK_INT(pdb_multi(c), PDB_OK);
    pdb_reply_free(pdb_command(c, "SET balance 100"));
    pdb_reply *ex = NULL;
    CHECK_INT(pdb_exec(c, &ex), PDB_ERR_WATCH);
    CHECK(ex == NULL);
    CHECK_STR(pdb_error_name(pdb_err(c)), "watched key changed");
    pdb_reply *r = pdb_command(c, "GET balance");
    CHECK_REPLY(r, PDB_REPLY_STRING, "5");
    pdb_reply_free(r);
    /* Untouched, the same transaction runs. */
    pdb_reply_free(pdb_command(c, "WATCH balance"));
    CHECK_INT(pdb_multi(c), PDB_OK);
    pdb_reply_free(pdb_command(c, "SET balance 100"));
    CHECK_INT(pdb_exec(c, &ex), PDB_OK);
    CHECK_INT(pdb_reply_elements(ex), 1);
    pdb_reply_free(ex);
    pdb_free(c);
    pdb_free(w);
    server_free(s);
}

TEST(txn_watch_fails_resp3, ON_BOTH) {
    watch_fails(3);
}

TEST(txn_watch_fails_resp2, ON_BOTH) {
    watch_fails(2);
}

/* The server restarts inside MULTI: the queued SET must not run on the new
 * connection as a plain command. */
TEST(txn_lost_connection, ON_BOTH) {
    server *s = server_start(NULL);
    CHECK(s && s->pid > 0);
    pdb_conn *c = connect_to(s, 3);
    CHECK_INT(pdb_multi(c), PDB_OK);
    pdb_reply_free(pdb_command(c, "SET a 1"));
    CHECK_INT(server_restart(s), 0);
    CHECK(pdb_command(c, "SET b 2") == NULL);
    CHECK_INT(pdb_err(c), PDB_ERR_CLOSED);
    pdb_reply *ex = NULL;
    CHECK_INT(pdb_exec(c, &ex), PDB_ERR_CLOSED);
    CHECK_STR(pdb_errstr(c),
              "the connection was lost inside a transaction (WATCH or MULTI): it did not run");
    CHECK_INT(pdb_in_transaction(c), 0);
    pdb_reply *r = pdb_command(c, "EXISTS a b");
    CHECK_INT(pdb_reply_integer(r), 0);
    pdb_reply_free(r);
    pdb_free(c);
    server_free(s);
}

TEST(evalsha_auto_loads_once, ON_BOTH) {
    server *s = server_start(NULL);
    CHECK(s && s->pid > 0);
    pdb_conn *c = connect_to(s, 3);
    const char *script = "redis.call('SET', KEYS[1], ARGV[1]) return ARGV[1] .. '!'";
    const char *argv[] = {"sk", "hello"};
    size_t lens[] = {2, 5};
    pdb_reply *r = pdb_evalsha_auto(c, script, 1, 2, argv, lens);
    CHECK_REPLY(r, PDB_REPLY_STRING, "hello!");
    pdb_reply_free(r);
    r = pdb_evalsha_auto(c, script, 1, 2, argv, lens);
    CHECK_REPLY(r, PDB_REPLY_STRING, "hello!");
    pdb_reply_free(r);
    /* One NOSCRIPT, one SCRIPT LOAD, three EVALSHA. */
    pdb_cmd_stats cs;
    CHECK_INT(pdb_stats_lookup(c, "EVALSHA", &cs), PDB_OK);
    CHECK_INT(cs.calls, 3);
    CHECK_INT(cs.errors, 1);
    CHECK_INT(pdb_stats_lookup(c, "SCRIPT", &cs), PDB_OK);
    CHECK_INT(cs.calls, 1);
    /* The local digest is the server's. */
    r = pdb_command(c, "SCRIPT LOAD %s", "return 1");
    CHECK_REPLY(r, PDB_REPLY_STRING, "e0e1f9fabfc9d4800c877a703b823ac0578ff8db");
    pdb_reply_free(r);
    /* A flushed cache loads again; script errors come through. */
    pdb_reply_free(pdb_command(c, "SCRIPT FLUSH"));
    r = pdb_evalsha_auto(c, script, 1, 2, argv, lens);
    CHECK_REPLY(r, PDB_REPLY_STRING, "hello!");
    pdb_reply_free(r);
    CHECK(pdb_evalsha_auto(c, "return redis.call('INCR', KEYS[1])", 1, 1, argv, lens) == NULL);
    CHECK_INT(pdb_err(c), PDB_ERR_SERVER);
    CHECK(strstr(pdb_errstr(c), "not an integer") != NULL);
    CHECK(pdb_evalsha_auto(c, script, 3, 2, argv, lens) == NULL);
    CHECK_INT(pdb_err(c), PDB_ERR_ARG);
    /* Long scripts cross SHA-1 block boundaries. */
    char big[300];
    for (size_t n = 50; n < 140; n++) {
        memset(big, ' ', sizeof big);
        memcpy(big, "return 7", 8);
        big[n] = '\0';
        r = pdb_evalsha_auto(c, big, 0, 0, NULL, NULL);
        CHECK(r != NULL);
        CHECK_INT(pdb_reply_integer(r), 7);
        pdb_reply_free(r);
    }
    CHECK_INT(pdb_stats_lookup(c, "SCRIPT", &cs), PDB_OK);
    /* first load, "return 1", FLUSH, reload, the INCR script, 90 sizes */
    CHECK_INT(cs.calls, 1 + 1 + 1 + 1 + 1 + 90);
    pdb_free(c);
    server_free(s);
}
