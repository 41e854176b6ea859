/*
 * cmd_acl.c - the ACL command, the ACL log and the ACL file (see acl.h).
 *
 * The ACL file holds one "user <name> <rules>" line per user. ACL LOAD is
 * all or nothing: every line is built first and the users are replaced
 * only when none failed. ACL SAVE writes a temporary file, syncs it and
 * renames it over the old one, then syncs the directory.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <unistd.h>

#include "ds/mem.h"
#include "server/acl.h"
#include "server/client.h"
#include "server/clock.h"
#include "server/command.h"
#include "server/config.h"
#include "server/fsutil.h"
#include "server/handler.h"
#include "server/reply.h"

/* ---------------------------------------------------------------------
 * ACL LOG
 * ------------------------------------------------------------------- */

/* Denials alike within this window update one entry instead of adding. */
#define ACL_LOG_GROUPING_MS 60000
/* How many recent entries are compared for grouping. */
#define ACL_LOG_SCAN 10

typedef struct acl_log_entry {
    struct acl_log_entry *next;
    long long count;
    int reason, context;
    char *object, *username, *client_info;
    size_t olen, ulen;
    long long ctime_ms;
} acl_log_entry;

static acl_log_entry *log_head; /* newest first */
static long long log_len;

static void entry_free(acl_log_entry *e) {
    mem_free(e->object);
    mem_free(e->username);
    mem_free(e->client_info);
    mem_free(e);
}

static void log_trim(long long max) {
    acl_log_entry **pp = &log_head;
    long long kept = 0;
    while (*pp && kept < max) {
        pp = &(*pp)->next;
        kept++;
    }
    while (*pp) {
        acl_log_entry *e = *pp;
        *pp = e->next;
        entry_free(e);
        log_len--;
    }
}

void acl_log_free(void) {
    log_trim(0);
}

static int entry_matches(const acl_log_entry *e, int reason, int context, const char *obj,
                         size_t olen, const char *user, size_t ulen, long long now) {
    return e->reason == reason && e->context == context && now - e->ctime_ms <= ACL_LOG_GROUPING_MS &&
           e->olen == olen && !memcmp(e->object, obj, olen) && e->ulen == ulen &&
           !memcmp(e->username, user, ulen);
}

void acl_log_add(client *c, int reason, int context, const char *object, size_t olen,
                 const char *username, size_t ulen) {
    long long now = clock_now_ms();
    char *info = c->fd >= 0 ? client_info_line(c) : mem_strdup("");
    acl_log_entry **pp = &log_head;
    for (int scanned = 0; *pp && scanned < ACL_LOG_SCAN; scanned++, pp = &(*pp)->next) {
        acl_log_entry *e = *pp;
        if (!entry_matches(e, reason, context, object, olen, username, ulen, now)) continue;
        /* The same denial again: count it and move it to the head. */
        e->count++;
        e->ctime_ms = now;
        mem_free(e->client_info);
        e->client_info = info;
        *pp = e->next;
        e->next = log_head;
        log_head = e;
        return;
    }
    acl_log_entry *e = mem_calloc(sizeof *e);
    e->count = 1;
    e->reason = reason;
    e->context = context;
    e->object = mem_memdup(object, olen);
    e->olen = olen;
    e->username = mem_memdup(username, ulen);
    e->ulen = ulen;
    e->client_info = info;
    e->ctime_ms = now;
    e->next = log_head;
    log_head = e;
    log_len++;
    log_trim(cfg->acllog_max_len);
}

static const char *reason_name(int reason) {
    switch (reason) {
    case ACL_DENIED_KEY: return "key";
    case ACL_DENIED_CHANNEL: return "channel";
    case ACL_DENIED_AUTH: return "auth";
    default: return "command";
    }
}

static const char *context_name(int context) {
    switch (context) {
    case ACL_CTX_MULTI: return "multi";
    case ACL_CTX_LUA: return "lua";
    default: return "toplevel";
    }
}

