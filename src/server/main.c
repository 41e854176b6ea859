/*
 * main.c - process start-up, the server timer, shutdown.
 *
 * Order at start: configuration (file + command line), daemonize, the
 * keyspace and command table, listeners, then the loop. Everything that
 * runs periodically is driven from one timer (server_cron) at `hz`, and
 * everything that must happen before the loop sleeps from one hook
 * (before_sleep), so the order of periodic work is visible in one place.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include "admin/admin.h"
#include "ds/dict.h"
#include "ds/mem.h"
#include "persist/persist.h"
#include "persist/recovery.h"
#include "persist/wal.h"
#include "server/acl.h"
#include "server/blocking.h"
#include "server/client.h"
#include "server/clock.h"
#include "server/command.h"
#include "server/config.h"
#include "server/db.h"
#include "server/evict.h"
#include "server/families.h"
#include "server/latency.h"
#include "server/log.h"
#include "server/net.h"
#include "server/pubsub.h"
#include "server/sdnotify.h"
#include "server/server.h"
#include "server/slowlog.h"
#include "server/stats.h"
#include "server/tracking.h"
#include "server/tls.h"

#define MAX_LISTENERS (2 * CONFIG_MAX_BIND + 1)
/* File descriptors kept free beyond maxclients for listeners, logs, and
 * later persistence files. */
#define RESERVED_FDS 32

static loop *main_loop;
static int listen_fds[MAX_LISTENERS];
static int listen_kind[MAX_LISTENERS]; /* CONN_* */
static int listen_count;
static volatile sig_atomic_t shutdown_signal;

static void on_signal(int sig) {
    shutdown_signal = sig;
    if (main_loop) loop_wake(main_loop);
}

static void on_listener(loop *l, int fd, void *data, int mask) {
    (void)l;
    (void)mask;
    client_accept_handler(fd, *(int *)data);
}

static void check_shutdown(void) {
    if (shutdown_signal && !server_shutting_down()) {
        log_msg(LOG_WARNING, "Received %s scheduling shutdown...",
                shutdown_signal == SIGINT ? "SIGINT" : "SIGTERM");
        server_request_shutdown(SHUTDOWN_DEFAULT);
    }
    if (!server_shutting_down()) return;
    if (persist_on_shutdown(server_shutdown_flags()) < 0) {
        server_cancel_shutdown(); /* logged; the server goes on, as Redis does */
        shutdown_signal = 0;
        return;
    }
    loop_stop(main_loop);
}

static long long server_cron(loop *l, long long id, void *data) {
    (void)l;
    (void)id;
    (void)data;
    long long period_us = 1000000 / (cfg->hz > 0 ? cfg->hz : 10);
    clock_cmd_start(); /* keyspace code run from here sees the time now */
    db_refresh_lru_clock();
    size_t used = mem_used();
    if ((long long)used > stats.peak_memory) stats.peak_memory = (long long)used;
    client_cron();
    if (debug_active_expire_enabled()) {
        /* A quarter of the period, as Redis's slow expire cycle, more with effort. */
        long long start = clock_mono_us();
        db_active_expire_cycle(period_us / 4 * (cfg->active_expire_effort + 3) / 4);
        stats.expire_cycle_cpu_milliseconds += (clock_mono_us() - start) / 1000;
        latency_add_sample_if_needed("expire-cycle", (clock_mono_us() - start) / 1000);
    }
    db_rehash_step(1000);
    if (cfg->maxmemory && !recovery_loading()) evict_perform();
    persist_cron();
    stats_cron();
    latency_cron();
    sdnotify_cron();
    check_shutdown();
    return period_us / 1000 > 0 ? period_us / 1000 : 1;
}

static void before_sleep(loop *l, void *data) {
    (void)l;
    (void)data;
    check_shutdown();
    blocking_handle_ready(); /* before writing: served clients' replies leave now */
    tracking_before_sleep(); /* BCAST invalidations of this iteration's writes */
    persist_before_sleep(); /* a scheduled BGSAVE forks between iterations */
    /* This iteration's effects become one log frame; replies produced in it
     * leave once the log has acknowledged it (at once without a log). */
    uint64_t observed = wal_seal();
    client_before_sleep(observed);
}

/* Called from the log's writer thread when a frame was written or synced:
 * the loop wakes up and before_sleep releases the replies that waited. */
static void on_wal_progress(void) {
    if (main_loop) loop_wake(main_loop);
}

/* "-addr" binds are optional: failing to bind them (no IPv6, say) is not
 * fatal, as in Redis. "*" and "::*" are the IPv4 and IPv6 wildcards. */
