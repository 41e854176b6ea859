/*
 * slowlog.h - the slow log (SLOWLOG GET/LEN/RESET/HELP).
 *
 * Commands that ran for at least `slowlog-log-slower-than` microseconds
 * (-1: never, 0: every command) are kept newest first, at most
 * `slowlog-max-len` entries. An entry is a copy: at most 32 arguments
 * (the last one then says how many more there were), each at most 128
 * bytes (then "... (N more bytes)"), with secrets replaced by
 * "(redacted)" as Redis does, so the log never holds a password.
 */
#ifndef PAIRDB_SLOWLOG_H
#define PAIRDB_SLOWLOG_H

struct client;
struct command;

/* Called once per executed command with its measured duration. */
void slowlog_record(struct client *c, const struct command *cmd, long long duration_us);
void slowlog_register(void);
void slowlog_free_all(void);

#endif
