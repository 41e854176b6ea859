/*
 * log.c - the server log (see log.h).
 */
#include "server/log.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include "server/config.h"

/* syslog.h defines LOG_DEBUG... as macros with other values than the
 * config's level enum: it comes last and only the table below uses it. */
#include <syslog.h>

#define LOG_MESSAGE_MAX 1024
/* A message escaped for JSON grows at most 6 times (\u00XX). */
#define LOG_LINE_MAX (LOG_MESSAGE_MAX * 6 + 256)

static const int syslog_priority[] = {LOG_DEBUG, LOG_INFO, LOG_NOTICE, LOG_WARNING};
static const int syslog_facilities[] = {LOG_USER,   LOG_LOCAL0, LOG_LOCAL1, LOG_LOCAL2, LOG_LOCAL3,
                                        LOG_LOCAL4, LOG_LOCAL5, LOG_LOCAL6, LOG_LOCAL7};
static const char *const level_names[] = {"debug", "verbose", "notice", "warning"};

static int log_fd = -1;  /* -1: not opened yet */
static pid_t server_pid; /* 0 before log_init */
static int syslog_open;
static volatile sig_atomic_t reopen_requested;

/* Settings CONFIG SET may change while the log's thread logs: read once,
 * atomically, as the log writer reads appendfsync. */
static int setting(const int *field) {
    return __atomic_load_n(field, __ATOMIC_RELAXED);
}

static int log_to_stdout(void) {
    return !cfg->logfile || !cfg->logfile[0];
}

/* The path as resolved when logging started. A relative logfile names a
 * file in `dir`, as in Redis (which changes into dir while reading its
 * configuration); the server changes into dir only later, and a reopen
 * must find the same file. */
static char log_path[PATH_MAX];

static int open_logfile(void) {
    const char *path = log_path[0] ? log_path : cfg->logfile;
    return open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
}

static void resolve_log_path(void) {
    char cwd[PATH_MAX];
    const char *dir = cfg->dir && cfg->dir[0] ? cfg->dir : ".";
    int fits;
    if (cfg->logfile[0] == '/')
        fits = snprintf(log_path, sizeof log_path, "%s", cfg->logfile) < (int)sizeof log_path;
    else if (dir[0] == '/')
        fits =
            snprintf(log_path, sizeof log_path, "%s/%s", dir, cfg->logfile) < (int)sizeof log_path;
    else if (getcwd(cwd, sizeof cwd))
        fits = snprintf(log_path, sizeof log_path, "%s/%s/%s", cwd, dir, cfg->logfile) <
               (int)sizeof log_path;
    else
        fits = 0;
    if (!fits) log_path[0] = '\0'; /* fall back to the name as configured */
}

/* The descriptor number never changes once chosen, so a thread writing
 * while another reopens writes to the old file or the new, never to a
 * closed or reused descriptor. */
void log_reopen(void) {
    if (log_to_stdout()) return;
    int fd = open_logfile();
    if (fd < 0) return; /* keep writing where we were */
    if (log_fd < 0) {
        log_fd = fd;
        return;
    }
    dup2(fd, log_fd);
    close(fd);
}

static int current_fd(void) {
    if (log_to_stdout()) return STDOUT_FILENO;
    if (__atomic_exchange_n(&reopen_requested, 0, __ATOMIC_SEQ_CST) || log_fd < 0) log_reopen();
    return log_fd;
}

static void on_sighup(int sig) {
    (void)sig;
    reopen_requested = 1;
}

void log_init(void) {
    server_pid = getpid();
    if (!log_to_stdout()) {
        resolve_log_path();
        log_reopen();
    }
    if (cfg->syslog_enabled && !syslog_open) {
        int facility = cfg->syslog_facility;
        if (facility < 0 || facility > 8) facility = 1;
        openlog(cfg->syslog_ident ? cfg->syslog_ident : "pairdb", LOG_PID | LOG_NDELAY | LOG_NOWAIT,
                syslog_facilities[facility]);
        syslog_open = 1;
    }
    struct sigaction sa = {0};
    sa.sa_handler = on_sighup;
    sigemptyset(&sa.sa_mask);
    sa.sa_flags = SA_RESTART;
    sigaction(SIGHUP, &sa, NULL);
}

/* ---- formatting ---------------------------------------------------------------- */

typedef struct line_buf {
    char data[LOG_LINE_MAX];
    size_t len;
} line_buf;

/* Both appenders keep the last byte free for the line's newline. */
static void put(line_buf *b, const char *s, size_t n) {
    if (n > sizeof b->data - 1 - b->len) n = sizeof b->data - 1 - b->len;
    memcpy(b->data + b->len, s, n);
    b->len += n;
}

