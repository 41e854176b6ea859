/*
 * clock.c - wall and monotonic clocks, and the per-command frozen time.
 */
#include "server/clock.h"

#include <time.h>

static long long cmd_ms;

long long clock_now_us(void) {
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (long long)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

long long clock_now_ms(void) {
    return clock_now_us() / 1000;
}

long long clock_mono_us(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

/* Read lazily: most commands never look at the time (GET of a key without
 * a TTL), so the clock is read on the first clock_cmd_ms() of a command. */
void clock_cmd_start(void) {
    cmd_ms = 0;
}

long long clock_cmd_ms(void) {
    if (!cmd_ms) cmd_ms = clock_now_ms();
    return cmd_ms;
}
