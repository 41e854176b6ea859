/*
 * mem.h - the one allocator wrapper.
 *
 * Every allocation of the server and of the data-structure primitives goes
 * through these functions. They never return NULL: on out-of-memory they
 * log one line to stderr and abort, because a half-applied write is worse
 * than a crash the log recovers from. They also keep mem_used(), the sum of
 * malloc_usable_size() of live blocks, which INFO reports as used_memory and
 * maxmemory eviction reads.
 */
#ifndef PAIRDB_MEM_H
#define PAIRDB_MEM_H

#include <stddef.h>

void *mem_alloc(size_t size);
void *mem_calloc(size_t size);
void *mem_realloc(void *ptr, size_t size);
void mem_free(void *ptr);
char *mem_strdup(const char *s);
void *mem_memdup(const void *p, size_t len);
/* Bytes the allocator gave for ptr (>= the size asked for). */
size_t mem_usable(void *ptr);
/* Sum of usable sizes of all live blocks. */
size_t mem_used(void);

#endif
