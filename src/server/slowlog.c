/*
 * slowlog.c - the slow log (see slowlog.h).
 *
 * Entries live in a doubly linked list, newest at the head; trimming to
 * slowlog-max-len happens at every insertion and when the setting shrinks
 * (checked lazily on the next insertion or read, as the setting has no
 * apply hook of its own).
 */
#include "server/slowlog.h"

#include <limits.h>
#include <stdio.h>
#include <string.h>

#include "ds/mem.h"
#include "server/config.h"
#include "server/handler.h"

#define SLOWLOG_MAX_ARGC 32
#define SLOWLOG_MAX_STRING 128

typedef struct slowlog_entry {
    struct slowlog_entry *next, *prev;
    long long id, time_s, duration_us;
    int argc;
    resp_arg *argv; /* owned copies */
    char *peer, *name;
} slowlog_entry;

static slowlog_entry *head, *tail;
static long long entry_count, next_id;

static void entry_free(slowlog_entry *e) {
    for (int i = 0; i < e->argc; i++)
        mem_free((void *)e->argv[i].ptr);
    mem_free(e->argv);
    mem_free(e->peer);
    mem_free(e->name);
    mem_free(e);
}

static void unlink_tail(void) {
    slowlog_entry *e = tail;
    tail = e->prev;
    if (tail)
        tail->next = NULL;
    else
        head = NULL;
    entry_count--;
    entry_free(e);
}

static void trim_to_max_len(void) {
    while (entry_count > 0 && entry_count > cfg->slowlog_max_len)
        unlink_tail();
}

static int is_sensitive_config(const resp_arg *name) {
    static const char *const secrets[] = {"requirepass", "masterauth", "tls-key-file-pass",
                                          "tls-client-key-file-pass", NULL};
    for (int i = 0; secrets[i]; i++)
        if (arg_is(name, secrets[i])) return 1;
    return 0;
}

/* Which arguments Redis replaces with "(redacted)": every argument of AUTH,
 * the pair after HELLO's AUTH, and the value of a secret setting in CONFIG
 * SET. Returns a bitmap-like test through the index. */
static int is_redacted(const command *cmd, int argc, const resp_arg *argv, int i) {
    const char *name = cmd->fullname;
    if (strcmp(name, "auth") == 0) return i >= 1;
    if (strcmp(name, "hello") == 0) {
        for (int j = 2; j + 2 < argc; j++)
            if (arg_is(&argv[j], "auth")) return i == j + 1 || i == j + 2;
        return 0;
    }
    if (strcmp(name, "config|set") == 0)
        return i >= 3 && (i - 3) % 2 == 0 && is_sensitive_config(&argv[i - 1]);
    return 0;
}

static resp_arg copy_text(const char *text) {
    resp_arg a = {mem_strdup(text), strlen(text)};
    return a;
}

static resp_arg copy_argument(const resp_arg *src) {
    if (src->len <= SLOWLOG_MAX_STRING) {
        char *p = mem_alloc(src->len + 1);
        memcpy(p, src->ptr, src->len);
        p[src->len] = '\0';
        resp_arg a = {p, src->len};
        return a;
    }
    char tail_text[64];
    int n = snprintf(tail_text, sizeof tail_text, "... (%zu more bytes)",
                     src->len - SLOWLOG_MAX_STRING);
    char *p = mem_alloc(SLOWLOG_MAX_STRING + (size_t)n + 1);
    memcpy(p, src->ptr, SLOWLOG_MAX_STRING);
    memcpy(p + SLOWLOG_MAX_STRING, tail_text, (size_t)n + 1);
    resp_arg a = {p, SLOWLOG_MAX_STRING + (size_t)n};
    return a;
}

static slowlog_entry *entry_create(client *c, const command *cmd, long long duration_us) {
    slowlog_entry *e = mem_calloc(sizeof *e);
    int kept = c->argc > SLOWLOG_MAX_ARGC ? SLOWLOG_MAX_ARGC : c->argc;
    e->argc = kept;
    e->argv = mem_alloc(sizeof(resp_arg) * (size_t)kept);
    for (int i = 0; i < kept; i++) {
        if (i == kept - 1 && kept != c->argc) {
            char text[64];
            snprintf(text, sizeof text, "... (%d more arguments)", c->argc - kept + 1);
            e->argv[i] = copy_text(text);
        } else if (is_redacted(cmd, c->argc, c->argv, i)) {
            e->argv[i] = copy_text("(redacted)");
        } else {
            e->argv[i] = copy_argument(&c->argv[i]);
        }
    }
    e->id = next_id++;
    e->time_s = clock_now_us() / 1000000;
    e->duration_us = duration_us;
    /* A script's client has no peer: Redis shows it as "?:0". */
    e->peer = mem_strdup(c->addr[0] ? c->addr : "?:0");
    e->name = mem_strdup(c->name ? c->name : "");
    return e;
}

