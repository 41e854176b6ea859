/*
 * cluster_int.h - internals shared by pdb_cluster.c (nodes, slot map,
 * routing, redirections, pipelines) and pdb_cluster_keys.c (key slots and
 * key positions).
 *
 * Layout: a fixed table of node slots (addresses learned from the seeds,
 * the slot map and MOVED/ASK replies), each with a lazily opened pdb_conn;
 * the slot map names a master node index per slot; the key-position cache
 * remembers what COMMAND INFO said about commands outside the built-in
 * table; the pipeline holds appended commands and, once sent, their results.
 */
#ifndef PAIRDB_CLUSTER_INT_H
#define PAIRDB_CLUSTER_INT_H

#include <stdint.h>

#include "client/client_int.h"

#define CLU_MAX_NODES 512   /* addresses known at once (a map names fewer) */
#define CLU_MAX_REPLICAS 16 /* replicas remembered per master */
#define CLU_HOST_MAX 256    /* a hostname is at most 255 bytes */
#define CLU_ADDR_MAX 272    /* "host:port" */
#define CLU_SPEC_CACHE 256  /* command names whose key positions are cached */
#define CLU_NAME_MAX 32     /* longest command name looked up */

/* How a command's keys are found. */
enum {
    CLU_KS_FIXED = 0,   /* first, last, step */
    CLU_KS_KEYLESS = 1, /* no keys: any master */
    CLU_KS_GETKEYS = 2, /* positions depend on the arguments: COMMAND GETKEYS */
    CLU_KS_REFUSED = 3  /* needs connection state the cluster client does not keep */
};

typedef struct clu_keyspec {
    int kind;
    int first, last, step; /* last < 0 counts from the end: -1 is the last argument */
    int readonly;
} clu_keyspec;

typedef struct clu_spec_entry {
    char name[CLU_NAME_MAX + 1];
    clu_keyspec spec;
} clu_spec_entry;

typedef struct clu_node {
    char host[CLU_HOST_MAX];
    int port;
    char addr[CLU_ADDR_MAX];
    pdb_conn *conn;                       /* NULL until first used, or after being closed */
    uint64_t last_used_us;                /* for closing the least recently used */
    unsigned long long readonly_connects; /* conn's connect count when READONLY was sent */
    int seed;
    int in_map;    /* named by the current map (as master or replica) */
    int failed;    /* an I/O failure since the last refresh */
    int is_master; /* owns slots in the current map */
    int pinned;    /* its connection is in use by a pipeline: not to be closed */
    int chosen;    /* a pipeline being sent goes there: not to be dropped */
    int replicas[CLU_MAX_REPLICAS];
    int nreplicas;
} clu_node;

/* One appended command of a pipeline and, once sent, its outcome. */
typedef struct clu_item {
    cl_args args;
    int slot; /* -1: keyless */
    int readonly;
    int node; /* where it was sent, -1 before */
    int rc;
    pdb_reply *reply;
    char *errstr; /* for a failure, else NULL */
    char errcmd[CL_NAME_MAX];
} clu_item;

struct pdb_cluster {
    pdb_cluster_options opt;
    char *s_user, *s_password, *s_client_name, *s_ca_file, *s_ca_dir, *s_cert_file, *s_key_file,
        *s_server_name;

    clu_node *nodes[CLU_MAX_NODES];
    int16_t slots[PDB_CLUSTER_SLOTS]; /* master node index, -1 when unassigned */
    int have_map;
    int no_shards; /* the nodes do not know CLUSTER SHARDS: ask CLUSTER SLOTS */
    uint64_t last_refresh_us;
    int open_conns;
    unsigned rr; /* round robin over replicas and keyless targets */

    clu_spec_entry *specs;
    size_t nspecs;

    clu_item *items; /* the pipeline, oldest first */
    size_t nitems, cap_items;
    size_t sent;  /* items[0..sent) have outcomes */
    size_t taken; /* of which the caller took this many */

    int fatal; /* bad options: every call fails with fatal_msg */
    char fatal_msg[CL_ERRSTR_MAX];
    int err;
    char errstr[CL_ERRSTR_MAX];
    char errcmd[CL_NAME_MAX];
    pdb_cluster_stats st;
};

/* pdb_cluster.c: nodes and the slot map */
/* Splits "host:port" ("[v6]:port" too): PDB_OK or PDB_ERR_ARG. */
int clu_parse_addr(const char *s, size_t len, char host[CLU_HOST_MAX], int *port);
/* Index of the node at host:port, added when new; -1 when the table is full. */
int clu_node_find_or_add(pdb_cluster *cl, const char *host, int port);
/* The node's connection, opened (and another closed) when needed. */
pdb_conn *clu_node_conn(pdb_cluster *cl, int idx);
void clu_mark_failed(pdb_cluster *cl, int idx);
/* Fetches the map: force 0 skips it when the last one is younger than
 * refresh_min_ms. */
int clu_refresh(pdb_cluster *cl, int force);
/* The node for a slot (-1: keyless, any master), a replica for a read when
 * asked to; -1 with the error set when there is none. */
int clu_pick(pdb_cluster *cl, int slot, int readonly);
/* Building a map: begin clears it; map_node names a node in it (its
 * index, or -1); map_master gives it slots [start, end]; map_replica adds a
 * replica to a master (once; -1 is ignored); end drops the nodes no longer
 * named. */
void clu_map_begin(pdb_cluster *cl);
int clu_map_node(pdb_cluster *cl, const char *host, int port);
void clu_map_master(pdb_cluster *cl, int master, int start, int end);
void clu_map_replica(pdb_cluster *cl, int master, int replica);
void clu_map_end(pdb_cluster *cl);
/* Sends READONLY on a replica's connection once per connect. */
int clu_ensure_readonly(pdb_cluster *cl, int idx);
int clu_is_replica(const pdb_cluster *cl, int idx);

/* pdb_cluster_shards.c: replaces the map with a CLUSTER SHARDS reply;
 * asked is the host of the node that sent it. -1 if it is no array. */
int clu_install_shards(pdb_cluster *cl, const pdb_reply *r, const char *asked);

/* pdb_cluster_cmd.c */
void clu_pipeline_free(pdb_cluster *cl);
void clu_set_error(pdb_cluster *cl, int kind, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* Runs a helper command (COMMAND INFO / GETKEYS) on any reachable master;
 * the reply (error replies included) or NULL. */
pdb_reply *clu_any_call(pdb_cluster *cl, int argc, const char *const *argv, const size_t *lens);

/* pdb_cluster_keys.c */
/* The slot all keys of a command hash to (-1 for none) and whether it only
 * reads: PDB_OK, PDB_ERR_CROSSSLOT, PDB_ERR_UNSUPPORTED or PDB_ERR_ARG. */
int clu_route(pdb_cluster *cl, const cl_args *a, int *slot, int *readonly);
void clu_specs_free(pdb_cluster *cl);

/* Argument i of a as a pointer and length. */
static inline const char *clu_arg(const cl_args *a, int i, size_t *len) {
    *len = a->off[i + 1] - a->off[i];
    return a->bytes.data ? a->bytes.data + a->off[i] : "";
}

#endif
