/*
 * server.h - process-level facts and actions owned by main.c.
 *
 * Deliberately small: the loop, identity (run id, executable), the
 * shutdown request and whether the dataset is loading. Defined in server.c;
 * main.c sets them at start-up. Subsystems keep their own state behind
 * their own headers.
 *
 * The core never calls the layers above it (persistence, scripting, the
 * admin port, src/app). What it must ask them is set here or in the module
 * that asks, by the upper layer at start-up: the loading flag (recovery),
 * the final step before a shutdown (persistence).
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
/* What must succeed before the process stops (the final save): returns 0
 * to go on, -1 to refuse the shutdown. Set once at start-up; without one,
 * a shutdown always goes on. */
void server_set_shutdown_prepare(int (*prepare)(int flags));
int server_prepare_shutdown(int flags);

/* 1 while recovery loads the dataset: commands without CMD_LOADING get
 * -LOADING. Set by recovery, read by the dispatcher and the timer. */
void server_set_loading(int loading);
int server_loading(void);

#endif