static void acl_log_command(client *c) {
    long long count = 10;
    if (c->argc > 3) {
        reply_error(c, "ERR unknown subcommand or wrong number of arguments for 'LOG'. Try ACL HELP.");
        return;
    }
    if (c->argc == 3) {
        if (arg_is(&c->argv[2], "reset")) {
            log_trim(0);
            reply_ok(c);
            return;
        }
        if (arg_ll(c, &c->argv[2], &count) < 0) return;
        if (count < 0) count = 0;
    }
    if (count > log_len) count = log_len;
    long long now = clock_now_ms();
    reply_array(c, count);
    acl_log_entry *e = log_head;
    for (long long i = 0; i < count && e; i++, e = e->next) {
        reply_map(c, 7);
        reply_bulk_cstr(c, "count");
        reply_int(c, e->count);
        reply_bulk_cstr(c, "reason");
        reply_bulk_cstr(c, reason_name(e->reason));
        reply_bulk_cstr(c, "context");
        reply_bulk_cstr(c, context_name(e->context));
        reply_bulk_cstr(c, "object");
        reply_bulk(c, e->object, e->olen);
        reply_bulk_cstr(c, "username");
        reply_bulk(c, e->username, e->ulen);
        reply_bulk_cstr(c, "age-seconds");
        reply_double(c, (double)(now - e->ctime_ms) / 1000.0);
        reply_bulk_cstr(c, "client-info");
        reply_bulk_cstr(c, e->client_info);
    }
}

/* ---------------------------------------------------------------------
 * the ACL file
 * ------------------------------------------------------------------- */

static const char no_file_error[] =
    "ERR This Redis instance is not configured to use an ACL file. You may want to specify users "
    "via the ACL SETUSER command and then issue a CONFIG REWRITE (assuming you have a Redis "
    "configuration file set) in order to store users in the Redis configuration.";

/* Bound on the file we read: users are small, a huge file is a mistake. */
#define ACL_FILE_MAX (64 * 1024 * 1024)
/* Bound on the words of one line. */
#define ACL_LINE_MAX_WORDS 4096

int acl_file_configured(void) {
    return cfg->aclfile && cfg->aclfile[0];
}

