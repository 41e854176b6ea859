/*
 * command.c - the command table and the COMMAND command (see command.h).
 *
 * Top-level commands are indexed by a case-insensitive dict; subcommands
 * are few per container and found by a linear scan.
 */
#include "server/command.h"

#include <stdio.h>
#include <stdlib.h>
#include <strings.h>

#include "ds/dict.h"
#include "ds/glob.h"
#include "ds/mem.h"
#include "server/config.h"
#include "server/handler.h"
#include "server/log.h"

typedef struct command_node {
    dict_node node;
    command *cmd;
    char *alias; /* the name rename-command gave it; NULL: cmd->name */
} command_node;

static const char *command_node_key(const dict_node *n, size_t *len) {
    const command_node *cn = (const command_node *)n;
    const char *name = cn->alias ? cn->alias : cn->cmd->name;
    *len = strlen(name);
    return name;
}

static const dict_ops command_dict_ops = {.key = command_node_key, .nocase = 1};
/* commands: the names clients use (rename-command applied); canonical:
 * every command under its own name, for replaying the log. */
static dict commands, canonical;
static int commands_ready;

static const char *const flag_names[CMD_FLAG_COUNT] = {
    "write",   "readonly",     "denyoom",      "admin",     "pubsub",           "noscript",
    "blocking", "loading",     "stale",        "skip_monitor", "skip_slowlog",  "fast",
    "no_auth", "may_replicate", "no_mandatory_keys", "protected", "no_async_loading",
    "no_multi", "allow_busy", "movablekeys",
};

const char *const acl_category_names[ACL_CATEGORY_COUNT] = {
    "keyspace", "read",  "write",     "set",      "sortedset",  "list",      "hash",
    "string",   "bitmap", "hyperloglog", "geo",   "stream",     "pubsub",    "admin",
    "fast",     "slow",  "blocking",  "dangerous", "connection", "transaction", "scripting",
};

/* Redis derives some categories from flags; so do we, so tables stay short. */
static int next_acl_id;

/* The reference's key specs and tips by full name; a command it lacks gets
 * one spec from its key positions (none for a movable-keys command): RW/update
 * for a write, RO/access otherwise, not_key for pub/sub channels. */
static void attach_key_specs(command *cmd) {
    const keyspec_entry *e = keyspec_table_find(cmd->fullname);
    cmd->key_specs = NULL;
    cmd->key_specs_num = 0;
    cmd->tips = e ? e->tips : NULL;
    if (e && e->nspecs > 0) {
        cmd->key_specs = e->specs;
        cmd->key_specs_num = e->nspecs;
    } else if (!e && cmd->first_key > 0 && !cmd->getkeys) {
        key_spec *s = &cmd->own_spec;
        if (cmd->flags & CMD_PUBSUB)
            s->flags = KS_NOT_KEY;
        else
            s->flags = (cmd->flags & CMD_WRITE) ? KS_RW | KS_UPDATE : KS_RO | KS_ACCESS;
        s->bs_type = KS_BS_INDEX;
        s->bs_pos = cmd->first_key;
        s->keyword = NULL;
        s->fk_type = KS_FK_RANGE;
        s->fk[0] = cmd->last_key < 0 ? cmd->last_key : cmd->last_key - cmd->first_key;
        s->fk[1] = cmd->key_step > 0 ? cmd->key_step : 1;
        s->fk[2] = 0;
        cmd->key_specs = s;
        cmd->key_specs_num = 1;
    }
    int has_key = 0, varflags = 0;
    for (int i = 0; i < cmd->key_specs_num; i++) {
        has_key |= !(cmd->key_specs[i].flags & KS_NOT_KEY);
        varflags |= (cmd->key_specs[i].flags & KS_VARIABLE_FLAGS) != 0;
    }
    cmd->keyspec_has_key = (uint8_t)has_key;
    cmd->keyspec_reliable = (uint8_t)(has_key && !varflags);
    const key_spec *s0 = cmd->key_specs;
    cmd->keyspec_one_key = (uint8_t)(cmd->keyspec_reliable && cmd->key_specs_num == 1 &&
                                     s0->bs_type == KS_BS_INDEX && s0->bs_pos > 0 &&
                                     s0->fk_type == KS_FK_RANGE && s0->fk[0] == 0 &&
                                     !(s0->flags & KS_INCOMPLETE));
    cmd->keyspec_finder = (uint8_t)keyspec_finder_for(cmd->fullname);
}

