/*
 * keyspec.c - evaluating key specs over a command's arguments (keyspec.h).
 *
 * argv comes from the network: every index is checked against argc before
 * use, counts are parsed strictly and bounded by argc, and no loop runs with
 * a step below 1, so a hostile argv yields -1 or fewer keys, never a bad read.
 */
#include "server/keyspec.h"

#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "ds/mem.h"
#include "server/command.h"

const char *const keyspec_flag_names[KS_FLAG_COUNT] = {
    "RO",     "RW",     "OW",      "RM",         "access",         "update",
    "insert", "delete", "not_key", "incomplete", "variable_flags",
};

static int entry_cmp(const void *key, const void *elem) {
    return strcmp((const char *)key, ((const keyspec_entry *)elem)->fullname);
}

const keyspec_entry *keyspec_table_find(const char *fullname) {
    return bsearch(fullname, keyspec_table, keyspec_table_len, sizeof keyspec_table[0], entry_cmp);
}

static int arg_equals(const resp_arg *a, const char *word) {
    size_t n = strlen(word);
    return a->len == n && strncasecmp(a->ptr, word, n) == 0;
}

/* A decimal count, all of the argument, no sign games; -1 when it is not one
 * or it is larger than any argv could hold. */
static long long parse_count(const resp_arg *a) {
    if (a->len == 0 || a->len > 20) return -1;
    long long v = 0;
    size_t i = 0;
    int neg = a->ptr[0] == '-';
    if (neg) i = 1;
    if (i == a->len) return -1;
    for (; i < a->len; i++) {
        char ch = a->ptr[i];
        if (ch < '0' || ch > '9') return -1;
        if (v > (LLONG_MAX - (ch - '0')) / 10) return -1;
        v = v * 10 + (ch - '0');
    }
    return neg ? -v : v;
}

/* Where the spec's keys begin: the index, or the argument after the keyword.
 * 0: the keyword is absent (the spec has no keys here); -1: unusable spec.
 * The keyword scan runs from startfrom toward the far end without reaching
 * it (the last argument cannot be a keyword followed by a key, nor argv[1]
 * one searched backwards), as the reference does. */
static int begin_search(const key_spec *s, int argc, const resp_arg *argv) {
    if (s->bs_type == KS_BS_INDEX) return s->bs_pos > 0 ? s->bs_pos : -1;
    if (s->bs_type != KS_BS_KEYWORD || !s->keyword) return -1;
    int start = s->bs_pos > 0 ? s->bs_pos : argc + s->bs_pos;
    int end = s->bs_pos > 0 ? argc - 1 : 1;
    int dir = start <= end ? 1 : -1;
    for (int i = start; i != end; i += dir) {
        if (i >= argc || i < 1) break;
        if (arg_equals(&argv[i], s->keyword)) return i + 1;
    }
    return 0;
}

/* The spec's key range [*first, *last] with *step; -1 when unusable. */
static int find_range(const key_spec *s, int argc, const resp_arg *argv, int *first, int *last,
                      int *step) {
    if (s->fk_type == KS_FK_RANGE) {
        int lastkey = s->fk[0], limit = s->fk[2];
        *step = s->fk[1];
        if (lastkey >= 0)
            *last = *first + lastkey;
        else if (limit <= 0)
            *last = argc + lastkey;
        else /* the keys are the first 1/limit of what follows */
            *last = *first + ((argc - *first) / limit + lastkey);
    } else if (s->fk_type == KS_FK_KEYNUM) {
        *step = s->fk[2];
        int idx = *first + s->fk[0];
        if (idx < 1 || idx >= argc) return -1;
        long long numkeys = parse_count(&argv[idx]);
        if (numkeys < 0 || numkeys > argc) return -1;
        *first += s->fk[1];
        *last = *first + (int)numkeys - 1;
    } else {
        return -1;
    }
    if (*step < 1 || *first < 1 || *first >= argc || *last >= argc || *last < *first) return -1;
    return 0;
}

