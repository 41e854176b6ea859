/*
 * cli_repl.c - the prompt. On a terminal: libedit line editing, a history
 * file (~/.pairdbcli_history, or $PAIRDBCLI_HISTFILE; empty or /dev/null
 * turns it off), the prompt "host:port> " with "[db]" once a non-zero
 * database is selected, hints at the right of the line after a command name
 * and a space, and TAB completing command names. Without a terminal, stdin
 * is read line by line with no prompt and no history.
 *
 * Lines are split as cli_split.c describes. Besides server commands the
 * prompt knows: quit/exit, help [@group|command], connect host port, clear,
 * and a leading count ("3 incr x" runs INCR three times).
 */
#include <ctype.h>
#include <histedit.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>
#include <wchar.h>

#include "cli/cli.h"

#define REPL_HISTORY_SIZE 1000
#define REPL_MAX_REPEAT 1000000000LL

static cli_session *repl_session;
static char prompt_text[512];
static char rprompt_text[1024];

/* ---- prompt ---- */

static void update_prompt(cli_session *s) {
    const cli_config *cfg = s->cfg;
    if (!s->conn || !pdb_is_connected(s->conn)) {
        snprintf(prompt_text, sizeof prompt_text, "not connected> ");
        return;
    }
    char db[24] = "";
    if (s->db_now) snprintf(db, sizeof db, "[%d]", s->db_now);
    if (cfg->socket_path)
        snprintf(prompt_text, sizeof prompt_text, "%s%s> ", cfg->socket_path, db);
    else
        snprintf(prompt_text, sizeof prompt_text, "%s:%d%s> ", cfg->host, cfg->port, db);
}

static char *prompt_fn(EditLine *el) {
    (void)el;
    return prompt_text;
}

static char *rprompt_fn(EditLine *el) {
    (void)el;
    return rprompt_text;
}

/* ---- history ---- */

static char *history_path(void) {
    const char *env = getenv("PAIRDBCLI_HISTFILE");
    if (env) {
        if (!*env || !strcmp(env, "/dev/null")) return NULL;
        return strdup(env);
    }
    const char *home = getenv("HOME");
    if (!home || !*home) return NULL;
    size_t n = strlen(home) + sizeof "/.pairdbcli_history";
    char *p = malloc(n);
    if (!p) abort();
    snprintf(p, n, "%s/.pairdbcli_history", home);
    return p;
}

/* Lines carrying passwords stay out of the history file. */
static int is_secret(const cli_args *a) {
    if (a->argc == 0) return 0;
    if (!strcasecmp(a->argv[0], "auth")) return 1;
    if (!strcasecmp(a->argv[0], "hello")) {
        for (int i = 1; i < a->argc; i++)
            if (!strcasecmp(a->argv[i], "auth")) return 1;
    }
    return a->argc > 1 && !strcasecmp(a->argv[0], "acl") && !strcasecmp(a->argv[1], "setuser");
}

/* ---- line editing callbacks ---- */

/* The text typed so far, as a C string. */
static char *current_line(EditLine *el) {
    const LineInfo *li = el_line(el);
    size_t n = (size_t)(li->lastchar - li->buffer);
    char *s = malloc(n + 1);
    if (!s) abort();
    memcpy(s, li->buffer, n);
    s[n] = '\0';
    return s;
}

/* Columns left for a hint on the right of what is typed (libedit draws
 * the right prompt only when it fits). */
static int hint_room(EditLine *el, size_t typed) {
    int cols = 0;
    if (el_get(el, EL_GETTC, "co", &cols) != 0 || cols <= 0) cols = 80;
    return cols - (int)strlen(prompt_text) - (int)typed - 3;
}

/* Space: insert it, then show the arguments still expected as a hint. */
static unsigned char hint_key(EditLine *el, int ch) {
    (void)ch;
    if (el_insertstr(el, " ") != 0) return CC_ERROR;
    rprompt_text[0] = '\0';
    if (repl_session->cfg->hints) {
        char *line = current_line(el);
        const char *hint = cli_hint_for(repl_session, line);
        int room = hint_room(el, strlen(line));
        if (room > (int)sizeof rprompt_text - 1) room = (int)sizeof rprompt_text - 1;
        if (hint && *hint && room >= 8) {
            if ((int)strlen(hint) <= room)
                snprintf(rprompt_text, sizeof rprompt_text, "%s", hint);
            else
                snprintf(rprompt_text, sizeof rprompt_text, "%.*s...", room - 3, hint);
        }
        free(line);
    }
    return CC_REDISPLAY;
}

/* TAB on the first word: complete a command name when one matches. */
static unsigned char complete_key(EditLine *el, int ch) {
    (void)ch;
    char *line = current_line(el);
    unsigned char rc = CC_ERROR;
    if (!strchr(line, ' ') && *line) {
        const char *name = cli_help_complete(repl_session, line);
        size_t typed = strlen(line);
        if (name && strlen(name) > typed) {
            /* Completed in the case the name was typed in. */
            char *rest = strdup(name + typed);
            if (!rest) abort();
            if (islower((unsigned char)line[typed - 1]))
                for (char *p = rest; *p; p++)
                    *p = (char)tolower((unsigned char)*p);
            el_insertstr(el, rest);
            free(rest);
            rc = CC_REFRESH;
        }
    }
    free(line);
    return rc;
}

