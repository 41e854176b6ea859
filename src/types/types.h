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

#endif
