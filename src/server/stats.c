/*
 * stats.c - server-wide counters and the errorstats table (see stats.h).
 */
#include "server/stats.h"

#include <string.h>

#include "ds/mem.h"
#include "server/clock.h"

server_stats stats;

/* Error codes are few ("ERR", "WRONGTYPE", "NOAUTH", ...), but hostile input
 * may invent any prefix: Redis caps the table at 128 codes and so do we. */
#define ERROR_CODES_MAX 128
static struct error_count {
    char code[32];
    long long count;
} error_codes[ERROR_CODES_MAX];
static int error_code_count;

void stats_init(void) {
    memset(&stats, 0, sizeof stats);
    stats.start_time_ms = clock_now_ms();
    stats.ops_last_time_ms = clock_now_ms();
}

void stats_reset(void) {
    long long start = stats.start_time_ms, dirty = stats.dirty;
    memset(&stats, 0, sizeof stats);
    stats.start_time_ms = start;
    stats.dirty = dirty;
    stats.peak_memory = (long long)mem_used();
    stats.ops_last_time_ms = clock_now_ms();
    error_code_count = 0;
}

void stats_count_error(const char *msg) {
    size_t len = strcspn(msg, " ");
    if (len >= sizeof error_codes[0].code) len = sizeof error_codes[0].code - 1;
    stats.total_error_replies++;
    if (strncmp(msg, "WRONGPASS", 9) == 0) stats.wrongpass_replies++;
    for (int i = 0; i < error_code_count; i++) {
        if (strlen(error_codes[i].code) == len && memcmp(error_codes[i].code, msg, len) == 0) {
            error_codes[i].count++;
            return;
        }
    }
    if (error_code_count == ERROR_CODES_MAX) return;
    memcpy(error_codes[error_code_count].code, msg, len);
    error_codes[error_code_count].code[len] = '\0';
    error_codes[error_code_count].count = 1;
    error_code_count++;
}

void stats_foreach_error(void (*fn)(const char *code, long long count, void *arg), void *arg) {
    for (int i = 0; i < error_code_count; i++) fn(error_codes[i].code, error_codes[i].count, arg);
}

void stats_cron(void) {
    long long now = clock_now_ms();
    long long elapsed = now - stats.ops_last_time_ms;
    if (elapsed < 100) return;
    long long ops = stats.total_commands_processed - stats.ops_last_count;
    stats.ops_samples[stats.ops_idx] = ops * 1000 / elapsed;
    stats.ops_idx = (stats.ops_idx + 1) % 16;
    stats.ops_last_time_ms = now;
    stats.ops_last_count = stats.total_commands_processed;
}

long long stats_instantaneous_ops(void) {
    long long sum = 0;
    for (int i = 0; i < 16; i++) sum += stats.ops_samples[i];
    return sum / 16;
}
