/*
 * pdb_cluster.c - the cluster client's nodes and slot map.
 *
 * Nodes live in a fixed table of CLU_MAX_NODES entries; an index stays valid
 * while its node is a seed, in the map, or chosen by a pipeline being sent.
 * Nodes the map no longer names are dropped at the next refresh. Each node
 * has at most one pdb_conn, opened on first use; past max_connections the
 * least recently used unpinned one is closed.
 *
 * The map comes from CLUSTER SHARDS (or CLUSTER SLOTS where that is
 * missing), asked of the known masters first, then the seeds, then the
 * nodes that failed lately. Its replies are checked
 * like any input: slots in range, ports in range, hosts of bounded length.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "client/cluster_int.h"
#include "ds/mem.h"

#define CLU_REFRESH_MAX_ENTRIES PDB_CLUSTER_SLOTS /* ranges read from one CLUSTER SLOTS */

/* ---- errors ---- */

void clu_set_error(pdb_cluster *cl, int kind, const char *fmt, ...) {
    va_list ap;
    cl->err = kind;
    va_start(ap, fmt);
    vsnprintf(cl->errstr, sizeof cl->errstr, fmt, ap);
    va_end(ap);
    cl->errcmd[0] = '\0';
}

int pdb_cluster_err(const pdb_cluster *cl) {
    return cl->err;
}

const char *pdb_cluster_errstr(const pdb_cluster *cl) {
    return cl->errstr;
}

const char *pdb_cluster_err_command(const pdb_cluster *cl) {
    return cl->errcmd;
}

/* ---- addresses and nodes ---- */

int clu_parse_addr(const char *s, size_t len, char host[CLU_HOST_MAX], int *port) {
    const char *colon = NULL;
    for (size_t i = len; i > 0; i--)
        if (s[i - 1] == ':') {
            colon = s + i - 1;
            break;
        }
    if (!colon) return PDB_ERR_ARG;
    const char *h = s, *p = colon + 1;
    size_t hlen = (size_t)(colon - s), plen = len - hlen - 1;
    if (hlen >= 2 && h[0] == '[' && h[hlen - 1] == ']') h++, hlen -= 2;
    if (hlen >= CLU_HOST_MAX || plen == 0 || plen > 5 || memchr(h, '\0', hlen)) return PDB_ERR_ARG;
    int v = 0;
    for (size_t i = 0; i < plen; i++) {
        if (p[i] < '0' || p[i] > '9') return PDB_ERR_ARG;
        v = v * 10 + (p[i] - '0');
    }
    if (v <= 0 || v > 65535) return PDB_ERR_ARG;
    memcpy(host, h, hlen);
    host[hlen] = '\0';
    *port = v;
    return PDB_OK;
}

static int node_find(const pdb_cluster *cl, const char *host, int port) {
    for (int i = 0; i < CLU_MAX_NODES; i++) {
        const clu_node *n = cl->nodes[i];
        if (n && n->port == port && strcmp(n->host, host) == 0) return i;
    }
    return -1;
}

int clu_node_find_or_add(pdb_cluster *cl, const char *host, int port) {
    int idx = node_find(cl, host, port);
    if (idx >= 0) return idx;
    if (strlen(host) >= CLU_HOST_MAX || port <= 0 || port > 65535) return -1;
    for (int i = 0; i < CLU_MAX_NODES; i++) {
        if (cl->nodes[i]) continue;
        clu_node *n = mem_calloc(sizeof(*n));
        snprintf(n->host, sizeof n->host, "%s", host);
        n->port = port;
        /* IPv6 literals get brackets, as MOVED and redis-cli write them. */
        snprintf(n->addr, sizeof n->addr, strchr(host, ':') ? "[%s]:%d" : "%s:%d", host, port);
        cl->nodes[i] = n;
        return i;
    }
    return -1;
}

