/*
 * server.c - process-level facts (see server.h): the loop, the run id, the
 * executable, the bound port and the shutdown request.
 *
 * Kept out of main.c so that everything but main() is a library: unit
 * tests and fuzz targets link the command modules without stand-ins.
 */
#include "server/server.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <unistd.h>

static loop *main_loop;
static char run_id[41];
static char executable[4096];
static int tcp_port;
static int shutdown_requested;
static int shutdown_flags;
static int (*shutdown_prepare)(int flags);
static int loading;

loop *server_loop(void) {
    return main_loop;
}

void server_set_loop(loop *l) {
    main_loop = l;
}

const char *server_run_id(void) {
    return run_id;
}

const char *server_executable(void) {
    return executable;
}

void server_init_identity(const char *argv0) {
    uint8_t id[20];
    if (getrandom(id, sizeof id, 0) != sizeof id)
        for (int i = 0; i < 20; i++) id[i] = (uint8_t)rand();
    for (int i = 0; i < 20; i++) snprintf(run_id + 2 * i, 3, "%02x", id[i]);
    ssize_t n = readlink("/proc/self/exe", executable, sizeof executable - 1);
    if (n > 0)
        executable[n] = '\0';
    else
        snprintf(executable, sizeof executable, "%s", argv0);
}

int server_tcp_port(void) {
    return tcp_port;
}

void server_set_tcp_port(int port) {
    tcp_port = port;
}

void server_request_shutdown(int flags) {
    shutdown_flags = flags;
    shutdown_requested = 1;
}

int server_shutdown_flags(void) {
    return shutdown_flags;
}

void server_cancel_shutdown(void) {
    shutdown_requested = 0;
    shutdown_flags = 0;
}

int server_shutting_down(void) {
    return shutdown_requested;
}

void server_set_shutdown_prepare(int (*prepare)(int flags)) {
    shutdown_prepare = prepare;
}

int server_prepare_shutdown(int flags) {
    return shutdown_prepare ? shutdown_prepare(flags) : 0;
}

void server_set_loading(int on) {
    loading = on;
}

int server_loading(void) {
    return loading;
}
