/*
 * pipeline.c - send many commands before reading any reply, then read them
 * back in order, and print the latency statistics the library kept.
 *
 *   build/examples/pipeline [redis://host:port/db] [count]
 */
#include <stdio.h>
#include <stdlib.h>

#include "pairdb.h"

int main(int argc, char **argv) {
    const char *url = argc > 1 ? argv[1] : "redis://127.0.0.1:6379";
    int count = argc > 2 ? atoi(argv[2]) : 1000;
    if (count <= 0) count = 1000;
    pdb_conn *c = pdb_connect_url(url, NULL);
    if (pdb_err(c)) {
        fprintf(stderr, "connect: %s\n", pdb_errstr(c));
        pdb_free(c);
        return 1;
    }
    for (int i = 0; i < count; i++) {
        if (pdb_append_command(c, "INCR %s", "pipeline:counter") != PDB_OK) {
            fprintf(stderr, "append: %s\n", pdb_errstr(c));
            pdb_free(c);
            return 1;
        }
    }
    long long last = 0;
    for (int i = 0; i < count; i++) {
        pdb_reply *r;
        int rc = pdb_get_reply(c, &r);
        if (rc != PDB_OK) {
            fprintf(stderr, "reply %d: %s: %s\n", i, pdb_error_name(rc), pdb_errstr(c));
            pdb_reply_free(r);
            pdb_free(c);
            return 1;
        }
        last = pdb_reply_integer(r);
        pdb_reply_free(r);
    }
    printf("%d INCRs, counter now %lld\n", count, last);

    pdb_cmd_stats s;
    if (pdb_stats_lookup(c, "INCR", &s) == PDB_OK)
        printf("INCR: %llu calls, p50 <= %llu us, p99 <= %llu us\n", s.calls,
               pdb_stats_quantile(&s, 0.5), pdb_stats_quantile(&s, 0.99));
    pdb_free(c);
    return 0;
}