static void node_close(pdb_cluster *cl, clu_node *n) {
    if (!n->conn) return;
    pdb_free(n->conn);
    n->conn = NULL;
    n->readonly_connects = 0;
    cl->open_conns--;
}

static void node_free(pdb_cluster *cl, int idx) {
    node_close(cl, cl->nodes[idx]);
    mem_free(cl->nodes[idx]);
    cl->nodes[idx] = NULL;
}

/* Closes the least recently used open connection other than keep's. */
static int close_lru(pdb_cluster *cl, int keep) {
    int victim = -1;
    for (int i = 0; i < CLU_MAX_NODES; i++) {
        clu_node *n = cl->nodes[i];
        if (!n || !n->conn || n->pinned || i == keep) continue;
        if (victim < 0 || n->last_used_us < cl->nodes[victim]->last_used_us) victim = i;
    }
    if (victim < 0) return -1;
    node_close(cl, cl->nodes[victim]);
    return 0;
}

pdb_conn *clu_node_conn(pdb_cluster *cl, int idx) {
    clu_node *n = cl->nodes[idx];
    n->last_used_us = cl_now_us();
    if (n->conn) return n->conn;
    /* Pinned connections may hold the count above the bound for a moment. */
    while (cl->open_conns >= cl->opt.max_connections && close_lru(cl, idx) == 0) {
    }
    pdb_options o = cl->opt.node;
    o.host = n->host;
    o.port = n->port;
    o.unix_path = NULL;
    o.db = 0;
    n->conn = pdb_connect(&o);
    cl->open_conns++;
    return n->conn;
}

void clu_mark_failed(pdb_cluster *cl, int idx) {
    if (idx >= 0 && idx < CLU_MAX_NODES && cl->nodes[idx]) cl->nodes[idx]->failed = 1;
}

int clu_is_replica(const pdb_cluster *cl, int idx) {
    const clu_node *n = cl->nodes[idx];
    return n && n->in_map && !n->is_master;
}

int clu_ensure_readonly(pdb_cluster *cl, int idx) {
    pdb_conn *c = clu_node_conn(cl, idx);
    pdb_stats st;
    pdb_get_stats(c, &st);
    if (pdb_is_connected(c) && st.connects == cl->nodes[idx]->readonly_connects) return PDB_OK;
    pdb_reply *r = pdb_command(c, "READONLY");
    if (!r) return pdb_err(c);
    pdb_reply_free(r);
    pdb_get_stats(c, &st);
    cl->nodes[idx]->readonly_connects = st.connects;
    return PDB_OK;
}

/* ---- the slot map ---- */

/* A node address inside a CLUSTER SLOTS entry: [host, port, id, ...]. An
 * empty or null host means "the node you asked"; "?" an unknown endpoint. */
static int entry_addr(const pdb_reply *e, const char *asked_host, char host[CLU_HOST_MAX],
                      int *port) {
    if (pdb_reply_type(e) != PDB_REPLY_ARRAY || pdb_reply_elements(e) < 2) return -1;
    const pdb_reply *h = pdb_reply_element(e, 0), *p = pdb_reply_element(e, 1);
    if (pdb_reply_type(p) != PDB_REPLY_INTEGER) return -1;
    long long v = pdb_reply_integer(p);
    if (v <= 0 || v > 65535) return -1;
    const char *hs = asked_host;
    size_t hl = strlen(asked_host);
    if (pdb_reply_type(h) == PDB_REPLY_STRING && pdb_reply_len(h) > 0) {
        hs = pdb_reply_str(h);
        hl = pdb_reply_len(h);
    } else if (pdb_reply_type(h) != PDB_REPLY_STRING && pdb_reply_type(h) != PDB_REPLY_NULL) {
        return -1;
    }
    if (hl >= CLU_HOST_MAX || memchr(hs, '\0', hl) || (hl == 1 && hs[0] == '?')) return -1;
    memcpy(host, hs, hl);
    host[hl] = '\0';
    *port = (int)v;
    return 0;
}

