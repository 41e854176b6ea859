/*
 * pairdb_libevent.h - attaches a pdb_async to a libevent event_base.
 * Header-only: libpairdb itself does not link libevent; a program using
 * this links -levent.
 */
#ifndef PAIRDB_LIBEVENT_H
#define PAIRDB_LIBEVENT_H

#include <event2/event.h>
#include <stdlib.h>

#include "pairdb.h"

typedef struct pdb_libevent {
    pdb_async *ac;
    struct event_base *base;
    struct event *rev, *wev, *tev; /* rev and wev exist once a socket is known */
} pdb_libevent;

static inline void pdb_libevent_on_read(evutil_socket_t fd, short what, void *arg) {
    (void)fd;
    (void)what;
    pdb_async_handle_read(((pdb_libevent *)arg)->ac);
}

static inline void pdb_libevent_on_write(evutil_socket_t fd, short what, void *arg) {
    (void)fd;
    (void)what;
    pdb_async_handle_write(((pdb_libevent *)arg)->ac);
}

static inline void pdb_libevent_on_timer(evutil_socket_t fd, short what, void *arg) {
    (void)fd;
    (void)what;
    pdb_async_handle_timeout(((pdb_libevent *)arg)->ac);
}

static inline void pdb_libevent_add_read(void *d) {
    pdb_libevent *e = (pdb_libevent *)d;
    if (e->rev) event_add(e->rev, NULL);
}

static inline void pdb_libevent_del_read(void *d) {
    pdb_libevent *e = (pdb_libevent *)d;
    if (e->rev) event_del(e->rev);
}

static inline void pdb_libevent_add_write(void *d) {
    pdb_libevent *e = (pdb_libevent *)d;
    if (e->wev) event_add(e->wev, NULL);
}

static inline void pdb_libevent_del_write(void *d) {
    pdb_libevent *e = (pdb_libevent *)d;
    if (e->wev) event_del(e->wev);
}

static inline void pdb_libevent_timer(void *d, int ms) {
    struct timeval tv = {ms / 1000, (ms % 1000) * 1000};
    evtimer_add(((pdb_libevent *)d)->tev, &tv);
}

static inline void pdb_libevent_free_io(pdb_libevent *e) {
    if (e->rev) event_free(e->rev);
    if (e->wev) event_free(e->wev);
    e->rev = e->wev = NULL;
}

/* A new socket (after a reconnect): the old events are no longer pending
 * (the connection stopped watching before closing it) and never run again;
 * fresh ones watch the new descriptor. */
static inline void pdb_libevent_set_fd(void *d, int fd) {
    pdb_libevent *e = (pdb_libevent *)d;
    pdb_libevent_free_io(e);
    if (fd < 0) return;
    e->rev = event_new(e->base, fd, EV_READ | EV_PERSIST, pdb_libevent_on_read, e);
    e->wev = event_new(e->base, fd, EV_WRITE | EV_PERSIST, pdb_libevent_on_write, e);
}

static inline void pdb_libevent_cleanup(void *d) {
    pdb_libevent *e = (pdb_libevent *)d;
    pdb_libevent_free_io(e);
    event_free(e->tev);
    free(e);
}

/* PDB_OK, or an error (nothing attached). A connection that is down can be
 * attached when it reconnects (pdb_async_set_reconnect). */
static inline int pdb_libevent_attach(pdb_async *ac, struct event_base *base) {
    pdb_libevent *e = (pdb_libevent *)calloc(1, sizeof(*e));
    if (!e) return PDB_ERR_IO;
    e->ac = ac;
    e->base = base;
    e->tev = evtimer_new(base, pdb_libevent_on_timer, e);
    pdb_async_adapter a = {e,
                           pdb_libevent_add_read,
                           pdb_libevent_del_read,
                           pdb_libevent_add_write,
                           pdb_libevent_del_write,
                           pdb_libevent_timer,
                           pdb_libevent_cleanup,
                           pdb_libevent_set_fd};
    int rc = pdb_async_attach(ac, &a);
    if (rc != PDB_OK) pdb_libevent_cleanup(e);
    return rc;
}

#endif
