/*
 * effects.c - builders for explicit effects (see effects.h).
 */
#include "server/effects.h"

#include <string.h>

#include "ds/mem.h"
#include "server/propagate.h"

void effect_start(effect *e, const char *name) {
    e->argc = 0;
    e->nnums = 0;
    effect_add_str(e, name);
}

void effect_add(effect *e, const char *p, size_t len) {
    /* Effects are fixed shapes written by handlers: running out of room is
     * a programming error, and dropping an argument would log a wrong
     * command, so it stops the server at once. */
    if (e->argc >= EFFECT_MAX_ARGS) __builtin_trap();
    e->argv[e->argc].ptr = p;
    e->argv[e->argc].len = len;
    e->argc++;
}

void effect_add_arg(effect *e, const resp_arg *a) {
    effect_add(e, a->ptr, a->len);
}

void effect_add_str(effect *e, const char *s) {
    effect_add(e, s, strlen(s));
}

void effect_add_ll(effect *e, long long v) {
    if (e->nnums >= EFFECT_MAX_NUMS) __builtin_trap();
    char *num = e->nums[e->nnums++];
    effect_add(e, num, resp_ll2str(num, v));
}

void effect_log(effect *e, int dbid) {
    propagate_effect(dbid, e->argc, e->argv);
}

void effect_log_pexpireat(int dbid, const resp_arg *key, long long when_ms) {
    effect e;
    effect_start(&e, "PEXPIREAT");
    effect_add_arg(&e, key);
    effect_add_ll(&e, when_ms);
    effect_log(&e, dbid);
}

void effect_log_del(int dbid, const resp_arg *key) {
    effect_log_key_only(dbid, "DEL", key);
}

void effect_log_key_only(int dbid, const char *name, const resp_arg *key) {
    effect e;
    effect_start(&e, name);
    effect_add_arg(&e, key);
    effect_log(&e, dbid);
}

/* --- batches --- */

void effect_batch_start(effect_batch *b, int dbid, const char *name, const resp_arg *key) {
    memset(b, 0, sizeof *b);
    b->dbid = dbid;
    b->active = propagate_active();
    effect_start(&b->head, name);
    if (key) effect_add_arg(&b->head, key);
    /* Even with nothing logged, the request itself must not be. */
    propagate_suppress();
}

static void batch_flush(effect_batch *b) {
    if (b->n == 0) return;
    int argc = b->head.argc + b->n;
    resp_arg *argv = mem_alloc((size_t)argc * sizeof *argv);
    memcpy(argv, b->head.argv, (size_t)b->head.argc * sizeof *argv);
    const char *p = b->buf;
    for (int i = 0; i < b->n; i++) {
        argv[b->head.argc + i].ptr = p;
        argv[b->head.argc + i].len = b->lens[i];
        p += b->lens[i];
    }
    propagate_effect(b->dbid, argc, argv);
    mem_free(argv);
    b->n = 0;
    b->buflen = 0;
}

void effect_batch_add(effect_batch *b, const char *p, size_t len) {
    if (!b->active) return;
    if (!b->lens) b->lens = mem_alloc(EFFECT_BATCH_ITEMS * sizeof *b->lens);
    if (b->buflen + len > b->bufcap) {
        size_t cap = b->bufcap ? b->bufcap : 4096;
        while (cap < b->buflen + len) cap *= 2;
        b->buf = mem_realloc(b->buf, cap);
        b->bufcap = cap;
    }
    if (len) memcpy(b->buf + b->buflen, p, len);
    b->buflen += len;
    b->lens[b->n++] = len;
    if (b->n == EFFECT_BATCH_ITEMS) batch_flush(b);
}

void effect_batch_add_ll(effect_batch *b, long long v) {
    char num[EFFECT_NUM_LEN];
    effect_batch_add(b, num, resp_ll2str(num, v));
}

void effect_batch_finish(effect_batch *b) {
    batch_flush(b);
    mem_free(b->buf);
    mem_free(b->lens);
    b->buf = NULL;
    b->lens = NULL;
}
