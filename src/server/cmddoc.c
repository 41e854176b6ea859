/*
 * cmddoc.c - finding a command's COMMAND DOCS arguments (cmddoc.h).
 */
#include "server/cmddoc.h"

#include <stdlib.h>
#include <string.h>

const char *const cmddoc_type_names[CA_TYPE_COUNT] = {
    "string", "integer", "double", "key", "pattern", "unix-time", "pure-token", "oneof", "block",
};

const char *const cmddoc_flag_names[CA_FLAG_COUNT] = {"optional", "multiple", "multiple_token"};

static int entry_cmp(const void *key, const void *elem) {
    return strcmp((const char *)key, ((const cmddoc_entry *)elem)->fullname);
}

const cmddoc_entry *cmddoc_table_find(const char *fullname) {
    return bsearch(fullname, cmddoc_table, cmddoc_table_len, sizeof cmddoc_table[0], entry_cmp);
}
