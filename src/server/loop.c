/*
 * loop.c - epoll event loop with a timer heap (see loop.h for the contract).
 *
 * File events: fds[] is indexed by fd. Each registration (transition from no interest to
 * some) gets a fresh generation number, and the epoll data carries fd and generation
 * together, so an event queued for an fd that a callback closed and another accept
 * reused in the same batch is recognised as stale and dropped.
 *
 * Timers: slots[] holds every timer; a timer id is (generation << 32 | slot index), which
 * makes loop_timer_del an O(1) lookup that rejects stale ids. The heap holds slot indices
 * ordered by (due time, arming sequence), and each slot knows its heap position so any
 * timer can be removed in O(log n). A running timer is out of the heap and its slot is
 * pinned (not on the free list) until its callback returns, which is what makes deleting
 * it from its own callback safe. Slots live in a growable array, so code that calls out
 * to a callback re-reads the slot by index afterwards.
 *
 * The wake-up eventfd is registered under a reserved epoll data value and drained here;
 * it is never reported to callers.
 *
 * Called by the server main loop, the client/connection code and tools that need a loop.
 */
#include "server/loop.h"

#include "ds/mem.h"

#include <errno.h>
#include <limits.h>
#include <stdint.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <time.h>
#include <unistd.h>

#define MAX_EVENTS 1024
#define WAKE_TAG UINT64_MAX
/* Longest timer delay accepted (about 31 years); keeps due-time arithmetic far from
 * overflow whatever a caller passes. */
#define MAX_DELAY_MS (1000LL * 1000 * 1000 * 1000)

enum { TIMER_FREE, TIMER_ARMED, TIMER_RUNNING, TIMER_RUNNING_DELETED };

typedef struct fd_entry {
    int mask;
    uint32_t gen;
    loop_file_cb *cb;
    void *data;
} fd_entry;

typedef struct timer_slot {
    long long id;
    long long due_us;
    unsigned long long seq; /* arming order, breaks ties between equal due times */
    loop_timer_cb *cb;
    void *data;
    int state;
    uint32_t gen;
    uint32_t heap_pos;  /* valid while TIMER_ARMED */
    uint32_t next_free; /* valid while TIMER_FREE */
} timer_slot;

struct loop {
    int epfd;
    int wakefd;
    int max_fds;
    int stop;
    fd_entry *fds;
    struct epoll_event *events;
    int depth; /* loop_run_once calls in progress (a busy script serves the loop) */

    timer_slot *slots;
    uint32_t nslots, slots_cap;
    uint32_t free_head; /* UINT32_MAX when empty */
    uint32_t *heap;
    uint32_t heap_len, heap_cap;
    unsigned long long timer_seq;
    long long ntimers;
    long long due_floor_us; /* during a timer pass: earliest due time a new arming may get */

    loop_hook_cb *before_cb, *after_cb;
    void *before_data, *after_data;
};

/* ---- clocks ---- */

