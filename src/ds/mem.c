/*
 * mem.c - allocation with accounting and abort-on-OOM (see mem.h).
 *
 * The counter is a plain size_t: command execution is single-threaded and
 * background threads that allocate must use mem_* only through code paths
 * that hold no shared state, so the counter is updated with relaxed atomics.
 */
#include "mem.h"

#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static size_t used_bytes;

static void oom(size_t size) {
    fprintf(stderr, "pairdb: out of memory allocating %zu bytes\n", size);
    fflush(stderr);
    abort();
}

void *mem_alloc(size_t size) {
    void *p = malloc(size ? size : 1);
    if (!p) oom(size);
    __atomic_add_fetch(&used_bytes, malloc_usable_size(p), __ATOMIC_RELAXED);
    return p;
}

void *mem_calloc(size_t size) {
    void *p = calloc(1, size ? size : 1);
    if (!p) oom(size);
    __atomic_add_fetch(&used_bytes, malloc_usable_size(p), __ATOMIC_RELAXED);
    return p;
}

void *mem_realloc(void *ptr, size_t size) {
    if (!ptr) return mem_alloc(size);
    size_t old = malloc_usable_size(ptr);
    void *p = realloc(ptr, size ? size : 1);
    if (!p) oom(size);
    __atomic_add_fetch(&used_bytes, malloc_usable_size(p) - old, __ATOMIC_RELAXED);
    return p;
}

void mem_free(void *ptr) {
    if (!ptr) return;
    __atomic_sub_fetch(&used_bytes, malloc_usable_size(ptr), __ATOMIC_RELAXED);
    free(ptr);
}

char *mem_strdup(const char *s) {
    return mem_memdup(s, strlen(s) + 1);
}

void *mem_memdup(const void *p, size_t len) {
    void *d = mem_alloc(len);
    memcpy(d, p, len);
    return d;
}

size_t mem_usable(void *ptr) {
    return ptr ? malloc_usable_size(ptr) : 0;
}

size_t mem_used(void) {
    return __atomic_load_n(&used_bytes, __ATOMIC_RELAXED);
}
