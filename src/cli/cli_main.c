/*
 * cli_main.c - pairdb-cli's entry point: options, the connection, and the
 * non-interactive ways of running commands (from argv, repeated with -r/-i,
 * with -x taking the last argument from stdin).
 *
 * The connection is a libpairdb pdb_conn opened in RESP2 with neither
 * password nor database, so that AUTH, HELLO 3 and SELECT are ordinary
 * commands whose failures are reported and survived the way redis-cli users
 * expect ("AUTH failed: ..." and the session goes on). Reconnecting is left
 * to the prompt (pdb_reconnect), never done behind a command's back.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "cli/cli.h"

/* Longest -x input taken from stdin. */
#define CLI_MAX_STDIN_ARG (512u * 1024u * 1024u)

static char url_storage[PDB_URL_MAX + 1];

static void usage(FILE *out) {
    fprintf(out,
            "pairdb-cli " CLI_VERSION "\n"
            "\n"
            "Usage: pairdb-cli [OPTIONS] [cmd [arg [arg ...]]]\n"
            "  -h <hostname>      Server hostname (default: 127.0.0.1).\n"
            "  -p <port>          Server port (default: 6379).\n"
            "  -s <socket>        Server socket (overrides hostname and port).\n"
            "  -a <password>      Password to use when connecting to the server.\n"
            "  --pass <password>  Alias of -a.\n"
            "  --user <username>  Used to send ACL style 'AUTH username pass'. Needs -a.\n"
            "  -u <uri>           Server URI: redis://[user:password@]host[:port][/db],\n"
            "                     rediss://... (TLS) or unix:///path[?db=N].\n"
            "  -n <db>            Database number.\n"
            "  -2                 Start session in RESP2 protocol mode.\n"
            "  -3                 Start session in RESP3 protocol mode.\n"
            "  -r <repeat>        Execute specified command N times (-1: forever).\n"
            "  -i <interval>      When -r is used, waits <interval> seconds per command.\n"
            "                     Sub-second times like -i 0.1 are possible.\n"
            "  -x                 Read last argument from STDIN.\n"
            "  -e                 Return exit error code when command execution fails.\n"
            "  --raw              Use raw formatting for replies (default when STDOUT is\n"
            "                     not a tty).\n"
            "  --no-raw           Force formatted output even when STDOUT is not a tty.\n"
            "  --csv              Output in CSV format.\n"
            "  --pipe             Transfer raw RESP protocol from stdin to server.\n"
            "  --no-auth-warning  Don't show warning message when using password on command\n"
            "                     line interface.\n"
            "  --tls              Establish a secure TLS connection.\n"
            "  --sni <host>       Server name indication for TLS (also the name the\n"
            "                     certificate is checked against; default: the host).\n"
            "  --cacert <file>    CA Certificate file to verify with.\n"
            "  --cacertdir <dir>  Directory where trusted CA certificates are stored.\n"
            "                     If neither cacert nor cacertdir are specified, the default\n"
            "                     system-wide trusted root certs configuration will apply.\n"
            "  --insecure         Allow insecure TLS connection by skipping cert validation.\n"
            "  --cert <file>      Client certificate to authenticate with.\n"
            "  --key <file>       Private key file to authenticate with.\n"
            "  --help             Output this help and exit.\n"
            "  --version          Output version and exit.\n"
            "\n"
            "Examples:\n"
            "  cat /etc/passwd | pairdb-cli -x set mypasswd\n"
            "  pairdb-cli get mypasswd\n"
            "  pairdb-cli -r 100 lpush mylist x\n"
            "  pairdb-cli -r 100 -i 1 info | grep used_memory_human:\n"
            "  pairdb-cli --pipe < commands.resp\n"
            "\n"
            "When no command is given, pairdb-cli starts in interactive mode.\n"
            "Type \"help\" in interactive mode for information on available commands.\n");
}

static int parse_int(const char *s, long long lo, long long hi, long long *out) {
    char *end;
    errno = 0;
    long long v = strtoll(s, &end, 10);
    if (errno || end == s || *end || v < lo || v > hi) return -1;
    *out = v;
    return 0;
}

