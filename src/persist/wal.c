/*
 * wal.c - the write-ahead log's writer (see wal.h; the reader is in
 * wal_read.c).
 *
 * Threads: the main thread builds batches and seals them into frames; one
 * writer thread owns the segment files. They meet at a queue under one
 * mutex. The writer publishes progress through two atomics (written_lsn,
 * synced_lsn) and wakes the loop, so the main thread never waits for the
 * disk: while a group of frames syncs, it reads and executes the next
 * requests, and their frames form the next group (group commit).
 *
 * Frames stay in memory until they are synced (or, under `appendfsync no`,
 * written): after a failed write or fsync the file's state is unknown, so
 * the writer starts a fresh segment at the first unsynced frame and writes
 * them all again. Readers stop reading a segment at the first LSN its
 * successor starts with, so the abandoned copy never counts.
 *
 * Segments are preallocated with fallocate, the next one while the writer
 * is idle, so ENOSPC shows up before a frame depends on the space; the
 * first one of a run is also zeroed (see zero_first_segment).
 */
#include "persist/wal.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

#include "ds/crc32c.h"
#include "ds/endian.h"
#include "ds/mem.h"
#include "proto/resp.h"
#include "server/clock.h"
#include "server/config.h"
#include "server/fsutil.h"
#include "server/log.h"
#include "server/propagate.h"

#define MAX_PENDING_BYTES (256LL * 1024 * 1024) /* sealed, unwritten: the loop waits beyond */
#define IOV_MAX_GROUP 64
#define SLOW_SYNC_US 2000000

typedef struct frame_buf {
    struct frame_buf *next;
    uint64_t lsn;
    size_t len, cap; /* len includes the frame header */
    char data[];
} frame_buf;

typedef struct segment_info {
    uint64_t first_lsn;
    long long used; /* bytes of header + frames */
} segment_info;

static struct {
    int open;
    char dir[4096];  /* <data dir>/wal */

    /* main thread only */
    frame_buf *batch;
    int batch_db;
    uint64_t last_lsn;
    void (*progress_cb)(void);
    void (*fsync_observer)(long long took_us);

    /* shared, under mu */
    pthread_mutex_t mu;
    pthread_cond_t cv_writer;   /* work for the writer */
    pthread_cond_t cv_main;     /* the main thread waits for room or for close */
    frame_buf *queue_head, *queue_tail;
    long long pending_bytes;
    int stop;
    segment_info *segs;
    int nsegs, segs_cap;
    long long bytes_written, fsyncs, fsync_us_total, fsync_us_max, delayed_fsyncs;
    long long fsync_us_max_untaken; /* the latency monitor's, see wal_take_fsync_max_us() */
    long long write_errors;

    /* writer thread only (errors are published as atomics) */
    pthread_t thread;
    int seg_fd;
    long long seg_off, seg_size;
    int next_fd;                /* preallocated next segment (next.tmp), -1 if none */
    long long next_size;
    int next_reused;            /* next.tmp is a reused segment: written blocks */
    frame_buf *unsynced_head, *unsynced_tail; /* written, not yet synced */
    long long last_sync_us;
    int need_new_segment;

    /* atomics */
    uint64_t written_lsn, synced_lsn;
    int write_error;            /* errno of the failure being retried */
    int space_error;            /* the next segment cannot be preallocated */
} w = {.seg_fd = -1, .next_fd = -1, .mu = PTHREAD_MUTEX_INITIALIZER,
       .cv_writer = PTHREAD_COND_INITIALIZER, .cv_main = PTHREAD_COND_INITIALIZER};

/* CONFIG SET appendfsync takes effect at the writer's next round. */
static int current_policy(void) {
    return __atomic_load_n(&cfg->appendfsync, __ATOMIC_RELAXED);
}

static long long segment_size(void) {
    long long s = cfg->wal_segment_size;
    return s >= 1024 * 1024 ? s : 1024 * 1024;
}

/* --- batches (main thread) --- */

static frame_buf *frame_new(size_t cap) {
    frame_buf *f = mem_alloc(sizeof *f + cap);
    f->next = NULL;
    f->lsn = 0;
    f->cap = cap;
    f->len = WAL_FRAME_HEADER_LEN;
    return f;
}

