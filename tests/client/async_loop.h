/*
 * async_loop.h - a poll(2) event loop for the async connection tests: one
 * connection, its timer, and a socket that may change (reconnects) or be
 * absent (down) while the timer keeps running.
 */
#ifndef PDB_TEST_ASYNC_LOOP_H
#define PDB_TEST_ASYNC_LOOP_H

#include <poll.h>

#include "harness.h"

typedef struct link_loop {
    pdb_async *ac;
    int rd, wr, fd;
    long long timer_at; /* ms, 0: none */
} link_loop;

static inline void ll_add_read(void *d) {
    ((link_loop *)d)->rd = 1;
}
static inline void ll_del_read(void *d) {
    ((link_loop *)d)->rd = 0;
}
static inline void ll_add_write(void *d) {
    ((link_loop *)d)->wr = 1;
}
static inline void ll_del_write(void *d) {
    ((link_loop *)d)->wr = 0;
}
static inline void ll_timer(void *d, int ms) {
    ((link_loop *)d)->timer_at = now_ms() + ms;
}
static inline void ll_set_fd(void *d, int fd) {
    ((link_loop *)d)->fd = fd;
}

static inline int attach_ll(pdb_async *ac, link_loop *l) {
    memset(l, 0, sizeof *l);
    l->ac = ac;
    l->fd = -1;
    pdb_async_adapter a = {l,           ll_add_read, ll_del_read, ll_add_write, ll_del_write,
                           ll_timer,    NULL,        ll_set_fd};
    return pdb_async_attach(ac, &a);
}

static inline void ll_turn(link_loop *l) {
    long long wait = 20;
    if (l->timer_at) {
        long long left = l->timer_at - now_ms();
        wait = left < 0 ? 0 : left < wait ? left : wait;
    }
    short ev = (short)((l->rd ? POLLIN : 0) | (l->wr ? POLLOUT : 0));
    struct pollfd p = {.fd = l->fd >= 0 && ev ? l->fd : -1, .events = ev};
    poll(&p, 1, (int)wait);
    if (p.fd >= 0 && (p.revents & (POLLOUT | POLLERR | POLLHUP)) && l->wr)
        pdb_async_handle_write(l->ac);
    if (p.fd >= 0 && (p.revents & (POLLIN | POLLHUP | POLLERR)) && l->rd)
        pdb_async_handle_read(l->ac);
    if (l->timer_at && now_ms() >= l->timer_at) {
        l->timer_at = 0;
        pdb_async_handle_timeout(l->ac);
    }
}

static inline void ll_run_until(link_loop *l, const int *done, int want, int max_ms) {
    long long until = now_ms() + max_ms;
    while (*done < want && now_ms() < until)
        ll_turn(l);
}

static inline void ll_run_for(link_loop *l, int ms) {
    long long until = now_ms() + ms;
    while (now_ms() < until)
        ll_turn(l);
}

#endif