int keyspec_find_keys(const key_spec *specs, int nspecs, int argc, const resp_arg *argv,
                      key_ref *out, int max) {
    int n = 0;
    for (int j = 0; j < nspecs; j++) {
        const key_spec *s = &specs[j];
        if (s->flags & KS_NOT_KEY) continue;
        int first = begin_search(s, argc, argv);
        if (first < 0) return -1;
        if (first == 0) continue;
        int last, step;
        if (find_range(s, argc, argv, &first, &last, &step) < 0) return -1;
        for (int i = first; i <= last && n < max; i += step) {
            out[n].pos = i;
            out[n].flags = s->flags;
            n++;
        }
        /* Some keys of an incomplete spec hide elsewhere: let the command's
         * own finder answer. */
        if (s->flags & KS_INCOMPLETE) return -1;
    }
    return n;
}

/* ---- the commands' own key finders, with flags where syntax decides them ---- */

/* SET: GET makes it read the old value. */
static int set_keys(int argc, const resp_arg *argv, key_ref *out) {
    out[0].pos = 1;
    out[0].flags = KS_OW | KS_UPDATE;
    for (int i = 3; i < argc; i++)
        if (arg_equals(&argv[i], "get")) out[0].flags = KS_RW | KS_ACCESS | KS_UPDATE;
    return 1;
}

/* BITFIELD: read-only while it only has GET (and OVERFLOW) operations; a SET,
 * an INCRBY or anything malformed counts as a write. */
static int bitfield_keys(int argc, const resp_arg *argv, key_ref *out) {
    int readonly = 1;
    for (int i = 2; i < argc && readonly; i++) {
        int rest = argc - i - 1;
        if (arg_equals(&argv[i], "get") && rest >= 2)
            i += 2;
        else if (arg_equals(&argv[i], "overflow") && rest >= 1)
            i += 1;
        else
            readonly = 0;
    }
    out[0].pos = 1;
    out[0].flags = readonly ? KS_RO | KS_ACCESS : KS_RW | KS_ACCESS | KS_UPDATE;
    return 1;
}

static int proc_keys(const command *cmd, int argc, const resp_arg *argv, key_ref *out, int max) {
    if (!cmd->getkeys) return 0;
    int small[32];
    int *pos = max <= 32 ? small : mem_alloc(sizeof(int) * (size_t)max);
    int n = cmd->getkeys(argc, argv, pos, max);
    int sort = cmd->keyspec_finder == KS_FINDER_SORT;
    int m = 0;
    for (int i = 0; i < n && i < max; i++) {
        if (pos[i] < 1 || pos[i] >= argc) continue;
        out[m].pos = pos[i];
        out[m].flags = 0;
        if (sort) out[m].flags = pos[i] == 1 ? KS_RO | KS_ACCESS : KS_OW | KS_UPDATE;
        m++;
    }
    if (pos != small) mem_free(pos);
    return m; /* a malformed call (n < 0) has no keys, as with Redis's finders */
}

int keyspec_finder_for(const char *fullname) {
    if (!strcmp(fullname, "set")) return KS_FINDER_SET;
    if (!strcmp(fullname, "bitfield")) return KS_FINDER_BITFIELD;
    if (!strcmp(fullname, "sort") || !strcmp(fullname, "sort_ro")) return KS_FINDER_SORT;
    return KS_FINDER_PROC;
}

static int fallback_keys(const command *cmd, int argc, const resp_arg *argv, key_ref *out,
                         int max) {
    if (max < 1) return 0;
    if (argc > 1 && cmd->keyspec_finder == KS_FINDER_SET) return set_keys(argc, argv, out);
    if (argc > 1 && cmd->keyspec_finder == KS_FINDER_BITFIELD)
        return bitfield_keys(argc, argv, out);
    return proc_keys(cmd, argc, argv, out, max);
}

int keyspec_command_keys(const command *cmd, int argc, const resp_arg *argv, key_ref *out,
                         int max) {
    if (cmd->keyspec_one_key && cmd->key_specs[0].bs_pos < argc && max > 0) {
        out[0].pos = cmd->key_specs[0].bs_pos;
        out[0].flags = cmd->key_specs[0].flags;
        return 1;
    }
    if (cmd->keyspec_reliable) {
        int n = keyspec_find_keys(cmd->key_specs, cmd->key_specs_num, argc, argv, out, max);
        if (n >= 0) return n;
    }
    return fallback_keys(cmd, argc, argv, out, max);
}