static int open_tcp_listeners(int port, int kind) {
    char err[NET_ERR_LEN];
    for (int i = 0; i < cfg->bind_count; i++) {
        const char *addr = cfg->bind[i];
        int optional = addr[0] == '-';
        if (optional) addr++;
        int fd = net_listen_tcp(addr, port, cfg->tcp_backlog, err);
        if (fd < 0) {
            if (optional && (errno == EADDRNOTAVAIL || errno == EAFNOSUPPORT ||
                             errno == EPROTONOSUPPORT)) {
                continue;
            }
            log_msg(LOG_WARNING, "%s", err);
            log_msg(LOG_WARNING, "Failed listening on port %d (%s), aborting.", port,
                    kind == CONN_TLS ? "tls" : "tcp");
            return -1;
        }
        /* INFO's tcp_port names the TLS port when it is the only one, as in Redis. */
        if ((kind == CONN_TCP || !cfg->port) && !server_tcp_port())
            server_set_tcp_port(net_bound_port(fd));
        listen_kind[listen_count] = kind;
        listen_fds[listen_count++] = fd;
    }
    return 0;
}

static int open_listeners(void) {
    char err[NET_ERR_LEN];
    if (cfg->port && open_tcp_listeners(cfg->port, CONN_TCP) < 0) return -1;
    int tls_port = (int)config_get_int("tls-port");
    if (tls_port > 0) {
        if (tls_configure() < 0) {
            log_msg(LOG_WARNING, "Failed to configure TLS. Check logs for more info.");
            return -1;
        }
        if (open_tcp_listeners(tls_port, CONN_TLS) < 0) return -1;
    }
    if (cfg->unixsocket && cfg->unixsocket[0]) {
        int fd = net_listen_unix(cfg->unixsocket, (unsigned)cfg->unixsocketperm, cfg->tcp_backlog,
                                 err);
        if (fd < 0) {
            log_msg(LOG_WARNING, "%s", err);
            return -1;
        }
        listen_kind[listen_count] = CONN_UNIX;
        listen_fds[listen_count++] = fd;
    }
    if (listen_count == 0) {
        log_msg(LOG_WARNING, "Configured to not listen anywhere, exiting.");
        return -1;
    }
    for (int i = 0; i < listen_count; i++) {
        if (loop_watch(main_loop, listen_fds[i], LOOP_READABLE, on_listener, &listen_kind[i]) <
            0) {
            log_msg(LOG_WARNING, "Unrecoverable error creating the listener event: %s",
                    strerror(errno));
            return -1;
        }
    }
    return 0;
}

static void close_listeners(void) {
    for (int i = 0; i < listen_count; i++) {
        loop_watch(main_loop, listen_fds[i], LOOP_NONE, NULL, NULL);
        close(listen_fds[i]);
    }
    listen_count = 0;
    if (cfg->unixsocket && cfg->unixsocket[0]) unlink(cfg->unixsocket);
}

/* Raises the open-file limit to fit maxclients; like Redis, lowers
 * maxclients when the system will not allow it. */
static int adjust_open_files(void) {
    struct rlimit lim;
    rlim_t want = (rlim_t)cfg->maxclients + RESERVED_FDS;
    if (getrlimit(RLIMIT_NOFILE, &lim) < 0) return cfg->maxclients;
    if (lim.rlim_cur >= want) return cfg->maxclients;
    struct rlimit nl = {want, lim.rlim_max > want ? lim.rlim_max : want};
    if (setrlimit(RLIMIT_NOFILE, &nl) == 0) return cfg->maxclients;
    nl.rlim_cur = nl.rlim_max = lim.rlim_max;
    if (lim.rlim_max > lim.rlim_cur) setrlimit(RLIMIT_NOFILE, &nl);
    getrlimit(RLIMIT_NOFILE, &lim);
    int allowed = (int)lim.rlim_cur - RESERVED_FDS;
    if (allowed < 1) allowed = 1;
    char num[32];
    snprintf(num, sizeof num, "%d", allowed);
    char err[128];
    config_set_runtime("maxclients", num, err, sizeof err);
    log_msg(LOG_WARNING, "Server can't set maximum open files to %llu because of OS error; "
            "maxclients has been reduced to %d.", (unsigned long long)want, allowed);
    return allowed;
}

