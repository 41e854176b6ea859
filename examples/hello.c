/*
 * hello.c - connect, SET and GET a value, print it.
 *
 *   build/examples/hello [redis://host:port/db]
 */
#include <stdio.h>

#include "pairdb.h"

int main(int argc, char **argv) {
    const char *url = argc > 1 ? argv[1] : "redis://127.0.0.1:6379";
    pdb_conn *c = pdb_connect_url(url, NULL);
    if (pdb_err(c)) {
        fprintf(stderr, "connect: %s\n", pdb_errstr(c));
        pdb_free(c);
        return 1;
    }
    printf("connected with RESP%d\n", pdb_protocol(c));

    pdb_reply *r = pdb_command(c, "SET %s %s", "greeting", "hello, world");
    if (!r) {
        fprintf(stderr, "SET: %s\n", pdb_errstr(c));
        pdb_free(c);
        return 1;
    }
    pdb_reply_free(r);

    r = pdb_command(c, "GET %s", "greeting");
    if (r && pdb_reply_type(r) == PDB_REPLY_STRING)
        printf("greeting = %.*s\n", (int)pdb_reply_len(r), pdb_reply_str(r));
    pdb_reply_free(r);
    pdb_free(c);
    return 0;
}