static void finish_command(command *cmd, command *parent) {
    cmd->parent = parent;
    cmd->acl_id = next_acl_id++;
    if (parent) {
        size_t n = strlen(parent->name) + strlen(cmd->name) + 2;
        cmd->fullname = mem_alloc(n);
        snprintf(cmd->fullname, n, "%s|%s", parent->name, cmd->name);
    } else {
        cmd->fullname = mem_strdup(cmd->name);
    }
    if (cmd->flags & CMD_WRITE) cmd->acl |= ACL_WRITE;
    /* EVAL_RO and friends are readonly but not @read (Redis 7.0). */
    if ((cmd->flags & CMD_READONLY) && !(cmd->acl & ACL_SCRIPTING)) cmd->acl |= ACL_READ;
    if (cmd->flags & CMD_ADMIN) cmd->acl |= ACL_ADMIN | ACL_DANGEROUS;
    if (cmd->flags & CMD_PUBSUB) cmd->acl |= ACL_PUBSUB;
    if (cmd->flags & CMD_FAST) cmd->acl |= ACL_FAST;
    if (cmd->flags & CMD_BLOCKING) cmd->acl |= ACL_BLOCKING;
    if (!(cmd->acl & ACL_FAST)) cmd->acl |= ACL_SLOW;
    if (cmd->getkeys) cmd->flags |= CMD_MOVABLE_KEYS;
    attach_key_specs(cmd);
    const cmddoc_entry *doc = cmddoc_table_find(cmd->fullname);
    cmd->doc_args = doc ? doc->args : NULL;
    cmd->doc_nargs = doc ? doc->nargs : 0;
    if (cmd->subcommands)
        for (command *s = cmd->subcommands; s->name; s++) finish_command(s, cmd);
}

void command_register(command *cmds) {
    if (!commands_ready) {
        dict_init(&commands, &command_dict_ops);
        dict_init(&canonical, &command_dict_ops);
        commands_ready = 1;
    }
    for (command *cmd = cmds; cmd->name; cmd++) {
        size_t len = strlen(cmd->name);
        if (dict_find(&commands, cmd->name, len, dict_hash_nocase(cmd->name, len))) {
            fprintf(stderr, "duplicate command '%s' in the command table\n", cmd->name);
            abort();
        }
        finish_command(cmd, NULL);
        command_node *n = mem_calloc(sizeof *n);
        n->cmd = cmd;
        dict_insert(&commands, &n->node, dict_hash_nocase(cmd->name, len));
        command_node *orig = mem_calloc(sizeof *orig);
        orig->cmd = cmd;
        dict_insert(&canonical, &orig->node, dict_hash_nocase(cmd->name, len));
    }
}

command *command_lookup(const char *name, size_t len) {
    if (!commands_ready) return NULL;
    command_node *n = (command_node *)dict_find(&commands, name, len, dict_hash_nocase(name, len));
    return n ? n->cmd : NULL;
}

static command *find_sub(command *parent, const char *name, size_t len) {
    for (command *s = parent->subcommands; s->name; s++)
        if (strlen(s->name) == len && strncasecmp(s->name, name, len) == 0) return s;
    return NULL;
}

static command *lookup_in(dict *d, int argc, const resp_arg *argv, int *unknown_sub) {
    *unknown_sub = 0;
    if (!commands_ready) return NULL;
    command_node *n = (command_node *)dict_find(d, argv[0].ptr, argv[0].len,
                                                dict_hash_nocase(argv[0].ptr, argv[0].len));
    command *cmd = n ? n->cmd : NULL;
    if (!cmd || !cmd->subcommands || argc < 2) return cmd;
    command *sub = find_sub(cmd, argv[1].ptr, argv[1].len);
    if (sub) return sub;
    *unknown_sub = 1;
    return cmd;
}

command *command_lookup_argv(int argc, const resp_arg *argv, int *unknown_sub) {
    return lookup_in(&commands, argc, argv, unknown_sub);
}

command *command_lookup_argv_canonical(int argc, const resp_arg *argv, int *unknown_sub) {
    return lookup_in(&canonical, argc, argv, unknown_sub);
}

/* ---- rename-command ----------------------------------------------------------------- */

/* Config-file renames are recorded while the file is read (before the
 * table exists) and applied, in file order, once it is built. */
