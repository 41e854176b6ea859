/*
 * pdb_resil.c - the circuit breaker, reconnect backoff and statistics.
 *
 * Breaker states: CLOSED counts consecutive failures; at the threshold it
 * goes OPEN until a cool-down passes, refusing every command; then it is
 * HALF_OPEN and lets exactly one command through (others are refused until
 * its outcome is known): its success closes the breaker, its failure opens it
 * again. Only failures of the connection count
 * (I/O, timeout, closed, protocol, failed connects), never the server's error
 * replies, which prove the server is alive.
 *
 * Backoff: the k-th reconnect attempt waits a uniformly random time in
 * [0, min(max, base * 2^k)) ("full jitter"), so many clients that lost the
 * same server do not reconnect in lockstep.
 */
#include <ctype.h>
#include <string.h>

#include "client/client_int.h"

static uint64_t next_random(pdb_conn *c) {
    /* xorshift64*: enough for jitter, seeded per connection. */
    uint64_t x = c->rng;
    x ^= x >> 12;
    x ^= x << 25;
    x ^= x >> 27;
    c->rng = x;
    return x * 0x2545F4914F6CDD1DULL;
}

int cl_backoff_ms(pdb_conn *c, int attempt) {
    long long cap = c->opt.reconnect_base_ms > 0 ? c->opt.reconnect_base_ms : 1;
    for (int i = 0; i < attempt && cap < c->opt.reconnect_max_ms; i++)
        cap *= 2;
    if (cap > c->opt.reconnect_max_ms) cap = c->opt.reconnect_max_ms;
    if (cap <= 0) return 0;
    return (int)(next_random(c) % (uint64_t)cap);
}

static void refresh(const pdb_conn *c, int *state) {
    *state = c->breaker;
    if (*state == PDB_BREAKER_OPEN && cl_now_us() >= c->open_until_us)
        *state = PDB_BREAKER_HALF_OPEN;
}

int pdb_breaker_state_now(const pdb_conn *c) {
    int s;
    refresh(c, &s);
    return s;
}

int cl_breaker_admit(pdb_conn *c) {
    if (c->opt.breaker_threshold <= 0) return PDB_OK;
    int s;
    refresh(c, &s);
    c->breaker = s;
    if (s == PDB_BREAKER_HALF_OPEN && !c->trial_pending) {
        c->trial_pending = 1;
        return PDB_OK;
    }
    if (s != PDB_BREAKER_CLOSED) {
        c->st.breaker_rejections++;
        cl_set_error(c, PDB_ERR_CIRCUIT_OPEN, "circuit breaker open after %d failures",
                     c->failures);
        return PDB_ERR_CIRCUIT_OPEN;
    }
    return PDB_OK;
}

static int counts_as_failure(int err) {
    return err == PDB_ERR_IO || err == PDB_ERR_TIMEOUT || err == PDB_ERR_CLOSED ||
           err == PDB_ERR_PROTOCOL;
}

static void open_breaker(pdb_conn *c) {
    c->breaker = PDB_BREAKER_OPEN;
    c->open_until_us = cl_now_us() + (uint64_t)c->opt.breaker_cooldown_ms * 1000;
    c->st.breaker_opens++;
}

void cl_breaker_result(pdb_conn *c, int err) {
    if (c->opt.breaker_threshold <= 0 || err == PDB_ERR_CIRCUIT_OPEN || err == PDB_ERR_ARG) return;
    c->trial_pending = 0;
    if (!counts_as_failure(err)) {
        c->failures = 0;
        c->breaker = PDB_BREAKER_CLOSED;
        return;
    }
    c->failures++;
    if (c->breaker == PDB_BREAKER_HALF_OPEN || c->failures >= c->opt.breaker_threshold)
        open_breaker(c);
}

/* ---- statistics ---- */

static int bucket_of(uint64_t usec) {
    int b = 0;
    while (usec >= 2 && b < PDB_HIST_BUCKETS - 1) {
        usec >>= 1;
        b++;
    }
    return b;
}

static void upper_name(char *dst, const char *name) {
    size_t i = 0;
    for (; name[i] && i < CL_NAME_MAX - 1; i++)
        dst[i] = (char)toupper((unsigned char)name[i]);
    dst[i] = '\0';
}

static pdb_cmd_stats *slot_for(pdb_conn *c, const char *name) {
    char up[CL_NAME_MAX];
    upper_name(up, name);
    for (size_t i = 0; i < c->nstats; i++)
        if (strcmp(c->stats[i].s.name, up) == 0) return &c->stats[i].s;
    /* The last slot is kept for OTHER, so the table never overflows. */
    if (c->nstats < CL_STATS_KINDS - 1) {
        pdb_cmd_stats *s = &c->stats[c->nstats++].s;
        memset(s, 0, sizeof(*s));
        memcpy(s->name, up, sizeof(s->name));
        return s;
    }
    if (c->nstats == CL_STATS_KINDS - 1) {
        pdb_cmd_stats *s = &c->stats[c->nstats++].s;
        memset(s, 0, sizeof(*s));
        strcpy(s->name, "OTHER");
        return s;
    }
    return &c->stats[CL_STATS_KINDS - 1].s;
}

void cl_stats_reply(pdb_conn *c, const char *name, uint64_t usec, int err) {
    pdb_cmd_stats *s = slot_for(c, name);
    s->calls++;
    if (err == PDB_ERR_SERVER) s->errors++;
    s->usec_total += usec;
    s->hist[bucket_of(usec)]++;
}

void cl_stats_failure(pdb_conn *c, const char *name) {
    slot_for(c, name)->failures++;
}

void pdb_get_stats(const pdb_conn *c, pdb_stats *out) {
    *out = c->st;
    out->command_kinds = c->nstats;
}

int pdb_stats_command(const pdb_conn *c, size_t i, pdb_cmd_stats *out) {
    if (i >= c->nstats) return PDB_ERR_ARG;
    *out = c->stats[i].s;
    return PDB_OK;
}

int pdb_stats_lookup(const pdb_conn *c, const char *name, pdb_cmd_stats *out) {
    char up[CL_NAME_MAX];
    upper_name(up, name);
    for (size_t i = 0; i < c->nstats; i++) {
        if (strcmp(c->stats[i].s.name, up) == 0) {
            *out = c->stats[i].s;
            return PDB_OK;
        }
    }
    return PDB_ERR_ARG;
}

unsigned long long pdb_stats_quantile(const pdb_cmd_stats *s, double q) {
    unsigned long long total = 0, seen = 0;
    for (int i = 0; i < PDB_HIST_BUCKETS; i++)
        total += s->hist[i];
    if (total == 0) return 0;
    if (q < 0) q = 0;
    if (q > 1) q = 1;
    unsigned long long want = (unsigned long long)(q * (double)total);
    if (want == 0) want = 1;
    for (int i = 0; i < PDB_HIST_BUCKETS; i++) {
        seen += s->hist[i];
        if (seen >= want) return 2ULL << i;
    }
    return 2ULL << (PDB_HIST_BUCKETS - 1);
}

void pdb_reset_stats(pdb_conn *c) {
    memset(&c->st, 0, sizeof(c->st));
    c->nstats = 0;
}