static void err_appendf(char **errs, size_t *len, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void err_appendf(char **errs, size_t *len, const char *fmt, ...) {
    char buf[1024];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    if (n < 0) return;
    if ((size_t)n >= sizeof buf) n = sizeof buf - 1;
    *errs = mem_realloc(*errs, *len + (size_t)n + 1);
    memcpy(*errs + *len, buf, (size_t)n + 1);
    *len += (size_t)n;
}

/* Splits a line on spaces; "double quoted" words keep their spaces.
 * Returns the count, or -1 on an unbalanced quote. Words point into line,
 * which is modified. */
static int split_words(char *line, resp_arg *words, int max) {
    int n = 0;
    char *p = line;
    for (;;) {
        while (*p == ' ' || *p == '\t') p++;
        if (!*p) return n;
        if (n == max) return -1;
        if (*p == '"') {
            char *end = strchr(p + 1, '"');
            if (!end || (end[1] && end[1] != ' ' && end[1] != '\t')) return -1;
            words[n].ptr = p + 1;
            words[n].len = (size_t)(end - p - 1);
            n++;
            p = end + 1;
            continue;
        }
        words[n].ptr = p;
        while (*p && *p != ' ' && *p != '\t') p++;
        words[n].len = (size_t)(p - words[n].ptr);
        n++;
    }
}

static char *read_whole_file(const char *path, char **err) {
    FILE *f = fopen(path, "r");
    char msg[1200];
    if (!f) {
        snprintf(msg, sizeof msg, "Error loading ACLs, opening file '%s': %s", path, strerror(errno));
        *err = mem_strdup(msg);
        return NULL;
    }
    size_t cap = 4096, len = 0;
    char *buf = mem_alloc(cap);
    size_t got;
    while ((got = fread(buf + len, 1, cap - len - 1, f)) > 0) {
        len += got;
        if (len > ACL_FILE_MAX) {
            fclose(f);
            mem_free(buf);
            *err = mem_strdup("Error loading ACLs: the ACL file is too large");
            return NULL;
        }
        if (cap - len < 2) {
            cap *= 2;
            buf = mem_realloc(buf, cap);
        }
    }
    fclose(f);
    buf[len] = '\0';
    return buf;
}

static int has_user(acl_user **list, int n, const acl_user *u) {
    const char *name = acl_user_name(u);
    for (int i = 0; i < n; i++)
        if (!strcmp(acl_user_name(list[i]), name)) return 1;
    return 0;
}

/* Builds every user of one line; errors are appended to errs. */
static void load_line(char *line, int linenum, const char *path, acl_user ***list, int *n,
                      char **errs, size_t *elen) {
    resp_arg *words = mem_alloc(sizeof(resp_arg) * ACL_LINE_MAX_WORDS);
    int argc = split_words(line, words, ACL_LINE_MAX_WORDS);
    if (argc < 0) {
        err_appendf(errs, elen, "%s:%d: Syntax error. ", path, linenum);
    } else if (argc < 2 || !arg_is(&words[0], "user")) {
        err_appendf(errs, elen, "%s:%d should start with user keyword followed by the username. ",
                    path, linenum);
    } else {
        char *err = NULL;
        acl_user *u = acl_user_from_words(argc - 1, words + 1, 0, &err);
        if (!u && err && !strncmp(err, "ERR Unmatched parenthesis", 25)) {
            err_appendf(errs, elen, "%s:%d: Unmatched parenthesis in selector definition.", path,
                        linenum);
        } else if (!u && err && !strncmp(err, "ERR Error in ACL SETUSER modifier ", 34)) {
            /* "ERR Error in ACL SETUSER modifier 'op': why" -> Redis's file wording. */
            const char *why = strstr(err, "': ");
            int oplen = why ? (int)(why - (err + 35)) : 0;
            err_appendf(errs, elen, "%s:%d: Error in applying operation '%.*s': %s. ", path,
                        linenum, oplen, err + 35, why ? why + 3 : "Syntax error");
        } else if (!u) {
            err_appendf(errs, elen, "%s:%d: %s. ", path, linenum, err ? err + 4 : "Syntax error");
        } else if (has_user(*list, *n, u)) {
            err_appendf(errs, elen, "WARNING: Duplicate user '%s' found on line %d. ",
                        acl_user_name(u), linenum);
            acl_user_free(u);
        } else {
            *list = mem_realloc(*list, sizeof(acl_user *) * (size_t)(*n + 1));
            (*list)[(*n)++] = u;
        }
        mem_free(err);
    }
    mem_free(words);
}

/* Loads the ACL file: 0 and the users replaced, or -1 and *err (caller
 * frees) with nothing changed. */
static int acl_file_load(char **err) {
    const char *path = cfg->aclfile;
    char *data = read_whole_file(path, err);
    if (!data) return -1;
    acl_user **list = NULL;
    int n = 0;
    char *errs = NULL;
    size_t elen = 0;
    int linenum = 0;
    for (char *line = data; line;) {
        char *nl = strchr(line, '\n');
        if (nl) *nl = '\0';
        linenum++;
        size_t len = strlen(line);
        while (len && (line[len - 1] == '\r' || line[len - 1] == ' ' || line[len - 1] == '\t'))
            line[--len] = '\0';
        while (*line == ' ' || *line == '\t' || *line == '\r') line++;
        if (*line) load_line(line, linenum, path, &list, &n, &errs, &elen);
        line = nl ? nl + 1 : NULL;
    }
    mem_free(data);
    if (errs) {
        err_appendf(&errs, &elen, "WARNING: ACL errors detected, no change to the previously active "
                                  "ACL rules was performed");
        for (int i = 0; i < n; i++) acl_user_free(list[i]);
        mem_free(list);
        *err = errs;
        return -1;
    }
    acl_users_replace(list, n);
    mem_free(list);
    return 0;
}

int acl_file_load_startup(void) {
    char *err = NULL;
    if (acl_file_load(&err) == 0) return 0;
    fprintf(stderr, "Aborting Redis startup because of ACL errors: %s\n", err);
    mem_free(err);
    return -1;
}

static void sync_parent_of(const char *path) {
    const char *slash = strrchr(path, '/');
    if (!slash) {
        fs_sync_dir(".");
        return;
    }
    size_t n = slash == path ? 1 : (size_t)(slash - path);
    char *dir = mem_memdup(path, n + 1);
    dir[n] = '\0';
    fs_sync_dir(dir);
    mem_free(dir);
}

static int write_all(int fd, const char *p, size_t len) {
    while (len) {
        ssize_t w = write(fd, p, len);
        if (w < 0 && errno == EINTR) continue;
        if (w <= 0) return -1;
        p += w;
        len -= (size_t)w;
    }
    return 0;
}

/* Temp file, fsync, rename, directory fsync: a crash leaves the old file
 * or the new one, never a mix. */
static int acl_file_save(void) {
    const char *path = cfg->aclfile;
    size_t plen = strlen(path);
    char *tmp = mem_alloc(plen + 32);
    snprintf(tmp, plen + 32, "%s.tmp-%ld", path, (long)getpid());
    int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0) {
        mem_free(tmp);
        return -1;
    }
    int rc = 0;
    for (int i = 0; i < acl_user_count() && rc == 0; i++) {
        char *line = acl_user_describe(acl_user_at(i));
        rc = write_all(fd, line, strlen(line));
        if (rc == 0) rc = write_all(fd, "\n", 1);
        mem_free(line);
    }
    if (rc == 0) rc = fsync(fd);
    if (close(fd) != 0) rc = -1;
    if (rc == 0) rc = rename(tmp, path);
    if (rc != 0) unlink(tmp);
    if (rc == 0) sync_parent_of(path);
    mem_free(tmp);
    return rc;
}