static void batch_reserve(size_t more) {
    frame_buf *f = w.batch;
    if (f->len + more <= f->cap) return;
    size_t cap = f->cap * 2;
    while (cap < f->len + more) cap *= 2;
    w.batch = mem_realloc(f, sizeof *f + cap);
    w.batch->cap = cap;
}

static void batch_put(const char *p, size_t n) {
    memcpy(w.batch->data + w.batch->len, p, n);
    w.batch->len += n;
}

static void batch_put_header(char type, long long n) {
    char num[24];
    size_t len = resp_ll2str(num, n);
    batch_put(&type, 1);
    batch_put(num, len);
    batch_put("\r\n", 2);
}

static void batch_put_bulk(const char *p, size_t n) {
    batch_reserve(n + 32);
    batch_put_header('$', (long long)n);
    batch_put(p, n);
    batch_put("\r\n", 2);
}

void wal_append(int dbid, int argc, const resp_arg *argv) {
    if (!w.open) return;
    if (!w.batch) {
        w.batch = frame_new(4096);
        w.batch_db = -1;
    }
    if (dbid != w.batch_db) {
        char num[24];
        size_t len = resp_ll2str(num, dbid);
        batch_reserve(64);
        batch_put_header('*', 2);
        batch_put_bulk("SELECT", 6);
        batch_put_bulk(num, len);
        w.batch_db = dbid;
    }
    batch_reserve(32);
    batch_put_header('*', argc);
    for (int i = 0; i < argc; i++) batch_put_bulk(argv[i].ptr, argv[i].len);
}

uint64_t wal_seal(void) {
    if (!w.open || !w.batch) return w.last_lsn;
    frame_buf *f = w.batch;
    w.batch = NULL;
    f->lsn = ++w.last_lsn;
    uint32_t plen = (uint32_t)(f->len - WAL_FRAME_HEADER_LEN);
    le_put_u32(f->data, WAL_FRAME_MAGIC);
    le_put_u32(f->data + 4, plen);
    le_put_u64(f->data + 8, f->lsn);
    uint32_t crc = crc32c(0, f->data + 4, 12);
    crc = crc32c(crc, f->data + WAL_FRAME_HEADER_LEN, plen);
    le_put_u32(f->data + 16, crc);

    pthread_mutex_lock(&w.mu);
    if (w.pending_bytes > MAX_PENDING_BYTES) {
        /* The disk is far behind: waiting here is the only bound on memory. */
        w.delayed_fsyncs++;
        while (w.pending_bytes > MAX_PENDING_BYTES / 2 && !w.stop)
            pthread_cond_wait(&w.cv_main, &w.mu);
    }
    if (w.queue_tail)
        w.queue_tail->next = f;
    else
        w.queue_head = f;
    w.queue_tail = f;
    w.pending_bytes += (long long)f->len;
    pthread_cond_signal(&w.cv_writer);
    pthread_mutex_unlock(&w.mu);
    /* Not f->lsn: once queued, f belongs to the writer, which may already
     * have synced and freed it. */
    return w.last_lsn;
}

uint64_t wal_last_lsn(void) {
    return w.last_lsn;
}

int wal_is_open(void) {
    return w.open;
}

uint64_t wal_acked_lsn(void) {
    if (!w.open) return w.last_lsn;
    if (cfg->appendfsync == FSYNC_ALWAYS) return __atomic_load_n(&w.synced_lsn, __ATOMIC_ACQUIRE);
    return __atomic_load_n(&w.written_lsn, __ATOMIC_ACQUIRE);
}

int wal_acked(uint64_t lsn) {
    return lsn == 0 || !w.open || wal_acked_lsn() >= lsn;
}

void wal_set_progress_callback(void (*fn)(void)) {
    w.progress_cb = fn;
}

void wal_set_fsync_observer(void (*fn)(long long took_us)) {
    w.fsync_observer = fn;
}

const char *wal_writes_refused(void) {
    static char msg[160];
    if (!w.open) return NULL;
    int err = __atomic_load_n(&w.write_error, __ATOMIC_RELAXED);
    if (!err) err = __atomic_load_n(&w.space_error, __ATOMIC_RELAXED);
    if (!err) return NULL;
    snprintf(msg, sizeof msg, "Errors writing to the write-ahead log: %s", strerror(err));
    return msg;
}