/* Checks one range entry [start, end, master, replica...]: 0 when usable. */
static int entry_range(const pdb_reply *e, int *start, int *end) {
    if (pdb_reply_type(e) != PDB_REPLY_ARRAY || pdb_reply_elements(e) < 3) return -1;
    const pdb_reply *a = pdb_reply_element(e, 0), *b = pdb_reply_element(e, 1);
    if (pdb_reply_type(a) != PDB_REPLY_INTEGER || pdb_reply_type(b) != PDB_REPLY_INTEGER) return -1;
    long long s = pdb_reply_integer(a), t = pdb_reply_integer(b);
    if (s < 0 || t < s || t >= PDB_CLUSTER_SLOTS) return -1;
    *start = (int)s;
    *end = (int)t;
    return 0;
}

/* Drops nodes the new map does not name (seeds and nodes a pipeline uses
 * stay). */
static void collect_unused(pdb_cluster *cl) {
    for (int i = 0; i < CLU_MAX_NODES; i++) {
        clu_node *n = cl->nodes[i];
        if (n && !n->in_map && !n->seed && !n->pinned && !n->chosen) node_free(cl, i);
    }
}

/* A node named by the map being installed; on a full table the nodes not
 * (yet) named are dropped first. */
int clu_map_node(pdb_cluster *cl, const char *host, int port) {
    int idx = clu_node_find_or_add(cl, host, port);
    if (idx < 0) {
        collect_unused(cl);
        idx = clu_node_find_or_add(cl, host, port);
    }
    if (idx >= 0) {
        cl->nodes[idx]->in_map = 1;
        cl->nodes[idx]->failed = 0; /* "failed since the last refresh" */
    }
    return idx;
}

void clu_map_begin(pdb_cluster *cl) {
    for (int i = 0; i < CLU_MAX_NODES; i++)
        if (cl->nodes[i])
            cl->nodes[i]->in_map = cl->nodes[i]->is_master = cl->nodes[i]->nreplicas = 0;
    for (int s = 0; s < PDB_CLUSTER_SLOTS; s++)
        cl->slots[s] = -1;
}

void clu_map_master(pdb_cluster *cl, int master, int start, int end) {
    cl->nodes[master]->is_master = 1;
    for (int s = start; s <= end; s++)
        cl->slots[s] = (int16_t)master;
}

void clu_map_replica(pdb_cluster *cl, int master, int replica) {
    clu_node *m = cl->nodes[master];
    if (replica < 0 || replica == master || m->nreplicas >= CLU_MAX_REPLICAS) return;
    for (int i = 0; i < m->nreplicas; i++)
        if (m->replicas[i] == replica) return;
    m->replicas[m->nreplicas++] = replica;
}

void clu_map_end(pdb_cluster *cl) {
    collect_unused(cl);
    cl->have_map = 1;
}

static void install_replicas(pdb_cluster *cl, int m, const pdb_reply *e, const char *asked) {
    char host[CLU_HOST_MAX];
    int port;
    size_t n = pdb_reply_elements(e);
    for (size_t i = 3; i < n && i < 3 + CLU_MAX_REPLICAS; i++)
        if (entry_addr(pdb_reply_element(e, i), asked, host, &port) == 0)
            clu_map_replica(cl, m, clu_map_node(cl, host, port));
}

/* Replaces the map with a CLUSTER SLOTS reply; asked is the host of the
 * node that sent it. Ranges that cannot be read are left unassigned. */