#define MAX_RENAMES 1024
static struct pending_rename {
    char *from, *to;
} renames[MAX_RENAMES];
static int rename_count;

int command_queue_rename(const char *from, const char *to) {
    if (rename_count == MAX_RENAMES) return -1;
    renames[rename_count].from = mem_strdup(from);
    renames[rename_count].to = mem_strdup(to);
    rename_count++;
    return 0;
}

static const char *apply_rename(const char *from, const char *to) {
    size_t flen = strlen(from), tlen = strlen(to);
    command_node *n =
        (command_node *)dict_remove(&commands, from, flen, dict_hash_nocase(from, flen));
    if (!n) return "No such command in rename-command";
    if (tlen && dict_find(&commands, to, tlen, dict_hash_nocase(to, tlen))) {
        dict_insert(&commands, &n->node, dict_hash_nocase(from, flen));
        return "Target command name already exists";
    }
    mem_free(n->alias);
    if (!tlen) {
        /* Renamed to "": gone from clients; the log replays it by its own name. */
        mem_free(n);
        return NULL;
    }
    n->alias = mem_strdup(to);
    n->node.next = NULL;
    dict_insert(&commands, &n->node, dict_hash_nocase(to, tlen));
    return NULL;
}

int command_apply_renames(void) {
    int rc = 0;
    for (int i = 0; i < rename_count; i++) {
        const char *why = rc == 0 ? apply_rename(renames[i].from, renames[i].to) : NULL;
        if (why) {
            fprintf(stderr,
                    "\n*** FATAL CONFIG FILE ERROR ***\n>>> 'rename-command \"%s\" \"%s\"'\n%s\n",
                    renames[i].from, renames[i].to, why);
            log_msg(LOG_WARNING, "rename-command %s %s: %s", renames[i].from, renames[i].to, why);
            rc = -1;
        }
        mem_free(renames[i].from);
        mem_free(renames[i].to);
    }
    rename_count = 0;
    return rc;
}

int command_keys(const command *cmd, int argc, const resp_arg *argv, int *keys, int max) {
    if (cmd->getkeys) return cmd->getkeys(argc, argv, keys, max);
    if (cmd->first_key <= 0) return 0;
    int last = cmd->last_key < 0 ? argc + cmd->last_key : cmd->last_key;
    int step = cmd->key_step > 0 ? cmd->key_step : 1;
    int n = 0;
    for (int i = cmd->first_key; i <= last && i < argc && n < max; i += step) keys[n++] = i;
    return n;
}

void command_foreach(void (*fn)(command *cmd, void *arg), void *arg) {
    dict_iter it;
    dict_iter_init(&commands, &it);
    dict_node *n;
    while ((n = dict_iter_next(&it))) fn(((command_node *)n)->cmd, arg);
    dict_iter_done(&it);
}

size_t command_count(void) {
    return dict_size(&commands);
}

static void reset_one(command *cmd, void *arg) {
    (void)arg;
    cmd->calls = cmd->usec = cmd->rejected_calls = cmd->failed_calls = 0;
    if (cmd->subcommands)
        for (command *s = cmd->subcommands; s->name; s++) reset_one(s, NULL);
}

void command_reset_stats(void) {
    command_foreach(reset_one, NULL);
}

static void free_names(command *cmd) {
    mem_free(cmd->fullname);
    cmd->fullname = NULL;
    if (cmd->subcommands)
        for (command *s = cmd->subcommands; s->name; s++) free_names(s);
}

static void free_alias_node(dict_node *n, void *arg) {
    (void)arg;
    mem_free(((command_node *)n)->alias);
    mem_free(n);
}

/* The canonical index holds every command, renamed away or not. */
static void free_node(dict_node *n, void *arg) {
    (void)arg;
    free_names(((command_node *)n)->cmd);
    mem_free(n);
}

void command_free_all(void) {
    if (!commands_ready) return;
    dict_clear(&commands, free_alias_node, NULL);
    dict_clear(&canonical, free_node, NULL);
    commands_ready = 0;
    next_acl_id = 0;
}

/* ---------------------------------------------------------------------
 * COMMAND
 * ------------------------------------------------------------------- */

