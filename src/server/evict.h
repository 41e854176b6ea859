/*
 * evict.h - maxmemory eviction.
 *
 * Before a command runs with maxmemory set, evict_perform() frees keys by
 * the configured policy until used memory is under the limit. It keeps an
 * eviction pool of the best candidates seen in samples, as Redis does, so
 * approximate LRU/LFU improves as sampling goes on.
 */
#ifndef PAIRDB_EVICT_H
#define PAIRDB_EVICT_H

enum { EVICT_OK = 0, EVICT_FAIL = 1 };

/* EVICT_OK when memory is (now) under maxmemory; EVICT_FAIL otherwise. */
int evict_perform(void);
/* Releases the candidate pool (shutdown). */
void evict_free_pool(void);

#endif
