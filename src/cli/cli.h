/*
 * cli.h - pairdb-cli, the command-line client built on libpairdb.
 *
 * Modules: cli_main.c (options, one-shot and repeated commands, stdin
 * command lists), cli_format.c (reply printing in the raw, human and CSV
 * styles), cli_split.c (splitting a typed line into arguments), cli_pipe.c
 * (--pipe mass insertion), cli_repl.c (the interactive prompt on libedit) and
 * cli_help.c (help and hints from COMMAND DOCS).
 */
#ifndef PAIRDB_CLI_H
#define PAIRDB_CLI_H

#include <stddef.h>

#include "../../include/pairdb.h"

#define CLI_VERSION "0.1.0"
/* Longest line or argument list accepted from stdin or the prompt: a typed
 * line is hostile input like any other. */
#define CLI_MAX_ARGS 65536
#define CLI_MAX_LINE (512u * 1024u * 1024u)

typedef enum cli_output {
    CLI_OUT_RAW, /* bytes as they are, one reply per line (stdout not a tty) */
    CLI_OUT_TTY, /* the human format: (integer) 1, "quoted", 1) ... */
    CLI_OUT_CSV  /* comma-separated, strings quoted */
} cli_output;

typedef struct cli_config {
    char host[256];
    int port;
    const char *socket_path;
    const char *user;
    const char *password;
    int db;
    int resp3;
    cli_output output;
    long long repeat;  /* -r: times to run the command; negative = forever */
    double interval_s; /* -i */
    int error_exit;    /* -e */
    int pipe_mode;
    int stdin_last_arg; /* -x */
    int no_auth_warning;
    int hints; /* show hints at the prompt */
    /* TLS (--tls or rediss://): CA file or directory (neither: the system's
     * CAs), the name to send and check (--sni; default: the host), a client
     * certificate and key, and --insecure to skip verification. */
    int tls;
    int tls_insecure;
    const char *tls_sni, *tls_cacert, *tls_cacertdir, *tls_cert, *tls_key;
} cli_config;

/* ---- cli_format.c: growing byte buffer and reply formatting ---- */
typedef struct cli_buf {
    char *p;
    size_t len, cap;
} cli_buf;

void cli_buf_add(cli_buf *b, const void *s, size_t n);
void cli_buf_adds(cli_buf *b, const char *s);
void cli_buf_addf(cli_buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Appends s quoted: "..." with \n \r \t \a \b \\ \" and \xHH escapes. */
void cli_buf_add_quoted(cli_buf *b, const char *s, size_t n);
void cli_buf_free(cli_buf *b);
/* The contents as a C string ("" when empty). */
const char *cli_buf_str(const cli_buf *b);
/* Everything printed for one top-level reply in the given style, trailing
 * newline included. */
void cli_format_reply(cli_buf *out, const pdb_reply *r, cli_output mode);

/* ---- cli_split.c ---- */
typedef struct cli_args {
    int argc;
    char **argv;
    size_t *lens;
} cli_args;
/* Splits a line the way a shell-like prompt does: blanks separate words,
 * "..." understands \n \r \t \b \a \\ \" and \xHH, '...' only \'. A closing
 * quote must be followed by a blank or the end. Returns 0, or -1 on
 * unbalanced quotes or more than CLI_MAX_ARGS words. */
int cli_split_line(const char *line, size_t len, cli_args *out);
void cli_args_free(cli_args *a);

/* ---- cli_main.c: the connection and running one command ---- */
typedef struct cli_session {
    cli_config *cfg;
    pdb_conn *conn;
    int db_now;     /* for the prompt's [db] suffix */
} cli_session;

/* Connects (and authenticates, switches protocol, selects the db) as
 * configured. Returns 0, or -1 with the reason printed to stderr. */
int cli_connect(cli_session *s);
/* Sends one command and prints its reply (and, for SUBSCRIBE and MONITOR,
 * the messages that follow until interrupted). Returns 0, 1 when the reply
 * was an error, -1 when the connection failed. error_exit sends a top-level
 * error reply to stderr instead of stdout. */
int cli_run_command(cli_session *s, int argc, char **argv, size_t *lens, int error_exit);

/* ---- cli_pipe.c ---- */
/* Sends stdin as it is and counts the replies; returns the exit code. */
int cli_pipe(cli_session *s);

/* ---- cli_repl.c ---- */
/* Reads commands from the terminal (or, without one, from stdin line by
 * line) until EOF or quit. Returns the exit code. */
int cli_repl(cli_session *s, int interactive);

/* ---- cli_help.c ---- */
/* "help", "help @group" or "help command" output, from COMMAND DOCS. */
void cli_help(cli_session *s, int argc, char **argv);
/* The argument syntax hint for what is typed so far, or NULL. The string
 * stays valid until the next call. */
const char *cli_hint_for(cli_session *s, const char *line);
/* The first command name starting with prefix (case-insensitive), or NULL. */
const char *cli_help_complete(cli_session *s, const char *prefix);
void cli_help_free(void);

#endif