/* Key spec flags as a set of names, in COMMAND INFO's order. */
static void reply_key_flags(client *c, uint32_t flags) {
    int n = 0;
    for (int i = 0; i < KS_FLAG_COUNT; i++) n += (flags >> i) & 1;
    reply_set(c, n);
    for (int i = 0; i < KS_FLAG_COUNT; i++)
        if (flags & (1u << i)) reply_status(c, keyspec_flag_names[i]);
}

/* A {type, spec} map; spec holds n name/value pairs (n may be 0). */
static void reply_search_type(client *c, const char *type, int n) {
    reply_map(c, 2);
    reply_bulk_cstr(c, "type");
    reply_bulk_cstr(c, type);
    reply_bulk_cstr(c, "spec");
    reply_map(c, n);
}

static void reply_int_field(client *c, const char *name, long long v) {
    reply_bulk_cstr(c, name);
    reply_int(c, v);
}

static void reply_one_key_spec(client *c, const key_spec *s) {
    reply_map(c, 3);
    reply_bulk_cstr(c, "flags");
    reply_key_flags(c, s->flags);
    reply_bulk_cstr(c, "begin_search");
    if (s->bs_type == KS_BS_INDEX) {
        reply_search_type(c, "index", 1);
        reply_int_field(c, "index", s->bs_pos);
    } else if (s->bs_type == KS_BS_KEYWORD) {
        reply_search_type(c, "keyword", 2);
        reply_bulk_cstr(c, "keyword");
        reply_bulk_cstr(c, s->keyword);
        reply_int_field(c, "startfrom", s->bs_pos);
    } else {
        reply_search_type(c, "unknown", 0);
    }
    reply_bulk_cstr(c, "find_keys");
    if (s->fk_type == KS_FK_RANGE) {
        reply_search_type(c, "range", 3);
        reply_int_field(c, "lastkey", s->fk[0]);
        reply_int_field(c, "keystep", s->fk[1]);
        reply_int_field(c, "limit", s->fk[2]);
    } else if (s->fk_type == KS_FK_KEYNUM) {
        reply_search_type(c, "keynum", 3);
        reply_int_field(c, "keynumidx", s->fk[0]);
        reply_int_field(c, "firstkey", s->fk[1]);
        reply_int_field(c, "keystep", s->fk[2]);
    } else {
        reply_search_type(c, "unknown", 0);
    }
}

/* Key specs and tips are sets in RESP3, as Redis sends them. */
static void reply_key_specs(client *c, const command *cmd) {
    reply_set(c, cmd->key_specs_num);
    for (int i = 0; i < cmd->key_specs_num; i++) reply_one_key_spec(c, &cmd->key_specs[i]);
}

static void reply_tips(client *c, const command *cmd) {
    long n = 0;
    if (cmd->tips)
        while (cmd->tips[n]) n++;
    reply_set(c, n);
    for (long i = 0; i < n; i++) reply_bulk_cstr(c, cmd->tips[i]);
}

static void reply_command_info(client *c, const command *cmd) {
    reply_array(c, 10);
    reply_bulk_cstr(c, cmd->fullname);
    reply_int(c, cmd->arity);
    int nflags = 0;
    for (int i = 0; i < CMD_FLAG_COUNT; i++) nflags += (cmd->flags >> i) & 1;
    reply_set(c, nflags);
    for (int i = 0; i < CMD_FLAG_COUNT; i++)
        if (cmd->flags & (1u << i)) reply_status(c, flag_names[i]);
    reply_int(c, cmd->first_key);
    reply_int(c, cmd->last_key);
    reply_int(c, cmd->key_step);
    int ncat = 0;
    for (int i = 0; i < ACL_CATEGORY_COUNT; i++) ncat += (cmd->acl >> i) & 1;
    reply_set(c, ncat);
    for (int i = 0; i < ACL_CATEGORY_COUNT; i++) {
        if (!(cmd->acl & (1u << i))) continue;
        char buf[32];
        snprintf(buf, sizeof buf, "@%s", acl_category_names[i]);
        reply_status(c, buf);
    }
    reply_tips(c, cmd);
    reply_key_specs(c, cmd);
    long nsub = 0;
    if (cmd->subcommands)
        for (command *s = cmd->subcommands; s->name; s++) nsub++;
    /* No subcommands: an empty set; some: an array (Redis's shapes). */
    if (nsub)
        reply_array(c, nsub);
    else
        reply_set(c, 0);
    for (long i = 0; i < nsub; i++) reply_command_info(c, &cmd->subcommands[i]);
}