/* ---------------------------------------------------------------------
 * the ACL command
 * ------------------------------------------------------------------- */

static void acl_setuser_command(client *c) {
    const resp_arg *name = &c->argv[2];
    if (memchr(name->ptr, ' ', name->len) || memchr(name->ptr, '\0', name->len)) {
        reply_error(c, "ERR Usernames can't contain spaces or null characters");
        return;
    }
    char *err = NULL;
    acl_user *base = acl_user_find(name->ptr, name->len);
    acl_user *u = acl_user_build(name->ptr, name->len, base, c->argc - 3, c->argv + 3, &err);
    if (!u) {
        reply_error(c, err);
        mem_free(err);
        return;
    }
    acl_user_install(u);
    reply_ok(c);
}

static void acl_getuser_command(client *c) {
    acl_user *u = acl_user_find(c->argv[2].ptr, c->argv[2].len);
    if (!u) {
        reply_null(c);
        return;
    }
    acl_reply_getuser(c, u);
}

static void acl_deluser_command(client *c) {
    for (int i = 2; i < c->argc; i++) {
        if (arg_is(&c->argv[i], "default") && c->argv[i].len == 7 &&
            !memcmp(c->argv[i].ptr, "default", 7)) {
            reply_error(c, "ERR The 'default' user cannot be removed");
            return;
        }
    }
    long long deleted = 0;
    for (int i = 2; i < c->argc; i++) deleted += acl_user_delete(c->argv[i].ptr, c->argv[i].len);
    reply_int(c, deleted);
}

static void acl_list_command(client *c) {
    int n = acl_user_count();
    reply_array(c, n);
    for (int i = 0; i < n; i++) {
        char *line = acl_user_describe(acl_user_at(i));
        reply_bulk_cstr(c, line);
        mem_free(line);
    }
}

static void acl_users_command(client *c) {
    int n = acl_user_count();
    reply_array(c, n);
    for (int i = 0; i < n; i++) reply_bulk_cstr(c, acl_user_name(acl_user_at(i)));
}

static void acl_whoami_command(client *c) {
    reply_bulk_cstr(c, acl_client_username(c));
}

static void acl_cat_command(client *c) {
    if (c->argc == 2) {
        reply_array(c, ACL_CATEGORY_COUNT);
        for (int i = 0; i < ACL_CATEGORY_COUNT; i++) reply_bulk_cstr(c, acl_category_name(i));
        return;
    }
    if (c->argc > 3) {
        reply_error(c, "ERR unknown subcommand or wrong number of arguments for 'CAT'. Try ACL HELP.");
        return;
    }
    int cat = acl_category_by_name(c->argv[2].ptr, c->argv[2].len);
    if (cat < 0) {
        int n = c->argv[2].len > 128 ? 128 : (int)c->argv[2].len;
        reply_errorf(c, "ERR Unknown category '%.*s'", n, c->argv[2].ptr);
        return;
    }
    acl_reply_category_commands(c, cat);
}