void wal_get_stats(wal_stats *out) {
    memset(out, 0, sizeof *out);
    out->last_lsn = w.last_lsn;
    out->written_lsn = __atomic_load_n(&w.written_lsn, __ATOMIC_ACQUIRE);
    out->synced_lsn = __atomic_load_n(&w.synced_lsn, __ATOMIC_ACQUIRE);
    out->write_error = __atomic_load_n(&w.write_error, __ATOMIC_RELAXED);
    if (!out->write_error) out->write_error = __atomic_load_n(&w.space_error, __ATOMIC_RELAXED);
    pthread_mutex_lock(&w.mu);
    out->bytes_written = w.bytes_written;
    for (int i = 0; i < w.nsegs; i++) out->current_size += w.segs[i].used;
    out->segments = w.nsegs;
    out->fsyncs = w.fsyncs;
    out->fsync_us_total = w.fsync_us_total;
    out->fsync_us_max = w.fsync_us_max;
    out->delayed_fsyncs = w.delayed_fsyncs;
    out->pending_bytes = w.pending_bytes;
    out->write_errors = w.write_errors;
    pthread_mutex_unlock(&w.mu);
}

long long wal_take_fsync_max_us(void) {
    pthread_mutex_lock(&w.mu);
    long long max = w.fsync_us_max_untaken;
    w.fsync_us_max_untaken = 0;
    pthread_mutex_unlock(&w.mu);
    return max;
}

/* --- segments (writer thread, except where noted) --- */

static void segment_path(char *out, size_t outlen, uint64_t first_lsn) {
    snprintf(out, outlen, "%s/%020llu.log", w.dir, (unsigned long long)first_lsn);
}