/* One argument of COMMAND DOCS: its fields in Redis's order, nested groups
 * included. */
static void reply_doc_arg(client *c, const command_arg *a) {
    int group = a->type == CA_ONEOF || a->type == CA_BLOCK;
    long fields = 2 + (a->key_spec_index >= 0) + (a->token != NULL) + (a->since != NULL) +
                  (a->deprecated_since != NULL) + (a->flags != 0) + group;
    reply_map(c, fields);
    reply_bulk_cstr(c, "name");
    reply_bulk_cstr(c, a->name);
    reply_bulk_cstr(c, "type");
    reply_bulk_cstr(c, a->type >= 0 && a->type < CA_TYPE_COUNT ? cmddoc_type_names[a->type] : "");
    if (a->key_spec_index >= 0) reply_int_field(c, "key_spec_index", a->key_spec_index);
    if (a->token) {
        reply_bulk_cstr(c, "token");
        reply_bulk_cstr(c, a->token);
    }
    if (a->since) {
        reply_bulk_cstr(c, "since");
        reply_bulk_cstr(c, a->since);
    }
    if (a->deprecated_since) {
        reply_bulk_cstr(c, "deprecated_since");
        reply_bulk_cstr(c, a->deprecated_since);
    }
    if (a->flags) {
        int n = 0;
        for (int i = 0; i < CA_FLAG_COUNT; i++) n += (a->flags >> i) & 1;
        reply_bulk_cstr(c, "flags");
        reply_set(c, n);
        for (int i = 0; i < CA_FLAG_COUNT; i++)
            if (a->flags & (1 << i)) reply_status(c, cmddoc_flag_names[i]);
    }
    if (group) {
        reply_bulk_cstr(c, "arguments");
        reply_array(c, a->nargs);
        for (int i = 0; i < a->nargs; i++) reply_doc_arg(c, &a->args[i]);
    }
}

static void reply_command_docs(client *c, const command *cmd) {
    long nsub = 0;
    if (cmd->subcommands)
        for (command *s = cmd->subcommands; s->name; s++) nsub++;
    int fields = (cmd->summary != NULL) + (cmd->since != NULL) + 1 + (cmd->complexity != NULL) +
                 (cmd->doc_nargs > 0) + (nsub > 0);
    reply_map(c, fields);
    if (cmd->summary) {
        reply_bulk_cstr(c, "summary");
        reply_bulk_cstr(c, cmd->summary);
    }
    if (cmd->since) {
        reply_bulk_cstr(c, "since");
        reply_bulk_cstr(c, cmd->since);
    }
    reply_bulk_cstr(c, "group");
    reply_bulk_cstr(c, cmd->group ? cmd->group : "generic");
    if (cmd->complexity) {
        reply_bulk_cstr(c, "complexity");
        reply_bulk_cstr(c, cmd->complexity);
    }
    if (cmd->doc_nargs > 0) {
        reply_bulk_cstr(c, "arguments");
        reply_array(c, cmd->doc_nargs);
        for (int i = 0; i < cmd->doc_nargs; i++) reply_doc_arg(c, &cmd->doc_args[i]);
    }
    if (nsub) {
        reply_bulk_cstr(c, "subcommands");
        reply_map(c, nsub);
        for (long i = 0; i < nsub; i++) {
            reply_bulk_cstr(c, cmd->subcommands[i].fullname);
            reply_command_docs(c, &cmd->subcommands[i]);
        }
    }
}

/* Finds "name" or "container|sub". */
static command *lookup_fullname(const char *name, size_t len) {
    const char *bar = memchr(name, '|', len);
    if (!bar) return command_lookup(name, len);
    command *parent = command_lookup(name, (size_t)(bar - name));
    if (!parent || !parent->subcommands) return NULL;
    return find_sub(parent, bar + 1, len - (size_t)(bar - name) - 1);
}

struct collect {
    command **cmds;
    size_t n, cap;
};

static void collect_one(command *cmd, void *arg) {
    struct collect *col = arg;
    if (col->n == col->cap) {
        col->cap = col->cap ? col->cap * 2 : 256;
        col->cmds = mem_realloc(col->cmds, col->cap * sizeof(command *));
    }
    col->cmds[col->n++] = cmd;
}

