/*
 * cmddoc.h - the "arguments" of COMMAND DOCS: each command's syntax as data.
 *
 * An argument has a name, a type, the index of the key spec it is a key of
 * (-1 when it is not a key), flags (optional, multiple, multiple_token), an
 * optional token that precedes it, the version that added it, and for oneof
 * and block types the arguments it groups. The table (cmddocs_table.c) is
 * generated from the reference server by scripts/gen-cmddocs.py and attached
 * to commands by full name when they register; COMMAND DOCS replies with it
 * (command.c) so that clients can show argument hints.
 */
#ifndef PAIRDB_CMDDOC_H
#define PAIRDB_CMDDOC_H

#include <stddef.h>
#include <stdint.h>

enum {
    CA_STRING,
    CA_INTEGER,
    CA_DOUBLE,
    CA_KEY,
    CA_PATTERN,
    CA_UNIX_TIME,
    CA_PURE_TOKEN,
    CA_ONEOF,
    CA_BLOCK,
    CA_TYPE_COUNT,
};

enum {
    CA_OPTIONAL = 1 << 0,
    CA_MULTIPLE = 1 << 1,
    CA_MULTIPLE_TOKEN = 1 << 2,
    CA_FLAG_COUNT = 3,
};

typedef struct command_arg {
    const char *name;
    int type;           /* CA_* type */
    int key_spec_index; /* -1: not a key */
    int flags;          /* CA_OPTIONAL... */
    const char *token;  /* or NULL */
    const char *since;  /* or NULL */
    const char *deprecated_since;
    int nargs; /* oneof / block */
    const struct command_arg *args;
} command_arg;

#define CA_ARGS(...) ((const command_arg[]){__VA_ARGS__})

typedef struct cmddoc_entry {
    const char *fullname;
    int nargs;
    const command_arg *args;
} cmddoc_entry;

extern const cmddoc_entry cmddoc_table[];
extern const size_t cmddoc_table_len;

/* The entry for a full command name; NULL when the reference has none. */
const cmddoc_entry *cmddoc_table_find(const char *fullname);

/* COMMAND DOCS's names for types and flags. */
extern const char *const cmddoc_type_names[CA_TYPE_COUNT];
extern const char *const cmddoc_flag_names[CA_FLAG_COUNT];

#endif
