/*
 * async.c - the non-blocking connection driven by a small poll(2) loop:
 * a batch of INCRs issued in one turn leaves in one write (auto-pipelining),
 * each reply reaches its callback. libevent and libuv programs use
 * pairdb_libevent.h / pairdb_libuv.h instead of this loop.
 *
 *   build/examples/async [redis://host:port] [count]
 */
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>

#include "pairdb.h"

typedef struct loop {
    int want_read, want_write;
} loop;

static void add_read(void *d) {
    ((loop *)d)->want_read = 1;
}
static void del_read(void *d) {
    ((loop *)d)->want_read = 0;
}
static void add_write(void *d) {
    ((loop *)d)->want_write = 1;
}
static void del_write(void *d) {
    ((loop *)d)->want_write = 0;
}

static int answered;

static void on_incr(pdb_async *ac, pdb_reply *r, int err, void *priv) {
    (void)ac;
    (void)priv;
    answered++;
    if (err != PDB_OK)
        fprintf(stderr, "INCR failed: %s\n", pdb_error_name(err));
    else if (answered % 1000 == 0)
        printf("counter = %lld\n", pdb_reply_integer(r));
}

int main(int argc, char **argv) {
    const char *url = argc > 1 ? argv[1] : "redis://127.0.0.1:6379";
    int count = argc > 2 ? atoi(argv[2]) : 5000;
    if (count <= 0) count = 5000;
    pdb_options o;
    char buf[PDB_URL_MAX + 1], err[128];
    pdb_options_init(&o);
    if (pdb_url_parse(url, &o, buf, sizeof buf, err, sizeof err) != PDB_OK) {
        fprintf(stderr, "%s\n", err);
        return 2;
    }
    pdb_async *ac = pdb_async_connect(&o);
    if (pdb_async_err(ac)) {
        fprintf(stderr, "connect: %s\n", pdb_async_errstr(ac));
        pdb_async_free(ac);
        return 1;
    }
    loop l = {0, 0};
    pdb_async_adapter a = {&l, add_read, del_read, add_write, del_write, NULL, NULL, NULL};
    pdb_async_attach(ac, &a);
    for (int i = 0; i < count; i++)
        pdb_async_command(ac, on_incr, NULL, "INCR %s", "async:counter");
    while (answered < count && pdb_async_fd(ac) >= 0) {
        struct pollfd p = {pdb_async_fd(ac),
                           (short)((l.want_read ? POLLIN : 0) | (l.want_write ? POLLOUT : 0)), 0};
        if (poll(&p, 1, 1000) <= 0) continue;
        if (p.revents & POLLOUT) pdb_async_handle_write(ac);
        if (p.revents & (POLLIN | POLLHUP | POLLERR)) pdb_async_handle_read(ac);
    }
    pdb_async_stats st;
    pdb_async_get_stats(ac, &st);
    printf("%d replies, %llu writes\n", answered, st.writes);
    pdb_async_free(ac);
    return 0;
}
