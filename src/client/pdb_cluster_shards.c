/*
 * pdb_cluster_shards.c - reading a CLUSTER SHARDS reply into the slot map.
 *
 * The reply (Redis 7.0+) is one entry per shard, a map (a flat key/value
 * array in RESP2) with "slots" (start, end, start, end... as integers) and
 * "nodes" (maps with "endpoint", "ip", "port", "tls-port", "role" and
 * "health"). The master is the node whose role is "master"; replicas count
 * only when their health is "online" (a replica still loading its data
 * would answer reads from an empty or old data set). The endpoint is used
 * as CLUSTER SLOTS would: "" means the node asked, "?" an unknown one (the
 * node is skipped). With TLS on, "tls-port" is preferred to "port".
 */
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "client/cluster_int.h"

#define CLU_SHARD_MAX_NODES 256 /* nodes read from one shard */

static const pdb_reply *field(const pdb_reply *m, const char *name) {
    return pdb_reply_map_get(m, name, strlen(name));
}

static int field_is(const pdb_reply *m, const char *name, const char *want) {
    const pdb_reply *v = field(m, name);
    return v && pdb_reply_type(v) == PDB_REPLY_STRING && strcasecmp(pdb_reply_str(v), want) == 0;
}

static long long field_int(const pdb_reply *m, const char *name) {
    const pdb_reply *v = field(m, name);
    return v && pdb_reply_type(v) == PDB_REPLY_INTEGER ? pdb_reply_integer(v) : -1;
}

/* The address a shard's node is reached at: 0, or -1 to skip the node. */
static int node_addr(const pdb_cluster *cl, const pdb_reply *n, const char *asked,
                     char host[CLU_HOST_MAX], int *port) {
    const pdb_reply *h = field(n, "endpoint");
    if (!h || pdb_reply_type(h) != PDB_REPLY_STRING) h = field(n, "ip");
    const char *hs = asked;
    size_t hl = strlen(asked);
    if (h && pdb_reply_type(h) == PDB_REPLY_STRING && pdb_reply_len(h) > 0) {
        hs = pdb_reply_str(h);
        hl = pdb_reply_len(h);
    }
    if (hl >= CLU_HOST_MAX || memchr(hs, '\0', hl) || (hl == 1 && hs[0] == '?')) return -1;
    long long p = cl->opt.node.tls ? field_int(n, "tls-port") : -1;
    if (p <= 0) p = field_int(n, "port");
    if (p <= 0 || p > 65535) return -1;
    memcpy(host, hs, hl);
    host[hl] = '\0';
    *port = (int)p;
    return 0;
}

/* The shard's master and its healthy replicas; -1 without a master. */
static int shard_nodes(pdb_cluster *cl, const pdb_reply *nodes, const char *asked) {
    size_t n = pdb_reply_elements(nodes);
    if (n > CLU_SHARD_MAX_NODES) n = CLU_SHARD_MAX_NODES;
    char host[CLU_HOST_MAX];
    int port, master = -1;
    for (size_t i = 0; i < n && master < 0; i++) {
        const pdb_reply *e = pdb_reply_element(nodes, i);
        if (field_is(e, "role", "master") && node_addr(cl, e, asked, host, &port) == 0)
            master = clu_map_node(cl, host, port);
    }
    if (master < 0) return -1;
    for (size_t i = 0; i < n; i++) {
        const pdb_reply *e = pdb_reply_element(nodes, i);
        if (field_is(e, "role", "replica") && field_is(e, "health", "online") &&
            node_addr(cl, e, asked, host, &port) == 0)
            clu_map_replica(cl, master, clu_map_node(cl, host, port));
    }
    return master;
}

static void shard_slots(pdb_cluster *cl, const pdb_reply *slots, int master) {
    size_t n = pdb_reply_elements(slots);
    for (size_t i = 0; i + 1 < n && i < 2 * PDB_CLUSTER_SLOTS; i += 2) {
        const pdb_reply *a = pdb_reply_element(slots, i), *b = pdb_reply_element(slots, i + 1);
        if (pdb_reply_type(a) != PDB_REPLY_INTEGER || pdb_reply_type(b) != PDB_REPLY_INTEGER)
            continue;
        long long start = pdb_reply_integer(a), end = pdb_reply_integer(b);
        if (start < 0 || end < start || end >= PDB_CLUSTER_SLOTS) continue;
        clu_map_master(cl, master, (int)start, (int)end);
    }
}

int clu_install_shards(pdb_cluster *cl, const pdb_reply *r, const char *asked) {
    if (pdb_reply_type(r) != PDB_REPLY_ARRAY) return -1;
    clu_map_begin(cl);
    size_t n = pdb_reply_elements(r);
    for (size_t i = 0; i < n && i < PDB_CLUSTER_SLOTS; i++) {
        const pdb_reply *shard = pdb_reply_element(r, i);
        const pdb_reply *slots = field(shard, "slots"), *nodes = field(shard, "nodes");
        if (!slots || !nodes || pdb_reply_type(slots) != PDB_REPLY_ARRAY ||
            pdb_reply_type(nodes) != PDB_REPLY_ARRAY || pdb_reply_elements(slots) == 0)
            continue;
        int master = shard_nodes(cl, nodes, asked);
        if (master >= 0) shard_slots(cl, slots, master);
    }
    clu_map_end(cl);
    return 0;
}