static int apply_url(cli_config *cfg, const char *url) {
    pdb_options o;
    pdb_options_init(&o);
    o.host = NULL;
    char err[256];
    if (strlen(url) > PDB_URL_MAX ||
        pdb_url_parse(url, &o, url_storage, sizeof url_storage, err, sizeof err) != PDB_OK) {
        fprintf(stderr, "Invalid URI: %s\n", url);
        return -1;
    }
    if (o.tls) cfg->tls = 1; /* redis:// leaves an earlier --tls alone */
    if (o.host) snprintf(cfg->host, sizeof cfg->host, "%s", o.host);
    cfg->port = o.port;
    if (o.unix_path) cfg->socket_path = o.unix_path;
    if (o.user) cfg->user = o.user;
    if (o.password) cfg->password = o.password;
    cfg->db = o.db;
    return 0;
}

/* Options with a value: the value, or NULL (and a message) when missing. */
static const char *option_value(int argc, char **argv, int *i) {
    if (*i + 1 >= argc) {
        fprintf(stderr, "Unrecognized option or bad number of args for: '%s'\n", argv[*i]);
        return NULL;
    }
    return argv[++*i];
}

static int parse_number_option(int argc, char **argv, int *i, long long lo, long long hi,
                               long long *out) {
    const char *name = argv[*i];
    const char *v = option_value(argc, argv, i);
    if (!v) return -1;
    if (parse_int(v, lo, hi, out) != 0) {
        fprintf(stderr, "Invalid value for %s: '%s'\n", name, v);
        return -1;
    }
    return 0;
}

/* Returns the index of the first command word, argc when none, -1 on a bad
 * option, -2 when the program should exit 0 (--help, --version). */
static int parse_options(cli_config *cfg, int argc, char **argv) {
    int i;
    for (i = 1; i < argc; i++) {
        const char *a = argv[i];
        const char *v;
        long long n;
        if (a[0] != '-' || a[1] == '\0') break;
        if (!strcmp(a, "-h")) {
            if (!(v = option_value(argc, argv, &i))) return -1;
            snprintf(cfg->host, sizeof cfg->host, "%s", v);
        } else if (!strcmp(a, "-p")) {
            if (parse_number_option(argc, argv, &i, 0, 65535, &n)) return -1;
            cfg->port = (int)n;
        } else if (!strcmp(a, "-s")) {
            if (!(cfg->socket_path = option_value(argc, argv, &i))) return -1;
        } else if (!strcmp(a, "-a") || !strcmp(a, "--pass")) {
            if (!(cfg->password = option_value(argc, argv, &i))) return -1;
        } else if (!strcmp(a, "--user")) {
            if (!(cfg->user = option_value(argc, argv, &i))) return -1;
        } else if (!strcmp(a, "-u")) {
            if (!(v = option_value(argc, argv, &i)) || apply_url(cfg, v)) return -1;
        } else if (!strcmp(a, "-n")) {
            if (parse_number_option(argc, argv, &i, 0, 1 << 30, &n)) return -1;
            cfg->db = (int)n;
        } else if (!strcmp(a, "-r")) {
            if (parse_number_option(argc, argv, &i, -1, (1LL << 62), &n)) return -1;
            cfg->repeat = n;
        } else if (!strcmp(a, "-i")) {
            if (!(v = option_value(argc, argv, &i))) return -1;
            char *end;
            cfg->interval_s = strtod(v, &end);
            if (end == v || *end || !(cfg->interval_s >= 0 && cfg->interval_s < 1e7)) {
                fprintf(stderr, "Invalid value for -i: '%s'\n", v);
                return -1;
            }
        } else if (!strcmp(a, "-2")) {
            cfg->resp3 = 0;
        } else if (!strcmp(a, "-3")) {
            cfg->resp3 = 1;
        } else if (!strcmp(a, "--raw")) {
            cfg->output = CLI_OUT_RAW;
        } else if (!strcmp(a, "--no-raw")) {
            cfg->output = CLI_OUT_TTY;
        } else if (!strcmp(a, "--csv")) {
            cfg->output = CLI_OUT_CSV;
        } else if (!strcmp(a, "-e")) {
            cfg->error_exit = 1;
        } else if (!strcmp(a, "-x")) {
            cfg->stdin_last_arg = 1;
        } else if (!strcmp(a, "--pipe")) {
            cfg->pipe_mode = 1;
        } else if (!strcmp(a, "--no-auth-warning")) {
            cfg->no_auth_warning = 1;
        } else if (!strcmp(a, "--tls")) {
            cfg->tls = 1;
        } else if (!strcmp(a, "--insecure")) {
            cfg->tls_insecure = 1;
        } else if (!strcmp(a, "--sni")) {
            if (!(cfg->tls_sni = option_value(argc, argv, &i))) return -1;
        } else if (!strcmp(a, "--cacert")) {
            if (!(cfg->tls_cacert = option_value(argc, argv, &i))) return -1;
        } else if (!strcmp(a, "--cacertdir")) {
            if (!(cfg->tls_cacertdir = option_value(argc, argv, &i))) return -1;
        } else if (!strcmp(a, "--cert")) {
            if (!(cfg->tls_cert = option_value(argc, argv, &i))) return -1;
        } else if (!strcmp(a, "--key")) {
            if (!(cfg->tls_key = option_value(argc, argv, &i))) return -1;
        } else if (!strcmp(a, "--version") || !strcmp(a, "-v")) {
            printf("pairdb-cli " CLI_VERSION "\n");
            return -2;
        } else if (!strcmp(a, "--help")) {
            usage(stdout);
            return -2;
        } else {
            fprintf(stderr, "Unrecognized option or bad number of args for: '%s'\n", a);
            return -1;
        }
    }
    if (cfg->tls && !cfg->tls_cert != !cfg->tls_key) {
        fprintf(stderr, "--cert and --key go together\n");
        return -1;
    }
    return i;
}

