/*
 * loop.h - the event loop: epoll (level-triggered) file events, timers, hooks around the
 * sleep, and a wake-up fd.
 *
 * Single-threaded: every function except loop_wake() must be called from the thread that
 * runs the loop. loop_wake() may be called from any thread or from a signal handler.
 *
 * Dispatch guarantees, relied on by the connection code:
 *  - A file callback may unwatch, re-watch or close any fd, including fds that still have
 *    events pending in the same epoll batch: an event is only dispatched if its fd is still
 *    registered (the same registration, not a new one that reused the number) and still
 *    interested in what fired.
 *  - For one fd, the readable call comes before the writable call. The callback is called
 *    once per fired direction; each call's mask holds exactly one of LOOP_READABLE or
 *    LOOP_WRITABLE. Errors and hang-ups fire every direction the fd is registered for.
 *  - Timers run after file events, in due order (ties in arming order). A timer's callback
 *    may delete any timer, itself included; a timer armed or re-armed during a timer pass
 *    runs in a later pass, so a callback returning 0 cannot starve the loop.
 *  - Callbacks must not call loop_run() or loop_free() on their own loop; loop_run_once()
 *    may be nested (a busy script serves clients from inside a command).
 *  - Unwatch an fd (mask LOOP_NONE) before closing it: the loop keeps the registration it
 *    was given and does not notice a close behind its back.
 *
 * Errors: functions returning int give 0 (or a value) on success and -1 with errno set.
 */
#ifndef PAIRDB_LOOP_H
#define PAIRDB_LOOP_H

typedef struct loop loop;

enum { LOOP_NONE = 0, LOOP_READABLE = 1, LOOP_WRITABLE = 2 };

/* Return value of a timer callback that does not want to run again. */
#define LOOP_TIMER_STOP (-1)

/* mask: the one direction that fired (see above). */
typedef void loop_file_cb(loop *l, int fd, void *data, int mask);
/* Returns ms until the next run (0 = next iteration), or LOOP_TIMER_STOP (any negative). */
typedef long long loop_timer_cb(loop *l, long long id, void *data);
typedef void loop_hook_cb(loop *l, void *data);

/* A loop accepting fds 0 .. max_fds-1. NULL on failure with errno set (EINVAL for
 * max_fds <= 0, or the epoll_create1/eventfd error). */
loop *loop_new(int max_fds);
/* Closes the loop's own fds and frees every timer; watched fds are left open. */
void loop_free(loop *l);

/* Sets the full interest mask of fd, replacing the previous one, with one callback and data
 * per fd (a new cb/data replaces the old). mask LOOP_NONE removes fd; removing an fd that is
 * not watched, or that was already closed, succeeds. Errors: ERANGE (fd < 0 or
 * fd >= max_fds), EINVAL (bad mask, or cb NULL with a non-empty mask), or the epoll_ctl
 * error (then the previous registration is kept). */
int loop_watch(loop *l, int fd, int mask, loop_file_cb *cb, void *data);
/* Current interest mask of fd (LOOP_NONE for unwatched or out-of-range fds). */
int loop_mask(loop *l, int fd);
/* Changes max_fds. Errors: EINVAL (max_fds <= 0), EBUSY (a watched fd >= max_fds). */
int loop_resize(loop *l, int max_fds);
int loop_max_fds(loop *l);

/* Arms a timer to run in ms milliseconds (negative counts as 0). Returns its id, > 0 and
 * never reused while the timer exists. */
long long loop_timer_add(loop *l, long long ms, loop_timer_cb *cb, void *data);
/* Deletes a timer: 0, or -1 with errno ENOENT if id is unknown (or already deleted). Safe
 * from inside any callback, including the timer's own (it then does not run again,
 * whatever the callback returns). */
int loop_timer_del(loop *l, long long id);
/* Number of live timers (for tests and INFO). */
long long loop_timer_count(loop *l);

/* Runs before each epoll_wait / right after it returns; cb NULL clears the hook. */
void loop_set_before_sleep(loop *l, loop_hook_cb *cb, void *data);
void loop_set_after_sleep(loop *l, loop_hook_cb *cb, void *data);

/* Runs iterations until loop_stop() is called (from a callback or hook). */
void loop_run(loop *l);
/* Makes loop_run return after the current iteration. Loop thread only; another thread
 * or a signal handler sets its own flag and calls loop_wake(). */
void loop_stop(loop *l);
/* One iteration: before-sleep hook, wait up to timeout_ms (-1 = until the next timer or
 * event; the wait never outlasts the next timer), after-sleep hook, file events, then due
 * timers. Returns the number of callbacks run (file events + timers). */
int loop_run_once(loop *l, long long timeout_ms);
/* Makes a blocked (or the next) epoll_wait return at once. Async-signal-safe and
 * thread-safe; preserves errno. */
void loop_wake(loop *l);

/* Clocks. */
long long loop_mono_us(void); /* CLOCK_MONOTONIC, microseconds */
long long loop_time_ms(void); /* CLOCK_REALTIME, milliseconds */
long long loop_time_us(void); /* CLOCK_REALTIME, microseconds */

#endif
