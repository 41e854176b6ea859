/*
 * test_loop.c - unit tests for the event loop (loop_) and the socket helpers (net_).
 *
 * Real fds throughout: pipes, socketpairs, loopback TCP and unix sockets under /tmp.
 * Timing checks use generous bounds so a loaded machine or a sanitizer build does not
 * make them flaky; what they assert is ordering and "did not block forever".
 */
#include "unit.h"

#include "server/loop.h"
#include "server/net.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

/* ---- helpers ---- */

typedef struct ev_log {
    int n;
    int fds[16];
    int masks[16];
} ev_log;

static void log_cb(loop *l, int fd, void *data, int mask) {
    (void)l;
    ev_log *lg = data;
    if (lg->n < 16) {
        lg->fds[lg->n] = fd;
        lg->masks[lg->n] = mask;
    }
    lg->n++;
}

static void sleep_ms(int ms) {
    struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

static int wait_readable(int fd, int ms) {
    struct pollfd p = {.fd = fd, .events = POLLIN};
    return poll(&p, 1, ms) == 1;
}

/* ---- file events ---- */

TEST(loop_pipe_readable) {
    loop *l = loop_new(1024);
    CHECK(l != NULL);
    int p[2];
    CHECK(pipe(p) == 0);
    ev_log lg = {0};
    CHECK_INT(loop_watch(l, p[0], LOOP_READABLE, log_cb, &lg), 0);
    CHECK_INT(loop_mask(l, p[0]), LOOP_READABLE);
    CHECK_INT(loop_run_once(l, 0), 0);
    CHECK(write(p[1], "x", 1) == 1);
    CHECK_INT(loop_run_once(l, 1000), 1);
    CHECK_INT(lg.n, 1);
    CHECK_INT(lg.fds[0], p[0]);
    CHECK_INT(lg.masks[0], LOOP_READABLE);
    /* Level-triggered: unread data fires again. */
    CHECK_INT(loop_run_once(l, 0), 1);
    CHECK_INT(loop_watch(l, p[0], LOOP_NONE, NULL, NULL), 0);
    CHECK_INT(loop_mask(l, p[0]), LOOP_NONE);
    CHECK_INT(loop_run_once(l, 0), 0);
    close(p[0]);
    close(p[1]);
    loop_free(l);
}

TEST(loop_watch_errors) {
    loop *l = loop_new(8);
    CHECK(l != NULL);
    ev_log lg = {0};
    errno = 0;
    CHECK_INT(loop_watch(l, 8, LOOP_READABLE, log_cb, &lg), -1);
    CHECK_INT(errno, ERANGE);
    CHECK_INT(loop_watch(l, -1, LOOP_READABLE, log_cb, &lg), -1);
    CHECK_INT(errno, ERANGE);
    CHECK_INT(loop_watch(l, 0, 4, log_cb, &lg), -1);
    CHECK_INT(errno, EINVAL);
    CHECK_INT(loop_watch(l, 0, LOOP_READABLE, NULL, NULL), -1);
    CHECK_INT(errno, EINVAL);
    /* Removing what is not watched is fine. */
    CHECK_INT(loop_watch(l, 3, LOOP_NONE, NULL, NULL), 0);
    CHECK_INT(loop_mask(l, 100), LOOP_NONE);
    loop_free(l);
    errno = 0;
    CHECK(loop_new(0) == NULL);
    CHECK_INT(errno, EINVAL);
}

TEST(loop_mask_changes) {
    loop *l = loop_new(1024);
    int sv[2];
    CHECK(socketpair(AF_UNIX, SOCK_STREAM, 0, sv) == 0);
    ev_log lg = {0};
    CHECK_INT(loop_watch(l, sv[0], LOOP_WRITABLE, log_cb, &lg), 0);
    CHECK_INT(loop_run_once(l, 1000), 1);
    CHECK_INT(lg.masks[0], LOOP_WRITABLE);
    CHECK_INT(loop_watch(l, sv[0], LOOP_READABLE, log_cb, &lg), 0);
    CHECK_INT(loop_mask(l, sv[0]), LOOP_READABLE);
    CHECK_INT(loop_run_once(l, 0), 0);
    CHECK(write(sv[1], "ab", 2) == 2);
    CHECK_INT(loop_run_once(l, 1000), 1);
    CHECK_INT(lg.n, 2);
    CHECK_INT(lg.masks[1], LOOP_READABLE);
    /* Both directions: readable is dispatched first, each call carries one bit. */
    CHECK_INT(loop_watch(l, sv[0], LOOP_READABLE | LOOP_WRITABLE, log_cb, &lg), 0);
    CHECK_INT(loop_run_once(l, 1000), 2);
    CHECK_INT(lg.n, 4);
    CHECK_INT(lg.masks[2], LOOP_READABLE);
    CHECK_INT(lg.masks[3], LOOP_WRITABLE);
    /* Re-watching with the same mask swaps callback data only. */
    ev_log lg2 = {0};
    CHECK_INT(loop_watch(l, sv[0], LOOP_READABLE | LOOP_WRITABLE, log_cb, &lg2), 0);
    CHECK_INT(loop_run_once(l, 1000), 2);
    CHECK_INT(lg.n, 4);
    CHECK_INT(lg2.n, 2);
    CHECK_INT(loop_watch(l, sv[0], LOOP_NONE, NULL, NULL), 0);
    close(sv[0]);
    close(sv[1]);
    loop_free(l);
}

TEST(loop_hangup_reports_registered) {
    loop *l = loop_new(1024);
    int p[2];
    CHECK(pipe(p) == 0);
    ev_log lg = {0};
    CHECK_INT(loop_watch(l, p[0], LOOP_READABLE, log_cb, &lg), 0);
    close(p[1]); /* EPOLLHUP on the read end */
    CHECK_INT(loop_run_once(l, 1000), 1);
    CHECK_INT(lg.masks[0], LOOP_READABLE);
    loop_watch(l, p[0], LOOP_NONE, NULL, NULL);
    close(p[0]);
    loop_free(l);
}

/* Two readable fds; whichever callback runs first unwatches and closes the other, then
 * opens a pipe that may take the closed fd's number and watches it. The stale event must
 * reach neither the old nor the new registration. */
typedef struct unwatch_ctx {
    int fd[2];
    int calls;
    int newp[2];
    ev_log fresh;
} unwatch_ctx;

static void unwatch_other_cb(loop *l, int fd, void *data, int mask) {
    (void)mask;
    unwatch_ctx *c = data;
    c->calls++;
    int other = fd == c->fd[0] ? c->fd[1] : c->fd[0];
    if (other < 0) return;
    loop_watch(l, other, LOOP_NONE, NULL, NULL);
    close(other);
    if (other == c->fd[0])
        c->fd[0] = -1;
    else
        c->fd[1] = -1;
    if (pipe(c->newp) == 0) loop_watch(l, c->newp[0], LOOP_READABLE, log_cb, &c->fresh);
}

TEST(loop_unwatch_during_dispatch) {
    loop *l = loop_new(1024);
    int a[2], b[2];
    CHECK(socketpair(AF_UNIX, SOCK_STREAM, 0, a) == 0);
    CHECK(socketpair(AF_UNIX, SOCK_STREAM, 0, b) == 0);
    unwatch_ctx c = {.fd = {a[0], b[0]}, .newp = {-1, -1}};
    CHECK_INT(loop_watch(l, a[0], LOOP_READABLE, unwatch_other_cb, &c), 0);
    CHECK_INT(loop_watch(l, b[0], LOOP_READABLE, unwatch_other_cb, &c), 0);
    CHECK(write(a[1], "x", 1) == 1);
    CHECK(write(b[1], "x", 1) == 1);
    /* Make sure both events are in one batch. */
    sleep_ms(5);
    CHECK_INT(loop_run_once(l, 1000), 1);
    CHECK_INT(c.calls, 1);
    CHECK_INT(c.fresh.n, 0);
    CHECK(c.newp[0] >= 0);
    /* The lowest-free-fd rule makes the new pipe reuse the closed number, which is the
     * case the generation check exists for. */
    CHECK(c.newp[0] == a[0] || c.newp[0] == b[0]);
    CHECK_INT(loop_run_once(l, 0), 1); /* the survivor is still readable */
    CHECK_INT(c.calls, 2);
    CHECK_INT(c.fresh.n, 0);
    for (int i = 0; i < 2; i++) {
        if (c.fd[i] >= 0) {
            loop_watch(l, c.fd[i], LOOP_NONE, NULL, NULL);
            close(c.fd[i]);
        }
    }
    loop_watch(l, c.newp[0], LOOP_NONE, NULL, NULL);
    close(c.newp[0]);
    close(c.newp[1]);
    close(a[1]);
    close(b[1]);
    loop_free(l);
}

/* The readable call drops write interest; the writable half of the same event must not
 * run. */
static void drop_write_cb(loop *l, int fd, void *data, int mask) {
    ev_log *lg = data;
    log_cb(l, fd, data, mask);
    if (mask == LOOP_READABLE) loop_watch(l, fd, LOOP_READABLE, drop_write_cb, lg);
}

TEST(loop_mask_change_in_readable_cb) {
    loop *l = loop_new(1024);
    int sv[2];
    CHECK(socketpair(AF_UNIX, SOCK_STREAM, 0, sv) == 0);
    CHECK(write(sv[1], "x", 1) == 1);
    ev_log lg = {0};
    CHECK_INT(loop_watch(l, sv[0], LOOP_READABLE | LOOP_WRITABLE, drop_write_cb, &lg), 0);
    CHECK_INT(loop_run_once(l, 1000), 1);
    CHECK_INT(lg.n, 1);
    CHECK_INT(lg.masks[0], LOOP_READABLE);
    loop_watch(l, sv[0], LOOP_NONE, NULL, NULL);
    close(sv[0]);
    close(sv[1]);
    loop_free(l);
}

TEST(loop_resize_limits) {
    loop *l = loop_new(1024);
    int p[2];
    CHECK(pipe(p) == 0);
    ev_log lg = {0};
    CHECK_INT(loop_watch(l, p[0], LOOP_READABLE, log_cb, &lg), 0);
    errno = 0;
    CHECK_INT(loop_resize(l, p[0]), -1);
    CHECK_INT(errno, EBUSY);
    CHECK_INT(loop_resize(l, p[0] + 1), 0);
    CHECK_INT(loop_max_fds(l), p[0] + 1);
    CHECK_INT(loop_mask(l, p[0]), LOOP_READABLE);
    CHECK_INT(loop_watch(l, p[1], LOOP_WRITABLE, log_cb, &lg), -1);
    CHECK_INT(errno, ERANGE);
    CHECK_INT(loop_resize(l, 4096), 0);
    CHECK_INT(loop_mask(l, 4000), LOOP_NONE);
    CHECK_INT(loop_watch(l, p[1], LOOP_WRITABLE, log_cb, &lg), 0);
    CHECK(write(p[1], "x", 1) == 1);
    CHECK_INT(loop_run_once(l, 1000), 2);
    loop_watch(l, p[0], LOOP_NONE, NULL, NULL);
    loop_watch(l, p[1], LOOP_NONE, NULL, NULL);
    close(p[0]);
    close(p[1]);
    loop_free(l);
}

/* ---- timers ---- */

typedef struct timer_log {
    int n;
    int order[64];
    long long ids[64];
    int repeat_left;
    long long del_id; /* another timer to delete when this one runs */
    int del_self;
    loop *l;
} timer_log;

typedef struct timer_arg {
    timer_log *log;
    int tag;
    long long ret;
} timer_arg;

static long long record_timer(loop *l, long long id, void *data) {
    timer_arg *a = data;
    timer_log *lg = a->log;
    if (lg->n < 64) {
        lg->order[lg->n] = a->tag;
        lg->ids[lg->n] = id;
    }
    lg->n++;
    if (lg->del_id) {
        if (loop_timer_del(l, lg->del_id) != 0) lg->n += 1000;
        lg->del_id = 0;
    }
    if (lg->del_self) {
        lg->del_self = 0;
        loop_timer_del(l, id);
        return 10; /* must be ignored */
    }
    return a->ret;
}

static void run_until_no_timers(loop *l, int max_iters) {
    for (int i = 0; i < max_iters && loop_timer_count(l) > 0; i++)
        loop_run_once(l, -1);
}

TEST(loop_timer_order) {
    loop *l = loop_new(64);
    timer_log lg = {0};
    timer_arg a30 = {&lg, 30, LOOP_TIMER_STOP}, a10 = {&lg, 10, LOOP_TIMER_STOP},
              a20 = {&lg, 20, LOOP_TIMER_STOP};
    long long id30 = loop_timer_add(l, 30, record_timer, &a30);
    long long id10 = loop_timer_add(l, 10, record_timer, &a10);
    long long id20 = loop_timer_add(l, 20, record_timer, &a20);
    CHECK(id30 > 0 && id10 > 0 && id20 > 0);
    CHECK(id30 != id10 && id10 != id20 && id20 != id30);
    CHECK_INT(loop_timer_count(l), 3);
    long long t0 = loop_mono_us();
    run_until_no_timers(l, 100);
    long long elapsed = loop_mono_us() - t0;
    CHECK_INT(lg.n, 3);
    CHECK_INT(lg.order[0], 10);
    CHECK_INT(lg.order[1], 20);
    CHECK_INT(lg.order[2], 30);
    CHECK_INT(lg.ids[0], id10);
    CHECK(elapsed >= 29000);
    CHECK(elapsed < 5000000);
    /* Equal due times run in arming order. */
    lg.n = 0;
    timer_arg x = {&lg, 1, LOOP_TIMER_STOP}, y = {&lg, 2, LOOP_TIMER_STOP},
              z = {&lg, 3, LOOP_TIMER_STOP};
    loop_timer_add(l, 0, record_timer, &x);
    loop_timer_add(l, 0, record_timer, &y);
    loop_timer_add(l, -5, record_timer, &z);
    CHECK_INT(loop_run_once(l, 1000), 3);
    CHECK_INT(lg.n, 3);
    CHECK_INT(lg.order[0], 1);
    CHECK_INT(lg.order[1], 2);
    CHECK_INT(lg.order[2], 3);
    CHECK_INT(loop_timer_count(l), 0);
    loop_free(l);
}

static long long repeat_timer(loop *l, long long id, void *data) {
    (void)l;
    (void)id;
    timer_log *lg = data;
    lg->n++;
    return --lg->repeat_left > 0 ? 5 : LOOP_TIMER_STOP;
}

static long long zero_timer(loop *l, long long id, void *data) {
    (void)l;
    (void)id;
    int *n = data;
    (*n)++;
    return 0;
}

TEST(loop_timer_repeat) {
    loop *l = loop_new(64);
    timer_log lg = {.repeat_left = 4};
    long long id = loop_timer_add(l, 5, repeat_timer, &lg);
    run_until_no_timers(l, 1000);
    CHECK_INT(lg.n, 4);
    CHECK_INT(loop_timer_count(l), 0);
    CHECK_INT(loop_timer_del(l, id), -1);
    CHECK_INT(errno, ENOENT);
    /* A timer returning 0 runs once per iteration, not forever within one. */
    int n = 0;
    long long zid = loop_timer_add(l, 0, zero_timer, &n);
    CHECK_INT(loop_run_once(l, 0), 1);
    CHECK_INT(n, 1);
    CHECK_INT(loop_run_once(l, -1), 1);
    CHECK_INT(n, 2);
    CHECK_INT(loop_timer_del(l, zid), 0);
    CHECK_INT(loop_timer_count(l), 0);
    loop_free(l);
}

TEST(loop_timer_delete_self_and_others) {
    loop *l = loop_new(64);
    timer_log lg = {0};
    /* A deletes itself and returns 10: it must not run again. */
    timer_arg a = {&lg, 1, 1};
    lg.del_self = 1;
    loop_timer_add(l, 0, record_timer, &a);
    CHECK_INT(loop_run_once(l, 1000), 1);
    CHECK_INT(loop_timer_count(l), 0);
    sleep_ms(15);
    CHECK_INT(loop_run_once(l, 0), 0);
    CHECK_INT(lg.n, 1);

    /* B and C are due in the same pass; B runs first and deletes C. */
    lg.n = 0;
    timer_arg b = {&lg, 2, LOOP_TIMER_STOP}, c = {&lg, 3, LOOP_TIMER_STOP},
              d = {&lg, 4, LOOP_TIMER_STOP};
    loop_timer_add(l, 0, record_timer, &b);
    long long cid = loop_timer_add(l, 0, record_timer, &c);
    loop_timer_add(l, 0, record_timer, &d);
    lg.del_id = cid;
    CHECK_INT(loop_run_once(l, 1000), 2);
    CHECK_INT(lg.n, 2);
    CHECK_INT(lg.order[0], 2);
    CHECK_INT(lg.order[1], 4);
    CHECK_INT(loop_timer_del(l, cid), -1);
    CHECK_INT(loop_timer_count(l), 0);

    /* Deleting a timer far in the future, and unknown ids. */
    long long far = loop_timer_add(l, 100000, record_timer, &b);
    CHECK_INT(loop_timer_del(l, far), 0);
    CHECK_INT(loop_timer_del(l, far), -1);
    CHECK_INT(loop_timer_del(l, 0), -1);
    CHECK_INT(loop_timer_del(l, -7), -1);
    CHECK_INT(loop_timer_del(l, 1LL << 40), -1);
    /* A reused slot gets a new id; the old one stays dead. */
    long long again = loop_timer_add(l, 100000, record_timer, &b);
    CHECK(again != far);
    CHECK_INT(loop_timer_del(l, far), -1);
    CHECK_INT(loop_timer_del(l, again), 0);
    loop_free(l);
}

#define MANY 10000

typedef struct many_ctx {
    long long lo[MANY], hi[MANY]; /* bounds of each timer's due time */
    long long ids[MANY];
    char deleted[MANY], fired[MANY];
    int idx[MANY];
    int nfired, bad_order, fired_deleted, early;
    int last;
} many_ctx;

static many_ctx *many_cur;

static long long many_timer(loop *l, long long id, void *data) {
    (void)l;
    (void)id;
    many_ctx *m = many_cur;
    int i = *(int *)data;
    if (m->deleted[i]) m->fired_deleted++;
    if (loop_mono_us() < m->lo[i]) m->early++;
    /* Heap order: anything fired earlier had a due time no later than ours. */
    if (m->last >= 0 && m->lo[m->last] > m->hi[i]) m->bad_order++;
    m->last = i;
    m->fired[i] = 1;
    m->nfired++;
    return LOOP_TIMER_STOP;
}

TEST(loop_timer_10k) {
    loop *l = loop_new(64);
    many_ctx *m = calloc(1, sizeof(*m));
    CHECK(m != NULL);
    m->last = -1;
    many_cur = m;
    unsigned seed = 12345;
    for (int i = 0; i < MANY; i++) {
        seed = seed * 1103515245u + 12345u;
        long long ms = (seed >> 16) % 60;
        m->idx[i] = i;
        m->lo[i] = loop_mono_us() + ms * 1000;
        m->ids[i] = loop_timer_add(l, ms, many_timer, &m->idx[i]);
        m->hi[i] = loop_mono_us() + ms * 1000;
    }
    CHECK_INT(loop_timer_count(l), MANY);
    int ndel = 0;
    for (int i = 0; i < MANY; i += 3) {
        CHECK_INT(loop_timer_del(l, m->ids[i]), 0);
        m->deleted[i] = 1;
        ndel++;
    }
    CHECK_INT(loop_timer_count(l), MANY - ndel);
    run_until_no_timers(l, 100000);
    CHECK_INT(loop_timer_count(l), 0);
    CHECK_INT(m->nfired, MANY - ndel);
    CHECK_INT(m->fired_deleted, 0);
    CHECK_INT(m->bad_order, 0);
    CHECK_INT(m->early, 0);
    free(m);
    loop_free(l);
}

/* ---- hooks, stop, wake ---- */

static void count_hook(loop *l, void *data) {
    (void)l;
    (*(int *)data)++;
}

static long long stop_after_3(loop *l, long long id, void *data) {
    (void)id;
    int *n = data;
    if (++*n == 3) {
        loop_stop(l);
        return LOOP_TIMER_STOP;
    }
    return 1;
}

TEST(loop_run_stop_and_hooks) {
    loop *l = loop_new(64);
    int before = 0, after = 0, n = 0;
    loop_set_before_sleep(l, count_hook, &before);
    loop_set_after_sleep(l, count_hook, &after);
    loop_timer_add(l, 1, stop_after_3, &n);
    loop_run(l);
    CHECK_INT(n, 3);
    CHECK(before >= 3);
    CHECK_INT(before, after);
    loop_set_before_sleep(l, NULL, NULL);
    loop_run_once(l, 0);
    CHECK_INT(after, before + 1);
    loop_free(l);
}

static void *wake_thread(void *arg) {
    sleep_ms(50);
    loop_wake(arg);
    return NULL;
}

static long long flag_timer(loop *l, long long id, void *data) {
    (void)l;
    (void)id;
    *(int *)data = 1;
    return LOOP_TIMER_STOP;
}

TEST(loop_wake_from_thread) {
    loop *l = loop_new(64);
    /* A safety net so a broken wake-up fails the test instead of hanging it. */
    int fired = 0;
    long long guard = loop_timer_add(l, 10000, flag_timer, &fired);
    pthread_t th;
    long long t0 = loop_mono_us();
    CHECK(pthread_create(&th, NULL, wake_thread, l) == 0);
    int n = loop_run_once(l, -1);
    long long elapsed = loop_mono_us() - t0;
    pthread_join(th, NULL);
    CHECK_INT(n, 0);
    CHECK_INT(fired, 0);
    CHECK(elapsed >= 40000);
    CHECK(elapsed < 9000000);
    /* The wake-up was drained: the next wait blocks for its full timeout. */
    t0 = loop_mono_us();
    CHECK_INT(loop_run_once(l, 30), 0);
    CHECK(loop_mono_us() - t0 >= 25000);
    /* Wakes before the wait are not lost, and many collapse into one. */
    for (int i = 0; i < 100; i++)
        loop_wake(l);
    t0 = loop_mono_us();
    CHECK_INT(loop_run_once(l, 5000), 0);
    CHECK(loop_mono_us() - t0 < 4000000);
    loop_timer_del(l, guard);
    loop_free(l);
}

TEST(loop_clocks) {
    long long a = loop_mono_us();
    sleep_ms(2);
    long long b = loop_mono_us();
    CHECK(b - a >= 1000);
    long long ms = loop_time_ms(), us = loop_time_us();
    CHECK(ms > 1600000000000LL);
    CHECK(us / 1000 - ms >= 0 && us / 1000 - ms < 1000);
}

/* ---- net ---- */

static int have_ipv6(void) {
    int fd = socket(AF_INET6, SOCK_STREAM, 0);
    if (fd < 0) return 0;
    struct sockaddr_in6 sa = {.sin6_family = AF_INET6, .sin6_addr = IN6ADDR_LOOPBACK_INIT};
    int ok = bind(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0;
    close(fd);
    return ok;
}

/* Connect to the listener, accept, and check both ends' addresses. */
static int check_pair(const char *host, int lfd, int port, const char *ipfmt) {
    char err[NET_ERR_LEN] = "", want[128], got[128];
    int c = net_connect_tcp(host, port, 0, err);
    if (c < 0) {
        fprintf(stderr, "  connect: %s\n", err);
        return 0;
    }
    if (!wait_readable(lfd, 2000)) return 0;
    int s = net_accept(lfd, err);
    if (s < 0) return 0;
    int ok = 1;
    int fl = fcntl(s, F_GETFL), fdfl = fcntl(s, F_GETFD);
    ok &= (fl & O_NONBLOCK) && (fdfl & FD_CLOEXEC);
    snprintf(want, sizeof(want), ipfmt, port);
    ok &= net_format_peer(c, got, sizeof(got)) == 0 && strcmp(got, want) == 0;
    ok &= net_format_local(s, got, sizeof(got)) == 0 && strcmp(got, want) == 0;
    /* The accepted side sees the client's ephemeral port. */
    char cl[128];
    ok &= net_format_local(c, cl, sizeof(cl)) == 0;
    ok &= net_format_peer(s, got, sizeof(got)) == 0 && strcmp(got, cl) == 0;
    ok &= net_peer_is_loopback(s) == 1 && net_peer_is_loopback(c) == 1;
    ok &= net_set_nodelay(s, 1) == 0 && net_set_keepalive(s, 300) == 0;
    ok &= write(c, "ping", 4) == 4 && wait_readable(s, 2000);
    char buf[8];
    ok &= read(s, buf, sizeof(buf)) == 4 && memcmp(buf, "ping", 4) == 0;
    if (!ok) fprintf(stderr, "  check_pair %s: peer=%s want=%s\n", host, got, want);
    close(s);
    close(c);
    return ok;
}

TEST(net_tcp4_listen_accept_connect) {
    char err[NET_ERR_LEN] = "";
    int lfd = net_listen_tcp("127.0.0.1", 0, 16, err);
    CHECK(lfd >= 0);
    int port = net_bound_port(lfd);
    CHECK(port > 0 && port <= 65535);
    CHECK(fcntl(lfd, F_GETFL) & O_NONBLOCK);
    errno = 0;
    CHECK_INT(net_accept(lfd, err), -1);
    CHECK_INT(errno, EAGAIN);
    CHECK(check_pair("127.0.0.1", lfd, port, "127.0.0.1:%d"));
    CHECK(check_pair("localhost", lfd, port, "127.0.0.1:%d") || have_ipv6());
    close(lfd);
    /* "*" is IPv4 any. */
    lfd = net_listen_tcp("*", 0, 16, err);
    CHECK(lfd >= 0);
    port = net_bound_port(lfd);
    char got[64];
    CHECK_INT(net_format_local(lfd, got, sizeof(got)), 0);
    char want[64];
    snprintf(want, sizeof(want), "0.0.0.0:%d", port);
    CHECK_STR(got, want);
    CHECK(check_pair("127.0.0.1", lfd, port, "127.0.0.1:%d"));
    close(lfd);
}

TEST(net_tcp6_listen_accept_connect) {
    if (!have_ipv6()) {
        printf("  net_tcp6_listen_accept_connect: skipped (no IPv6 loopback)\n");
        return;
    }
    char err[NET_ERR_LEN] = "";
    int lfd = net_listen_tcp("::1", 0, 16, err);
    CHECK(lfd >= 0);
    int port = net_bound_port(lfd);
    CHECK(port > 0);
    int v6only = 0;
    socklen_t sl = sizeof(v6only);
    CHECK(getsockopt(lfd, IPPROTO_IPV6, IPV6_V6ONLY, &v6only, &sl) == 0);
    CHECK_INT(v6only, 1);
    CHECK(check_pair("::1", lfd, port, "[::1]:%d"));
    close(lfd);
    lfd = net_listen_tcp("::*", 0, 16, err);
    CHECK(lfd >= 0);
    port = net_bound_port(lfd);
    CHECK(check_pair("::1", lfd, port, "[::1]:%d"));
    /* V6ONLY: the IPv4 loopback does not reach an IPv6 any listener. */
    int c = net_connect_tcp("127.0.0.1", port, 0, err);
    if (c >= 0) {
        /* Something else owns that IPv4 port; nothing to conclude. */
        close(c);
    }
    close(lfd);
}

TEST(net_eaddrinuse_message) {
    char err[NET_ERR_LEN] = "";
    int lfd = net_listen_tcp("127.0.0.1", 0, 16, err);
    CHECK(lfd >= 0);
    int port = net_bound_port(lfd);
    errno = 0;
    CHECK_INT(net_listen_tcp("127.0.0.1", port, 16, err), -1);
    CHECK_INT(errno, EADDRINUSE);
    char want[NET_ERR_LEN];
    snprintf(want, sizeof(want),
             "Could not create server TCP listening socket 127.0.0.1:%d: bind: Address "
             "already in use",
             port);
    CHECK_STR(err, want);
    close(lfd);
    CHECK_INT(net_listen_tcp("127.0.0.1", 70000, 16, err), -1);
    CHECK(strstr(err, "127.0.0.1:70000") != NULL);
    CHECK_INT(net_listen_tcp("not-an-address.invalid", 0, 16, err), -1);
    CHECK(strncmp(err, "Could not create server TCP listening socket", 44) == 0);
}

TEST(net_connect_refused) {
    char err[NET_ERR_LEN] = "";
    int lfd = net_listen_tcp("127.0.0.1", 0, 16, err);
    CHECK(lfd >= 0);
    int port = net_bound_port(lfd);
    close(lfd);
    errno = 0;
    CHECK_INT(net_connect_tcp("127.0.0.1", port, 0, err), -1);
    CHECK_INT(errno, ECONNREFUSED);
    CHECK(strstr(err, "Connection refused") != NULL);
    CHECK_INT(net_connect_tcp(NULL, port, 0, err), -1);
    CHECK_INT(net_connect_tcp("127.0.0.1", -1, 0, NULL), -1);
}

TEST(net_unix_listen_connect) {
    char path[64], err[NET_ERR_LEN] = "", got[128], want[128];
    snprintf(path, sizeof(path), "/tmp/pairdb-test-%d.sock", (int)getpid());
    unlink(path);
    int lfd = net_listen_unix(path, 0700, 16, err);
    CHECK(lfd >= 0);
    struct stat st;
    CHECK(stat(path, &st) == 0);
    CHECK(S_ISSOCK(st.st_mode));
    CHECK_INT(st.st_mode & 0777, 0700);
    int c = net_connect_unix(path, 0, err);
    CHECK(c >= 0);
    CHECK(wait_readable(lfd, 2000));
    int s = net_accept(lfd, err);
    CHECK(s >= 0);
    snprintf(want, sizeof(want), "%s:0", path);
    CHECK_INT(net_format_peer(s, got, sizeof(got)), 0);
    CHECK_STR(got, want);
    CHECK_INT(net_format_local(s, got, sizeof(got)), 0);
    CHECK_STR(got, want);
    CHECK_INT(net_format_peer(c, got, sizeof(got)), 0);
    CHECK_STR(got, want);
    CHECK_INT(net_peer_is_loopback(s), 1);
    CHECK_INT(net_set_nodelay(s, 1), 0);
    CHECK_INT(net_set_keepalive(s, 60), 0);
    CHECK_INT(net_bound_port(s), -1);
    /* Too small a buffer is an error, never an overflow. */
    char tiny[8];
    CHECK_INT(net_format_peer(s, tiny, sizeof(tiny)), -1);
    CHECK_STR(tiny, "?:0");
    close(s);
    close(c);
    close(lfd);
    /* The socket file left behind is stale and replaced. */
    lfd = net_listen_unix(path, 0, 16, err);
    CHECK(lfd >= 0);
    close(lfd);
    unlink(path);
    /* A regular file is not removed. */
    int f = open(path, O_CREAT | O_WRONLY, 0600);
    CHECK(f >= 0);
    close(f);
    CHECK_INT(net_listen_unix(path, 0, 16, err), -1);
    CHECK(strstr(err, "bind: Address already in use") != NULL);
    CHECK(stat(path, &st) == 0 && S_ISREG(st.st_mode));
    unlink(path);
    errno = 0;
    CHECK_INT(net_connect_unix(path, 0, err), -1);
    CHECK_INT(errno, ENOENT);
    char longp[200];
    memset(longp, 'a', sizeof(longp) - 1);
    longp[0] = '/';
    longp[sizeof(longp) - 1] = '\0';
    CHECK_INT(net_listen_unix(longp, 0, 16, err), -1);
    CHECK_INT(errno, ENAMETOOLONG);
    CHECK_INT(net_connect_unix(longp, 0, err), -1);
    CHECK_INT(net_listen_unix("", 0, 16, NULL), -1);
}

TEST(net_nonblock_toggle) {
    int p[2];
    CHECK(pipe(p) == 0);
    CHECK_INT(net_set_nonblock(p[0], 1), 0);
    CHECK(fcntl(p[0], F_GETFL) & O_NONBLOCK);
    CHECK_INT(net_set_nonblock(p[0], 0), 0);
    CHECK(!(fcntl(p[0], F_GETFL) & O_NONBLOCK));
    close(p[0]);
    close(p[1]);
    CHECK_INT(net_set_nonblock(p[0], 1), -1);
    char buf[32];
    CHECK_INT(net_format_peer(p[0], buf, sizeof(buf)), -1);
    CHECK_INT(net_peer_is_loopback(p[0]), 0);
}

/* Loop and net together: a non-blocking connect completes, the listener accepts from a
 * readable callback, and the accepted fd echoes back. */
typedef struct echo_ctx {
    int lfd, sfd, cfd;
    int accepted, echoed, connected;
    char got[16];
} echo_ctx;

static void echo_read_cb(loop *l, int fd, void *data, int mask) {
    (void)mask;
    echo_ctx *e = data;
    char buf[16];
    ssize_t n = read(fd, buf, sizeof(buf));
    if (n > 0 && write(fd, buf, (size_t)n) == n) e->echoed++;
    if (n == 0) {
        loop_watch(l, fd, LOOP_NONE, NULL, NULL);
        close(fd);
        e->sfd = -1;
    }
}

static void accept_cb(loop *l, int fd, void *data, int mask) {
    (void)mask;
    echo_ctx *e = data;
    int s;
    while ((s = net_accept(fd, NULL)) >= 0) {
        e->accepted++;
        e->sfd = s;
        loop_watch(l, s, LOOP_READABLE, echo_read_cb, e);
    }
}

static void client_cb(loop *l, int fd, void *data, int mask) {
    echo_ctx *e = data;
    if (mask == LOOP_WRITABLE) {
        int soerr = -1;
        socklen_t sl = sizeof(soerr);
        getsockopt(fd, SOL_SOCKET, SO_ERROR, &soerr, &sl);
        e->connected = soerr == 0;
        if (write(fd, "hello", 5) != 5) e->connected = 0;
        loop_watch(l, fd, LOOP_READABLE, client_cb, e);
        return;
    }
    ssize_t n = read(fd, e->got, sizeof(e->got) - 1);
    if (n > 0) e->got[n] = '\0';
    loop_stop(l);
}

TEST(loop_net_echo) {
    loop *l = loop_new(1024);
    char err[NET_ERR_LEN] = "";
    echo_ctx e = {.sfd = -1};
    e.lfd = net_listen_tcp("127.0.0.1", 0, 16, err);
    CHECK(e.lfd >= 0);
    CHECK_INT(loop_watch(l, e.lfd, LOOP_READABLE, accept_cb, &e), 0);
    e.cfd = net_connect_tcp("127.0.0.1", net_bound_port(e.lfd), 1, err);
    CHECK(e.cfd >= 0);
    CHECK_INT(loop_watch(l, e.cfd, LOOP_WRITABLE, client_cb, &e), 0);
    int guard_fired = 0;
    long long guard = loop_timer_add(l, 5000, flag_timer, &guard_fired);
    for (int i = 0; i < 100 && !e.got[0] && !guard_fired; i++)
        loop_run_once(l, -1);
    CHECK_INT(guard_fired, 0);
    CHECK_INT(e.accepted, 1);
    CHECK_INT(e.connected, 1);
    CHECK_INT(e.echoed, 1);
    CHECK_STR(e.got, "hello");
    loop_timer_del(l, guard);
    loop_watch(l, e.cfd, LOOP_NONE, NULL, NULL);
    close(e.cfd);
    /* The server side sees EOF and closes itself. */
    for (int i = 0; i < 100 && e.sfd >= 0; i++)
        loop_run_once(l, 100);
    CHECK_INT(e.sfd, -1);
    loop_watch(l, e.lfd, LOOP_NONE, NULL, NULL);
    close(e.lfd);
    loop_free(l);
}