/* ---- connection ---- */

static void print_target(FILE *out, const cli_config *cfg) {
    if (cfg->socket_path)
        fprintf(out, "%s", cfg->socket_path);
    else
        fprintf(out, "%s:%d", cfg->host, cfg->port);
}

/* Runs a setup command; its error reply goes to stderr after what. */
static int setup_command(cli_session *s, const char *what, int argc, const char **argv) {
    size_t lens[3];
    for (int i = 0; i < argc; i++)
        lens[i] = strlen(argv[i]);
    pdb_reply *r = NULL;
    int rc = pdb_append_command_argv(s->conn, argc, argv, lens);
    if (rc == PDB_OK) rc = pdb_get_reply(s->conn, &r);
    if (rc == PDB_ERR_SERVER) {
        pdb_view v = pdb_reply_view(r);
        fprintf(stderr, "%s: %.*s\n", what, (int)v.len, v.ptr);
    }
    pdb_reply_free(r);
    return rc;
}

static int handshake(cli_session *s) {
    cli_config *cfg = s->cfg;
    if (cfg->password) {
        const char *argv[3] = {"AUTH", cfg->user ? cfg->user : cfg->password, cfg->password};
        if (setup_command(s, "AUTH failed", cfg->user ? 3 : 2, argv) < PDB_ERR_SERVER) return -1;
    }
    if (cfg->resp3) {
        const char *argv[2] = {"HELLO", "3"};
        if (setup_command(s, "HELLO 3 failed", 2, argv) < PDB_ERR_SERVER) return -1;
    }
    s->db_now = 0;
    if (cfg->db) {
        char db[24];
        snprintf(db, sizeof db, "%d", cfg->db);
        const char *argv[2] = {"SELECT", db};
        int rc = setup_command(s, "SELECT failed", 2, argv);
        if (rc < PDB_ERR_SERVER) return -1;
        if (rc == PDB_OK) s->db_now = cfg->db;
    }
    return 0;
}

static void tls_options(const cli_config *cfg, pdb_options *o) {
    o->tls = 1;
    o->tls_verify = !cfg->tls_insecure;
    o->tls_ca_file = cfg->tls_cacert;
    o->tls_ca_dir = cfg->tls_cacertdir;
    o->tls_cert_file = cfg->tls_cert;
    o->tls_key_file = cfg->tls_key;
    o->tls_server_name = cfg->tls_sni;
}

/* libpairdb's TLS failures in the words redis-cli uses for them: set-up
 * problems (files) before any connection, handshake failures after it.
 * Returns 1 when msg was one of those (printed). */
