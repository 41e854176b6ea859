/*
 * pubsub.c - subscribe to a channel and a pattern with callbacks and print
 * what arrives; the subscriptions survive a server restart.
 *
 *   build/examples/pubsub [redis://host:port] [seconds]
 * then, elsewhere: PUBLISH news hello / PUBLISH sport.golf par
 */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "pairdb.h"

static void on_message(pdb_conn *c, const pdb_message *m, void *priv) {
    (void)c;
    int *count = priv;
    (*count)++;
    if (m->kind == PDB_SUB_PATTERN)
        printf("[%.*s] %.*s: %.*s\n", (int)m->pattern.len, m->pattern.ptr, (int)m->channel.len,
               m->channel.ptr, (int)m->payload.len, m->payload.ptr);
    else
        printf("%.*s: %.*s\n", (int)m->channel.len, m->channel.ptr, (int)m->payload.len,
               m->payload.ptr);
    fflush(stdout);
}

int main(int argc, char **argv) {
    const char *url = argc > 1 ? argv[1] : "redis://127.0.0.1:6379";
    int seconds = argc > 2 ? atoi(argv[2]) : 30;
    pdb_conn *c = pdb_connect_url(url, NULL);
    int count = 0;
    if (pdb_subscribe(c, "news", on_message, &count) != PDB_OK ||
        pdb_psubscribe(c, "sport.*", on_message, &count) != PDB_OK) {
        fprintf(stderr, "subscribe: %s\n", pdb_errstr(c));
        pdb_free(c);
        return 1;
    }
    time_t until = time(NULL) + seconds;
    while (time(NULL) < until) {
        int rc = pdb_dispatch(c, 500);
        /* A lost connection: the next call reconnects and subscribes again. */
        if (rc < 0 && rc != PDB_ERR_TIMEOUT) {
            fprintf(stderr, "%s (retrying)\n", pdb_errstr(c));
            struct timespec ts = {0, 200 * 1000000L};
            nanosleep(&ts, NULL);
        }
    }
    printf("%d messages\n", count);
    pdb_free(c);
    return 0;
}
