/*
 * health.c - /health and /ready (see health.h).
 */
#include "admin/health.h"

#include <stdio.h>
#include <string.h>

#include "ds/mem.h"
#include "persist/recovery.h"
#include "persist/wal.h"
#include "script/script.h"
#include "server/client.h"
#include "server/clock.h"
#include "server/config.h"
#include "server/loop.h"
#include "server/server.h"
#include "server/stats.h"

static struct {
    long long expected_us; /* when the next tick is due; 0 before the first */
    long long last_lag_us;
    long long window_max_us;
    long long window_start_us;
} lag;

void health_reset(void) {
    memset(&lag, 0, sizeof lag);
    /* The first tick is due one period after the timer is armed: a stall
     * before it counts too. */
    lag.window_start_us = loop_mono_us();
    lag.expected_us = lag.window_start_us + HEALTH_TICK_MS * 1000LL;
}

void health_tick(long long now_us) {
    long long late = now_us > lag.expected_us ? now_us - lag.expected_us : 0;
    lag.last_lag_us = late;
    if (now_us - lag.window_start_us > HEALTH_MAX_WINDOW_MS * 1000LL) {
        /* A new window starts from what the old one ended with. */
        lag.window_max_us = late;
        lag.window_start_us = now_us;
    } else if (late > lag.window_max_us) {
        lag.window_max_us = late;
    }
    lag.expected_us = now_us + HEALTH_TICK_MS * 1000LL;
}

long long health_loop_lag_us(void) {
    if (!lag.expected_us) return 0; /* no admin timer armed */
    long long now = loop_mono_us();
    long long current = now > lag.expected_us ? now - lag.expected_us : 0;
    return current > lag.last_lag_us ? current : lag.last_lag_us;
}

long long health_loop_lag_max_us(void) {
    long long now = health_loop_lag_us();
    return now > lag.window_max_us ? now : lag.window_max_us;
}

void health_json_string(resp_buf *b, const char *s) {
    resp_buf_append(b, "\"", 1);
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        if (c == '"' || c == '\\') {
            char esc[2] = {'\\', (char)c};
            resp_buf_append(b, esc, 2);
        } else if (c < 0x20 || c == 0x7f) {
            resp_buf_appendf(b, "\\u%04x", c);
        } else {
            resp_buf_append(b, (const char *)&c, 1);
        }
    }
    resp_buf_append(b, "\"", 1);
}

int health_render_live(resp_buf *body) {
    long long lag_us = health_loop_lag_us();
    int stalled = lag_us > HEALTH_STALL_MS * 1000LL;
    long long up = (clock_now_ms() - stats.start_time_ms) / 1000;
    resp_buf_appendf(body,
                     "{\"status\":\"%s\",\"loop_lag_seconds\":%.6f,"
                     "\"loop_lag_max_seconds\":%.6f,\"uptime_seconds\":%lld}\n",
                     stalled ? "stalled" : "ok", (double)lag_us / 1e6,
                     (double)health_loop_lag_max_us() / 1e6, up > 0 ? up : 0);
    return stalled ? 503 : 200;
}

/* One entry of the reasons array. */
static void health_reason(resp_buf *b, int *count, const char *check, const char *detail) {
    if ((*count)++) resp_buf_append(b, ",", 1);
    resp_buf_appendf(b, "{\"check\":\"%s\",\"detail\":", check);
    health_json_string(b, detail);
    resp_buf_append(b, "}", 1);
}

static int health_oom_refusing(void) {
    return cfg->maxmemory > 0 && cfg->maxmemory_policy == MAXMEMORY_NOEVICTION &&
           (long long)mem_used() > cfg->maxmemory;
}

int health_render_ready(resp_buf *body) {
    resp_buf reasons = {0};
    int n = 0;
    char detail[256];
    if (recovery_loading()) {
        recovery_progress rp;
        recovery_get_progress(&rp);
        snprintf(detail, sizeof detail, "loading the dataset: %.2f%% done", rp.perc);
        health_reason(&reasons, &n, "loading", detail);
    }
    const char *refused = wal_writes_refused();
    if (refused) health_reason(&reasons, &n, "wal", refused);
    int pause = client_pause_mode();
    if (pause != PAUSE_OFF)
        health_reason(&reasons, &n, "paused",
                      pause == PAUSE_ALL ? "CLIENT PAUSE ALL" : "CLIENT PAUSE WRITE");
    if (health_oom_refusing()) {
        snprintf(detail, sizeof detail, "used memory %zu > maxmemory %lld (noeviction)", mem_used(),
                 cfg->maxmemory);
        health_reason(&reasons, &n, "oom", detail);
    }
    if (script_busy()) health_reason(&reasons, &n, "busy", "a script is past busy-reply-threshold");
    if (server_shutting_down()) health_reason(&reasons, &n, "shutdown", "shutting down");
    resp_buf_appendf(body, "{\"status\":\"%s\",\"reasons\":[", n ? "not ready" : "ready");
    if (reasons.len) resp_buf_append(body, reasons.data, reasons.len);
    resp_buf_append(body, "]}\n", 3);
    resp_buf_free(&reasons);
    return n ? 503 : 200;
}
