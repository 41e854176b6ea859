/*
 * memreport.c - the memory reading INFO memory and MEMORY STATS share
 * (see memreport.h).
 */
#include "server/memreport.h"

#include <malloc.h>
#include <stdio.h>
#include <unistd.h>

#include "ds/mem.h"
#include "server/client.h"
#include "server/db.h"
#include "server/stats.h"

static size_t memory_at_startup;
static void (*script_source)(size_t *eval_bodies, size_t *function_code);

void memory_report_set_script_source(void (*fn)(size_t *eval_bodies, size_t *function_code)) {
    script_source = fn;
}

void memory_report_mark_startup(void) {
    memory_at_startup = mem_used();
}

static size_t rss_bytes(void) {
    FILE *f = fopen("/proc/self/statm", "r");
    if (!f) return 0;
    unsigned long pages_total = 0, pages_resident = 0;
    int n = fscanf(f, "%lu %lu", &pages_total, &pages_resident);
    fclose(f);
    return n == 2 ? (size_t)pages_resident * (size_t)sysconf(_SC_PAGESIZE) : 0;
}

static void sum_client_buffers(client *c, void *arg) {
    *(size_t *)arg += c->qcap + c->reply_bytes;
}

double memory_ratio(size_t a, size_t b) {
    return b ? (double)a / (double)b : 0.0;
}

void memory_report_fill(memory_report *m) {
    m->used = mem_used();
    if ((long long)m->used > stats.peak_memory) stats.peak_memory = (long long)m->used;
    m->peak = (size_t)stats.peak_memory;
    m->startup = memory_at_startup;
    m->clients = 0;
    client_foreach(sum_client_buffers, &m->clients);
    m->rss = rss_bytes();
    m->scripts = m->functions = 0;
    if (script_source) script_source(&m->scripts, &m->functions);
    m->keys = 0;
    m->overhead = m->startup + m->clients + m->scripts + m->functions;
    for (int i = 0; i < db_count(); i++) {
        m->keys += db_size(db_get(i));
        m->overhead += db_overhead_bytes(db_get(i));
    }
    /* The parts are estimates; the dataset never goes below zero. */
    if (m->overhead > m->used) m->overhead = m->used;
    m->dataset = m->used - m->overhead;
    struct mallinfo2 mi = mallinfo2();
    m->allocator_allocated = mi.uordblks + mi.hblkhd;
    m->allocator_active = mi.arena + mi.hblkhd;
    if (m->allocator_allocated == 0) m->allocator_allocated = m->used;
    if (m->allocator_active < m->allocator_allocated) m->allocator_active = m->allocator_allocated;
}
