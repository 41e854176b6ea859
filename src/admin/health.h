/*
 * health.h - the liveness and readiness answers of /health and /ready,
 * and the event loop's lag that liveness is judged on.
 *
 * Lag: the admin timer runs every HEALTH_TICK_MS; how late it fires is the
 * time the loop spent elsewhere (a long command, a stall). /health answers
 * from inside the loop, so a loop that answers at all is alive; it is
 * reported "stalled" (503) when the current or the last measured lag is
 * over HEALTH_STALL_MS, which a probe sees when its request waited that
 * long for the loop.
 *
 * Ready (200) when none of these holds, else 503 with every reason:
 * loading the dataset, the log refusing writes (disk trouble), CLIENT PAUSE,
 * used memory over maxmemory with noeviction (writes refused with -OOM),
 * a script past busy-reply-threshold, shutting down.
 */
#ifndef PAIRDB_HEALTH_H
#define PAIRDB_HEALTH_H

#include "proto/resp.h"

#define HEALTH_TICK_MS 100
#define HEALTH_STALL_MS 1000
/* The highest lag is remembered over this window. */
#define HEALTH_MAX_WINDOW_MS 10000

/* Admin timer: the loop ran the tick at now_us (monotonic). */
void health_tick(long long now_us);
/* Lag in microseconds: now beyond the next expected tick, or the last
 * tick's own lateness, whichever is larger. */
long long health_loop_lag_us(void);
/* The largest lag seen in the last HEALTH_MAX_WINDOW_MS. */
long long health_loop_lag_max_us(void);
/* Forgets every measurement; the first tick is expected one period from
 * now (called when the admin timer is armed). */
void health_reset(void);

/* Fill body with the JSON answer; return the HTTP status (200 or 503). */
int health_render_live(resp_buf *body);
int health_render_ready(resp_buf *body);

/* Appends s as a JSON string (quoted, escaped). */
void health_json_string(resp_buf *b, const char *s);

#endif
