/*
 * effects.h - building the explicit effects that propagate.h asks of
 * commands whose request is relative or not deterministic.
 *
 * Two builders:
 *  - effect: one short command (a name, keys, values, numbers), logged with
 *    effect_log(). Arguments are referenced, not copied (numbers are kept
 *    in the builder), so they must live until effect_log().
 *  - effect_batch: a fixed head ("SREM key", "RPUSH dst") followed by any
 *    number of items. Items are copied as they are added (the caller may
 *    free them right after), and a command is logged every
 *    EFFECT_BATCH_ITEMS items so that a huge effect never becomes one
 *    huge command.
 *
 * When the log is closed both do nothing beyond marking the running command
 * as explicit, so handlers call them unconditionally.
 *
 * Commands that log effects instead of themselves (everything else that
 * writes is deterministic given the data, and is logged as received):
 *   SET/SETEX/PSETEX with options   SET key value [KEEPTTL] [PXAT abs-ms]
 *   GETEX EX|PX|EXAT|PXAT           PEXPIREAT key abs-ms (DEL key when past)
 *   GETEX PERSIST                   PERSIST key
 *   EXPIRE PEXPIRE EXPIREAT PEXPIREAT  PEXPIREAT key abs-ms (DEL key when past)
 *   RESTORE                         RESTORE key abs-ms payload [REPLACE] ABSTTL
 *                                   [IDLETIME n|FREQ n] (ttl 0: no ABSTTL)
 *   INCRBYFLOAT                     SET key new-value KEEPTTL
 *   HINCRBYFLOAT                    HSET key field new-value
 *   SPOP key                        SREM key member
 *   SPOP key count                  SREM key m1 m2... (chunks), DEL key if all
 *   BLPOP BRPOP                     LPOP|RPOP key
 *   LMPOP BLMPOP                    LPOP|RPOP key count
 *   LMOVE RPOPLPUSH BLMOVE BRPOPLPUSH  LMOVE src dst LEFT|RIGHT LEFT|RIGHT
 *   BZPOPMIN BZPOPMAX               ZPOPMIN|ZPOPMAX key
 *   ZMPOP BZMPOP                    ZPOPMIN|ZPOPMAX key count
 *   SORT of a set ... STORE dst     DEL dst, RPUSH dst e1 e2... (chunks)
 * Keys found expired on access or evicted are logged as DEL by the keyspace.
 */
#ifndef PAIRDB_EFFECTS_H
#define PAIRDB_EFFECTS_H

#include <stddef.h>

#include "proto/resp.h"

#define EFFECT_MAX_ARGS 16
#define EFFECT_MAX_NUMS 4
#define EFFECT_NUM_LEN 24
/* Items per logged command of a batch (Redis propagates SPOP in 1024s). */
#define EFFECT_BATCH_ITEMS 1024

typedef struct effect {
    int argc;
    resp_arg argv[EFFECT_MAX_ARGS];
    int nnums;
    char nums[EFFECT_MAX_NUMS][EFFECT_NUM_LEN];
} effect;

void effect_start(effect *e, const char *name);
void effect_add(effect *e, const char *p, size_t len);
void effect_add_arg(effect *e, const resp_arg *a);
void effect_add_str(effect *e, const char *s);
void effect_add_ll(effect *e, long long v);
/* Logs the command against database dbid (propagate_effect). */
void effect_log(effect *e, int dbid);

/* The common fixed effects. */
void effect_log_pexpireat(int dbid, const resp_arg *key, long long when_ms);
void effect_log_del(int dbid, const resp_arg *key);
void effect_log_key_only(int dbid, const char *name, const resp_arg *key); /* PERSIST key... */

typedef struct effect_batch {
    int dbid;
    int active;                   /* the log is open: items are kept */
    effect head;
    char *buf;                    /* copied items, back to back */
    size_t buflen, bufcap;
    size_t *lens;                 /* item lengths, EFFECT_BATCH_ITEMS of them */
    int n;                        /* items waiting */
} effect_batch;

/* The head is name plus key (key may be NULL); more head arguments can be
 * added to b->head with effect_add*() before the first item. */
void effect_batch_start(effect_batch *b, int dbid, const char *name, const resp_arg *key);
void effect_batch_add(effect_batch *b, const char *p, size_t len);
void effect_batch_add_ll(effect_batch *b, long long v);
/* Logs what is left and frees the builder. */
void effect_batch_finish(effect_batch *b);

#endif