/* Creates (or reuses) next.tmp, preallocated to size bytes. */
static int prepare_next(long long size) {
    if (w.next_fd >= 0) close(w.next_fd);
    char path[4200], spare[4200];
    snprintf(path, sizeof path, "%s/next.tmp", w.dir);
    snprintf(spare, sizeof spare, "%s/spare.tmp", w.dir);
    /* A segment a snapshot made obsolete is reused as it is: its blocks are
     * written already, so syncs over them touch no metadata. Its old frames
     * stay behind the new ones; readers stop at the end marker or at the
     * first frame whose LSN does not continue. */
    struct stat st;
    if (stat(spare, &st) == 0 && st.st_size >= size && rename(spare, path) == 0) {
        w.next_fd = open(path, O_RDWR | O_CLOEXEC);
        if (w.next_fd >= 0) {
            w.next_size = (long long)st.st_size;
            w.next_reused = 1;
            return 0;
        }
    }
    w.next_fd = open(path, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (w.next_fd < 0) return -1;
    int r = posix_fallocate(w.next_fd, 0, size);
    if (r != 0) {
        close(w.next_fd);
        w.next_fd = -1;
        unlink(path);
        errno = r;
        return -1;
    }
    w.next_size = size;
    w.next_reused = 0;
    return 0;
}

/* The first segment of a run is written with zeros before use: a sync of
 * frames written over zeroed blocks carries no metadata (fallocated blocks
 * are "unwritten" until written, and converting them is a journal update
 * per sync), which makes each fdatasync about a quarter cheaper. Later
 * segments are only fallocated: zeroing them while the log is busy makes
 * the zero writes ride along with the log's own syncs. */
static int zero_first_segment(void) {
    static const char zeros[1 << 20];
    if (prepare_next(segment_size()) < 0) return -1;
    if (w.next_reused) return 0;
    for (long long off = 0; off < w.next_size; off += (long long)sizeof zeros) {
        long long n = w.next_size - off < (long long)sizeof zeros ? w.next_size - off
                                                                 : (long long)sizeof zeros;
        if (pwrite(w.next_fd, zeros, (size_t)n, off) != n) return -1;
    }
    return fdatasync(w.next_fd);
}

static void segs_add(uint64_t first_lsn, long long used) {
    pthread_mutex_lock(&w.mu);
    if (w.nsegs == w.segs_cap) {
        w.segs_cap = w.segs_cap ? w.segs_cap * 2 : 16;
        w.segs = mem_realloc(w.segs, (size_t)w.segs_cap * sizeof *w.segs);
    }
    w.segs[w.nsegs].first_lsn = first_lsn;
    w.segs[w.nsegs].used = used;
    w.nsegs++;
    pthread_mutex_unlock(&w.mu);
}

/* Makes the next segment current, starting at first_lsn, big enough for
 * min_size bytes of frames. */
static int open_segment(uint64_t first_lsn, long long min_size) {
    long long size = segment_size();
    if (size < min_size + WAL_SEGMENT_HEADER_LEN) size = min_size + WAL_SEGMENT_HEADER_LEN;
    /* A prepared next segment serves whatever its size, if the frame fits. */
    if ((w.next_fd < 0 || w.next_size < min_size + WAL_SEGMENT_HEADER_LEN) && prepare_next(size) < 0)
        return -1;
    char hdr[WAL_SEGMENT_HEADER_LEN];
    memset(hdr, 0, sizeof hdr);
    memcpy(hdr, WAL_SEGMENT_MAGIC, 8);
    le_put_u32(hdr + 8, WAL_VERSION);
    le_put_u64(hdr + 16, first_lsn);
    size = w.next_size;
    le_put_u32(hdr + 24, (uint32_t)(size > 0xffffffffLL ? 0xffffffffu : (uint32_t)size));
    le_put_u32(hdr + 28, crc32c(0, hdr, 28));
    if (pwrite(w.next_fd, hdr, sizeof hdr, 0) != (ssize_t)sizeof hdr) {
        if (errno == 0) errno = EIO;
        return -1;
    }
    /* The header and the name must be durable before frames count on them. */
    if (fdatasync(w.next_fd) < 0) return -1;
    char tmp[4200], path[4200];
    snprintf(tmp, sizeof tmp, "%s/next.tmp", w.dir);
    segment_path(path, sizeof path, first_lsn);
    if (rename(tmp, path) < 0) return -1;
    if (fs_sync_dir(w.dir) < 0) return -1;
    if (w.seg_fd >= 0) close(w.seg_fd);
    w.seg_fd = w.next_fd;
    w.seg_size = w.next_size;
    w.seg_off = WAL_SEGMENT_HEADER_LEN;
    w.next_fd = -1;
    segs_add(first_lsn, WAL_SEGMENT_HEADER_LEN);
    return 0;
}

/* Idle work: have the next segment preallocated before it is needed, so a
 * full disk shows up (and writes are refused) while the current segment
 * still has room for the frames in flight. */
static void idle_prepare(void) {
    if (w.seg_fd < 0 || w.next_fd >= 0) return;
    int was = __atomic_load_n(&w.space_error, __ATOMIC_RELAXED);
    if (prepare_next(segment_size()) < 0) {
        int err = errno ? errno : EIO;
        /* Writes are refused from now on: say why, once. */
        if (!was)
            log_msg(LOG_WARNING, "Can't preallocate the next write-ahead log segment (%s): "
                    "writes are refused until it succeeds; retrying every second.",
                    strerror(err));
        __atomic_store_n(&w.space_error, err, __ATOMIC_RELAXED);
        return;
    }
    if (was) log_msg(LOG_WARNING, "Write-ahead log segment preallocated: accepting writes.");
    __atomic_store_n(&w.space_error, 0, __ATOMIC_RELAXED);
}

static void free_frames(frame_buf *f) {
    while (f) {
        frame_buf *next = f->next;
        mem_free(f);
        f = next;
    }
}

static void publish(uint64_t *target, uint64_t lsn) {
    __atomic_store_n(target, lsn, __ATOMIC_RELEASE);
}

static void wake_main(void) {
    if (w.progress_cb) w.progress_cb();
}

/* Writes the frames of list (in order) into the current segment, rotating
 * when one does not fit. 0, or -1 with errno. */
static int write_frames(frame_buf *list) {
    frame_buf *f = list;
    while (f) {
        if (w.need_new_segment || w.seg_fd < 0 ||
            w.seg_off + (long long)f->len > w.seg_size) {
            if (w.seg_fd >= 0 && !w.need_new_segment && fdatasync(w.seg_fd) < 0) return -1;
            if (open_segment(f->lsn, (long long)f->len) < 0) return -1;
            w.need_new_segment = 0;
        }
        static const char end_marker[WAL_FRAME_HEADER_LEN];
        struct iovec iov[IOV_MAX_GROUP + 1];
        int n = 0;
        long long bytes = 0;
        frame_buf *g = f;
        while (g && n < IOV_MAX_GROUP && w.seg_off + bytes + (long long)g->len <= w.seg_size) {
            iov[n].iov_base = g->data;
            iov[n].iov_len = g->len;
            bytes += (long long)g->len;
            n++;
            g = g->next;
        }
        /* A zeroed frame header after the last frame marks the end (in a
         * reused segment, old frames follow); the next write covers it. */
        long long marker = w.seg_size - (w.seg_off + bytes);
        if (marker > WAL_FRAME_HEADER_LEN) marker = WAL_FRAME_HEADER_LEN;
        if (marker > 0) {
            iov[n].iov_base = (void *)end_marker;
            iov[n].iov_len = (size_t)marker;
            n++;
        }
        long long off = w.seg_off;
        int i = 0;
        while (i < n) {
            ssize_t r = pwritev(w.seg_fd, iov + i, n - i, off);
            if (r < 0) {
                if (errno == EINTR) continue;
                return -1;
            }
            if (r == 0) {
                errno = EIO;
                return -1;
            }
            off += r;
            while (i < n && (size_t)r >= iov[i].iov_len) {
                r -= (ssize_t)iov[i].iov_len;
                i++;
            }
            if (i < n) {
                iov[i].iov_base = (char *)iov[i].iov_base + r;
                iov[i].iov_len -= (size_t)r;
            }
        }
        w.seg_off = off - marker;
        pthread_mutex_lock(&w.mu);
        w.bytes_written += bytes;
        if (w.nsegs) w.segs[w.nsegs - 1].used = w.seg_off;
        pthread_mutex_unlock(&w.mu);
        f = g;
    }
    return 0;
}

static int do_sync(void) {
    long long start = clock_mono_us();
    if (fdatasync(w.seg_fd) < 0) return -1;
    long long took = clock_mono_us() - start;
    w.last_sync_us = start + took;
    pthread_mutex_lock(&w.mu);
    w.fsyncs++;
    w.fsync_us_total += took;
    if (took > w.fsync_us_max) w.fsync_us_max = took;
    if (took > w.fsync_us_max_untaken) w.fsync_us_max_untaken = took;
    if (took > SLOW_SYNC_US) w.delayed_fsyncs++;
    pthread_mutex_unlock(&w.mu);
    if (w.fsync_observer) w.fsync_observer(took);
    return 0;
}

static void append_unsynced(frame_buf *list, frame_buf *tail) {
    if (!list) return;
    if (w.unsynced_tail)
        w.unsynced_tail->next = list;
    else
        w.unsynced_head = list;
    w.unsynced_tail = tail;
}

/* Syncs the current segment; on success releases the unsynced frames. */
static int sync_unsynced(void) {
    if (!w.unsynced_head) return 0;
    if (do_sync() < 0) return -1;
    publish(&w.synced_lsn, w.unsynced_tail->lsn);
    free_frames(w.unsynced_head);
    w.unsynced_head = w.unsynced_tail = NULL;
    return 0;
}

/* After a failure every unsynced frame is written again into a fresh
 * segment: the failed file's contents are not trusted. */
static void on_failure(int err) {
    if (err == 0) err = EIO;
    if (!__atomic_load_n(&w.write_error, __ATOMIC_RELAXED))
        log_msg(LOG_WARNING, "Write-ahead log write or sync failed (%s): writes are refused "
                "until it succeeds again; retrying every second.", strerror(err));
    __atomic_store_n(&w.write_error, err, __ATOMIC_RELAXED);
    pthread_mutex_lock(&w.mu);
    w.write_errors++;
    pthread_mutex_unlock(&w.mu);
    w.need_new_segment = 1;
}

/* How long the idle writer may sleep: -1 = until signalled. */
static long long idle_wait_us(int policy) {
    if (__atomic_load_n(&w.write_error, __ATOMIC_RELAXED) ||
        __atomic_load_n(&w.space_error, __ATOMIC_RELAXED))
        return 1000000; /* retry in a second */
    if (w.unsynced_head && policy == FSYNC_EVERYSEC) {
        long long due = w.last_sync_us + 1000000 - clock_mono_us();
        return due > 0 ? due : 0;
    }
    if (w.next_fd < 0) return 0; /* prepare the next segment */
    return -1;
}

static void timed_wait(long long us) {
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    long long ns = ts.tv_nsec + (us % 1000000) * 1000;
    ts.tv_sec += us / 1000000 + ns / 1000000000;
    ts.tv_nsec = ns % 1000000000;
    pthread_cond_timedwait(&w.cv_writer, &w.mu, &ts);
}

/* One round: write what is new (or, after a failure, everything unsynced
 * into a fresh segment), sync as the policy asks. Returns 1 when progress
 * was published. */
static int writer_round(frame_buf *group, frame_buf *tail, int policy, int stopping) {
    int retrying = __atomic_load_n(&w.write_error, __ATOMIC_RELAXED) != 0;
    if (group) append_unsynced(group, tail);
    if (!w.unsynced_head) return 0;
    frame_buf *to_write = w.need_new_segment ? w.unsynced_head : group;
    if (to_write && write_frames(to_write) < 0) {
        on_failure(errno);
        return 0;
    }
    publish(&w.written_lsn, w.unsynced_tail->lsn);
    int due = policy == FSYNC_EVERYSEC && clock_mono_us() - w.last_sync_us >= 1000000;
    if (policy == FSYNC_ALWAYS || stopping || retrying || due) {
        if (sync_unsynced() < 0) {
            on_failure(errno);
            return 1;
        }
    } else if (policy == FSYNC_NO) {
        /* Written is all this policy promises: nothing to keep for a retry. */
        free_frames(w.unsynced_head);
        w.unsynced_head = w.unsynced_tail = NULL;
    }
    if (retrying) {
        __atomic_store_n(&w.write_error, 0, __ATOMIC_RELAXED);
        log_msg(LOG_WARNING, "Write-ahead log writes succeed again: accepting writes.");
    }
    return 1;
}

static void *writer_main(void *arg) {
    (void)arg;
    pthread_mutex_lock(&w.mu);
    for (;;) {
        if (!w.queue_head && !w.stop) {
            long long us = idle_wait_us(current_policy());
            if (us < 0)
                pthread_cond_wait(&w.cv_writer, &w.mu);
            else if (us > 0)
                timed_wait(us);
        }
        frame_buf *group = w.queue_head, *tail = w.queue_tail;
        long long group_bytes = w.pending_bytes;
        w.queue_head = w.queue_tail = NULL;
        int stopping = w.stop, policy = current_policy();
        pthread_mutex_unlock(&w.mu);

        int progressed = writer_round(group, tail, policy, stopping);
        if (!group && !stopping && !__atomic_load_n(&w.write_error, __ATOMIC_RELAXED))
            idle_prepare();
        if (progressed) wake_main();

        pthread_mutex_lock(&w.mu);
        if (group) {
            w.pending_bytes -= group_bytes;
            if (w.pending_bytes < 0) w.pending_bytes = 0;
            pthread_cond_broadcast(&w.cv_main);
        }
        /* Stop once everything is synced, or at once if the disk fails:
         * shutdown must not hang on a dead disk. */
        if (stopping && !w.queue_head &&
            (!w.unsynced_head || __atomic_load_n(&w.write_error, __ATOMIC_RELAXED)))
            break;
    }
    pthread_cond_broadcast(&w.cv_main);
    pthread_mutex_unlock(&w.mu);
    return NULL;
}

/* --- open / close (main thread) --- */

int wal_open(const char *dir, uint64_t next_lsn, char *err, size_t errlen) {
    if (w.open) return 0;
    snprintf(w.dir, sizeof w.dir, "%s/wal", dir);
    if (fs_make_dir(w.dir) < 0) {
        snprintf(err, errlen, "can't create %s: %s", w.dir, strerror(errno));
        return -1;
    }
    /* Segments left by earlier runs still hold frames a snapshot may not
     * cover: they stay listed so wal_drop_covered() can delete them. */
    DIR *d = opendir(w.dir);
    if (d) {
        struct dirent *de;
        while ((de = readdir(d))) {
            uint64_t first;
            if (wal_segment_name_lsn(de->d_name, &first) && first < next_lsn) {
                struct stat st;
                char p[4400];
                snprintf(p, sizeof p, "%s/%s", w.dir, de->d_name);
                segs_add(first, stat(p, &st) == 0 ? (long long)st.st_size : 0);
            }
        }
        closedir(d);
    }
    /* Sorted by first LSN (few entries: insertion sort). */
    for (int i = 1; i < w.nsegs; i++)
        for (int j = i; j > 0 && w.segs[j - 1].first_lsn > w.segs[j].first_lsn; j--) {
            segment_info t = w.segs[j];
            w.segs[j] = w.segs[j - 1];
            w.segs[j - 1] = t;
        }
    w.last_lsn = next_lsn - 1;
    w.written_lsn = w.synced_lsn = next_lsn - 1;
    w.stop = 0;
    if (zero_first_segment() < 0 || open_segment(next_lsn, 0) < 0) {
        snprintf(err, errlen, "can't create a log segment in %s: %s", w.dir, strerror(errno));
        return -1;
    }
    w.last_sync_us = clock_mono_us();
    if (pthread_create(&w.thread, NULL, writer_main, NULL) != 0) {
        snprintf(err, errlen, "can't start the log writer thread");
        return -1;
    }
    w.open = 1;
    propagate_set_sink(wal_append);
    return 0;
}

void wal_drop_covered(uint64_t lsn) {
    if (!w.open) return;
    pthread_mutex_lock(&w.mu);
    int drop = 0;
    /* Segment i is covered when its successor starts at or before lsn+1;
     * the last segment is the one being written and always stays. */
    while (drop + 1 < w.nsegs && w.segs[drop + 1].first_lsn <= lsn + 1) drop++;
    for (int i = 0; i < drop; i++) {
        char path[4200], spare[4200];
        segment_path(path, sizeof path, w.segs[i].first_lsn);
        snprintf(spare, sizeof spare, "%s/spare.tmp", w.dir);
        /* One covered segment is kept for reuse (see prepare_next). */
        if (access(spare, F_OK) != 0 && rename(path, spare) == 0) continue;
        if (unlink(path) < 0 && errno != ENOENT)
            log_msg(LOG_WARNING, "Can't delete log segment %s: %s", path, strerror(errno));
    }
    memmove(w.segs, w.segs + drop, (size_t)(w.nsegs - drop) * sizeof *w.segs);
    w.nsegs -= drop;
    pthread_mutex_unlock(&w.mu);
}

void wal_close(void) {
    if (!w.open) return;
    wal_seal();
    pthread_mutex_lock(&w.mu);
    w.stop = 1;
    pthread_cond_signal(&w.cv_writer);
    pthread_mutex_unlock(&w.mu);
    pthread_join(w.thread, NULL);
    log_msg(LOG_VERBOSE, "Write-ahead log closed at LSN %llu (%lld syncs, %lld us on average, "
            "%lld bytes written)", (unsigned long long)w.last_lsn, w.fsyncs,
            w.fsyncs ? w.fsync_us_total / w.fsyncs : 0, w.bytes_written);
    if (w.unsynced_head)
        log_msg(LOG_WARNING, "The write-ahead log could not be synced at shutdown: the last "
                "writes (from LSN %llu) may be lost.", (unsigned long long)w.unsynced_head->lsn);
    free_frames(w.unsynced_head);
    free_frames(w.queue_head);
    w.unsynced_head = w.unsynced_tail = w.queue_head = w.queue_tail = NULL;
    if (w.seg_fd >= 0) close(w.seg_fd);
    if (w.next_fd >= 0) {
        char path[4200];
        close(w.next_fd);
        snprintf(path, sizeof path, "%s/next.tmp", w.dir);
        unlink(path);
    }
    w.seg_fd = w.next_fd = -1;
    mem_free(w.segs);
    w.segs = NULL;
    w.nsegs = w.segs_cap = 0;
    w.open = 0;
    propagate_set_sink(NULL);
}