static void daemonize(void) {
    if (fork() != 0) exit(0);
    setsid();
    int fd = open("/dev/null", O_RDWR);
    if (fd >= 0) {
        dup2(fd, STDIN_FILENO);
        dup2(fd, STDOUT_FILENO);
        dup2(fd, STDERR_FILENO);
        if (fd > STDERR_FILENO) close(fd);
    }
}

static void write_pidfile(void) {
    if (!cfg->pidfile || !cfg->pidfile[0]) return;
    FILE *fp = fopen(cfg->pidfile, "w");
    if (!fp) {
        log_msg(LOG_WARNING, "Failed to write PID file: %s", strerror(errno));
        return;
    }
    fprintf(fp, "%d\n", (int)getpid());
    fclose(fp);
}

static void init_identity(char **argv) {
    uint8_t seed[16];
    if (getrandom(seed, sizeof seed, 0) != sizeof seed) {
        long long t = clock_now_us() ^ (long long)getpid();
        memcpy(seed, &t, sizeof t);
        memcpy(seed + 8, &t, sizeof t);
    }
    dict_set_hash_seed(seed);
    unsigned rnd;
    memcpy(&rnd, seed, sizeof rnd);
    srand(rnd ^ (unsigned)getpid());
    server_init_identity(argv[0]);
}

/* --repair is a start-up mode, not a configuration directive: taken out of
 * argv before the configuration is parsed. */
static int take_repair_flag(int *argc, char **argv) {
    int found = 0, j = 1;
    for (int i = 1; i < *argc; i++) {
        if (strcmp(argv[i], "--repair") == 0)
            found = 1;
        else
            argv[j++] = argv[i];
    }
    *argc = j;
    argv[j] = NULL;
    return found;
}

int main(int argc, char **argv) {
    int tool = persist_tool_main(argc, argv);
    if (tool >= 0) return tool;
    int repair = take_repair_flag(&argc, argv);
    int r = config_load_args(argc, argv);
    if (r < 0) return 1;
    if (r > 0) return 0;
    if (cfg->daemonize) daemonize();
    init_identity(argv);
    log_init();
    stats_init();
    log_msg(LOG_NOTICE, "PairDB %s starting, pid=%d", PAIRDB_VERSION, (int)getpid());
    if (cfg->dir && cfg->dir[0] && chdir(cfg->dir) < 0) {
        log_msg(LOG_WARNING, "Can't chdir to '%s': %s", cfg->dir, strerror(errno));
        return 1;
    }
    int maxclients = adjust_open_files();
    main_loop = loop_new(maxclients + RESERVED_FDS + MAX_LISTENERS);
    server_set_loop(main_loop);
    if (!main_loop) {
        log_msg(LOG_WARNING, "Failed creating the event loop: %s", strerror(errno));
        return 1;
    }
    db_init_all(cfg->databases);
    command_register_builtins();
    /* Renames first: ACL rules name commands as clients will send them. */
    if (command_apply_renames() < 0) return 1;
    if (acl_startup() < 0) return 1;
    if (open_listeners() < 0) return 1;
    admin_start_from_config(main_loop);
    write_pidfile();
    wal_set_progress_callback(on_wal_progress);
    if (recovery_start(repair) < 0) return 1;

    struct sigaction sa = {0};
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGINT, &sa, NULL);
    signal(SIGPIPE, SIG_IGN);

    loop_set_before_sleep(main_loop, before_sleep, NULL);
    loop_timer_add(main_loop, 1, server_cron, NULL);
    log_msg(LOG_NOTICE, "Server initialized");
    log_msg(LOG_NOTICE, "Ready to accept connections%s%s%s", cfg->port ? " tcp" : "",
            cfg->unixsocket && cfg->unixsocket[0] ? " unix" : "",
            config_get_int("tls-port") > 0 ? " tls" : "");
    loop_run(main_loop);
    sdnotify_send("STOPPING=1");

    log_msg(LOG_WARNING, "User requested shutdown...");
    close_listeners();
    admin_stop();
    wal_close(); /* everything executed is now written and synced */
    client_before_sleep(0); /* flush what was already answered */
    client_free_all();
    tls_shutdown();
    blocking_free_all();
    pubsub_free_all();
    tracking_free_all();
    if (cfg->pidfile && cfg->pidfile[0]) unlink(cfg->pidfile);
    db_free_all();
    evict_free_pool();
    acl_free_all();
    slowlog_free_all();
    latency_free_all();
    command_free_all();
    loop_free(main_loop);
    server_set_loop(NULL);
    log_msg(LOG_WARNING, "PairDB is now ready to exit, bye bye...");
    config_free();
    return 0;
}