static int print_tls_failure(const cli_config *cfg, const char *msg) {
    static const char hs[] = "TLS handshake with ";
    if (strncmp(msg, "TLS: loading the CA certificates", 32) == 0) {
        fprintf(stderr, "Could not negotiate a TLS connection: "
                        "Invalid CA Certificate File/Directory\n");
        return 1;
    }
    if (strncmp(msg, "TLS: loading the client certificate", 35) == 0) {
        fprintf(stderr, "Could not negotiate a TLS connection: Invalid client certificate\n");
        return 1;
    }
    if (strncmp(msg, hs, sizeof hs - 1) != 0) return 0;
    const char *why = strstr(msg + sizeof hs - 1, ": ");
    if (!why) return 0;
    why += 2;
    fprintf(stderr, "Could not connect to PairDB at ");
    print_target(stderr, cfg);
    /* "certificate verify failed: <detail>": OpenSSL's reason alone. */
    int n = strncmp(why, "certificate verify failed", 25) == 0 ? 25 : (int)strlen(why);
    fprintf(stderr, ": SSL_connect failed: %.*s\n", n, why);
    return 1;
}

int cli_connect(cli_session *s) {
    cli_config *cfg = s->cfg;
    if (!s->conn) {
        pdb_options o;
        pdb_options_init(&o);
        o.host = cfg->host;
        o.port = cfg->port;
        o.unix_path = cfg->socket_path;
        o.protocol = 2;
        o.connect_timeout_ms = 10000;
        o.reconnect_attempts = 0; /* the prompt reconnects, explicitly */
        o.breaker_threshold = 0;
        if (cfg->tls) tls_options(cfg, &o);
        s->conn = pdb_connect(&o);
    } else {
        pdb_reconnect(s->conn);
    }
    if (pdb_err(s->conn) == PDB_OK && handshake(s) == 0) return 0;
    if (cfg->tls && print_tls_failure(cfg, pdb_errstr(s->conn))) return -1;
    fprintf(stderr, "Could not connect to PairDB at ");
    print_target(stderr, cfg);
    fprintf(stderr, ": %s\n", pdb_errstr(s->conn));
    return -1;
}

/* ---- running commands ---- */

static int is_subscribe(const char *name) {
    return !strcasecmp(name, "subscribe") || !strcasecmp(name, "psubscribe") ||
           !strcasecmp(name, "ssubscribe");
}

static void print_reply(cli_session *s, const pdb_reply *r) {
    cli_buf out = {0};
    cli_format_reply(&out, r, s->cfg->output);
    fwrite(out.p, 1, out.len, stdout);
    fflush(stdout);
    cli_buf_free(&out);
}

/* Pub/sub and MONITOR: everything the server sends, until the connection
 * ends or the user interrupts (SIGINT). */
static int stream_replies(cli_session *s) {
    for (;;) {
        pdb_reply *r = NULL;
        int rc = pdb_get_reply(s->conn, &r);
        if (rc != PDB_OK && rc != PDB_ERR_SERVER) {
            pdb_reply_free(r);
            if (rc != PDB_ERR_TIMEOUT) {
                fprintf(stderr, "Error: %s\n", pdb_errstr(s->conn));
                return -1;
            }
            continue;
        }
        print_reply(s, r);
        pdb_reply_free(r);
    }
}

static void note_select(cli_session *s, int argc, char **argv, const pdb_reply *r) {
    long long db;
    if (argc == 2 && !strcasecmp(argv[0], "select") && pdb_reply_type(r) == PDB_REPLY_STATUS &&
        parse_int(argv[1], 0, 1 << 30, &db) == 0)
        s->db_now = (int)db;
}