static long long ts_us(clockid_t clk) {
    struct timespec ts;
    clock_gettime(clk, &ts);
    return (long long)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

long long loop_mono_us(void) {
    return ts_us(CLOCK_MONOTONIC);
}

long long loop_time_us(void) {
    return ts_us(CLOCK_REALTIME);
}

long long loop_time_ms(void) {
    return ts_us(CLOCK_REALTIME) / 1000;
}

/* ---- creation ---- */

loop *loop_new(int max_fds) {
    if (max_fds <= 0) {
        errno = EINVAL;
        return NULL;
    }
    int epfd = epoll_create1(EPOLL_CLOEXEC);
    if (epfd < 0) return NULL;
    int wakefd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    if (wakefd < 0) {
        int e = errno;
        close(epfd);
        errno = e;
        return NULL;
    }
    struct epoll_event ev = {.events = EPOLLIN, .data.u64 = WAKE_TAG};
    if (epoll_ctl(epfd, EPOLL_CTL_ADD, wakefd, &ev) < 0) {
        int e = errno;
        close(wakefd);
        close(epfd);
        errno = e;
        return NULL;
    }
    loop *l = mem_calloc(sizeof(*l));
    l->epfd = epfd;
    l->wakefd = wakefd;
    l->max_fds = max_fds;
    l->fds = mem_calloc((size_t)max_fds * sizeof(fd_entry));
    l->events = mem_alloc(MAX_EVENTS * sizeof(struct epoll_event));
    l->free_head = UINT32_MAX;
    return l;
}

void loop_free(loop *l) {
    if (!l) return;
    close(l->epfd);
    close(l->wakefd);
    mem_free(l->fds);
    mem_free(l->events);
    mem_free(l->slots);
    mem_free(l->heap);
    mem_free(l);
}

/* ---- file events ---- */

static uint32_t to_epoll(int mask) {
    uint32_t ev = 0;
    if (mask & LOOP_READABLE) ev |= EPOLLIN;
    if (mask & LOOP_WRITABLE) ev |= EPOLLOUT;
    return ev;
}

int loop_watch(loop *l, int fd, int mask, loop_file_cb *cb, void *data) {
    if (fd < 0 || fd >= l->max_fds) {
        errno = ERANGE;
        return -1;
    }
    if ((mask & ~(LOOP_READABLE | LOOP_WRITABLE)) || (mask && !cb)) {
        errno = EINVAL;
        return -1;
    }
    fd_entry *e = &l->fds[fd];
    if (mask == LOOP_NONE) {
        if (e->mask != LOOP_NONE) {
            /* The fd may already be closed (the kernel then dropped it from the set);
             * the registration is gone either way. */
            struct epoll_event ev = {0};
            epoll_ctl(l->epfd, EPOLL_CTL_DEL, fd, &ev);
        }
        e->mask = LOOP_NONE;
        e->cb = NULL;
        e->data = NULL;
        return 0;
    }
    if (e->mask == mask) {
        e->cb = cb;
        e->data = data;
        return 0;
    }
    uint32_t gen = e->mask == LOOP_NONE ? e->gen + 1 : e->gen;
    struct epoll_event ev = {.events = to_epoll(mask),
                             .data.u64 = (uint64_t)gen << 32 | (uint32_t)fd};
    int op = e->mask == LOOP_NONE ? EPOLL_CTL_ADD : EPOLL_CTL_MOD;
    if (epoll_ctl(l->epfd, op, fd, &ev) < 0) {
        /* ADD on EEXIST: a dup of a closed fd kept the old registration alive. MOD on
         * ENOENT: the fd was closed and reused without an unwatch. Both mean the kernel
         * state differs from ours; take the other operation. */
        if (op == EPOLL_CTL_ADD && errno == EEXIST)
            op = EPOLL_CTL_MOD;
        else if (op == EPOLL_CTL_MOD && errno == ENOENT)
            op = EPOLL_CTL_ADD;
        else
            return -1;
        if (epoll_ctl(l->epfd, op, fd, &ev) < 0) return -1;
    }
    e->mask = mask;
    e->gen = gen;
    e->cb = cb;
    e->data = data;
    return 0;
}

int loop_mask(loop *l, int fd) {
    if (fd < 0 || fd >= l->max_fds) return LOOP_NONE;
    return l->fds[fd].mask;
}

int loop_resize(loop *l, int max_fds) {
    if (max_fds <= 0) {
        errno = EINVAL;
        return -1;
    }
    for (int fd = max_fds; fd < l->max_fds; fd++) {
        if (l->fds[fd].mask != LOOP_NONE) {
            errno = EBUSY;
            return -1;
        }
    }
    l->fds = mem_realloc(l->fds, (size_t)max_fds * sizeof(fd_entry));
    if (max_fds > l->max_fds)
        memset(l->fds + l->max_fds, 0, (size_t)(max_fds - l->max_fds) * sizeof(fd_entry));
    l->max_fds = max_fds;
    return 0;
}

int loop_max_fds(loop *l) {
    return l->max_fds;
}

/* Calls the callback for one direction if the registration the event was queued for is
 * still there and still wants that direction. Returns 1 if it ran. */
static int dispatch_one(loop *l, int fd, uint32_t gen, int bit) {
    if (fd >= l->max_fds) return 0; /* shrunk below it after it was unwatched */
    fd_entry *e = &l->fds[fd];
    if (e->gen != gen || !(e->mask & bit)) return 0;
    e->cb(l, fd, e->data, bit);
    return 1;
}

static void drain_wake(loop *l) {
    uint64_t v;
    while (read(l->wakefd, &v, sizeof(v)) == (ssize_t)sizeof(v)) {
    }
}

void loop_wake(loop *l) {
    int saved = errno;
    uint64_t one = 1;
    /* EAGAIN means the counter is saturated, so a wake-up is already pending. */
    ssize_t r = write(l->wakefd, &one, sizeof(one));
    (void)r;
    errno = saved;
}

/* ---- timers ---- */

static int heap_less(const loop *l, uint32_t a, uint32_t b) {
    const timer_slot *x = &l->slots[a], *y = &l->slots[b];
    return x->due_us < y->due_us || (x->due_us == y->due_us && x->seq < y->seq);
}

static void heap_set(loop *l, uint32_t pos, uint32_t slot) {
    l->heap[pos] = slot;
    l->slots[slot].heap_pos = pos;
}

static void heap_up(loop *l, uint32_t pos) {
    uint32_t slot = l->heap[pos];
    while (pos > 0) {
        uint32_t parent = (pos - 1) / 2;
        if (!heap_less(l, slot, l->heap[parent])) break;
        heap_set(l, pos, l->heap[parent]);
        pos = parent;
    }
    heap_set(l, pos, slot);
}

static void heap_down(loop *l, uint32_t pos) {
    uint32_t slot = l->heap[pos];
    for (;;) {
        uint32_t child = 2 * pos + 1;
        if (child >= l->heap_len) break;
        if (child + 1 < l->heap_len && heap_less(l, l->heap[child + 1], l->heap[child])) child++;
        if (!heap_less(l, l->heap[child], slot)) break;
        heap_set(l, pos, l->heap[child]);
        pos = child;
    }
    heap_set(l, pos, slot);
}

static void heap_push(loop *l, uint32_t slot) {
    if (l->heap_len == l->heap_cap) {
        l->heap_cap = l->heap_cap ? l->heap_cap * 2 : 16;
        l->heap = mem_realloc(l->heap, (size_t)l->heap_cap * sizeof(uint32_t));
    }
    heap_set(l, l->heap_len++, slot);
    heap_up(l, l->heap_len - 1);
}

static void heap_remove(loop *l, uint32_t pos) {
    uint32_t last = l->heap[--l->heap_len];
    if (pos == l->heap_len) return;
    heap_set(l, pos, last);
    if (pos > 0 && heap_less(l, last, l->heap[(pos - 1) / 2]))
        heap_up(l, pos);
    else
        heap_down(l, pos);
}

static long long clamp_delay(long long ms) {
    if (ms < 0) return 0;
    return ms > MAX_DELAY_MS ? MAX_DELAY_MS : ms;
}

static void timer_arm(loop *l, uint32_t idx, long long ms) {
    timer_slot *t = &l->slots[idx];
    long long due = loop_mono_us() + clamp_delay(ms) * 1000;
    if (due < l->due_floor_us) due = l->due_floor_us;
    t->due_us = due;
    t->seq = ++l->timer_seq;
    t->state = TIMER_ARMED;
    heap_push(l, idx);
}

static void slot_release(loop *l, uint32_t idx) {
    timer_slot *t = &l->slots[idx];
    t->state = TIMER_FREE;
    t->id = 0;
    t->cb = NULL;
    t->data = NULL;
    t->next_free = l->free_head;
    l->free_head = idx;
    l->ntimers--;
}

long long loop_timer_add(loop *l, long long ms, loop_timer_cb *cb, void *data) {
    uint32_t idx;
    if (l->free_head != UINT32_MAX) {
        idx = l->free_head;
        l->free_head = l->slots[idx].next_free;
    } else {
        if (l->nslots == l->slots_cap) {
            l->slots_cap = l->slots_cap ? l->slots_cap * 2 : 16;
            l->slots = mem_realloc(l->slots, (size_t)l->slots_cap * sizeof(timer_slot));
        }
        idx = l->nslots++;
        l->slots[idx].gen = 0;
    }
    timer_slot *t = &l->slots[idx];
    /* Generations stay in 1 .. 2^31-1 so ids are positive. */
    t->gen = t->gen >= 0x7fffffffu ? 1 : t->gen + 1;
    t->id = (long long)t->gen << 32 | idx;
    t->cb = cb;
    t->data = data;
    l->ntimers++;
    timer_arm(l, idx, ms);
    return t->id;
}

int loop_timer_del(loop *l, long long id) {
    if (id <= 0 || (uint64_t)(id & 0xffffffff) >= l->nslots) {
        errno = ENOENT;
        return -1;
    }
    uint32_t idx = (uint32_t)(id & 0xffffffff);
    timer_slot *t = &l->slots[idx];
    if (t->id != id) {
        errno = ENOENT;
        return -1;
    }
    switch (t->state) {
    case TIMER_ARMED:
        heap_remove(l, t->heap_pos);
        slot_release(l, idx);
        return 0;
    case TIMER_RUNNING:
        /* The pass that runs it frees the slot once the callback returns. */
        t->state = TIMER_RUNNING_DELETED;
        return 0;
    default:
        errno = ENOENT;
        return -1;
    }
}

long long loop_timer_count(loop *l) {
    return l->ntimers;
}

static int run_timers(loop *l) {
    long long now = loop_mono_us();
    int ran = 0;
    l->due_floor_us = now + 1;
    while (l->heap_len > 0) {
        uint32_t idx = l->heap[0];
        if (l->slots[idx].due_us > now) break;
        heap_remove(l, 0);
        timer_slot *t = &l->slots[idx];
        t->state = TIMER_RUNNING;
        long long next = t->cb(l, t->id, t->data);
        ran++;
        t = &l->slots[idx];
        if (t->state == TIMER_RUNNING_DELETED || next < 0)
            slot_release(l, idx);
        else
            timer_arm(l, idx, next);
    }
    l->due_floor_us = 0;
    return ran;
}

/* ms epoll_wait may sleep: the caller's limit, cut at the next timer, rounded up so the
 * loop does not wake just before a timer is due and spin. */
static int wait_ms(loop *l, long long timeout_ms) {
    long long limit = timeout_ms < 0 ? -1 : timeout_ms;
    if (l->heap_len > 0) {
        long long left_us = l->slots[l->heap[0]].due_us - loop_mono_us();
        long long left = left_us <= 0 ? 0 : (left_us + 999) / 1000;
        if (limit < 0 || left < limit) limit = left;
    }
    if (limit > INT_MAX) limit = INT_MAX;
    return (int)limit;
}

/* ---- running ---- */

void loop_set_before_sleep(loop *l, loop_hook_cb *cb, void *data) {
    l->before_cb = cb;
    l->before_data = data;
}

void loop_set_after_sleep(loop *l, loop_hook_cb *cb, void *data) {
    l->after_cb = cb;
    l->after_data = data;
}

int loop_run_once(loop *l, long long timeout_ms) {
    /* A nested call (from a busy script, inside a file callback) must not
     * overwrite the events the outer call is still going through. */
    struct epoll_event nested[64];
    struct epoll_event *events = l->depth ? nested : l->events;
    int max_events = l->depth ? 64 : MAX_EVENTS;
    l->depth++;
    if (l->before_cb) l->before_cb(l, l->before_data);
    int n = epoll_wait(l->epfd, events, max_events, wait_ms(l, timeout_ms));
    if (n < 0) n = 0; /* EINTR: a signal handler ran; timers still get their turn */
    if (l->after_cb) l->after_cb(l, l->after_data);
    int ran = 0;
    for (int i = 0; i < n; i++) {
        struct epoll_event *ev = &events[i];
        if (ev->data.u64 == WAKE_TAG) {
            drain_wake(l);
            continue;
        }
        int fd = (int)(uint32_t)ev->data.u64;
        uint32_t gen = (uint32_t)(ev->data.u64 >> 32);
        int all = (ev->events & (EPOLLERR | EPOLLHUP)) != 0;
        if (all || (ev->events & EPOLLIN)) ran += dispatch_one(l, fd, gen, LOOP_READABLE);
        if (all || (ev->events & EPOLLOUT)) ran += dispatch_one(l, fd, gen, LOOP_WRITABLE);
    }
    ran += run_timers(l);
    l->depth--;
    return ran;
}

void loop_run(loop *l) {
    l->stop = 0;
    while (!l->stop)
        loop_run_once(l, -1);
}

void loop_stop(loop *l) {
    l->stop = 1;
}