void slowlog_record(client *c, const command *cmd, long long duration_us) {
    long long threshold = cfg->slowlog_log_slower_than;
    if (threshold < 0 || duration_us < threshold) return;
    if (cmd->flags & CMD_SKIP_SLOWLOG) return;
    if (c->argc <= 0) return;
    slowlog_entry *e = entry_create(c, cmd, duration_us);
    e->next = head;
    if (head) head->prev = e;
    head = e;
    if (!tail) tail = e;
    entry_count++;
    trim_to_max_len();
}

void slowlog_free_all(void) {
    while (tail)
        unlink_tail();
}

static void reply_entry(client *c, const slowlog_entry *e) {
    reply_array(c, 6);
    reply_int(c, e->id);
    reply_int(c, e->time_s);
    reply_int(c, e->duration_us);
    reply_array(c, e->argc);
    for (int i = 0; i < e->argc; i++)
        reply_bulk(c, e->argv[i].ptr, e->argv[i].len);
    reply_bulk_cstr(c, e->peer);
    reply_bulk_cstr(c, e->name);
}

static void slowlog_get_command(client *c) {
    long long count = 10;
    if (c->argc > 3) {
        /* Redis names the subcommand as it was typed. */
        int len = c->argv[1].len > 128 ? 128 : (int)c->argv[1].len;
        reply_errorf(c,
                     "ERR unknown subcommand or wrong number of arguments for '%.*s'. Try "
                     "SLOWLOG HELP.",
                     len, c->argv[1].ptr);
        return;
    }
    if (c->argc == 3 && arg_ll_range(c, &c->argv[2], -1, LLONG_MAX, &count,
                                     "ERR count should be greater than or equal to -1") < 0)
        return;
    trim_to_max_len();
    if (count == -1 || count > entry_count) count = entry_count;
    reply_array(c, count);
    const slowlog_entry *e = head;
    for (long long i = 0; i < count && e; i++, e = e->next)
        reply_entry(c, e);
}

static void slowlog_len_command(client *c) {
    trim_to_max_len();
    reply_int(c, entry_count);
}

static void slowlog_reset_command(client *c) {
    slowlog_free_all();
    reply_ok(c);
}

static void slowlog_help_command(client *c) {
    static const char *const help[] = {
        "GET [<count>]",
        "    Return top <count> entries from the slowlog (default: 10, -1 mean all).",
        "    Entries are made of:",
        "    id, timestamp, time in microseconds, arguments array, client IP and port,",
        "    client name",
        "LEN",
        "    Return the length of the slowlog.",
        "RESET",
        "    Reset the slowlog.",
        NULL,
    };
    reply_help(c, help);
}

#define SLOWLOG_FLAGS (CMD_ADMIN | CMD_LOADING | CMD_STALE)

static command slowlog_subcommands[] = {
    {"get", slowlog_get_command, -2, SLOWLOG_FLAGS, 0, 0, 0, 0,
     .summary = "List recent entries of the slow command log", .since = "2.2.12", .group = "server",
     .complexity = "O(N) in the entries returned"},
    {"len", slowlog_len_command, 2, SLOWLOG_FLAGS, 0, 0, 0, 0,
     .summary = "Count the entries of the slow command log", .since = "2.2.12", .group = "server",
     .complexity = "O(1)"},
    {"reset", slowlog_reset_command, 2, SLOWLOG_FLAGS, 0, 0, 0, 0,
     .summary = "Empty the slow command log", .since = "2.2.12", .group = "server",
     .complexity = "O(N) in the entries of the log"},
    {"help", slowlog_help_command, 2, CMD_LOADING | CMD_STALE, 0, 0, 0, 0,
     .summary = "Describe the SLOWLOG subcommands", .since = "6.2.0", .group = "server",
     .complexity = "O(1)"},
    {0},
};

static void slowlog_container(client *c) {
    reply_error_arity(c);
}

static command slowlog_commands[] = {
    {"slowlog", slowlog_container, -2, 0, 0, 0, 0, 0,
     .summary = "Container for the slow command log subcommands", .since = "2.2.12",
     .group = "server", .complexity = "Set by the subcommand.", .subcommands = slowlog_subcommands},
    {0},
};

void slowlog_register(void) {
    command_register(slowlog_commands);
}
