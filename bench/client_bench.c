/*
 * client_bench.c - GET/SET throughput of libpairdb and hiredis on the same
 * workload, and heap allocations per reply.
 *
 *   client_bench LIB OP PIPELINE CONNS REQUESTS PORT
 *     LIB pdb|hiredis   OP get|set
 *
 * One thread drives CONNS connections in rounds: PIPELINE commands appended
 * to every connection, then every reply taken, so CONNS * PIPELINE requests
 * are in flight (as redis-benchmark -c CONNS -P PIPELINE). Prints
 * "rps=<requests per second> allocs_per_reply=<n>".
 *
 * Allocations are counted by defining malloc/calloc/realloc here over
 * glibc's own entry points: the executable's definitions take precedence for
 * the shared hiredis library and the static libpairdb alike, so no preload
 * is needed.
 */
#include <hiredis/hiredis.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "pairdb.h"

extern void *__libc_malloc(size_t);
extern void *__libc_calloc(size_t, size_t);
extern void *__libc_realloc(void *, size_t);

static unsigned long long allocs;
static int counting;

void *malloc(size_t n) {
    if (counting) allocs++;
    return __libc_malloc(n);
}

void *calloc(size_t n, size_t m) {
    if (counting) allocs++;
    return __libc_calloc(n, m);
}

void *realloc(void *p, size_t n) {
    if (counting) allocs++;
    return __libc_realloc(p, n);
}

static double now_s(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

enum { MAX_CONNS = 256 };

typedef struct bench {
    int use_pdb, is_set, pipeline, nconns;
    pdb_conn *pc[MAX_CONNS];
    redisContext *hc[MAX_CONNS];
} bench;

static int connect_all(bench *b, int port) {
    for (int i = 0; i < b->nconns; i++) {
        if (b->use_pdb) {
            pdb_options o;
            pdb_options_init(&o);
            o.port = port;
            o.protocol = 2; /* what hiredis 0.14 speaks */
            b->pc[i] = pdb_connect(&o);
            if (pdb_err(b->pc[i]) != PDB_OK) return -1;
        } else {
            b->hc[i] = redisConnect("127.0.0.1", port);
            if (!b->hc[i] || b->hc[i]->err) return -1;
        }
    }
    return 0;
}

static void close_all(bench *b) {
    for (int i = 0; i < b->nconns; i++) {
        if (b->use_pdb)
            pdb_free(b->pc[i]);
        else
            redisFree(b->hc[i]);
    }
}

static const char VALUE[] = "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx";

/* One round: PIPELINE commands on every connection, then their replies. */
static int round_trip(bench *b, unsigned long long base) {
    for (int i = 0; i < b->nconns; i++)
        for (int k = 0; k < b->pipeline; k++) {
            unsigned long long key = (base + (unsigned long long)(i * b->pipeline + k)) % 10000;
            char kbuf[32];
            snprintf(kbuf, sizeof kbuf, "key:%llu", key);
            if (b->use_pdb) {
                int rc = b->is_set ? pdb_append_command(b->pc[i], "SET %s %s", kbuf, VALUE)
                                   : pdb_append_command(b->pc[i], "GET %s", kbuf);
                if (rc != PDB_OK) return -1;
            } else {
                int rc = b->is_set ? redisAppendCommand(b->hc[i], "SET %s %s", kbuf, VALUE)
                                   : redisAppendCommand(b->hc[i], "GET %s", kbuf);
                if (rc != REDIS_OK) return -1;
            }
        }
    /* Everything leaves before the first reply is awaited (hiredis would
     * otherwise write a connection's commands only when reading it). */
    for (int i = 0; i < b->nconns; i++) {
        if (b->use_pdb) {
            if (pdb_flush(b->pc[i]) != PDB_OK) return -1;
        } else {
            int done = 0;
            while (!done)
                if (redisBufferWrite(b->hc[i], &done) != REDIS_OK) return -1;
        }
    }
    for (int i = 0; i < b->nconns; i++)
        for (int k = 0; k < b->pipeline; k++) {
            if (b->use_pdb) {
                pdb_reply *r;
                if (pdb_get_reply(b->pc[i], &r) != PDB_OK) return -1;
                pdb_reply_free(r);
            } else {
                void *r;
                if (redisGetReply(b->hc[i], &r) != REDIS_OK) return -1;
                freeReplyObject(r);
            }
        }
    return 0;
}

int main(int argc, char **argv) {
    if (argc != 7) {
        fprintf(stderr, "usage: %s pdb|hiredis get|set PIPELINE CONNS REQUESTS PORT\n", argv[0]);
        return 2;
    }
    bench b = {0};
    b.use_pdb = strcmp(argv[1], "pdb") == 0;
    b.is_set = strcmp(argv[2], "set") == 0;
    b.pipeline = atoi(argv[3]);
    b.nconns = atoi(argv[4]);
    long long requests = atoll(argv[5]);
    int port = atoi(argv[6]);
    if (b.pipeline < 1 || b.nconns < 1 || b.nconns > MAX_CONNS || requests < 1) return 2;
    if (connect_all(&b, port) != 0) {
        fprintf(stderr, "connect failed\n");
        return 1;
    }
    /* Warm-up, so buffers have grown before anything is counted. */
    if (round_trip(&b, 0) != 0) return 1;
    long long per_round = (long long)b.pipeline * b.nconns;
    long long rounds = (requests + per_round - 1) / per_round;
    allocs = 0;
    counting = 1;
    double t0 = now_s();
    for (long long r = 0; r < rounds; r++)
        if (round_trip(&b, (unsigned long long)(r * per_round)) != 0) {
            counting = 0;
            fprintf(stderr, "request failed\n");
            return 1;
        }
    double took = now_s() - t0;
    counting = 0;
    long long done = rounds * per_round;
    printf("rps=%.0f allocs_per_reply=%.2f\n", (double)done / took, (double)allocs / (double)done);
    close_all(&b);
    return 0;
}