static int install_slots(pdb_cluster *cl, const pdb_reply *r, const char *asked) {
    if (pdb_reply_type(r) != PDB_REPLY_ARRAY) return -1;
    clu_map_begin(cl);
    size_t n = pdb_reply_elements(r);
    for (size_t i = 0; i < n && i < CLU_REFRESH_MAX_ENTRIES; i++) {
        const pdb_reply *e = pdb_reply_element(r, i);
        char host[CLU_HOST_MAX];
        int start, end, port;
        if (entry_range(e, &start, &end) != 0) continue;
        if (entry_addr(pdb_reply_element(e, 2), asked, host, &port) != 0) continue;
        int m = clu_map_node(cl, host, port);
        if (m < 0) continue;
        install_replicas(cl, m, e, asked);
        clu_map_master(cl, m, start, end);
    }
    clu_map_end(cl);
    return 0;
}

/* CLUSTER SHARDS where the node has it (Redis 7.0+): it also says which
 * replicas are healthy. Only an "unknown subcommand" answer makes the
 * client stop asking; any other refusal falls back for this call only. */
static pdb_reply *ask_map(pdb_cluster *cl, pdb_conn *c, int *shards) {
    *shards = 0;
    if (!cl->no_shards) {
        pdb_reply *r = pdb_command(c, "CLUSTER SHARDS");
        if (r) {
            *shards = 1;
            return r;
        }
        if (pdb_err(c) != PDB_ERR_SERVER) return NULL;
        if (strcasestr(pdb_errstr(c), "unknown")) cl->no_shards = 1;
    }
    return pdb_command(c, "CLUSTER SLOTS");
}

static int refresh_from(pdb_cluster *cl, int idx) {
    char asked[CLU_HOST_MAX];
    snprintf(asked, sizeof asked, "%s", cl->nodes[idx]->host);
    pdb_conn *c = clu_node_conn(cl, idx);
    int shards;
    pdb_reply *r = ask_map(cl, c, &shards);
    if (!r) {
        clu_set_error(cl, pdb_err(c), "slot map from %s: %s", cl->nodes[idx]->addr, pdb_errstr(c));
        if (pdb_err(c) != PDB_ERR_SERVER) cl->nodes[idx]->failed = 1;
        return cl->err;
    }
    int bad = shards ? clu_install_shards(cl, r, asked) : install_slots(cl, r, asked);
    pdb_reply_free(r);
    if (bad) {
        clu_set_error(cl, PDB_ERR_PROTOCOL, "slot map from %s: not an array", asked);
        return PDB_ERR_PROTOCOL;
    }
    cl->st.refreshes++;
    return PDB_OK;
}

/* Tries masters that did not fail, then seeds, then everything else. */
static int refresh_pass(pdb_cluster *cl, int pass) {
    unsigned start = cl->rr++;
    for (int k = 0; k < CLU_MAX_NODES; k++) {
        int i = (int)((start + (unsigned)k) % CLU_MAX_NODES);
        clu_node *n = cl->nodes[i];
        if (!n) continue;
        int want = pass == 0   ? n->is_master && !n->failed
                   : pass == 1 ? n->seed && !n->is_master
                               : n->failed || (!n->is_master && !n->seed);
        if (want && refresh_from(cl, i) == PDB_OK) return PDB_OK;
    }
    return -1;
}

int clu_refresh(pdb_cluster *cl, int force) {
    uint64_t now = cl_now_us();
    if (!force && cl->last_refresh_us &&
        now - cl->last_refresh_us < (uint64_t)cl->opt.refresh_min_ms * 1000u) {
        if (cl->have_map) return PDB_OK;
        clu_set_error(cl, PDB_ERR_CLUSTER, "no slot map yet: no node sent one");
        return PDB_ERR_CLUSTER;
    }
    cl->last_refresh_us = now;
    for (int pass = 0; pass < 3; pass++)
        if (refresh_pass(cl, pass) == PDB_OK) return PDB_OK;
    if (!cl->err) clu_set_error(cl, PDB_ERR_CLUSTER, "no node sent a slot map");
    return cl->err;
}