static void command_command(client *c) {
    struct collect col = {0};
    command_foreach(collect_one, &col);
    reply_array(c, (long)col.n);
    for (size_t i = 0; i < col.n; i++) reply_command_info(c, col.cmds[i]);
    mem_free(col.cmds);
}

static void command_count_command(client *c) {
    reply_int(c, (long long)command_count());
}

static void command_info_command(client *c) {
    if (c->argc == 2) {
        command_command(c);
        return;
    }
    reply_array(c, c->argc - 2);
    for (int i = 2; i < c->argc; i++) {
        command *cmd = lookup_fullname(c->argv[i].ptr, c->argv[i].len);
        if (cmd)
            reply_command_info(c, cmd);
        else
            reply_null(c);
    }
}

static void command_docs_command(client *c) {
    if (c->argc == 2) {
        struct collect col = {0};
        command_foreach(collect_one, &col);
        reply_map(c, (long)col.n);
        for (size_t i = 0; i < col.n; i++) {
            reply_bulk_cstr(c, col.cmds[i]->fullname);
            reply_command_docs(c, col.cmds[i]);
        }
        mem_free(col.cmds);
        return;
    }
    /* Unknown names are left out, as Redis does. */
    reply_deferred d = reply_defer(c);
    long n = 0;
    for (int i = 2; i < c->argc; i++) {
        command *cmd = lookup_fullname(c->argv[i].ptr, c->argv[i].len);
        if (!cmd) continue;
        reply_bulk_cstr(c, cmd->fullname);
        reply_command_docs(c, cmd);
        n++;
    }
    reply_defer_map(c, d, n);
}

static int acl_category_index(const resp_arg *a) {
    for (int i = 0; i < ACL_CATEGORY_COUNT; i++)
        if (arg_is(a, acl_category_names[i])) return i;
    return -1;
}

static void command_list_command(client *c) {
    int filter = 0, cat = -1;
    const resp_arg *pattern = NULL;
    if (c->argc == 5 && arg_is(&c->argv[2], "filterby")) {
        if (arg_is(&c->argv[3], "module")) {
            filter = 1;
        } else if (arg_is(&c->argv[3], "aclcat")) {
            filter = 2;
            cat = acl_category_index(&c->argv[4]);
        } else if (arg_is(&c->argv[3], "pattern")) {
            filter = 3;
            pattern = &c->argv[4];
        } else {
            reply_error_syntax(c);
            return;
        }
    } else if (c->argc != 2) {
        reply_error_syntax(c);
        return;
    }
    struct collect col = {0};
    command_foreach(collect_one, &col);
    reply_deferred d = reply_defer(c);
    long n = 0;
    for (size_t i = 0; i < col.n; i++) {
        command *list[1 + 64];
        int m = 0;
        list[m++] = col.cmds[i];
        if (col.cmds[i]->subcommands)
            for (command *s = col.cmds[i]->subcommands; s->name && m < 65; s++) list[m++] = s;
        for (int j = 0; j < m; j++) {
            command *cmd = list[j];
            if (filter == 1) continue; /* no modules */
            if (filter == 2 && (cat < 0 || !(cmd->acl & (1u << cat)))) continue;
            if (filter == 3 && !glob_match(pattern->ptr, pattern->len, cmd->fullname,
                                           strlen(cmd->fullname), 1))
                continue;
            reply_bulk_cstr(c, cmd->fullname);
            n++;
        }
    }
    reply_defer_array(c, d, n);
    mem_free(col.cmds);
}

/* COMMAND GETKEYS / GETKEYSANDFLAGS: the checks and replies in Redis's order. */
static void command_getkeys_generic(client *c, int with_flags) {
    int unknown_sub = 0;
    command *cmd = command_lookup_argv(c->argc - 2, c->argv + 2, &unknown_sub);
    int argc = c->argc - 2;
    const resp_arg *argv = c->argv + 2;
    if (!cmd || unknown_sub) {
        reply_error(c, "ERR Invalid command specified");
        return;
    }
    if (!keyspec_has_keys(cmd)) {
        reply_error(c, "ERR The command has no key arguments");
        return;
    }
    if (cmd->arity > 0 ? argc != cmd->arity : argc < -cmd->arity) {
        reply_error(c, "ERR Invalid number of arguments specified for command");
        return;
    }
    int max = keyspec_max_keys(cmd, argc);
    key_ref *keys = mem_alloc(sizeof(key_ref) * (size_t)max);
    int n = keyspec_command_keys(cmd, argc, argv, keys, max);
    if (n == 0) {
        /* No keys where some are optional (EVAL with none) is an answer. */
        if (cmd->flags & CMD_NO_MANDATORY_KEYS)
            reply_empty_array(c);
        else
            reply_error(c, "ERR Invalid arguments specified for command");
        mem_free(keys);
        return;
    }
    reply_array(c, n);
    for (int i = 0; i < n; i++) {
        const resp_arg *key = &argv[keys[i].pos];
        if (with_flags) {
            reply_array(c, 2);
            reply_bulk(c, key->ptr, key->len);
            reply_key_flags(c, keys[i].flags);
        } else {
            reply_bulk(c, key->ptr, key->len);
        }
    }
    mem_free(keys);
}

