/*
 * log.h - the server log.
 *
 * Lines look like Redis's: "pid:M 22 Nov 2026 23:04:41.123 * message",
 * with '.' debug, '-' verbose, '*' notice, '#' warning. Written to the
 * logfile (or stdout when it is ""), filtered by loglevel.
 */
#ifndef PAIRDB_LOG_H
#define PAIRDB_LOG_H

void log_msg(int level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Reopens the log file (after logfile changes or SIGHUP-style rotation). */
void log_reopen(void);

#endif