int pdb_cluster_refresh(pdb_cluster *cl) {
    if (cl->fatal) {
        clu_set_error(cl, PDB_ERR_ARG, "%s", cl->fatal_msg);
        return PDB_ERR_ARG;
    }
    int rc = clu_refresh(cl, 1);
    if (rc == PDB_OK) clu_set_error(cl, PDB_OK, "%s", "");
    return rc;
}

/* Any master that did not fail lately (round robin), else any node. */
static int pick_any(pdb_cluster *cl) {
    unsigned start = cl->rr++;
    int fallback = -1;
    for (int k = 0; k < CLU_MAX_NODES; k++) {
        int i = (int)((start + (unsigned)k) % CLU_MAX_NODES);
        clu_node *n = cl->nodes[i];
        if (!n) continue;
        if (n->is_master && !n->failed) return i;
        if (fallback < 0 || (!n->failed && cl->nodes[fallback]->failed)) fallback = i;
    }
    return fallback;
}

static int pick_replica(pdb_cluster *cl, const clu_node *m) {
    for (int k = 0; k < m->nreplicas; k++) {
        int r = m->replicas[(cl->rr + (unsigned)k) % (unsigned)m->nreplicas];
        if (cl->nodes[r] && !cl->nodes[r]->failed) {
            cl->rr++;
            return r;
        }
    }
    return -1;
}

int clu_pick(pdb_cluster *cl, int slot, int readonly) {
    if (!cl->have_map && clu_refresh(cl, 0) != PDB_OK && slot >= 0) return -1;
    if (slot < 0) {
        int i = pick_any(cl);
        if (i < 0) clu_set_error(cl, PDB_ERR_CLUSTER, "no cluster node known");
        return i;
    }
    int m = cl->slots[slot];
    if (m < 0 && cl->have_map && clu_refresh(cl, 0) == PDB_OK) m = cl->slots[slot];
    if (m < 0) {
        clu_set_error(cl, PDB_ERR_CLUSTER, "slot %d is not served by any node", slot);
        return -1;
    }
    if (readonly && cl->opt.read_from_replicas) {
        int r = pick_replica(cl, cl->nodes[m]);
        if (r >= 0) return r;
    }
    return m;
}

/* ---- looking at the map ---- */

const char *pdb_cluster_slot_master(pdb_cluster *cl, int slot) {
    if (slot < 0 || slot >= PDB_CLUSTER_SLOTS || cl->slots[slot] < 0) return NULL;
    return cl->nodes[cl->slots[slot]]->addr;
}

size_t pdb_cluster_masters(const pdb_cluster *cl) {
    size_t n = 0;
    for (int i = 0; i < CLU_MAX_NODES; i++)
        if (cl->nodes[i] && cl->nodes[i]->is_master) n++;
    return n;
}

const char *pdb_cluster_master_addr(const pdb_cluster *cl, size_t k) {
    for (int i = 0; i < CLU_MAX_NODES; i++)
        if (cl->nodes[i] && cl->nodes[i]->is_master && k-- == 0) return cl->nodes[i]->addr;
    return NULL;
}

void pdb_cluster_get_stats(const pdb_cluster *cl, pdb_cluster_stats *out) {
    *out = cl->st;
}

/* ---- lifecycle ---- */

void pdb_cluster_options_init(pdb_cluster_options *o) {
    memset(o, 0, sizeof(*o));
    pdb_options_init(&o->node);
    o->max_redirects = 5;
    o->max_connections = 64;
    o->refresh_min_ms = 100;
    o->retry_attempts = 5;
    o->retry_base_ms = 20;
}

static char *dup_or_null(const char *s) {
    return s ? mem_strdup(s) : NULL;
}

