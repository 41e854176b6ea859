/*
 * command.h - the command table.
 *
 * A command is data: name, arity, flags, key positions, ACL categories and
 * documentation, plus the handler. Each command family (the files in src/types/ and
 * the server's own command files) defines an array of `command`s ending in
 * an entry with a NULL name and registers it at startup with
 * command_register(). The dispatcher reads the table for every common
 * check (arity, auth, OOM, pause, key positions), so handlers only do their
 * own work.
 *
 * Arity follows Redis: N means exactly N arguments including the name, -N
 * means at least N. Key positions: first_key/last_key/key_step as in
 * COMMAND INFO (last_key -1 = last argument, -2 = the one before...);
 * commands whose keys depend on keywords provide getkeys(). At registration
 * each command also gets Redis 7 key specs (keyspec.h): the reference's,
 * looked up by full name in keyspecs_table.c, or one derived from the key
 * positions; they give COMMAND INFO's key specs and each key's access flags.
 * Subcommands (CONFIG GET, CLIENT LIST...) are a NULL-terminated array in
 * `subcommands`; their name is the bare subcommand ("get") and they are
 * matched on argv[1].
 */
#ifndef PAIRDB_COMMAND_H
#define PAIRDB_COMMAND_H

#include <stdint.h>

#include "proto/resp.h"
#include "server/cmddoc.h"
#include "server/keyspec.h"

struct client;
typedef void command_proc(struct client *c);
/* Writes key argument indexes into keys[0..max); returns how many (or -1 if
 * the arguments are malformed). */
typedef int command_getkeys(int argc, const resp_arg *argv, int *keys, int max);

/* Command flags: the names COMMAND INFO reports, in this order. */
enum {
    CMD_WRITE = 1 << 0,
    CMD_READONLY = 1 << 1,
    CMD_DENYOOM = 1 << 2,
    CMD_ADMIN = 1 << 3,
    CMD_PUBSUB = 1 << 4,
    CMD_NOSCRIPT = 1 << 5,
    CMD_BLOCKING = 1 << 6,
    CMD_LOADING = 1 << 7,
    CMD_STALE = 1 << 8,
    CMD_SKIP_MONITOR = 1 << 9,
    CMD_SKIP_SLOWLOG = 1 << 10,
    CMD_FAST = 1 << 11,
    CMD_NO_AUTH = 1 << 12,
    CMD_MAY_REPLICATE = 1 << 13,
    CMD_NO_MANDATORY_KEYS = 1 << 14,
    CMD_PROTECTED = 1 << 15,
    CMD_NO_ASYNC_LOADING = 1 << 16,
    CMD_NO_MULTI = 1 << 17,
    CMD_ALLOW_BUSY = 1 << 18,
    CMD_MOVABLE_KEYS = 1 << 19, /* set automatically when getkeys is given */
    CMD_FLAG_COUNT = 20,
};

/* ACL categories: Redis's names, bit i = acl_category_names[i]. */
enum {
    ACL_KEYSPACE = 1 << 0,
    ACL_READ = 1 << 1,
    ACL_WRITE = 1 << 2,
    ACL_SET = 1 << 3,
    ACL_SORTEDSET = 1 << 4,
    ACL_LIST = 1 << 5,
    ACL_HASH = 1 << 6,
    ACL_STRING = 1 << 7,
    ACL_BITMAP = 1 << 8,
    ACL_HYPERLOGLOG = 1 << 9,
    ACL_GEO = 1 << 10,
    ACL_STREAM = 1 << 11,
    ACL_PUBSUB = 1 << 12,
    ACL_ADMIN = 1 << 13,
    ACL_FAST = 1 << 14,
    ACL_SLOW = 1 << 15,
    ACL_BLOCKING = 1 << 16,
    ACL_DANGEROUS = 1 << 17,
    ACL_CONNECTION = 1 << 18,
    ACL_TRANSACTION = 1 << 19,
    ACL_SCRIPTING = 1 << 20,
    ACL_CATEGORY_COUNT = 21,
};

typedef struct command {
    const char *name;          /* lower case */
    command_proc *proc;
    int arity;
    uint32_t flags;            /* CMD_* */
    uint32_t acl;              /* ACL_* beyond those implied by flags */
    int first_key, last_key, key_step;
    command_getkeys *getkeys;
    const char *summary;
    const char *since;
    const char *group;         /* "string", "generic", "connection", "server", ... */
    const char *complexity;
    struct command *subcommands;
    /* filled at registration */
    const key_spec *key_specs; /* the reference's (keyspecs_table.c), else own_spec */
    int key_specs_num;
    const char *const *tips;   /* NULL-terminated, or NULL */
    const command_arg *doc_args; /* COMMAND DOCS arguments (cmddocs_table.c), or NULL */
    int doc_nargs;
    key_spec own_spec;         /* derived from first_key.. for commands the table lacks */
    uint8_t keyspec_has_key;   /* a spec that is not not_key */
    uint8_t keyspec_reliable;  /* specs give keys and flags (no variable_flags) */
    uint8_t keyspec_one_key;   /* reliable, and just one key at a fixed index */
    uint8_t keyspec_finder;    /* KS_FINDER_*: when the specs cannot say */
    struct command *parent;
    char *fullname;            /* "get", "config|get" */
    int acl_id;                /* dense index of commands and subcommands (ACL bitmaps) */
    /* runtime statistics (INFO commandstats) */
    long long calls, usec, rejected_calls, failed_calls;
} command;

/* Registers a NULL-name-terminated array. Aborts on a duplicate name. */
void command_register(command *cmds);
/* Finds a command by name (any case); NULL if unknown. */
command *command_lookup(const char *name, size_t len);
/* The command argv names: top-level or subcommand. On a container command
 * with an unknown subcommand returns the container itself with *unknown_sub set. */
command *command_lookup_argv(int argc, const resp_arg *argv, int *unknown_sub);
/* The same by the commands' own names, whatever rename-command did: the
 * log holds own names so it replays under any renaming. */
command *command_lookup_argv_canonical(int argc, const resp_arg *argv, int *unknown_sub);
/* rename-command FROM TO (TO "" removes FROM): recorded while the config is
 * read (-1 when too many), applied in order by command_apply_renames() once
 * the table is built; that returns -1 after printing why one failed. */
int command_queue_rename(const char *from, const char *to);
int command_apply_renames(void);
/* Key argument indexes for argv (COMMAND GETKEYS, later ACL and cluster). */
int command_keys(const command *cmd, int argc, const resp_arg *argv, int *keys, int max);
/* Iterates over all top-level commands (stats, COMMAND LIST). */
void command_foreach(void (*fn)(command *cmd, void *arg), void *arg);
size_t command_count(void);
void command_reset_stats(void);
/* Registers every built-in command family. Called once at startup. */
void command_register_builtins(void);
void command_free_all(void);

/* An upper bound of keyspec_command_keys()'s count for argc arguments: each
 * spec yields at most one key per argument, and so does a key finder (used
 * only when the specs give nothing). Inline with keyspec_has_keys(), as the
 * ACL check runs them on every call. */
static inline int keyspec_max_keys(const command *cmd, int argc) {
    long long n = (long long)argc * (cmd->key_specs_num > 1 ? cmd->key_specs_num : 1);
    return n > INT32_MAX ? INT32_MAX : (int)n;
}

/* 1 when the command has a key spec that is a real key, or a key finder. */
static inline int keyspec_has_keys(const command *cmd) {
    return cmd->keyspec_has_key || cmd->getkeys != NULL;
}

#endif
