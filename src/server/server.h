/*
 * server.h - process-level facts and actions owned by main.c.
 *
 * Deliberately small: the loop, identity (run id, executable), and the
 * shutdown request. Defined in server.c; main.c sets them at start-up. Subsystems keep their own state behind their own
 * headers.
 */
#ifndef PAIRDB_SERVER_H
#define PAIRDB_SERVER_H

#include "server/loop.h"

#define PAIRDB_VERSION "0.1.0"
/* What INFO and HELLO report as redis_version: clients gate features on it,
 * and PairDB implements the Redis 7.0 command set. */
#define PAIRDB_REDIS_COMPAT_VERSION "7.0.15"

loop *server_loop(void);           /* NULL outside a running server */
void server_set_loop(loop *l);
const char *server_run_id(void);
const char *server_executable(void);
/* A random run id and the path of the running binary. */
void server_init_identity(const char *argv0);
int server_tcp_port(void);          /* the port actually bound (port 0 resolved) */
void server_set_tcp_port(int port);

enum { SHUTDOWN_DEFAULT = 0, SHUTDOWN_NOSAVE = 1, SHUTDOWN_SAVE = 2, SHUTDOWN_NOW = 4,
       SHUTDOWN_FORCE = 8 };
/* Asks the loop to stop after this iteration and exit cleanly. */
void server_request_shutdown(int flags);
int server_shutting_down(void);
int server_shutdown_flags(void);
/* A shutdown whose final save failed is called off (as Redis refuses it). */
void server_cancel_shutdown(void);

#endif