static void acl_genpass_command(client *c) {
    long long bits = 256;
    if (c->argc > 3) {
        reply_error(c, "ERR unknown subcommand or wrong number of arguments for 'GENPASS'. Try ACL HELP.");
        return;
    }
    if (c->argc == 3) {
        if (arg_ll(c, &c->argv[2], &bits) < 0) return;
        if (bits <= 0 || bits > 4096) {
            reply_error(c, "ERR ACL GENPASS argument must be the number of bits for the output "
                           "password, a positive number up to 4096");
            return;
        }
    }
    size_t chars = (size_t)(bits + 3) / 4;
    unsigned char raw[512];
    size_t need = (chars + 1) / 2;
    size_t got = 0;
    while (got < need) {
        ssize_t r = getrandom(raw + got, need - got, 0);
        if (r < 0 && errno == EINTR) continue;
        if (r <= 0) {
            reply_error(c, "ERR Failed to generate random bytes");
            return;
        }
        got += (size_t)r;
    }
    static const char hex[] = "0123456789abcdef";
    char out[1025];
    for (size_t i = 0; i < chars; i++) out[i] = hex[(raw[i / 2] >> ((i % 2) ? 0 : 4)) & 15];
    reply_bulk(c, out, chars);
}

static void acl_dryrun_command(client *c) {
    acl_user *u = acl_user_find(c->argv[2].ptr, c->argv[2].len);
    if (!u) {
        int n = c->argv[2].len > 128 ? 128 : (int)c->argv[2].len;
        reply_errorf(c, "ERR User '%.*s' not found", n, c->argv[2].ptr);
        return;
    }
    int argc = c->argc - 3;
    const resp_arg *argv = c->argv + 3;
    int unknown_sub = 0;
    command *cmd = command_lookup_argv(argc, argv, &unknown_sub);
    if (!cmd || unknown_sub) {
        int n = argv[0].len > 128 ? 128 : (int)argv[0].len;
        reply_errorf(c, "ERR Command '%.*s' not found", n, argv[0].ptr);
        return;
    }
    if (cmd->arity > 0 ? argc != cmd->arity : argc < -cmd->arity) {
        reply_errorf(c, "ERR wrong number of arguments for '%s' command", cmd->fullname);
        return;
    }
    int pos;
    int res = acl_check_user(u, cmd, argc, argv, &pos);
    if (res == ACL_OK) {
        reply_ok(c);
        return;
    }
    /* DRYRUN names the denied key or channel. */
    char text[400];
    int n = pos > 0 && pos < argc ? (int)(argv[pos].len > 128 ? 128 : argv[pos].len) : 0;
    const char *what = n ? argv[pos].ptr : "";
    if (res == ACL_DENIED_KEY)
        snprintf(text, sizeof text, "This user has no permissions to access the '%.*s' key", n,
                 what);
    else if (res == ACL_DENIED_CHANNEL)
        snprintf(text, sizeof text, "This user has no permissions to access the '%.*s' channel", n,
                 what);
    else
        acl_denial_text(text, sizeof text, res, cmd, 1);
    reply_bulk_cstr(c, text);
}

static void acl_load_command(client *c) {
    if (!acl_file_configured()) {
        reply_error(c, no_file_error);
        return;
    }
    char *err = NULL;
    if (acl_file_load(&err) != 0) {
        reply_errorf(c, "ERR %s", err);
        mem_free(err);
        return;
    }
    reply_ok(c);
}

static void acl_save_command(client *c) {
    if (!acl_file_configured()) {
        reply_error(c, no_file_error);
        return;
    }
    if (acl_file_save() != 0) {
        reply_error(c, "ERR There was an error trying to save the ACLs. Please check the server "
                       "logs for more information");
        return;
    }
    reply_ok(c);
}

