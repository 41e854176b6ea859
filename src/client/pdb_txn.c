/*
 * pdb_txn.c - transactions (MULTI/EXEC with WATCH) and cached scripts
 * (EVALSHA with one SCRIPT LOAD on NOSCRIPT).
 *
 * A transaction lives in the server's state for one connection. If that
 * connection is lost after WATCH or inside MULTI, a silent reconnect would
 * run the queued commands one by one, or EXEC without the watch: so the
 * connection remembers it was inside a transaction and refuses every command
 * (PDB_ERR_CLOSED) until the caller ends it with EXEC, DISCARD or UNWATCH,
 * which report the loss.
 */
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "client/client_int.h"
#include "ds/mem.h"

static int name_is(const char *name, size_t len, const char *word) {
    return len == strlen(word) && strncasecmp(name, word, len) == 0;
}

static int ends_txn(const char *name, size_t len) {
    return name_is(name, len, "EXEC") || name_is(name, len, "DISCARD") ||
           name_is(name, len, "UNWATCH");
}

int cl_txn_gate(pdb_conn *c, const char *name, size_t len) {
    if (!c->txn_broken) return PDB_OK;
    if (ends_txn(name, len)) c->txn_broken = 0;
    cl_set_error(c, PDB_ERR_CLOSED,
                 "the connection was lost inside a transaction (WATCH or MULTI): it did not run");
    return PDB_ERR_CLOSED;
}

void cl_txn_track(pdb_conn *c, const char *name, size_t len) {
    if (name_is(name, len, "MULTI"))
        c->in_multi = 1;
    else if (name_is(name, len, "WATCH"))
        c->watching = 1;
    else if (ends_txn(name, len)) {
        if (!name_is(name, len, "UNWATCH")) c->in_multi = 0;
        c->watching = 0;
    }
}

void cl_txn_lost(pdb_conn *c) {
    if (c->in_multi || c->watching) c->txn_broken = 1;
    c->in_multi = c->watching = 0;
}

int pdb_in_transaction(const pdb_conn *c) {
    return c->in_multi || c->watching || c->txn_broken;
}

static int expect_status(pdb_conn *c, pdb_reply *r) {
    if (!r) return pdb_err(c);
    pdb_reply_free(r);
    return PDB_OK;
}

int pdb_multi(pdb_conn *c) {
    return expect_status(c, pdb_command(c, "MULTI"));
}

int pdb_discard(pdb_conn *c) {
    return expect_status(c, pdb_command(c, "DISCARD"));
}

int pdb_exec(pdb_conn *c, pdb_reply **replies) {
    *replies = NULL;
    pdb_reply *r = pdb_command(c, "EXEC");
    if (!r) {
        if (pdb_err(c) == PDB_ERR_SERVER && strncmp(pdb_errstr(c), "EXECABORT", 9) == 0) {
            c->err = PDB_ERR_EXECABORT;
            return PDB_ERR_EXECABORT;
        }
        return pdb_err(c);
    }
    if (pdb_reply_type(r) == PDB_REPLY_NULL) {
        pdb_reply_free(r);
        cl_set_error(c, PDB_ERR_WATCH, "a watched key changed: the transaction did not run");
        return PDB_ERR_WATCH;
    }
    *replies = r;
    return PDB_OK;
}

/* ---- scripts ---- */

/* EVALSHA's arguments: the digest, numkeys, then keys and arguments. */
static pdb_reply *evalsha(pdb_conn *c, const char *sha, int numkeys, int argc,
                          const char *const *argv, const size_t *argvlen) {
    const char **v = mem_alloc(((size_t)argc + 3) * sizeof(*v));
    size_t *l = mem_alloc(((size_t)argc + 3) * sizeof(*l));
    char nk[16];
    snprintf(nk, sizeof nk, "%d", numkeys);
    v[0] = "EVALSHA";
    v[1] = sha;
    v[2] = nk;
    for (int i = 0; i < 3; i++)
        l[i] = strlen(v[i]);
    for (int i = 0; i < argc; i++) {
        v[i + 3] = argv[i];
        l[i + 3] = argvlen[i];
    }
    pdb_reply *r = pdb_command_argv(c, argc + 3, v, l);
    mem_free(v);
    mem_free(l);
    return r;
}

pdb_reply *pdb_evalsha_auto(pdb_conn *c, const char *script, int numkeys, int argc,
                            const char *const *argv, const size_t *argvlen) {
    if (!script || argc < 0 || numkeys < 0 || numkeys > argc || (argc > 0 && (!argv || !argvlen))) {
        cl_set_error(c, PDB_ERR_ARG, "bad script call: numkeys must be within 0..argc");
        return NULL;
    }
    char sha[41];
    cl_sha1_hex(script, strlen(script), sha);
    pdb_reply *r = evalsha(c, sha, numkeys, argc, argv, argvlen);
    if (r || pdb_err(c) != PDB_ERR_SERVER || strncmp(pdb_errstr(c), "NOSCRIPT", 8) != 0) return r;
    pdb_reply *loaded = pdb_command(c, "SCRIPT LOAD %s", script);
    if (!loaded) return NULL;
    int same =
        pdb_reply_type(loaded) == PDB_REPLY_STRING && strcmp(pdb_reply_str(loaded), sha) == 0;
    pdb_reply_free(loaded);
    if (!same) {
        cl_set_error(c, PDB_ERR_PROTOCOL, "SCRIPT LOAD answered another digest than %s", sha);
        return NULL;
    }
    return evalsha(c, sha, numkeys, argc, argv, argvlen);
}
