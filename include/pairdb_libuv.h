/*
 * pairdb_libuv.h - attaches a pdb_async to a libuv loop. Header-only:
 * libpairdb itself does not link libuv; a program using this links -luv.
 * The handles are closed from pdb_async_free (and the socket's handle on
 * each reconnect) and released by the loop's close callbacks, so the loop
 * must run once more after the free.
 */
#ifndef PAIRDB_LIBUV_H
#define PAIRDB_LIBUV_H

#include <stdlib.h>
#include <uv.h>

#include "pairdb.h"

typedef struct pdb_libuv {
    pdb_async *ac;
    uv_loop_t *loop;
    uv_poll_t *poll; /* NULL until a socket is known; replaced on reconnect */
    uv_timer_t timer;
    int events;
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
    if (!u->poll) return;
    if (events)
        uv_poll_start(u->poll, events, pdb_libuv_on_poll);
    else
        uv_poll_stop(u->poll);
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

static inline void pdb_libuv_poll_closed(uv_handle_t *h) {
    free(h);
}

static inline void pdb_libuv_close_poll(pdb_libuv *u) {
    if (u->poll) uv_close((uv_handle_t *)u->poll, pdb_libuv_poll_closed);
    u->poll = NULL;
    u->events = 0;
}

/* A new socket (after a reconnect): the old handle is closed (it was
 * stopped before its socket closed) and a new one watches fd. */
static inline void pdb_libuv_set_fd(void *d, int fd) {
    pdb_libuv *u = (pdb_libuv *)d;
    pdb_libuv_close_poll(u);
    if (fd < 0) return;
    uv_poll_t *p = (uv_poll_t *)calloc(1, sizeof(*p));
    if (!p) return;
    if (uv_poll_init(u->loop, p, fd) != 0) {
        free(p);
        return;
    }
    p->data = u;
    u->poll = p;
}

static inline void pdb_libuv_timer_closed(uv_handle_t *h) {
    free(h->data);
}

static inline void pdb_libuv_cleanup(void *d) {
    pdb_libuv *u = (pdb_libuv *)d;
    pdb_libuv_close_poll(u);
    uv_close((uv_handle_t *)&u->timer, pdb_libuv_timer_closed);
}

/* PDB_OK, or an error (nothing attached). A connection that is down can be
 * attached when it reconnects (pdb_async_set_reconnect). */
static inline int pdb_libuv_attach(pdb_async *ac, uv_loop_t *loop) {
    pdb_libuv *u = (pdb_libuv *)calloc(1, sizeof(*u));
    if (!u) return PDB_ERR_IO;
    u->ac = ac;
    u->loop = loop;
    uv_timer_init(loop, &u->timer);
    u->timer.data = u;
    pdb_async_adapter a = {u,
                           pdb_libuv_add_read,
                           pdb_libuv_del_read,
                           pdb_libuv_add_write,
                           pdb_libuv_del_write,
                           pdb_libuv_timer,
                           pdb_libuv_cleanup,
                           pdb_libuv_set_fd};
    int rc = pdb_async_attach(ac, &a);
    if (rc != PDB_OK) pdb_libuv_cleanup(u);
    return rc;
}

#endif
