/*
 * harness.h - a small test harness for the client library: assertions,
 * servers started in temporary directories on free ports, and a scripted
 * fake server for replies no real server sends.
 *
 * Each test runs once per target (pairdb-server, then redis-server) unless it
 * names one; tg is the current target. The run closes with the line
 * "client: N passed, N failed".
 */
#ifndef PDB_TEST_HARNESS_H
#define PDB_TEST_HARNESS_H

#include <stdio.h>
#include <string.h>
#include <sys/types.h>

#include "../../include/pairdb.h"

enum { ON_NONE = 1, ON_PAIRDB = 2, ON_REDIS = 4, ON_BOTH = ON_PAIRDB | ON_REDIS };
/* A case that builds its own Redis Cluster from redis-server processes
 * (PairDB has no cluster mode): it runs once, with tg the redis target. */
enum { ON_CLUSTER = ON_REDIS };

typedef struct target {
    const char *name; /* "pairdb" or "redis" */
    const char *bin;
    int is_redis;
} target;

extern const target *tg;

typedef struct test_case {
    const char *name;
    void (*fn)(void);
    int on;
    struct test_case *next;
} test_case;

void test_register(test_case *t);
void test_fail(const char *file, int line, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

#define TEST(name, on)                                                                             \
    static void name(void);                                                                        \
    static test_case tc_##name = {#name, name, on, NULL};                                          \
    __attribute__((constructor)) static void tc_reg_##name(void) {                                 \
        test_register(&tc_##name);                                                                 \
    }                                                                                              \
    static void name(void)

#define CHECK(cond)                                                                                \
    do {                                                                                           \
        if (!(cond)) {                                                                             \
            test_fail(__FILE__, __LINE__, "CHECK(%s)", #cond);                                     \
            return;                                                                                \
        }                                                                                          \
    } while (0)

#define CHECK_INT(a, b)                                                                            \
    do {                                                                                           \
        long long a_ = (long long)(a), b_ = (long long)(b);                                        \
        if (a_ != b_) {                                                                            \
            test_fail(__FILE__, __LINE__, "%s == %lld, expected %lld", #a, a_, b_);                \
            return;                                                                                \
        }                                                                                          \
    } while (0)

#define CHECK_STR(s, want)                                                                         \
    do {                                                                                           \
        const char *s_ = (s);                                                                      \
        if (!s_ || strcmp(s_, (want)) != 0) {                                                      \
            test_fail(__FILE__, __LINE__, "%s == \"%s\", expected \"%s\"", #s, s_ ? s_ : "(null)", \
                      (want));                                                                     \
            return;                                                                                \
        }                                                                                          \
    } while (0)

/* A reply of a type with this text; frees nothing. */
#define CHECK_REPLY(r, type, text)                                                                 \
    do {                                                                                           \
        const pdb_reply *r_ = (r);                                                                 \
        CHECK(r_ != NULL);                                                                         \
        CHECK_INT(pdb_reply_type(r_), type);                                                       \
        CHECK_STR(pdb_reply_str(r_), text);                                                        \
    } while (0)

/* A server process. */
typedef struct server {
    pid_t pid;
    int port;
    char dir[256];
    char sock[300];
    char *extra[16];
    int nextra;
} server;

/* Starts the current target with extra "--opt value" arguments (NULL-ended)
 * and waits until it answers PING; NULL on failure (recorded). */
server *server_start(const char *first_extra, ...);
/* Stops it (SIGTERM, then SIGKILL) and keeps the port and directory. */
void server_stop(server *s);
/* Starts it again on the same port; 0 on success. */
int server_restart(server *s);
/* Stops it if running and removes its directory. */
void server_free(server *s);

/* Options for 127.0.0.1:s->port with the defaults. */
pdb_options server_options(const server *s);

/* A listening socket on a free port in the range that accepts and then
 * answers each read with the next chunk of a script (NULL chunk: stay silent
 * forever; the script ends: close). Runs in a thread. */
typedef struct fake_server fake_server;
fake_server *fake_start(const char *const *chunks, int nchunks);
int fake_port(const fake_server *f);
void fake_stop(fake_server *f);

/* A free port in PAIRDB_TEST_PORTS ("lo-hi") or from the kernel. */
int free_port(void);
long long now_ms(void);
void sleep_ms(int ms);

#endif
