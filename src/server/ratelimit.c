/*
 * ratelimit.c - connection, command and failed-AUTH limits (see ratelimit.h).
 *
 * A token bucket holds up to `burst` tokens and gains `rate` per second;
 * each connection (or command) takes one, and none left means refused.
 * Buckets are refilled lazily from the time of their last use, so idle
 * state costs nothing.
 */
#include "server/ratelimit.h"

#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "ds/dict.h"
#include "server/client.h"
#include "server/clock.h"
#include "server/command.h"
#include "server/config.h"
#include "server/handler.h"
#include "server/stats.h"

#define RL_WAYS 4
#define RL_SETS (RATELIMIT_SLOTS / RL_WAYS)
#define RL_KEY_LEN 64
/* The failed-AUTH delay doubles per failure; past this many doublings it
 * is simply capped by auth-failure-max-delay-ms. */
#define RL_MAX_DOUBLINGS 20

typedef struct rl_entry {
    char key[RL_KEY_LEN]; /* the address without its port; "" = free slot */
    double conn_tokens;
    long long conn_refill_ms;
    int auth_failures;
    long long auth_blocked_until_ms;
    long long last_used_ms;
} rl_entry;

static rl_entry table[RL_SETS][RL_WAYS];

/* The address part of "ip:port", "[v6]:port" or "path:0". */
static void addr_key(const char *addr, char *key) {
    const char *colon = strrchr(addr, ':');
    size_t len = colon ? (size_t)(colon - addr) : strlen(addr);
    if (len >= 2 && addr[0] == '[' && addr[len - 1] == ']') {
        addr++;
        len -= 2;
    }
    if (len >= RL_KEY_LEN) len = RL_KEY_LEN - 1;
    memcpy(key, addr, len);
    key[len] = '\0';
}

/* How much an entry's state is worth keeping: a failed-AUTH record (2)
 * over a connection bucket in use (1) over an idle entry (0). A flood of
 * new addresses, each connecting once, then cannot push out an address
 * that is serving an AUTH delay. */
static int entry_worth(const rl_entry *e, long long now) {
    if (e->auth_failures > 0 || e->auth_blocked_until_ms > now) return 2;
    return e->conn_refill_ms != 0 && now - e->conn_refill_ms < 1000;
}

/* The entry for addr, created (replacing the least useful one in its set)
 * when missing. Never NULL. */
static rl_entry *entry_for(const char *addr, long long now) {
    char key[RL_KEY_LEN];
    addr_key(addr, key);
    rl_entry *set = table[dict_hash(key, strlen(key)) % RL_SETS];
    for (int i = 0; i < RL_WAYS; i++) {
        if (set[i].key[0] && strcmp(set[i].key, key) == 0) {
            set[i].last_used_ms = now;
            return &set[i];
        }
    }
    rl_entry *victim = NULL;
    for (int i = 0; i < RL_WAYS && !victim; i++)
        if (!set[i].key[0]) victim = &set[i];
    if (!victim) {
        victim = &set[0];
        for (int i = 1; i < RL_WAYS; i++) {
            rl_entry *e = &set[i];
            int eb = entry_worth(e, now), vb = entry_worth(victim, now);
            if (eb < vb || (eb == vb && e->last_used_ms < victim->last_used_ms)) victim = e;
        }
    }
    memset(victim, 0, sizeof *victim);
    memcpy(victim->key, key, sizeof key);
    victim->last_used_ms = now;
    return victim;
}

/* Takes one token from a bucket of the given rate and burst (burst 0:
 * the rate). A fresh bucket (refill time 0) starts full. */
static int bucket_take(double *tokens, long long *refill_ms, long long rate, long long burst,
                       long long now) {
    double cap = (double)(burst > 0 ? burst : rate);
    if (*refill_ms == 0) {
        *tokens = cap;
    } else if (now > *refill_ms) {
        *tokens += (double)(now - *refill_ms) * (double)rate / 1000.0;
    }
    if (*tokens > cap) *tokens = cap;
    *refill_ms = now;
    if (*tokens < 1.0) return 0;
    *tokens -= 1.0;
    return 1;
}

int ratelimit_connection_refused(const char *addr) {
    if (cfg->maxconn_rate_per_ip <= 0) return 0;
    long long now = clock_mono_us() / 1000 + 1; /* +1: never the "fresh" 0 */
    rl_entry *e = entry_for(addr, now);
    return !bucket_take(&e->conn_tokens, &e->conn_refill_ms, cfg->maxconn_rate_per_ip,
                        cfg->maxconn_burst_per_ip, now);
}

static int is_auth_attempt(const client *c, const command *cmd) {
    if (!cmd) return 0;
    if (strcmp(cmd->name, "auth") == 0) return 1;
    if (strcmp(cmd->name, "hello") != 0) return 0;
    for (int i = 2; i < c->argc; i++)
        if (arg_is(&c->argv[i], "auth")) return 1;
    return 0;
}

static const char *auth_throttled(client *c, long long now) {
    static char err[160];
    if (cfg->auth_failures_before_delay <= 0) return NULL;
    rl_entry *e = entry_for(c->addr, now);
    if (e->auth_blocked_until_ms <= now) return NULL;
    stats.auth_failures_throttled++;
    snprintf(err, sizeof err,
             "ERR too many failed authentication attempts from this address, retry in %lld ms",
             e->auth_blocked_until_ms - now);
    return err;
}

/* Runs before every command: with the limits off (the default) it must not
 * even read the clock, which costs as much as a small command's work. */
const char *ratelimit_refuse(client *c, const command *cmd) {
    if (c->fd < 0) return NULL;
    long long now = 0;
    if (cfg->max_commands_per_second > 0) {
        now = clock_mono_us() / 1000 + 1;
        if (!bucket_take(&c->cmd_tokens, &c->cmd_refill_ms, cfg->max_commands_per_second,
                         cfg->max_commands_burst, now)) {
            stats.ratelimit_rejected_commands++;
            return RATELIMIT_CMD_ERR;
        }
    }
    if (cfg->auth_failures_before_delay <= 0 || !is_auth_attempt(c, cmd)) return NULL;
    return auth_throttled(c, now ? now : clock_mono_us() / 1000 + 1);
}

long long ratelimit_auth_mark(const command *cmd) {
    (void)cmd;
    return stats.wrongpass_replies;
}

/* After N failures in a row the address waits delay, 2*delay, 4*delay...
 * (at most auth-failure-max-delay-ms) before AUTH is tried again. */
static void auth_failed(rl_entry *e, long long now) {
    if (e->auth_failures < INT32_MAX) e->auth_failures++;
    int over = e->auth_failures - cfg->auth_failures_before_delay;
    if (over < 0) return;
    long long delay = cfg->auth_failure_delay_ms;
    for (int i = 0; i < over && i < RL_MAX_DOUBLINGS && delay < cfg->auth_failure_max_delay_ms; i++)
        delay *= 2;
    if (delay > cfg->auth_failure_max_delay_ms) delay = cfg->auth_failure_max_delay_ms;
    e->auth_blocked_until_ms = now + delay;
}

void ratelimit_auth_done(client *c, const command *cmd, long long mark) {
    if (c->fd < 0 || cfg->auth_failures_before_delay <= 0 || !is_auth_attempt(c, cmd)) return;
    long long now = clock_mono_us() / 1000 + 1;
    rl_entry *e = entry_for(c->addr, now);
    if (stats.wrongpass_replies != mark) {
        auth_failed(e, now);
    } else if (!c->error_replied) {
        e->auth_failures = 0;
        e->auth_blocked_until_ms = 0;
    }
}