static void acl_help_command(client *c) {
    static const char *const help[] = {
        "CAT [<category>]",
        "    List all commands that belong to <category>, or all command categories",
        "    when no category is specified.",
        "DELUSER <username> [<username> ...]",
        "    Delete a list of users.",
        "DRYRUN <username> <command> [<arg> ...]",
        "    Returns whether the user can execute the given command without executing the command.",
        "GETUSER <username>",
        "    Get the user's details.",
        "GENPASS [<bits>]",
        "    Generate a secure 256-bit user password. The optional `bits` argument can",
        "    be used to specify a different size.",
        "LIST",
        "    Show users details in config file format.",
        "LOAD",
        "    Reload users from the ACL file.",
        "LOG [<count> | RESET]",
        "    Show the ACL log entries.",
        "SAVE",
        "    Save the current config to the ACL file.",
        "SETUSER <username> <attribute> [<attribute> ...]",
        "    Create or modify a user with the specified attributes.",
        "USERS",
        "    List all the registered usernames.",
        "WHOAMI",
        "    Return the current connection username.",
        NULL,
    };
    reply_help(c, help);
}

static void acl_container(client *c) {
    reply_error_arity(c);
}

#define ACL_SUB(name, proc, arity, flags, sum, cplx)                                                \
    {name, proc, arity, (flags) | CMD_NOSCRIPT | CMD_LOADING | CMD_STALE, 0, 0, 0, 0,              \
     .summary = sum, .since = "6.0.0", .group = "server", .complexity = cplx}

static command acl_subcommands[] = {
    ACL_SUB("cat", acl_cat_command, -2, 0,
            "List the ACL categories, or the commands that belong to one",
            "O(1), the category and command lists being fixed."),
    ACL_SUB("deluser", acl_deluser_command, -3, CMD_ADMIN,
            "Delete ACL users together with their rules",
            "O(1) amortized for a user of ordinary size."),
    {"dryrun", acl_dryrun_command, -4, CMD_ADMIN | CMD_NOSCRIPT | CMD_LOADING | CMD_STALE, 0, 0, 0,
     0, .summary = "Tell whether a user would be allowed to run a command, without running it",
     .since = "7.0.0", .group = "server", .complexity = "O(1)."},
    ACL_SUB("genpass", acl_genpass_command, -2, 0,
            "Produce a random password suitable for an ACL user", "O(1)"),
    ACL_SUB("getuser", acl_getuser_command, 3, CMD_ADMIN, "Show the rules of one ACL user",
            "O(N) in the user's password, command and pattern rules."),
    {"help", acl_help_command, 2, CMD_LOADING | CMD_STALE, 0, 0, 0, 0,
     .summary = "Describe the ACL subcommands", .since = "6.0.0", .group = "server",
     .complexity = "O(1)"},
    ACL_SUB("list", acl_list_command, 2, CMD_ADMIN,
            "Print every user's rules in the ACL file syntax", "O(N) in the configured users."),
    ACL_SUB("load", acl_load_command, 2, CMD_ADMIN,
            "Replace the users with those read from the ACL file", "O(N) in the configured users."),
    ACL_SUB("log", acl_log_command, -2, CMD_ADMIN,
            "Show recent commands and logins that ACL rules refused",
            "O(N) in the entries listed."),
    ACL_SUB("save", acl_save_command, 2, CMD_ADMIN,
            "Write the users and their rules to the ACL file", "O(N) in the configured users."),
    ACL_SUB("setuser", acl_setuser_command, -3, CMD_ADMIN, "Create an ACL user or change its rules",
            "O(N) in the rules given."),
    ACL_SUB("users", acl_users_command, 2, CMD_ADMIN, "Name every ACL user",
            "O(N) in the configured users."),
    ACL_SUB("whoami", acl_whoami_command, 2, 0, "Name the user this connection is authenticated as",
            "O(1)"),
    {0},
};

static command acl_table[] = {
    {"acl", acl_container, -2, 0, 0, 0, 0, 0,
     .summary = "Container for the access control list subcommands", .since = "6.0.0",
     .group = "server", .complexity = "Set by the subcommand.", .subcommands = acl_subcommands},
    {0},
};

void acl_register(void) {
    command_register(acl_table);
}
