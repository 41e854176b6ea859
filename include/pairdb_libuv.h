/*
 * pairdb_libuv.h - attaches a pdb_async to a libuv loop. Header-only:
 * libpairdb itself does not link libuv; a program using this links -luv.
 * The handles are closed from pdb_async_free and released by the loop's
 * close callbacks, so the loop must run once more after the free.
 */
#ifndef PAIRDB_LIBUV_H
#define PAIRDB_LIBUV_H

#include <stdlib.h>
#include <uv.h>

#include "pairdb.h"

typedef struct pdb_libuv {
    pdb_async *ac;
    uv_poll_t poll;
    uv_timer_t timer;
    int events;
    int open_handles;
} pdb_libuv;

static inline void pdb_libuv_on_poll(uv_poll_t *h, int status, int events) {
    pdb_libuv *u = (pdb_libuv *)h->data;
    /* An error status: let the read find out what happened. */
    if (status < 0) events = UV_READABLE;
    if (events & UV_WRITABLE) pdb_async_handle_write(u->ac);
    if (events & UV_READABLE) pdb_async_handle_read(u->ac);
}

static inline void pdb_libuv_on_timer(uv_timer_t *t) {
    pdb_async_handle_timeout(((pdb_libuv *)t->data)->ac);
}

static inline void pdb_libuv_set(pdb_libuv *u, int events) {
    u->events = events;
    if (events)
        uv_poll_start(&u->poll, events, pdb_libuv_on_poll);
    else
        uv_poll_stop(&u->poll);
}

static inline void pdb_libuv_add_read(void *d) {
    pdb_libuv *u = (pdb_libuv *)d;
    pdb_libuv_set(u, u->events | UV_READABLE);
}

static inline void pdb_libuv_del_read(void *d) {
    pdb_libuv *u = (pdb_libuv *)d;
    pdb_libuv_set(u, u->events & ~UV_READABLE);
}

static inline void pdb_libuv_add_write(void *d) {
    pdb_libuv *u = (pdb_libuv *)d;
    pdb_libuv_set(u, u->events | UV_WRITABLE);
}

static inline void pdb_libuv_del_write(void *d) {
    pdb_libuv *u = (pdb_libuv *)d;
    pdb_libuv_set(u, u->events & ~UV_WRITABLE);
}

static inline void pdb_libuv_timer(void *d, int ms) {
    pdb_libuv *u = (pdb_libuv *)d;
    uv_timer_start(&u->timer, pdb_libuv_on_timer, (uint64_t)ms, 0);
}

static inline void pdb_libuv_closed(uv_handle_t *h) {
    pdb_libuv *u = (pdb_libuv *)h->data;
    if (--u->open_handles == 0) free(u);
}

static inline void pdb_libuv_cleanup(void *d) {
    pdb_libuv *u = (pdb_libuv *)d;
    uv_close((uv_handle_t *)&u->poll, pdb_libuv_closed);
    uv_close((uv_handle_t *)&u->timer, pdb_libuv_closed);
}

static inline int pdb_libuv_attach(pdb_async *ac, uv_loop_t *loop) {
    int fd = pdb_async_fd(ac);
    if (fd < 0) return PDB_ERR_CLOSED;
    pdb_libuv *u = (pdb_libuv *)calloc(1, sizeof(*u));
    if (!u) return PDB_ERR_IO;
    u->ac = ac;
    if (uv_poll_init(loop, &u->poll, fd) != 0) {
        free(u);
        return PDB_ERR_IO;
    }
    uv_timer_init(loop, &u->timer);
    u->poll.data = u;
    u->timer.data = u;
    u->open_handles = 2;
    pdb_async_adapter a = {u,
                           pdb_libuv_add_read,
                           pdb_libuv_del_read,
                           pdb_libuv_add_write,
                           pdb_libuv_del_write,
                           pdb_libuv_timer,
                           pdb_libuv_cleanup};
    int rc = pdb_async_attach(ac, &a);
    if (rc != PDB_OK) pdb_libuv_cleanup(u);
    return rc;
}

#endif