/* Copies the node options' strings so the caller's may go away. */
static void own_strings(pdb_cluster *cl) {
    pdb_options *o = &cl->opt.node;
    o->user = cl->s_user = dup_or_null(o->user);
    o->password = cl->s_password = dup_or_null(o->password);
    o->client_name = cl->s_client_name = dup_or_null(o->client_name);
    o->tls_ca_file = cl->s_ca_file = dup_or_null(o->tls_ca_file);
    o->tls_ca_dir = cl->s_ca_dir = dup_or_null(o->tls_ca_dir);
    o->tls_cert_file = cl->s_cert_file = dup_or_null(o->tls_cert_file);
    o->tls_key_file = cl->s_key_file = dup_or_null(o->tls_key_file);
    o->tls_server_name = cl->s_server_name = dup_or_null(o->tls_server_name);
    o->host = NULL;
    o->unix_path = NULL;
}

static int options_check(const pdb_cluster_options *o, char *why, size_t n) {
    if (!o->seeds || o->nseeds == 0) return snprintf(why, n, "no seed address"), -1;
    if (o->max_redirects < 0 || o->max_redirects > 100)
        return snprintf(why, n, "max_redirects must be 0..100"), -1;
    if (o->max_connections < 1 || o->max_connections > CLU_MAX_NODES)
        return snprintf(why, n, "max_connections must be 1..%d", CLU_MAX_NODES), -1;
    if (o->refresh_min_ms < 0 || o->retry_attempts < 0 || o->retry_attempts > 100 ||
        o->retry_base_ms < 0 || o->retry_base_ms > 60000)
        return snprintf(why, n, "negative or too large refresh/retry setting"), -1;
    if (o->nseeds > CLU_MAX_NODES / 2) return snprintf(why, n, "too many seeds"), -1;
    return 0;
}

static int add_seeds(pdb_cluster *cl, char *why, size_t n) {
    for (size_t i = 0; i < cl->opt.nseeds; i++) {
        char host[CLU_HOST_MAX];
        int port;
        const char *s = cl->opt.seeds[i];
        if (!s || clu_parse_addr(s, strlen(s), host, &port) != PDB_OK)
            return snprintf(why, n, "bad seed address \"%s\"", s ? s : "(null)"), -1;
        int idx = clu_node_find_or_add(cl, host, port);
        if (idx < 0) return snprintf(why, n, "too many seeds"), -1;
        cl->nodes[idx]->seed = 1;
    }
    return 0;
}

pdb_cluster *pdb_cluster_connect(const pdb_cluster_options *o) {
    if (!o) return NULL;
    pdb_cluster *cl = mem_calloc(sizeof(*cl));
    cl->opt = *o;
    cl->opt.seeds = NULL;
    own_strings(cl);
    for (int s = 0; s < PDB_CLUSTER_SLOTS; s++)
        cl->slots[s] = -1;
    if (options_check(o, cl->fatal_msg, sizeof cl->fatal_msg) == 0) {
        cl->opt.seeds = o->seeds;
        if (add_seeds(cl, cl->fatal_msg, sizeof cl->fatal_msg) == 0) {
            cl->opt.seeds = NULL; /* the caller's array is not kept */
            if (clu_refresh(cl, 1) == PDB_OK) clu_set_error(cl, PDB_OK, "%s", "");
            return cl;
        }
    }
    cl->opt.seeds = NULL;
    cl->fatal = 1;
    clu_set_error(cl, PDB_ERR_ARG, "%s", cl->fatal_msg);
    return cl;
}

void pdb_cluster_free(pdb_cluster *cl) {
    if (!cl) return;
    clu_pipeline_free(cl);
    for (int i = 0; i < CLU_MAX_NODES; i++)
        if (cl->nodes[i]) node_free(cl, i);
    clu_specs_free(cl);
    char *owned[] = {cl->s_user,   cl->s_password,  cl->s_client_name, cl->s_ca_file,
                     cl->s_ca_dir, cl->s_cert_file, cl->s_key_file,    cl->s_server_name};
    for (size_t i = 0; i < sizeof owned / sizeof owned[0]; i++)
        mem_free(owned[i]);
    mem_free(cl);
}
