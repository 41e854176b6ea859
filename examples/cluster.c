/*
 * cluster.c - talk to a Redis Cluster: keys routed by slot, a hash tag to
 * keep related keys together, and a pipeline spread over the masters.
 *
 *   build/examples/cluster [host:port ...]    (seeds; default 127.0.0.1:7000)
 */
#include <stdio.h>

#include "pairdb.h"

static int fail(pdb_cluster *cl, const char *what) {
    fprintf(stderr, "%s: %s: %s\n", what, pdb_error_name(pdb_cluster_err(cl)),
            pdb_cluster_errstr(cl));
    pdb_cluster_free(cl);
    return 1;
}

int main(int argc, char **argv) {
    static const char *fallback[] = {"127.0.0.1:7000"};
    pdb_cluster_options o;
    pdb_cluster_options_init(&o);
    o.seeds = argc > 1 ? (const char *const *)argv + 1 : fallback;
    o.nseeds = argc > 1 ? (size_t)argc - 1 : 1;
    o.node.command_timeout_ms = 1000;
    pdb_cluster *cl = pdb_cluster_connect(&o);
    if (pdb_cluster_err(cl)) return fail(cl, "connect");
    printf("%zu masters\n", pdb_cluster_masters(cl));

    /* Both keys carry the tag {user:42}: same slot, so one MSET may hold them. */
    pdb_reply *r = pdb_cluster_command(cl, "MSET {user:42}:name Ada {user:42}:visits 0");
    if (!r) return fail(cl, "MSET");
    pdb_reply_free(r);
    printf("{user:42} lives in slot %d on %s\n", pdb_cluster_keyslot("user:42", 7),
           pdb_cluster_slot_master(cl, pdb_cluster_keyslot("user:42", 7)));

    /* Keys without a common tag: a pipeline sends each to its own master. */
    for (int i = 0; i < 100; i++)
        if (pdb_cluster_append_command(cl, "INCR counter:%d", i) != PDB_OK)
            return fail(cl, "append");
    long long sum = 0;
    for (int i = 0; i < 100; i++) {
        if (pdb_cluster_get_reply(cl, &r) != PDB_OK) return fail(cl, "INCR");
        sum += pdb_reply_integer(r);
        pdb_reply_free(r);
    }
    printf("100 counters, total %lld\n", sum);
    pdb_cluster_free(cl);
    return 0;
}
