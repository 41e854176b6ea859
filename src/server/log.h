/*
 * log.h - the server log.
 *
 * Three line formats (`log-format`):
 *   legacy  "pid:M 22 Nov 2026 23:04:41.123 * message" as Redis writes it,
 *           with '.' debug, '-' verbose, '*' notice, '#' warning, and the
 *           role M (the server) or C (a forked child: snapshots);
 *   logfmt  pid=12 role=primary timestamp="..." level=notice message="..."
 *   json    {"pid":12,"role":"primary","timestamp":"...","level":"notice","message":"..."}
 * (`plain` is accepted as another name for legacy). `log-timestamp-format`
 * picks legacy, iso8601 ("2026-11-22T23:04:41.123+00:00") or milliseconds
 * (unix ms). Lines go to `logfile` (stdout when it is "") and, with
 * `syslog-enabled`, to syslog; `loglevel` filters both.
 *
 * Rotation: after the file is renamed, SIGHUP makes the server write its
 * next line to a fresh file at the configured path. The signal handler
 * only raises a flag; whichever thread logs next reopens the file.
 *
 * Safe from any thread and from a forked child: a line is formatted on the
 * stack and written with one write(2) on an O_APPEND descriptor, and a
 * reopen swaps the file behind the same descriptor with dup2().
 *
 * Callers never pass secrets (passwords, AUTH arguments, sensitive
 * settings) to log_msg(): nothing here could tell them from other text.
 */
#ifndef PAIRDB_LOG_H
#define PAIRDB_LOG_H

void log_msg(int level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Opens the log file and syslog, remembers the server's pid (to tell
 * forked children) and installs the SIGHUP handler. Call once after
 * daemonizing; lines logged before go to the file opened on demand. */
void log_init(void);
/* Reopens the log file now (what SIGHUP requests). */
void log_reopen(void);

#endif