static void command_getkeys_command(client *c) {
    command_getkeys_generic(c, 0);
}

static void command_getkeysandflags_command(client *c) {
    command_getkeys_generic(c, 1);
}

static void command_help_command(client *c) {
    static const char *const help[] = {
        "(no subcommand)",
        "    Return details about all commands.",
        "COUNT",
        "    Return the total number of commands in this server.",
        "LIST",
        "    Return a list of all commands in this server.",
        "INFO [<command-name> ...]",
        "    Return details about multiple commands.",
        "    If no command names are given, documentation details for all",
        "    commands are returned.",
        "DOCS [<command-name> ...]",
        "    Return documentation details about multiple commands.",
        "    If no command names are given, documentation details for all",
        "    commands are returned.",
        "GETKEYS <full-command>",
        "    Return the keys from a full command.",
        "GETKEYSANDFLAGS <full-command>",
        "    Return the keys and the access flags from a full command.",
        NULL,
    };
    reply_help(c, help);
}

static command command_subcommands[] = {
    {"count", command_count_command, 2, CMD_LOADING | CMD_STALE, ACL_CONNECTION, 0, 0, 0,
     .summary = "Get total number of commands", .since = "2.8.13", .group = "server",
     .complexity = "O(1)"},
    {"docs", command_docs_command, -2, CMD_LOADING | CMD_STALE, ACL_CONNECTION, 0, 0, 0,
     .summary = "Get documentary information about commands", .since = "7.0.0", .group = "server",
     .complexity = "O(N) where N is the number of commands to look up"},
    {"getkeys", command_getkeys_command, -4, CMD_LOADING | CMD_STALE, ACL_CONNECTION, 0, 0, 0,
     .summary = "Extract keys given a full command", .since = "2.8.13", .group = "server",
     .complexity = "O(N) where N is the number of arguments to the command"},
    {"getkeysandflags", command_getkeysandflags_command, -4, CMD_LOADING | CMD_STALE,
     ACL_CONNECTION, 0, 0, 0, .summary = "Extract keys and access flags given a full command",
     .since = "7.0.0", .group = "server",
     .complexity = "O(N) where N is the number of arguments to the command"},
    {"help", command_help_command, 2, CMD_LOADING | CMD_STALE, ACL_CONNECTION, 0, 0, 0,
     .summary = "Show helpful text about the different subcommands", .since = "5.0.0",
     .group = "server", .complexity = "O(1)"},
    {"info", command_info_command, -2, CMD_LOADING | CMD_STALE, ACL_CONNECTION, 0, 0, 0,
     .summary = "Get array of specific Redis command details, or all when no argument is given.",
     .since = "2.8.13", .group = "server",
     .complexity = "O(N) where N is the number of commands to look up"},
    {"list", command_list_command, -2, CMD_LOADING | CMD_STALE, ACL_CONNECTION, 0, 0, 0,
     .summary = "Get an array of Redis command names", .since = "7.0.0", .group = "server",
     .complexity = "O(N) where N is the total number of Redis commands"},
    {0},
};

/* COMMAND with no subcommand lists everything; it is a container whose
 * proc runs when argc == 1. */
static void command_container(client *c) {
    command_command(c);
}

static command command_table[] = {
    {"command", command_container, -1, CMD_LOADING | CMD_STALE, ACL_CONNECTION, 0, 0, 0,
     .summary = "Get array of Redis command details", .since = "2.8.13", .group = "server",
     .complexity = "O(N) where N is the total number of Redis commands",
     .subcommands = command_subcommands},
    {0},
};

void command_register_table_commands(void) {
    command_register(command_table);
}