static void putf(line_buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void putf(line_buf *b, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(b->data + b->len, sizeof b->data - b->len, fmt, ap);
    va_end(ap);
    if (n <= 0) return;
    size_t room = sizeof b->data - 1 - b->len;
    b->len += (size_t)n < room ? (size_t)n : room;
}

/* Quoted and escaped so that one message is one JSON string or logfmt
 * value whatever bytes it holds: quotes, backslashes, control bytes and
 * (JSON only, to stay valid UTF-8) bytes above 0x7f are escaped. */
static void put_quoted(line_buf *b, const char *s, int json) {
    put(b, "\"", 1);
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        char esc[8];
        if (*p == '"' || *p == '\\') {
            esc[0] = '\\';
            esc[1] = (char)*p;
            put(b, esc, 2);
        } else if (*p == '\n') {
            put(b, "\\n", 2);
        } else if (*p == '\r') {
            put(b, "\\r", 2);
        } else if (*p == '\t') {
            put(b, "\\t", 2);
        } else if (*p < 0x20 || *p == 0x7f || (json && *p > 0x7f)) {
            snprintf(esc, sizeof esc, "\\u%04x", *p);
            put(b, esc, 6);
        } else {
            put(b, (const char *)p, 1);
        }
    }
    put(b, "\"", 1);
}

static void format_timestamp(char *out, size_t len, const struct timeval *tv, int format) {
    if (format == LOG_TIMESTAMP_MILLISECONDS) {
        snprintf(out, len, "%lld", (long long)tv->tv_sec * 1000 + tv->tv_usec / 1000);
        return;
    }
    struct tm tm;
    localtime_r(&tv->tv_sec, &tm);
    int ms = (int)(tv->tv_usec / 1000);
    if (format == LOG_TIMESTAMP_ISO8601) {
        char zone[8];
        size_t n = strftime(out, len, "%Y-%m-%dT%H:%M:%S", &tm);
        strftime(zone, sizeof zone, "%z", &tm); /* +hhmm: ISO 8601 wants +hh:mm */
        snprintf(out + n, len - n, ".%03d%.3s:%.2s", ms, zone, zone + 3);
        return;
    }
    size_t n = strftime(out, len, "%d %b %Y %H:%M:%S", &tm);
    snprintf(out + n, len - n, ".%03d", ms);
}

static void format_line(line_buf *b, int level, const char *msg) {
    struct timeval tv;
    gettimeofday(&tv, NULL);
    char ts[64];
    int format = setting(&cfg->log_format);
    format_timestamp(ts, sizeof ts, &tv, setting(&cfg->log_timestamp_format));
    pid_t pid = getpid();
    int child = server_pid && pid != server_pid;
    if (format == LOG_FORMAT_JSON) {
        putf(b, "{\"pid\":%d,\"role\":\"%s\",\"timestamp\":", (int)pid,
             child ? "child" : "primary");
        put_quoted(b, ts, 1);
        putf(b, ",\"level\":\"%s\",\"message\":", level_names[level]);
        put_quoted(b, msg, 1);
        put(b, "}", 1);
    } else if (format == LOG_FORMAT_LOGFMT) {
        putf(b, "pid=%d role=%s timestamp=", (int)pid, child ? "child" : "primary");
        put_quoted(b, ts, 0);
        putf(b, " level=%s message=", level_names[level]);
        put_quoted(b, msg, 0);
    } else {
        static const char marks[] = ".-*#";
        putf(b, "%d:%c %s %c %s", (int)pid, child ? 'C' : 'M', ts, marks[level], msg);
    }
    b->data[b->len++] = '\n'; /* put() and putf() always leave this byte */
}

static void write_all(int fd, const char *p, size_t n) {
    while (n > 0) {
        ssize_t w = write(fd, p, n);
        if (w < 0 && errno == EINTR) continue;
        if (w <= 0) return; /* a log that cannot be written is not worth a crash */
        p += w;
        n -= (size_t)w;
    }
}

void log_msg(int level, const char *fmt, ...) {
    if (level < 0 || level > 3) level = 3; /* warning */
    if (level < setting(&cfg->loglevel)) return;
    char msg[LOG_MESSAGE_MAX];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    line_buf b;
    b.len = 0;
    format_line(&b, level, msg);
    int fd = current_fd();
    if (fd >= 0) write_all(fd, b.data, b.len);
    if (syslog_open) syslog(syslog_priority[level], "%s", msg);
}
