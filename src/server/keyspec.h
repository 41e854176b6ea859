/*
 * keyspec.h - Redis 7 key specifications: where a command's keys are and how
 * it uses each one.
 *
 * A key spec says where to begin searching (a fixed index, or after a keyword
 * found from a start position) and how to find the keys from there (a range
 * with a step and an optional limit, or a count read from an argument). Its
 * flags say what the command does with those keys (RO/RW/OW/RM plus access,
 * update, insert, delete); not_key marks arguments that sit where keys do but
 * are not keys (shard channels). The table of specs (keyspecs_table.c) is
 * generated from the reference server by scripts/gen-keyspecs.py and attached
 * to commands by full name when they register (command.c).
 *
 * keyspec_command_keys() finds the keys of an argv with each key's flags, the
 * way COMMAND GETKEYSANDFLAGS and the ACL key check need them.
 */
#ifndef PAIRDB_KEYSPEC_H
#define PAIRDB_KEYSPEC_H

#include <stddef.h>
#include <stdint.h>

#include "proto/resp.h"

struct command;

/* Key spec flags, in the order COMMAND INFO names them. */
enum {
    KS_RO = 1 << 0,
    KS_RW = 1 << 1,
    KS_OW = 1 << 2,
    KS_RM = 1 << 3,
    KS_ACCESS = 1 << 4,
    KS_UPDATE = 1 << 5,
    KS_INSERT = 1 << 6,
    KS_DELETE = 1 << 7,
    KS_NOT_KEY = 1 << 8,
    KS_INCOMPLETE = 1 << 9,
    KS_VARIABLE_FLAGS = 1 << 10,
    KS_FLAG_COUNT = 11,
};

enum { KS_BS_UNKNOWN, KS_BS_INDEX, KS_BS_KEYWORD };
enum { KS_FK_UNKNOWN, KS_FK_RANGE, KS_FK_KEYNUM };

typedef struct key_spec {
    uint32_t flags; /* KS_* */
    int bs_type;    /* KS_BS_* */
    int bs_pos;     /* index, or the keyword's startfrom (negative: from the end) */
    const char *keyword;
    int fk_type; /* KS_FK_* */
    /* range: lastkey, keystep, limit; keynum: keynumidx, firstkey, keystep */
    int fk[3];
} key_spec;

/* Table entry helpers (used by the generated table). */
/* clang-format off */
#define KS_INDEX(i) KS_BS_INDEX, (i), NULL
#define KS_KEYWORD(kw, from) KS_BS_KEYWORD, (from), (kw)
#define KS_BS_UNKNOWN_ KS_BS_UNKNOWN, 0, NULL
#define KS_RANGE(last, step, limit) KS_FK_RANGE, {(last), (step), (limit)}
#define KS_KEYNUM(idx, first, step) KS_FK_KEYNUM, {(idx), (first), (step)}
#define KS_FK_UNKNOWN_ KS_FK_UNKNOWN, {0, 0, 0}
#define KS_SPECS(...) ((const key_spec[]){__VA_ARGS__})
#define KS_TIPS(...) ((const char *const[]){__VA_ARGS__, NULL})
/* clang-format on */

typedef struct keyspec_entry {
    const char *fullname; /* "get", "object|encoding" */
    int nspecs;
    const key_spec *specs;
    const char *const *tips; /* NULL-terminated, or NULL */
} keyspec_entry;

extern const keyspec_entry keyspec_table[];
extern const size_t keyspec_table_len;

/* The entry for a full command name; NULL when the reference has none. */
const keyspec_entry *keyspec_table_find(const char *fullname);

/* The name COMMAND INFO gives flag bit i (KS_FLAG_COUNT names). */
extern const char *const keyspec_flag_names[KS_FLAG_COUNT];

/* A key argument and what the command does with it. */
typedef struct key_ref {
    int pos;        /* index in argv */
    uint32_t flags; /* KS_*; 0 when only the position is known */
} key_ref;

/* Runs specs over argv as the reference server does: keys in spec order,
 * skipping not_key specs. Returns the number of keys written to out (at most
 * max), or -1 when a spec cannot be applied to this argv (unknown search,
 * keyword-less keynum out of range, bad count, incomplete spec...). Every
 * position written is in [1, argc). */
int keyspec_find_keys(const key_spec *specs, int nspecs, int argc, const resp_arg *argv,
                      key_ref *out, int max);

/* How a command's keys are found when its specs cannot say (chosen by name
 * at registration, so the check on every call compares no strings). */
enum {
    KS_FINDER_PROC,     /* the command's getkeys(), positions only */
    KS_FINDER_SET,      /* SET: GET makes the key read as well */
    KS_FINDER_BITFIELD, /* BITFIELD: read-only with only GET/OVERFLOW */
    KS_FINDER_SORT,     /* SORT/SORT_RO: reads the key, overwrites STORE's */
};
int keyspec_finder_for(const char *fullname);

/* Keys of a command call with their flags: the specs when they are reliable
 * (no variable_flags, no failure), else the command's own key finder, with
 * flags where the command's syntax decides them (SET ... GET, BITFIELD,
 * SORT ... STORE). Returns the count written (at most max); a malformed
 * call has none. */
int keyspec_command_keys(const struct command *cmd, int argc, const resp_arg *argv, key_ref *out,
                         int max);

/* keyspec_max_keys() and keyspec_has_keys() are inline in command.h. */

#endif
