/*
 * exec.h - the dispatcher: from a parsed command to a handler call.
 *
 * exec_command() does every check common to all commands, in Redis's
 * order: lookup (unknown command / subcommand), arity, authentication,
 * ACL permissions (acl.h), CLIENT PAUSE, maxmemory (evicting first, refusing denyoom commands when
 * nothing more can be freed), MONITOR feed; then it calls the handler and
 * records commandstats.
 */
#ifndef PAIRDB_EXEC_H
#define PAIRDB_EXEC_H

struct client;

enum { EXEC_DONE = 0, EXEC_PAUSED = 1, EXEC_BLOCKED = 2 };

/* Runs c->argv. EXEC_PAUSED: the command did not run and must be retried
 * (the client was parked until CLIENT UNPAUSE). EXEC_BLOCKED: the command
 * ran, found nothing to serve and blocked (blocking.h); it stays in the
 * query buffer. */
int exec_command(struct client *c);

struct command;
/* The call itself, after every check: runs cmd's handler on c->argv with
 * the log hooks around it, then records commandstats and feeds monitors.
 * EXEC runs each queued command through it. Returns EXEC_DONE or
 * EXEC_BLOCKED. */
int exec_call(struct client *c, struct command *cmd);

/* The layers above the core decide two refusals; they hand the dispatcher
 * their answers at start-up or when their state changes, so the core never
 * calls up into them and the common case stays one pointer test. */

/* While a script runs past busy-reply-threshold, the scripting layer sets a
 * gate: commands it does not allow get its error (-BUSY). NULL otherwise. */
typedef struct exec_busy_gate {
    int (*allows)(const struct command *cmd);
    const char *(*error)(void);
} exec_busy_gate;
void exec_set_busy_gate(const exec_busy_gate *gate);

/* Why writes must be refused now (the log cannot take them), or NULL. Set
 * once at start-up by the persistence layer; without one writes go on. */
void exec_set_write_gate(const char *(*writes_refused)(void));
/* The gate's answer, for callers that run commands themselves (scripts). */
const char *exec_writes_refused(void);

#endif