int cli_run_command(cli_session *s, int argc, char **argv, size_t *lens, int error_exit) {
    int subscribing = is_subscribe(argv[0]);
    int monitoring = !strcasecmp(argv[0], "monitor");
    if (subscribing && s->cfg->output != CLI_OUT_RAW)
        printf("Reading messages... (press Ctrl-C to quit)\n");
    pdb_reply *r = NULL;
    int rc = pdb_append_command_argv(s->conn, argc, (const char *const *)argv, lens);
    if (rc == PDB_OK) rc = pdb_get_reply(s->conn, &r);
    if (rc != PDB_OK && rc != PDB_ERR_SERVER) {
        fprintf(stderr, "Error: %s\n", pdb_errstr(s->conn));
        pdb_reply_free(r);
        return -1;
    }
    int failed = pdb_reply_type(r) == PDB_REPLY_ERROR;
    if (failed && error_exit) {
        pdb_view v = pdb_reply_view(r);
        fprintf(stderr, "%.*s\n", (int)v.len, v.ptr);
    } else {
        print_reply(s, r);
    }
    note_select(s, argc, argv, r);
    pdb_reply_free(r);
    if (!failed && (subscribing || monitoring)) return stream_replies(s);
    return failed;
}

/* ---- argv mode ---- */

static void sleep_seconds(double secs) {
    if (secs <= 0) return;
    struct timespec ts;
    ts.tv_sec = (time_t)secs;
    ts.tv_nsec = (long)((secs - (double)ts.tv_sec) * 1e9);
    while (nanosleep(&ts, &ts) != 0 && errno == EINTR) {
    }
}

/* Reads all of stdin (-x), bounded. Returns 0 or -1. */
static int read_stdin_all(cli_buf *b) {
    char chunk[65536];
    size_t n;
    while ((n = fread(chunk, 1, sizeof chunk, stdin)) > 0) {
        if (b->len + n > CLI_MAX_STDIN_ARG) {
            fprintf(stderr, "Input from stdin is too long\n");
            return -1;
        }
        cli_buf_add(b, chunk, n);
    }
    return ferror(stdin) ? -1 : 0;
}

static int run_argv(cli_session *s, int argc, char **argv) {
    cli_buf last = {0};
    char **args = calloc((size_t)argc + 1, sizeof *args);
    size_t *lens = calloc((size_t)argc + 1, sizeof *lens);
    if (!args || !lens) abort();
    for (int i = 0; i < argc; i++) {
        args[i] = argv[i];
        lens[i] = strlen(argv[i]);
    }
    int n = argc, code = 0;
    if (s->cfg->stdin_last_arg) {
        if (read_stdin_all(&last) != 0) {
            code = 1;
            goto done;
        }
        args[n] = last.p ? last.p : "";
        lens[n++] = last.len;
    }
    long long times = s->cfg->repeat; /* negative: forever */
    for (long long k = 0; times < 0 || k < times; k++) {
        int rc = cli_run_command(s, n, args, lens, s->cfg->error_exit);
        if (rc < 0 || (rc > 0 && s->cfg->error_exit)) {
            code = 1;
            break;
        }
        if (times < 0 || k + 1 < times) sleep_seconds(s->cfg->interval_s);
    }
done:
    cli_buf_free(&last);
    free(args);
    free(lens);
    return code;
}

static void config_defaults(cli_config *cfg) {
    memset(cfg, 0, sizeof *cfg);
    snprintf(cfg->host, sizeof cfg->host, "127.0.0.1");
    cfg->port = 6379;
    cfg->repeat = 1;
    cfg->output = isatty(STDOUT_FILENO) ? CLI_OUT_TTY : CLI_OUT_RAW;
    cfg->hints = 1;
}

int main(int argc, char **argv) {
    cli_config cfg;
    config_defaults(&cfg);
    int first = parse_options(&cfg, argc, argv);
    if (first == -2) return 0;
    if (first < 0) return 1;
    if (cfg.password && !cfg.no_auth_warning)
        fprintf(stderr, "Warning: Using a password with '-a' or '-u' option on the command line "
                        "interface may not be safe.\n");
    if (cfg.repeat == 0) return 0; /* -r 0: nothing to do */
    cli_session s = {.cfg = &cfg};
    int code;
    if (argc - first > 0 || cfg.pipe_mode) {
        if (cli_connect(&s) != 0)
            code = 1;
        else if (cfg.pipe_mode)
            code = cli_pipe(&s);
        else
            code = run_argv(&s, argc - first, argv + first);
    } else {
        code = cli_repl(&s, isatty(STDIN_FILENO));
    }
    if (s.conn) pdb_free(s.conn);
    cli_help_free();
    return code;
}
