/*
 * test_fault.c - the server dies under a pipeline: every outstanding command
 * must come back failed (I/O or closed), none as a success, none lost.
 */
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/wait.h>

#include "harness.h"

enum { FAULT_N = 100000 };

typedef struct killer {
    pid_t pid;
    int after_ms;
} killer;

static void *kill_later(void *arg) {
    killer *k = arg;
    sleep_ms(k->after_ms);
    kill(k->pid, SIGKILL);
    return NULL;
}

/* Takes every pending reply: counts successes and failures and checks that
 * no success follows a failure and every failure is I/O or closed. */
static int drain(pdb_conn *c, size_t n, size_t *ok, size_t *failed) {
    *ok = *failed = 0;
    for (size_t i = 0; i < n; i++) {
        pdb_reply *r = NULL;
        int rc = pdb_get_reply(c, &r);
        if (rc == PDB_OK) {
            pdb_reply_free(r);
            if (*failed) return 0; /* a success after the loss: impossible */
            (*ok)++;
        } else {
            if (r != NULL || (rc != PDB_ERR_IO && rc != PDB_ERR_CLOSED)) return 0;
            (*failed)++;
        }
    }
    return 1;
}

static void append_load(pdb_conn *c) {
    char val[129];
    memset(val, 'v', 128);
    val[128] = '\0';
    for (int i = 0; i < FAULT_N; i++)
        pdb_append_command(c, "SET fault:%d %s", i, val);
}

/* The server stalls (DEBUG SLEEP) with the whole pipeline queued and is
 * killed meanwhile: the first command's reply may or may not have been read,
 * everything after the sleep must fail. */
TEST(kill_mid_pipeline_100k, ON_BOTH) {
    server *s = server_start(NULL);
    CHECK(s && s->pid > 0);
    pdb_options o = server_options(s);
    pdb_conn *c = pdb_connect(&o);
    CHECK_INT(pdb_err(c), PDB_OK);
    CHECK_INT(pdb_append_command(c, "SET first 1"), PDB_OK);
    CHECK_INT(pdb_append_command(c, "DEBUG SLEEP 3"), PDB_OK);
    append_load(c);
    CHECK_INT(pdb_pending(c), FAULT_N + 2);
    killer k = {s->pid, 300};
    pthread_t th;
    pthread_create(&th, NULL, kill_later, &k);
    size_t ok, failed;
    int sane = drain(c, FAULT_N + 2, &ok, &failed);
    pthread_join(th, NULL);
    CHECK(sane);
    CHECK(ok <= 1);
    CHECK_INT(ok + failed, FAULT_N + 2);
    CHECK_INT(pdb_pending(c), 0);
    /* Nothing more is owed: the next read says "not connected". */
    pdb_reply *r = NULL;
    CHECK_INT(pdb_get_reply(c, &r), PDB_ERR_CLOSED);
    pdb_stats st;
    pdb_get_stats(c, &st);
    CHECK(st.replies <= 1);
    /* After a restart the same connection works again. */
    CHECK_INT(server_restart(s), 0);
    r = pdb_command(c, "PING");
    CHECK_REPLY(r, PDB_REPLY_STATUS, "PONG");
    pdb_reply_free(r);
    pdb_free(c);
    server_free(s);
}

/* Killed at an arbitrary point while replies stream in: some succeed, the
 * rest fail, and the two add up. */
TEST(kill_while_streaming_100k, ON_BOTH) {
    server *s = server_start(NULL);
    CHECK(s && s->pid > 0);
    pdb_options o = server_options(s);
    pdb_conn *c = pdb_connect(&o);
    append_load(c);
    size_t ok = 0, failed = 0;
    /* Read a first slice, kill, then take the rest. */
    for (int i = 0; i < 1000; i++) {
        pdb_reply *r = NULL;
        CHECK_INT(pdb_get_reply(c, &r), PDB_OK);
        pdb_reply_free(r);
        ok++;
    }
    kill(s->pid, SIGKILL);
    size_t ok2, failed2;
    CHECK(drain(c, FAULT_N - 1000, &ok2, &failed2));
    ok += ok2;
    failed += failed2;
    CHECK_INT(ok + failed, FAULT_N);
    CHECK_INT(pdb_pending(c), 0);
    /* A pipeline appended after the loss runs on a new connection, behind
     * nothing: the old failures were all taken. */
    CHECK_INT(server_restart(s), 0);
    CHECK_INT(pdb_append_command(c, "SET after kill"), PDB_OK);
    CHECK_INT(pdb_append_command(c, "GET after"), PDB_OK);
    pdb_reply *r = NULL;
    CHECK_INT(pdb_get_reply(c, &r), PDB_OK);
    CHECK_REPLY(r, PDB_REPLY_STATUS, "OK");
    pdb_reply_free(r);
    CHECK_INT(pdb_get_reply(c, &r), PDB_OK);
    CHECK_REPLY(r, PDB_REPLY_STRING, "kill");
    pdb_reply_free(r);
    pdb_free(c);
    server_free(s);
}

/* Failures owed from a lost pipeline come before the replies of commands
 * appended after it, and a synchronous call is refused until they are
 * taken. */
TEST(failed_replies_keep_order, ON_BOTH) {
    server *s = server_start(NULL);
    CHECK(s && s->pid > 0);
    pdb_options o = server_options(s);
    pdb_conn *c = pdb_connect(&o);
    CHECK_INT(pdb_append_command(c, "DEBUG SLEEP 2"), PDB_OK);
    CHECK_INT(pdb_append_command(c, "SET a 1"), PDB_OK);
    CHECK_INT(pdb_append_command(c, "SET b 2"), PDB_OK);
    CHECK_INT(pdb_flush(c), PDB_OK);
    kill(s->pid, SIGKILL);
    pdb_reply *r = NULL;
    int rc = pdb_get_reply(c, &r);
    CHECK(rc == PDB_ERR_IO || rc == PDB_ERR_CLOSED);
    CHECK_INT(pdb_pending(c), 2);
    CHECK(pdb_command(c, "PING") == NULL);
    CHECK_INT(pdb_err(c), PDB_ERR_ARG);
    CHECK_INT(server_restart(s), 0);
    CHECK_INT(pdb_append_command(c, "PING"), PDB_OK);
    CHECK_INT(pdb_pending(c), 3);
    CHECK_INT(pdb_get_reply(c, &r), rc);
    CHECK(r == NULL);
    CHECK_INT(pdb_get_reply(c, &r), rc);
    CHECK_INT(pdb_get_reply(c, &r), PDB_OK);
    CHECK_REPLY(r, PDB_REPLY_STATUS, "PONG");
    pdb_reply_free(r);
    pdb_free(c);
    server_free(s);
}
