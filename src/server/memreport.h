/*
 * memreport.h - one reading of the server's memory for INFO memory and
 * MEMORY STATS|DOCTOR, so the two always agree.
 *
 * Sources: mem.c's accounting of what PairDB allocated, the keyspace's own
 * tables (db_overhead_bytes), client buffers, the script caches (through
 * the source the scripting layer's owner sets at start-up), glibc's
 * mallinfo2() and /proc/self/statm for the resident set.
 */
#ifndef PAIRDB_MEMREPORT_H
#define PAIRDB_MEMREPORT_H

#include <stddef.h>

typedef struct memory_report {
    size_t used;                /* used_memory */
    size_t peak;                /* used_memory_peak (updated by the reading) */
    size_t startup;             /* used once the command table was built */
    size_t clients;             /* query and reply buffers of normal clients */
    size_t rss;                 /* resident set */
    size_t keys;                /* keys in all databases */
    size_t scripts;             /* cached EVAL bodies */
    size_t functions;           /* function libraries' code */
    size_t overhead;            /* startup + clients + scripts + functions + keyspace tables */
    size_t dataset;             /* used - overhead */
    size_t allocator_allocated; /* what glibc handed out */
    size_t allocator_active;    /* what glibc holds from the system for it */
} memory_report;

/* Remembers the startup figure; called once the command table is built. */
void memory_report_mark_startup(void);
void memory_report_fill(memory_report *m);
/* Where the script figures come from: the bytes of cached EVAL bodies and
 * of function libraries' code. Set once at start-up; without it both are 0. */
void memory_report_set_script_source(void (*fn)(size_t *eval_bodies, size_t *function_code));
/* a / b, 0 when b is 0. */
double memory_ratio(size_t a, size_t b);

#endif