static EditLine *editor_open(History **hist) {
    EditLine *el = el_init("pairdb-cli", stdin, stdout, stderr);
    if (!el) return NULL;
    HistEvent ev;
    *hist = history_init();
    history(*hist, &ev, H_SETSIZE, REPL_HISTORY_SIZE);
    history(*hist, &ev, H_SETUNIQUE, 1);
    el_set(el, EL_EDITOR, "emacs");
    el_set(el, EL_PROMPT, prompt_fn);
    el_set(el, EL_RPROMPT, rprompt_fn);
    el_set(el, EL_HIST, history, *hist);
    /* The wide-character calls: the narrow EL_ADDFN copies its strings and
     * never frees them. */
    el_wset(el, EL_ADDFN, L"pdb-hint", L"Insert a space and show argument hints", hint_key);
    el_set(el, EL_BIND, " ", "pdb-hint", NULL);
    el_wset(el, EL_ADDFN, L"pdb-complete", L"Complete a command name", complete_key);
    el_set(el, EL_BIND, "^I", "pdb-complete", NULL);
    return el;
}

/* ---- one line ---- */

static int handle_connect(cli_session *s, const cli_args *a) {
    if (a->argc != 3) {
        printf("(error) ERR usage: connect host port\n");
        return 0;
    }
    char *end;
    long port = strtol(a->argv[2], &end, 10);
    if (*end || port < 0 || port > 65535) {
        printf("(error) ERR invalid port\n");
        return 0;
    }
    snprintf(s->cfg->host, sizeof s->cfg->host, "%s", a->argv[1]);
    s->cfg->port = (int)port;
    s->cfg->socket_path = NULL;
    if (s->conn) pdb_free(s->conn);
    s->conn = NULL;
    cli_help_free();
    cli_connect(s);
    return 0;
}

/* A leading count: how many times to run the rest, or 1 when none. */
static long long leading_count(cli_args *a) {
    char *end;
    long long n = strtoll(a->argv[0], &end, 10);
    if (a->argc < 2 || *end || end == a->argv[0] || n < 1 || n > REPL_MAX_REPEAT) return 1;
    free(a->argv[0]);
    memmove(a->argv, a->argv + 1, sizeof *a->argv * (size_t)(a->argc - 1));
    memmove(a->lens, a->lens + 1, sizeof *a->lens * (size_t)(a->argc - 1));
    a->argc--;
    return n;
}

/* Runs a split line. Returns 1 when the session should end. */
static int run_line(cli_session *s, cli_args *a) {
    const char *cmd = a->argv[0];
    if (!strcasecmp(cmd, "quit") || !strcasecmp(cmd, "exit")) return 1;
    if (!strcasecmp(cmd, "help") || cmd[0] == '?') {
        cli_help(s, a->argc, a->argv);
        return 0;
    }
    if (!strcasecmp(cmd, "connect")) return handle_connect(s, a);
    if (!strcasecmp(cmd, "clear") && a->argc == 1 && isatty(STDOUT_FILENO)) {
        printf("\x1b[H\x1b[2J");
        return 0;
    }
    long long times = leading_count(a);
    for (long long k = 0; k < times; k++) {
        if ((!s->conn || !pdb_is_connected(s->conn)) && cli_connect(s) != 0) break;
        if (cli_run_command(s, a->argc, a->argv, a->lens, 0) < 0) break;
    }
    return 0;
}

/* Splits and runs one line; returns 1 at quit. */
static int process_line(cli_session *s, const char *line, size_t len, History *hist,
                        const char *histfile) {
    cli_args a;
    if (cli_split_line(line, len, &a) != 0) {
        printf("Invalid argument(s)\n");
        fflush(stdout);
        return 0;
    }
    if (a.argc == 0) return 0;
    if (hist && !is_secret(&a)) {
        HistEvent ev;
        char *copy = strndup(line, len);
        if (!copy) abort();
        copy[strcspn(copy, "\n")] = '\0';
        history(hist, &ev, H_ENTER, copy);
        if (histfile) history(hist, &ev, H_SAVE, histfile);
        free(copy);
    }
    int quit = run_line(s, &a);
    cli_args_free(&a);
    fflush(stdout);
    return quit;
}

static int repl_terminal(cli_session *s) {
    History *hist = NULL;
    EditLine *el = editor_open(&hist);
    if (!el) return 1;
    char *histfile = history_path();
    HistEvent ev;
    if (histfile) history(hist, &ev, H_LOAD, histfile);
    for (;;) {
        update_prompt(s);
        rprompt_text[0] = '\0';
        int count = 0;
        const char *line = el_gets(el, &count);
        if (!line || count <= 0) break;
        if (process_line(s, line, (size_t)count, hist, histfile)) break;
    }
    free(histfile);
    history_end(hist);
    el_end(el);
    return 0;
}

/* Reads one line (without its newline) into line, keeping at most
 * CLI_MAX_LINE bytes: the rest of a longer line is read and dropped, and
 * *too_long set. Returns 0, or -1 at the end of input with nothing read. */
static int read_bounded_line(FILE *in, cli_buf *line, int *too_long) {
    line->len = 0;
    *too_long = 0;
    int c, got = 0;
    while ((c = getc(in)) != EOF) {
        got = 1;
        if (c == '\n') break;
        if (line->len >= CLI_MAX_LINE) {
            *too_long = 1;
            continue;
        }
        char ch = (char)c;
        cli_buf_add(line, &ch, 1);
    }
    return got ? 0 : -1;
}

static int repl_stdin(cli_session *s) {
    cli_buf line = {0};
    int too_long;
    while (read_bounded_line(stdin, &line, &too_long) == 0) {
        if (too_long) {
            printf("Invalid argument(s)\n");
            continue;
        }
        if (process_line(s, line.p ? line.p : "", line.len, NULL, NULL)) break;
    }
    cli_buf_free(&line);
    return 0;
}

int cli_repl(cli_session *s, int interactive) {
    repl_session = s;
    cli_connect(s);
    return interactive ? repl_terminal(s) : repl_stdin(s);
}
