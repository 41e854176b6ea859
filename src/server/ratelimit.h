/*
 * ratelimit.h - token-bucket rate limits beyond Redis: new connections per
 * peer address, commands per client, and a growing delay for AUTH after
 * repeated failures from one address.
 *
 * All limits are off by default (their settings are 0) and follow CONFIG SET
 * at once. Per-address state lives in a fixed-size table (RATELIMIT_SLOTS
 * entries, least recently used replaced), so a flood of addresses cannot
 * grow memory. Connection and AUTH limits key on the peer's IP address; a
 * unix-socket peer keys on the socket path (all local peers share it).
 *
 * Rejections are counted in stats: rejected_connections (connections),
 * ratelimit_rejected_commands and auth_failures_throttled.
 */
#ifndef PAIRDB_RATELIMIT_H
#define PAIRDB_RATELIMIT_H

struct client;
struct command;

/* Entries in the per-address table: 4-way sets, about 100 bytes each. */
#define RATELIMIT_SLOTS 4096

#define RATELIMIT_CONN_ERR                                                                         \
    "-ERR rate limit exceeded: too many new connections from this address "                       \
    "(maxconn-rate-per-ip)\r\n"
#define RATELIMIT_CMD_ERR "ERR rate limit exceeded: too many commands (max-commands-per-second)"

/* Whether a new connection from addr ("ip:port" as client addr shows it)
 * goes over maxconn-rate-per-ip; takes a token when it does not. */
int ratelimit_connection_refused(const char *addr);

/* Before a command runs: NULL, or the error (no leading '-') that refuses
 * it: the client's command rate, or AUTH / HELLO AUTH from an address in
 * its failed-AUTH delay. cmd may be NULL (unknown command). Internal
 * clients (no connection) are never limited. */
const char *ratelimit_refuse(struct client *c, const struct command *cmd);

/* Around a command's handler: the mark taken before it runs tells the
 * after-hook whether AUTH failed (WRONGPASS) or succeeded. */
long long ratelimit_auth_mark(const struct command *cmd);
void ratelimit_auth_done(struct client *c, const struct command *cmd, long long mark);

#endif
