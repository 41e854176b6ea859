/*
 * harness.c - runner, server processes and the fake server (see harness.h).
 */
#include "harness.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

const target *tg;

static test_case *tests, **tests_tail = &tests;
static int failed_now;
static const char *current_name;

void test_register(test_case *t) {
    *tests_tail = t;
    tests_tail = &t->next;
}

void test_fail(const char *file, int line, const char *fmt, ...) {
    va_list ap;
    if (failed_now) return;
    failed_now = 1;
    fprintf(stderr, "FAIL %s [%s] at %s:%d: ", current_name, tg ? tg->name : "-", file, line);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
}

long long now_ms(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

void sleep_ms(int ms) {
    struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
    while (nanosleep(&ts, &ts) != 0) {
    }
}

static int bindable(int port) {
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    int ok = bind(fd, (struct sockaddr *)&sa, sizeof sa) == 0;
    close(fd);
    return ok;
}

int free_port(void) {
    const char *spec = getenv("PAIRDB_TEST_PORTS");
    int lo = 0, hi = 0;
    if (spec && sscanf(spec, "%d-%d", &lo, &hi) == 2 && lo > 0 && hi >= lo && hi < 65536) {
        for (int i = 0; i < 500; i++) {
            int p = lo + rand() % (hi - lo + 1);
            if (bindable(p)) return p;
        }
        return -1;
    }
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in sa = {.sin_family = AF_INET};
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof sa;
    int port = -1;
    if (bind(fd, (struct sockaddr *)&sa, sizeof sa) == 0 &&
        getsockname(fd, (struct sockaddr *)&sa, &len) == 0)
        port = ntohs(sa.sin_port);
    close(fd);
    return port;
}

/* ---- server processes ---- */

#define MAX_LIVE 8
static server *live[MAX_LIVE];

/* A test that aborts (a failed assertion, glibc's double-free check) or is
 * interrupted must not leave its servers running: the handler kills every
 * live one, then dies of the same signal. A bad access is left to the
 * sanitizers' own handler, whose report matters more. */
static void kill_live_and_die(int sig) {
    for (int i = 0; i < MAX_LIVE; i++)
        if (live[i] && live[i]->pid > 0) kill(live[i]->pid, SIGKILL);
    signal(sig, SIG_DFL);
    raise(sig);
}

static void track(server *s, int on) {
    static int handlers;
    if (!handlers) {
        int sigs[] = {SIGABRT, SIGINT, SIGTERM};
        for (size_t i = 0; i < sizeof sigs / sizeof sigs[0]; i++)
            signal(sigs[i], kill_live_and_die);
        handlers = 1;
    }
    for (int i = 0; i < MAX_LIVE; i++) {
        if (on && !live[i]) {
            live[i] = s;
            return;
        }
        if (!on && live[i] == s) {
            live[i] = NULL;
            return;
        }
    }
}

static pid_t spawn(server *s) {
    char port[16], log[300];
    snprintf(port, sizeof port, "%d", s->port);
    snprintf(log, sizeof log, "%s/server.log", s->dir);
    char *argv[48];
    int n = 0;
    argv[n++] = (char *)tg->bin;
    const char *fixed[] = {"--port",
                           port,
                           "--bind",
                           "127.0.0.1",
                           "--dir",
                           s->dir,
                           "--save",
                           "",
                           "--appendonly",
                           "no",
                           "--unixsocket",
                           s->sock,
                           "--unixsocketperm",
                           "700",
                           "--enable-debug-command",
                           "yes"};
    for (size_t i = 0; i < sizeof fixed / sizeof fixed[0]; i++)
        argv[n++] = (char *)fixed[i];
    for (int i = 0; i < s->nextra; i++)
        argv[n++] = s->extra[i];
    argv[n] = NULL;
    pid_t pid = fork();
    if (pid == 0) {
        int fd = open(log, O_WRONLY | O_CREAT | O_APPEND, 0600);
        if (fd >= 0) {
            dup2(fd, 1);
            dup2(fd, 2);
        }
        if (chdir(s->dir) != 0) _exit(126);
        execv(argv[0], argv);
        _exit(127);
    }
    return pid;
}

static int answers_ping(const server *s) {
    pdb_options o = server_options(s);
    o.protocol = 2;
    o.connect_timeout_ms = 200;
    o.reconnect_attempts = 0;
    o.breaker_threshold = 0;
    pdb_conn *c = pdb_connect(&o);
    int ok = 0;
    if (!pdb_err(c)) {
        pdb_reply *r = pdb_command(c, "PING");
        /* A server still loading, or one that demands AUTH, is up too. */
        ok = r != NULL || pdb_err(c) == PDB_ERR_SERVER;
        pdb_reply_free(r);
    } else if (pdb_err(c) == PDB_ERR_SERVER) {
        ok = 1;
    }
    pdb_free(c);
    return ok;
}

static int wait_up(server *s) {
    for (long long end = now_ms() + 10000; now_ms() < end; sleep_ms(20)) {
        if (answers_ping(s)) return 0;
        int st;
        if (waitpid(s->pid, &st, WNOHANG) == s->pid) {
            s->pid = 0;
            return -1;
        }
    }
    return -1;
}

server *server_start(const char *first_extra, ...) {
    server *s = calloc(1, sizeof(*s));
    snprintf(s->dir, sizeof s->dir, "/tmp/pdbclient-XXXXXX");
    if (!mkdtemp(s->dir)) {
        test_fail(__FILE__, __LINE__, "mkdtemp: %s", strerror(errno));
        free(s);
        return NULL;
    }
    snprintf(s->sock, sizeof s->sock, "%s/s.sock", s->dir);
    va_list ap;
    va_start(ap, first_extra);
    for (const char *a = first_extra; a && s->nextra < 16; a = va_arg(ap, const char *))
        s->extra[s->nextra++] = strdup(a);
    va_end(ap);
    track(s, 1);
    for (int attempt = 0; attempt < 3; attempt++) {
        s->port = free_port();
        s->pid = spawn(s);
        if (wait_up(s) == 0) return s;
        server_stop(s);
    }
    test_fail(__FILE__, __LINE__, "could not start %s (log in %s)", tg->bin, s->dir);
    return s->pid = 0, s;
}

void server_stop(server *s) {
    if (!s || s->pid <= 0) return;
    kill(s->pid, SIGTERM);
    for (int i = 0; i < 250; i++) {
        if (waitpid(s->pid, NULL, WNOHANG) == s->pid) {
            s->pid = 0;
            return;
        }
        sleep_ms(20);
    }
    kill(s->pid, SIGKILL);
    waitpid(s->pid, NULL, 0);
    s->pid = 0;
}

int server_restart(server *s) {
    server_stop(s);
    s->pid = spawn(s);
    return wait_up(s);
}

void server_free(server *s) {
    if (!s) return;
    server_stop(s);
    track(s, 0);
    char cmd[320];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", s->dir);
    if (system(cmd) != 0) fprintf(stderr, "could not remove %s\n", s->dir);
    for (int i = 0; i < s->nextra; i++)
        free(s->extra[i]);
    free(s);
}

pdb_options server_options(const server *s) {
    pdb_options o;
    pdb_options_init(&o);
    o.port = s->port;
    o.command_timeout_ms = 10000;
    return o;
}

/* ---- fake server ---- */

struct fake_server {
    int lfd, port;
    const char *const *chunks;
    int nchunks;
    volatile int stop;
    pthread_t th;
};

/* Waits for fd to be readable while not asked to stop; 1 ready, 0 stop. */
static int wait_readable(fake_server *f, int fd) {
    while (!f->stop) {
        struct pollfd p = {.fd = fd, .events = POLLIN};
        if (poll(&p, 1, 20) > 0) return 1;
    }
    return 0;
}

static void serve_one(fake_server *f, int fd) {
    char buf[4096];
    for (int i = 0; i < f->nchunks; i++) {
        if (!wait_readable(f, fd) || read(fd, buf, sizeof buf) <= 0) return;
        if (!f->chunks[i]) {
            /* Silent: swallow everything until asked to stop. */
            while (wait_readable(f, fd) && read(fd, buf, sizeof buf) > 0) {
            }
            return;
        }
        size_t len = strlen(f->chunks[i]);
        if (write(fd, f->chunks[i], len) != (ssize_t)len) return;
    }
}

static void *fake_main(void *arg) {
    fake_server *f = arg;
    while (wait_readable(f, f->lfd)) {
        int fd = accept(f->lfd, NULL, NULL);
        if (fd < 0) continue;
        serve_one(f, fd);
        close(fd);
    }
    return NULL;
}

fake_server *fake_start(const char *const *chunks, int nchunks) {
    fake_server *f = calloc(1, sizeof(*f));
    f->chunks = chunks;
    f->nchunks = nchunks;
    f->lfd = socket(AF_INET, SOCK_STREAM, 0);
    int one = 1;
    setsockopt(f->lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    for (int i = 0; i < 20; i++) {
        struct sockaddr_in sa = {.sin_family = AF_INET};
        sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        f->port = free_port();
        sa.sin_port = htons((uint16_t)f->port);
        if (bind(f->lfd, (struct sockaddr *)&sa, sizeof sa) == 0) break;
    }
    listen(f->lfd, 8);
    pthread_create(&f->th, NULL, fake_main, f);
    return f;
}

int fake_port(const fake_server *f) {
    return f->port;
}

void fake_stop(fake_server *f) {
    f->stop = 1;
    pthread_join(f->th, NULL);
    close(f->lfd);
    free(f);
}

/* ---- runner ---- */

static int run_one(test_case *t, int *passed, int *failed) {
    current_name = t->name;
    failed_now = 0;
    t->fn();
    for (int i = 0; i < MAX_LIVE; i++)
        if (live[i]) server_free(live[i]);
    if (failed_now)
        (*failed)++;
    else
        (*passed)++;
    printf("%s %s [%s]\n", failed_now ? "FAIL" : "ok", t->name, tg ? tg->name : "-");
    fflush(stdout);
    return !failed_now;
}

int main(int argc, char **argv) {
    signal(SIGPIPE, SIG_IGN);
    srand((unsigned)(time(NULL) ^ getpid()));
    const char *pairdb = getenv("PAIRDB_SERVER");
    const char *redis = getenv("REDIS_SERVER");
    target targets[2] = {{"pairdb", pairdb ? pairdb : "build/pairdb-server", 0},
                         {"redis", redis ? redis : "/usr/bin/redis-server", 1}};
    /* Servers run in their own directories: make the paths absolute. */
    static char abs_bin[2][4096];
    for (int i = 0; i < 2; i++)
        if (targets[i].bin[0] != '/' && realpath(targets[i].bin, abs_bin[i]))
            targets[i].bin = abs_bin[i];
    const char *only = argc > 1 ? argv[1] : NULL;
    int passed = 0, failed = 0;
    for (test_case *t = tests; t; t = t->next) {
        if (only && !strstr(t->name, only)) continue;
        if (t->on & ON_NONE) {
            tg = NULL;
            run_one(t, &passed, &failed);
            continue;
        }
        for (int i = 0; i < 2; i++) {
            if (!(t->on & (i == 0 ? ON_PAIRDB : ON_REDIS))) continue;
            tg = &targets[i];
            if (access(tg->bin, X_OK) != 0) {
                /* A missing server is a failure, never a silent skip. */
                tg = &targets[i];
                current_name = t->name;
                failed_now = 0;
                test_fail(__FILE__, __LINE__, "server binary %s not found", tg->bin);
                failed++;
                continue;
            }
            run_one(t, &passed, &failed);
        }
    }
    printf("client: %d passed, %d failed\n", passed, failed);
    return failed ? 1 : 0;
}
