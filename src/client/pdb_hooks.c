/*
 * pdb_hooks.c - command start/end callbacks for tracing, on the synchronous
 * and the asynchronous connection alike.
 */
#include <string.h>

#include "client/client_int.h"

void pdb_set_hooks(pdb_conn *c, const pdb_hooks *h) {
    if (h)
        c->hooks = *h;
    else
        memset(&c->hooks, 0, sizeof c->hooks);
}

void cl_hook_start(pdb_conn *c, const char *name) {
    if (c->hooks.on_start) c->hooks.on_start(c, name, c->hooks.privdata);
}

void cl_hook_end(pdb_conn *c, const char *name, uint64_t usec, int err, const char *msg) {
    if (c->hooks.on_end)
        c->hooks.on_end(c, name, (unsigned long long)usec, err, msg ? msg : "", c->hooks.privdata);
}
