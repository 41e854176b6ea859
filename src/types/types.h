/*
 * types.h - registration entry points of the command families.
 *
 * command_register_builtins() calls each of these once at startup; a
 * family registers its command table and its kv type operations.
 */
#ifndef PAIRDB_TYPES_H
#define PAIRDB_TYPES_H

void string_register(void);   /* types/string.c */
void key_register(void);      /* types/key.c: generic keyspace commands */
void list_register(void);     /* types/list.c */
void hash_register(void);     /* types/hash.c */
void set_register(void);      /* types/set.c */
void zset_register(void);     /* types/zset.c */
void sort_register(void);     /* types/sort.c: SORT, SORT_RO */
void geo_register(void);      /* types/geo.c: geo sets (sorted sets) */
void bitmap_register(void);   /* types/bitmap.c */
void hll_register(void);      /* types/hll.c: HyperLogLog */
void stream_register(void);   /* types/stream.c */

#endif
