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
    struct event *rev, *wev, *tev;
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
    event_add(((pdb_libevent *)d)->rev, NULL);
}

static inline void pdb_libevent_del_read(void *d) {
    event_del(((pdb_libevent *)d)->rev);
}

static inline void pdb_libevent_add_write(void *d) {
    event_add(((pdb_libevent *)d)->wev, NULL);
}

static inline void pdb_libevent_del_write(void *d) {
    event_del(((pdb_libevent *)d)->wev);
}

static inline void pdb_libevent_timer(void *d, int ms) {
    struct timeval tv = {ms / 1000, (ms % 1000) * 1000};
    evtimer_add(((pdb_libevent *)d)->tev, &tv);
}

static inline void pdb_libevent_cleanup(void *d) {
    pdb_libevent *e = (pdb_libevent *)d;
    event_free(e->rev);
    event_free(e->wev);
    event_free(e->tev);
    free(e);
}

/* PDB_OK, or an error (nothing attached) when the connection is down. */
static inline int pdb_libevent_attach(pdb_async *ac, struct event_base *base) {
    int fd = pdb_async_fd(ac);
    if (fd < 0) return PDB_ERR_CLOSED;
    pdb_libevent *e = (pdb_libevent *)calloc(1, sizeof(*e));
    if (!e) return PDB_ERR_IO;
    e->ac = ac;
    e->rev = event_new(base, fd, EV_READ | EV_PERSIST, pdb_libevent_on_read, e);
    e->wev = event_new(base, fd, EV_WRITE | EV_PERSIST, pdb_libevent_on_write, e);
    e->tev = evtimer_new(base, pdb_libevent_on_timer, e);
    pdb_async_adapter a = {e,
                           pdb_libevent_add_read,
                           pdb_libevent_del_read,
                           pdb_libevent_add_write,
                           pdb_libevent_del_write,
                           pdb_libevent_timer,
                           pdb_libevent_cleanup};
    int rc = pdb_async_attach(ac, &a);
    if (rc != PDB_OK) pdb_libevent_cleanup(e);
    return rc;
}

#endif
