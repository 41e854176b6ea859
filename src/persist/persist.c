/*
 * persist.c - snapshots on demand and on schedule, backups, the
 * persistence INFO section, and the --backup/--restore command-line modes.
 *
 * One child process at a time. Commands only schedule a background
 * snapshot; persist_before_sleep() forks between loop iterations, right
 * after sealing the log's open batch, so the snapshot's LSN is exactly the
 * state the child's copy-on-write view holds. The child writes the image
 * and leaves with _exit() (it must not run atexit handlers or touch the
 * log's files and thread, which only the parent owns). persist_cron()
 * reaps it without blocking and, on success, drops what the new snapshot
 * covers: older snapshots and log segments.
 *
 * Progress and the child's error text come back through one anonymous
 * MAP_SHARED page.
 */
#include "persist/persist.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <netdb.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "ds/mem.h"
#include "persist/recovery.h"
#include "persist/snapshot.h"
#include "persist/wal.h"
#include "server/command.h"
#include "server/config.h"
#include "server/db.h"
#include "server/fsutil.h"
#include "server/handler.h"
#include "server/latency.h"
#include "server/log.h"
#include "server/server.h"
#include "server/stats.h"

/* Redis retries a failed scheduled save only after this many seconds. */
#define BGSAVE_RETRY_DELAY 5
#define PERSIST_PATH_MAX 1024
#define CHILD_NICE 10

enum child_kind { CHILD_NONE, CHILD_SNAPSHOT, CHILD_BACKUP };

/* What the child shares with the parent. */
typedef struct child_shared {
    snapshot_progress progress;
    char err[512];
} child_shared;

static struct {
    child_shared *shared;
    pid_t child_pid;
    int child_kind;
    uint64_t child_lsn;
    long long child_start_ms;  /* unix ms */
    long long child_dirty;     /* stats.dirty when it forked */
    long long child_wal_bytes; /* log bytes written when it forked */
    int child_is_rewrite;      /* started by BGREWRITEAOF */

    int bgsave_scheduled;
    int rewrite_scheduled; /* the scheduled one was asked as BGREWRITEAOF */

    long long last_save_time; /* unix seconds */
    long long last_try_time;  /* unix seconds of the last background attempt */
    int last_bgsave_ok;
    long long last_bgsave_time_sec;
    long long rdb_saves;
    long long dirty_at_last_save;
    long long wal_bytes_at_last_save;
    uint64_t snapshot_last_lsn;

    int last_rewrite_ok;
    long long last_rewrite_time_sec;
    long long rewrites, rewrite_failures_in_row;

    long long cow_current, cow_peak, cow_last, cow_changed_ms;

    long long latest_fork_usec, total_forks; /* INFO stats */

    int backup_pending; /* BACKUP asked: forks before the loop sleeps */
    int backup_ok;      /* -1 before any backup */
    char backup_dir[PERSIST_PATH_MAX];
    int shutdown_done;
} P = {.last_bgsave_ok = 1,
       .last_bgsave_time_sec = -1,
       .last_rewrite_ok = 1,
       .last_rewrite_time_sec = -1,
       .backup_ok = -1};

static void ensure_started(void);

static long long now_sec(void) {
    return clock_now_ms() / 1000;
}

void persist_fork_stats(long long *latest_usec, long long *total) {
    *latest_usec = P.latest_fork_usec;
    *total = P.total_forks;
}

int persist_child_active(void) {
    return P.child_pid > 0;
}

/* A child runs, or a backup's is about to be forked. */
static int child_busy(void) {
    return P.child_pid > 0 || P.backup_pending;
}

/* ---- choosing the LSN ------------------------------------------------------------------------ */

/* The LSN of an image taken now. With the log open, sealing the open batch
 * first makes every write applied so far part of a frame <= the LSN. With
 * the log closed the dataset is at the LSN recovery left it at; snapshots
 * never go backwards, so a later one replaces an earlier one of the same
 * LSN (the rename is atomic). */
static uint64_t snapshot_lsn_now(void) {
    uint64_t lsn = recovery_lsn();
    if (wal_is_open()) {
        uint64_t sealed = wal_seal();
        if (sealed > lsn) lsn = sealed;
        if (wal_last_lsn() > lsn) lsn = wal_last_lsn();
    }
    if (P.snapshot_last_lsn > lsn) lsn = P.snapshot_last_lsn;
    return lsn;
}

static long long wal_bytes_written(void) {
    if (!wal_is_open()) return 0;
    wal_stats ws;
    wal_get_stats(&ws);
    return ws.bytes_written;
}

/* After a snapshot at lsn exists: what it covers can go. */
static void snapshot_done(uint64_t lsn, long long dirty_then, long long wal_bytes_then) {
    /* LASTSAVE is the image's own time, the one reported again after a
     * restart loads it. */
    char path[PERSIST_PATH_MAX], err[256];
    uint64_t found_lsn;
    long long created_ms;
    P.last_save_time = now_sec();
    if (snapshot_find_newest(".", path, sizeof path, &found_lsn, 0, err, sizeof err) == 1 &&
        found_lsn == lsn && snapshot_read_info(path, NULL, &created_ms, err, sizeof err) == 0)
        P.last_save_time = created_ms / 1000;
    P.rdb_saves++;
    P.dirty_at_last_save = dirty_then;
    P.wal_bytes_at_last_save = wal_bytes_then;
    P.snapshot_last_lsn = lsn;
    snapshot_drop_older(".", lsn);
    if (wal_is_open()) wal_drop_covered(lsn);
}

/* ---- in-process save ----------------------------------------------------------------------- */

static int save_in_process(void) {
    uint64_t lsn = snapshot_lsn_now();
    long long dirty = stats.dirty, wal_bytes = wal_bytes_written();
    char err[512];
    long long start = clock_mono_us();
    if (snapshot_write(".", lsn, NULL, err, sizeof err) < 0) {
        log_msg(LOG_WARNING, "Failed saving the DB: %s", err);
        P.last_bgsave_ok = 0;
        return -1;
    }
    snapshot_done(lsn, dirty, wal_bytes);
    P.last_bgsave_ok = 1;
    log_msg(LOG_NOTICE, "DB saved on disk (lsn %llu, %lld ms)", (unsigned long long)lsn,
            (clock_mono_us() - start) / 1000);
    return 0;
}

/* ---- switching the log at run time --------------------------------------------------------- */

int persist_set_appendonly(int on, const char **err) {
    static char msg[600];
    if (recovery_loading()) return 0; /* recovery opens the log when it ends */
    if (!on) {
        wal_close();
        return 0;
    }
    if (wal_is_open()) return 0;
    /* Writes made while the log was off are in no frame: a snapshot first
     * holds them, and the log continues from its LSN. */
    if (child_busy()) {
        *err = "a snapshot is being written; retry when it has finished";
        return -1;
    }
    if (save_in_process() < 0) {
        *err = "can't write the snapshot the log would start from (see the log file)";
        return -1;
    }
    char why[512];
    if (wal_open(".", P.snapshot_last_lsn + 1, why, sizeof why) < 0) {
        snprintf(msg, sizeof msg, "can't open the write-ahead log: %s", why);
        *err = msg;
        return -1;
    }
    wal_drop_covered(P.snapshot_last_lsn);
    log_msg(LOG_NOTICE, "Write-ahead log opened at run time from LSN %llu",
            (unsigned long long)P.snapshot_last_lsn + 1);
    return 0;
}

/* ---- the child ----------------------------------------------------------------------------- */

static int shared_map(void) {
    if (P.shared) return 0;
    void *p =
        mmap(NULL, sizeof(child_shared), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED) return -1;
    P.shared = p;
    return 0;
}

static int write_text_file(const char *path, const char *text) {
    char tmp[PERSIST_PATH_MAX + 8];
    if (snprintf(tmp, sizeof tmp, "%s.tmp", path) >= (int)sizeof tmp) return -1;
    int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0) return -1;
    size_t len = strlen(text);
    int ok = write(fd, text, len) == (ssize_t)len && fsync(fd) == 0;
    if (close(fd) < 0) ok = 0;
    if (!ok || rename(tmp, path) < 0) {
        unlink(tmp);
        return -1;
    }
    return 0;
}

/* In the child: the snapshot, then for a backup its manifest. */
static int child_work(int kind, const char *dir, uint64_t lsn) {
    child_shared *sh = P.shared;
    if (snapshot_write(dir, lsn, &sh->progress, sh->err, sizeof sh->err) < 0) return 1;
    if (kind != CHILD_BACKUP) return 0;
    char path[PERSIST_PATH_MAX + 16], text[512];
    snprintf(path, sizeof path, "%s/BACKUP", dir);
    snprintf(text, sizeof text, "pairdb_version:%s\nlsn:%llu\ntime:%lld\nkeys:%lld\n",
             PAIRDB_VERSION, (unsigned long long)lsn, now_sec(), sh->progress.keys_done);
    if (write_text_file(path, text) < 0 || fs_sync_dir(dir) < 0) {
        snprintf(sh->err, sizeof sh->err, "Can't write %.400s: %s", path, strerror(errno));
        return 1;
    }
    return 0;
}

static int start_child(int kind, const char *dir) {
    if (shared_map() < 0) {
        log_msg(LOG_WARNING, "Can't map memory shared with the save child: %s", strerror(errno));
        return -1;
    }
    uint64_t lsn = snapshot_lsn_now();
    memset(P.shared, 0, sizeof *P.shared);
    long long dirty = stats.dirty, wal_bytes = wal_bytes_written();
    long long fork_start = clock_mono_us();
    pid_t pid = fork();
    if (pid > 0) {
        P.latest_fork_usec = clock_mono_us() - fork_start;
        P.total_forks++;
    }
    if (pid < 0) {
        log_msg(LOG_WARNING, "Can't save in background: fork: %s", strerror(errno));
        return -1;
    }
    if (pid == 0) {
        /* The parent's signal handlers would wake its loop; the child ends
         * with _exit() whatever happens. */
        signal(SIGTERM, SIG_DFL);
        signal(SIGINT, SIG_DFL);
        /* Background work: where it shares a core with the server, the
         * server's requests go first (SCHED_IDLE: the child runs when the
         * core has nothing else to do; a lower nice value where that policy
         * is refused). */
        struct sched_param sp = {0};
        if (sched_setscheduler(0, SCHED_IDLE, &sp) < 0 &&
            setpriority(PRIO_PROCESS, 0, CHILD_NICE) < 0) {
        }
        _exit(child_work(kind, dir, lsn));
    }
    P.child_pid = pid;
    P.child_kind = kind;
    P.child_lsn = lsn;
    P.child_start_ms = clock_now_ms();
    P.child_dirty = dirty;
    P.child_wal_bytes = wal_bytes;
    P.cow_current = P.cow_peak = 0;
    P.cow_changed_ms = P.child_start_ms;
    P.last_try_time = now_sec();
    log_msg(LOG_NOTICE, "Background %s started by pid %d (lsn %llu)",
            kind == CHILD_BACKUP ? "backup" : "saving", (int)pid, (unsigned long long)lsn);
    return 0;
}

/* Private_Dirty of the child: the pages copy-on-write has duplicated. */
static long long child_cow_bytes(pid_t pid) {
    char path[64], line[256];
    snprintf(path, sizeof path, "/proc/%d/smaps_rollup", (int)pid);
    FILE *fp = fopen(path, "r");
    if (!fp) return -1;
    long long kb = -1;
    while (fgets(line, sizeof line, fp)) {
        if (strncmp(line, "Private_Dirty:", 14) == 0) {
            kb = atoll(line + 14);
            break;
        }
    }
    fclose(fp);
    return kb < 0 ? -1 : kb * 1024;
}

static void child_finished(int ok) {
    long long secs = (clock_now_ms() - P.child_start_ms + 500) / 1000;
    P.cow_last = P.cow_current;
    if (P.child_kind == CHILD_BACKUP) {
        P.backup_ok = ok;
        if (ok)
            log_msg(LOG_NOTICE, "Backup into %s done (lsn %llu)", P.backup_dir,
                    (unsigned long long)P.child_lsn);
        else
            log_msg(LOG_WARNING, "Backup into %s failed: %s", P.backup_dir,
                    P.shared->err[0] ? P.shared->err : "child failed");
    } else {
        P.last_bgsave_ok = ok;
        P.last_bgsave_time_sec = secs;
        if (P.child_is_rewrite) {
            P.last_rewrite_ok = ok;
            P.last_rewrite_time_sec = secs;
            P.rewrites++;
            P.rewrite_failures_in_row = ok ? 0 : P.rewrite_failures_in_row + 1;
        }
        if (ok) {
            snapshot_done(P.child_lsn, P.child_dirty, P.child_wal_bytes);
            log_msg(LOG_NOTICE, "Background saving terminated with success");
        } else {
            log_msg(LOG_WARNING, "Background saving error: %s",
                    P.shared->err[0] ? P.shared->err : "child failed");
        }
    }
    P.child_pid = 0;
    P.child_kind = CHILD_NONE;
    P.child_is_rewrite = 0;
}

static void reap_child(void) {
    if (!P.child_pid) return;
    int status;
    pid_t r = waitpid(P.child_pid, &status, WNOHANG);
    if (r == 0) {
        long long cow = child_cow_bytes(P.child_pid);
        if (cow >= 0 && cow != P.cow_current) {
            P.cow_current = cow;
            P.cow_changed_ms = clock_now_ms();
            if (cow > P.cow_peak) P.cow_peak = cow;
        }
        return;
    }
    if (r < 0 && errno == EINTR) return;
    child_finished(r == P.child_pid && WIFEXITED(status) && WEXITSTATUS(status) == 0);
}

/* ---- triggers ------------------------------------------------------------------------------ */

/* 1 when one of the `save <seconds> <changes>` points is due. */
static int save_point_due(void) {
    const char *s = cfg->save;
    if (!s || !s[0]) return 0;
    long long changes = stats.dirty - P.dirty_at_last_save;
    long long elapsed = now_sec() - P.last_save_time;
    /* After a failure, wait before trying again (as Redis). */
    if (!P.last_bgsave_ok && now_sec() - P.last_try_time < BGSAVE_RETRY_DELAY) return 0;
    while (*s) {
        char *end;
        long long secs = strtoll(s, &end, 10);
        if (end == s) break;
        s = end;
        long long need = strtoll(s, &end, 10);
        if (end == s) break;
        s = end;
        if (changes >= need && elapsed >= secs && changes > 0) {
            log_msg(LOG_NOTICE, "%lld changes in %lld seconds. Saving...", need, secs);
            return 1;
        }
    }
    return 0;
}

static int wal_size_due(void) {
    long long limit = config_get_int("wal-snapshot-size");
    if (limit <= 0 || !wal_is_open()) return 0;
    if (!P.last_bgsave_ok && now_sec() - P.last_try_time < BGSAVE_RETRY_DELAY) return 0;
    return wal_bytes_written() - P.wal_bytes_at_last_save >= limit;
}

/* The changes counted since the last snapshot start once the dataset is
 * loaded: what loading replayed is on disk already. Run before the loop
 * polls, so before any client's write of that iteration. */
static void track_loading(void) {
    static int baseline_taken;
    if (baseline_taken || recovery_loading()) return;
    baseline_taken = 1;
    P.dirty_at_last_save = stats.dirty;
    P.wal_bytes_at_last_save = wal_bytes_written();
}

/* The writer thread measures fsyncs; the latency monitor is main-thread
 * only, so the longest one since the last tick is handed over here. */
static void report_fsync_latency(void) {
    long long fsync_us = wal_take_fsync_max_us();
    if (fsync_us) latency_add_sample_if_needed("wal-fsync", fsync_us / 1000);
}

void persist_cron(void) {
    report_fsync_latency();
    ensure_started();
    if (P.shutdown_done) return;
    reap_child();
    if (recovery_loading() || child_busy() || P.bgsave_scheduled) return;
    if (save_point_due() || wal_size_due()) P.bgsave_scheduled = 1;
}

/* Forks the backup asked during this iteration. */
static void start_backup(void) {
    P.backup_pending = 0;
    if (start_child(CHILD_BACKUP, P.backup_dir) < 0) {
        P.backup_ok = 0;
        log_msg(LOG_WARNING, "Backup into %s failed: can't start the child", P.backup_dir);
    }
}

void persist_before_sleep(void) {
    track_loading();
    if (P.shutdown_done) return;
    if (P.backup_pending && !P.child_pid) start_backup();
    if (!P.bgsave_scheduled || P.child_pid) return;
    P.bgsave_scheduled = 0;
    int rewrite = P.rewrite_scheduled;
    P.rewrite_scheduled = 0;
    if (start_child(CHILD_SNAPSHOT, ".") < 0) {
        P.last_bgsave_ok = 0;
        P.last_try_time = now_sec();
        if (rewrite) P.last_rewrite_ok = 0;
        return;
    }
    P.child_is_rewrite = rewrite;
}

static void kill_child(void) {
    if (!P.child_pid) return;
    kill(P.child_pid, SIGKILL);
    int status;
    while (waitpid(P.child_pid, &status, 0) < 0 && errno == EINTR) {
    }
    char path[PERSIST_PATH_MAX + 64];
    const char *dir = P.child_kind == CHILD_BACKUP ? P.backup_dir : ".";
    snprintf(path, sizeof path, "%s/%s/%020llu.pdb.tmp", dir, SNAPSHOT_DIR,
             (unsigned long long)P.child_lsn);
    unlink(path);
    log_msg(LOG_NOTICE, "Killed the background %s child (pid %d)",
            P.child_kind == CHILD_BACKUP ? "backup" : "saving", (int)P.child_pid);
    if (P.child_kind == CHILD_BACKUP) P.backup_ok = 0;
    P.child_pid = 0;
    P.child_kind = CHILD_NONE;
}

int persist_on_shutdown(int flags) {
    ensure_started();
    if (P.shutdown_done) return 0;
    kill_child();
    if (P.backup_pending) {
        P.backup_pending = 0;
        P.backup_ok = 0;
    }
    int want =
        !(flags & SHUTDOWN_NOSAVE) && ((flags & SHUTDOWN_SAVE) || (cfg->save && cfg->save[0]));
    if (want) {
        log_msg(LOG_NOTICE, "Saving the final snapshot before exiting.");
        if (save_in_process() < 0) {
            log_msg(LOG_WARNING, "Error trying to save the DB, can't exit.");
            return -1;
        }
    }
    P.shutdown_done = 1;
    return 0;
}

/* ---- commands ------------------------------------------------------------------------------ */

/* A background snapshot counts as in progress from the moment it is
 * scheduled: the fork follows before the loop sleeps. */
static int snapshot_pending(void) {
    return P.bgsave_scheduled || P.child_kind == CHILD_SNAPSHOT;
}

static void save_command(client *c) {
    ensure_started();
    if (child_busy() || P.bgsave_scheduled) {
        reply_error(c, "ERR Background save already in progress");
        return;
    }
    if (save_in_process() < 0) {
        reply_error(c, "ERR");
        return;
    }
    reply_ok(c);
}

static void bgsave_command(client *c) {
    int schedule = 0;
    if (c->argc > 1) {
        if (c->argc > 2 || !arg_is(&c->argv[1], "schedule")) {
            reply_error_syntax(c);
            return;
        }
        schedule = 1;
    }
    if (snapshot_pending()) {
        reply_error(c, "ERR Background save already in progress");
    } else if (child_busy()) {
        if (schedule || (c->flags & CLIENT_MULTI)) {
            P.bgsave_scheduled = 1;
            reply_status(c, "Background saving scheduled");
        } else {
            reply_error(c, "ERR Another child process is active (AOF?): can't BGSAVE right now. "
                           "Use BGSAVE SCHEDULE in order to schedule a BGSAVE whenever possible.");
        }
    } else {
        P.bgsave_scheduled = 1;
        reply_status(c, "Background saving started");
    }
}

/* The log is compacted by a snapshot: BGREWRITEAOF is a BGSAVE. */
static void bgrewriteaof_command(client *c) {
    if (P.child_is_rewrite || (P.bgsave_scheduled && P.rewrite_scheduled)) {
        reply_error(c, "ERR Background append only file rewriting already in progress");
    } else if (child_busy() || P.bgsave_scheduled) {
        P.bgsave_scheduled = 1;
        P.rewrite_scheduled = 1;
        reply_status(c, "Background append only file rewriting scheduled");
    } else {
        P.bgsave_scheduled = 1;
        P.rewrite_scheduled = 1;
        reply_status(c, "Background append only file rewriting started");
    }
}

static void lastsave_command(client *c) {
    ensure_started();
    reply_int(c, P.last_save_time);
}

/* 1 when dir/sub exists and holds any entry. */
static int dir_has_entries(const char *dir, const char *sub) {
    char path[PERSIST_PATH_MAX + 16];
    snprintf(path, sizeof path, "%s/%s", dir, sub);
    DIR *d = opendir(path);
    if (!d) return errno != ENOENT;
    struct dirent *de;
    int found = 0;
    while (!found && (de = readdir(d)) != NULL)
        found = strcmp(de->d_name, ".") != 0 && strcmp(de->d_name, "..") != 0;
    closedir(d);
    return found;
}

static int make_dir(const char *path, char *err, size_t errlen) {
    if (fs_make_dir(path) < 0) {
        snprintf(err, errlen, "can't create %s: %s", path, strerror(errno));
        return -1;
    }
    return 0;
}

/* Creates dir, dir/snap and dir/wal for a backup or a restore, refusing a
 * directory that already holds data. */
static int prepare_data_dir(const char *dir, char *err, size_t errlen) {
    if (dir_has_entries(dir, SNAPSHOT_DIR) || dir_has_entries(dir, "wal")) {
        snprintf(err, errlen, "directory %s already holds snap/ or wal/ data", dir);
        return -1;
    }
    char path[PERSIST_PATH_MAX + 16];
    if (make_dir(dir, err, errlen) < 0) return -1;
    snprintf(path, sizeof path, "%s/%s", dir, SNAPSHOT_DIR);
    if (make_dir(path, err, errlen) < 0) return -1;
    snprintf(path, sizeof path, "%s/wal", dir);
    return make_dir(path, err, errlen);
}

static void backup_command(client *c) {
    const resp_arg *a = &c->argv[1];
    int bad = a->len == 0 || a->len >= PERSIST_PATH_MAX;
    for (size_t i = 0; !bad && i < a->len; i++)
        bad = (unsigned char)a->ptr[i] < 0x20;
    if (bad) {
        reply_error(c, "ERR invalid backup directory");
        return;
    }
    if (child_busy() || P.bgsave_scheduled) {
        reply_error(c, "ERR Background save already in progress");
        return;
    }
    char dir[PERSIST_PATH_MAX], err[PERSIST_PATH_MAX + 128];
    memcpy(dir, a->ptr, a->len);
    dir[a->len] = '\0';
    if (prepare_data_dir(dir, err, sizeof err) < 0) {
        reply_errorf(c, "ERR Backup refused: %s", err);
        return;
    }
    /* Forked before the loop sleeps, as BGSAVE: the snapshot's LSN then
     * closes a whole batch of the log. */
    snprintf(P.backup_dir, sizeof P.backup_dir, "%s", dir);
    P.backup_pending = 1;
    reply_status(c, "Backup started");
}

#define PERSIST_FLAGS (CMD_ADMIN | CMD_NOSCRIPT | CMD_NO_ASYNC_LOADING)

static command persist_commands[] = {
    {"save", save_command, 1, PERSIST_FLAGS | CMD_NO_MULTI, 0, 0, 0, 0,
     .summary = "Write a snapshot now, blocking until it is done", .since = "1.0.0",
     .group = "server", .complexity = "O(N) in the keys of all databases"},
    {"bgsave", bgsave_command, -1, PERSIST_FLAGS, 0, 0, 0, 0,
     .summary = "Start writing a snapshot in the background", .since = "1.0.0", .group = "server",
     .complexity = "O(1)"},
    {"bgrewriteaof", bgrewriteaof_command, 1, PERSIST_FLAGS, 0, 0, 0, 0,
     .summary = "Start rewriting the append log in the background", .since = "1.0.0",
     .group = "server", .complexity = "O(1)"},
    {"lastsave", lastsave_command, 1, CMD_LOADING | CMD_STALE | CMD_FAST, ACL_ADMIN | ACL_DANGEROUS,
     0, 0, 0, .summary = "Give the unix time of the last snapshot written without error",
     .since = "1.0.0", .group = "server", .complexity = "O(1)"},
    {"backup", backup_command, 2, PERSIST_FLAGS | CMD_NO_MULTI, 0, 0, 0, 0,
     .summary = "Write a consistent copy of the dataset into a new directory", .since = "0.1.0",
     .group = "server", .complexity = "O(1) to start; the copy is O(N) in a child process"},
    {0},
};

/* LASTSAVE at start: the loaded snapshot's time, or the start time. Read
 * on first use, once the server runs in its data directory. */
static void init_last_save_time(void) {
    char path[PERSIST_PATH_MAX], err[256];
    uint64_t lsn;
    long long created_ms;
    P.last_save_time = stats.start_time_ms / 1000;
    if (snapshot_find_newest(".", path, sizeof path, &lsn, 0, err, sizeof err) == 1 &&
        snapshot_read_info(path, NULL, &created_ms, err, sizeof err) == 0) {
        P.last_save_time = created_ms / 1000;
        P.snapshot_last_lsn = lsn;
    }
    if (P.last_save_time <= 0) P.last_save_time = now_sec();
}

static void ensure_started(void) {
    static int started;
    if (started) return;
    started = 1;
    init_last_save_time();
}

void persist_register(void) {
    command_register(persist_commands);
}

/* ---- INFO persistence ---------------------------------------------------------------------- */

static void info_loading(resp_buf *b) {
    recovery_progress rp;
    recovery_get_progress(&rp);
    resp_buf_appendf(b, "loading:%d\r\nasync_loading:0\r\n", rp.loading ? 1 : 0);
    if (!rp.loading) return;
    resp_buf_appendf(b, "loading_start_time:%lld\r\nloading_total_bytes:%lld\r\n", rp.start_time,
                     rp.total_bytes);
    resp_buf_appendf(b, "loading_rdb_used_mem:%zu\r\nloading_loaded_bytes:%lld\r\n", mem_used(),
                     rp.loaded_bytes);
    resp_buf_appendf(b, "loading_loaded_perc:%.2f\r\nloading_eta_seconds:%lld\r\n", rp.perc,
                     rp.eta_seconds);
}

static void info_fork(resp_buf *b) {
    int active = P.child_pid > 0;
    long long done = active ? P.shared->progress.keys_done : 0;
    long long total = active ? P.shared->progress.keys_total : 0;
    double perc = total > 0 ? (double)done * 100.0 / (double)total : 0.0;
    resp_buf_appendf(
        b, "current_cow_peak:%lld\r\ncurrent_cow_size:%lld\r\ncurrent_cow_size_age:%lld\r\n",
        active ? P.cow_peak : 0, active ? P.cow_current : 0,
        active ? (clock_now_ms() - P.cow_changed_ms) / 1000 : 0);
    resp_buf_appendf(b,
                     "current_fork_perc:%.2f\r\ncurrent_save_keys_processed:%lld\r\n"
                     "current_save_keys_total:%lld\r\n",
                     perc, done, total);
}

static void info_rdb(resp_buf *b) {
    int active = snapshot_pending();
    long long changes = stats.dirty - P.dirty_at_last_save;
    resp_buf_appendf(b, "rdb_changes_since_last_save:%lld\r\n", changes > 0 ? changes : 0);
    resp_buf_appendf(b, "rdb_bgsave_in_progress:%d\r\nrdb_last_save_time:%lld\r\n", active,
                     P.last_save_time);
    resp_buf_appendf(b, "rdb_last_bgsave_status:%s\r\nrdb_last_bgsave_time_sec:%lld\r\n",
                     P.last_bgsave_ok ? "ok" : "err", P.last_bgsave_time_sec);
    resp_buf_appendf(
        b, "rdb_current_bgsave_time_sec:%lld\r\nrdb_saves:%lld\r\nrdb_last_cow_size:%lld\r\n",
        P.child_kind == CHILD_SNAPSHOT ? (clock_now_ms() - P.child_start_ms) / 1000 : -1,
        P.rdb_saves, P.cow_last);
    recovery_progress rp;
    recovery_get_progress(&rp);
    resp_buf_appendf(b, "rdb_last_load_keys_expired:0\r\nrdb_last_load_keys_loaded:%lld\r\n",
                     rp.keys_loaded);
}

static void info_aof(resp_buf *b) {
    /* A rewrite asked while no child runs forks before the loop sleeps: it
     * is in progress already; one asked while a child runs waits. */
    int waiting = P.bgsave_scheduled && P.rewrite_scheduled;
    int rewriting = P.child_is_rewrite || (waiting && !child_busy());
    waiting = waiting && child_busy();
    resp_buf_appendf(b,
                     "aof_enabled:%d\r\naof_rewrite_in_progress:%d\r\naof_rewrite_scheduled:%d\r\n",
                     wal_is_open() ? 1 : 0, rewriting, waiting);
    resp_buf_appendf(b, "aof_last_rewrite_time_sec:%lld\r\naof_current_rewrite_time_sec:%lld\r\n",
                     P.last_rewrite_time_sec,
                     P.child_is_rewrite ? (clock_now_ms() - P.child_start_ms) / 1000 : -1);
    wal_stats ws = {0};
    if (wal_is_open()) wal_get_stats(&ws);
    resp_buf_appendf(b,
                     "aof_last_bgrewrite_status:%s\r\naof_rewrites:%lld\r\n"
                     "aof_rewrites_consecutive_failures:%lld\r\naof_last_write_status:%s\r\n",
                     P.last_rewrite_ok ? "ok" : "err", P.rewrites, P.rewrite_failures_in_row,
                     ws.write_error ? "err" : "ok");
    resp_buf_appendf(
        b, "aof_last_cow_size:%lld\r\nmodule_fork_in_progress:0\r\nmodule_fork_last_cow_size:0\r\n",
        P.cow_last);
    if (!wal_is_open()) return;
    resp_buf_appendf(b, "aof_current_size:%lld\r\naof_base_size:0\r\naof_pending_rewrite:%d\r\n",
                     ws.current_size, waiting);
    resp_buf_appendf(
        b, "aof_buffer_length:%lld\r\naof_pending_bio_fsync:%d\r\naof_delayed_fsync:%lld\r\n",
        ws.pending_bytes, ws.written_lsn > ws.synced_lsn, ws.delayed_fsyncs);
    resp_buf_appendf(b, "wal_last_lsn:%llu\r\nwal_synced_lsn:%llu\r\nwal_segments:%lld\r\n",
                     (unsigned long long)ws.last_lsn, (unsigned long long)ws.synced_lsn,
                     ws.segments);
    resp_buf_appendf(b, "wal_fsyncs:%lld\r\nwal_fsync_avg_us:%lld\r\nwal_fsync_max_us:%lld\r\n",
                     ws.fsyncs, ws.fsyncs ? ws.fsync_us_total / ws.fsyncs : 0, ws.fsync_us_max);
    resp_buf_appendf(b, "wal_write_errors:%lld\r\n", ws.write_errors);
}

void persist_get_status(persist_status *out) {
    ensure_started();
    long long changes = stats.dirty - P.dirty_at_last_save;
    out->snapshot_in_progress = snapshot_pending();
    out->last_snapshot_ok = P.last_bgsave_ok;
    out->last_snapshot_seconds = P.last_bgsave_time_sec;
    out->last_save_time = P.last_save_time;
    out->snapshots = P.rdb_saves;
    out->changes_since_save = changes > 0 ? changes : 0;
}

void persist_info(resp_buf *b) {
    ensure_started();
    resp_buf_appendf(b, "# Persistence\r\n");
    info_loading(b);
    info_fork(b);
    info_rdb(b);
    info_aof(b);
    resp_buf_appendf(b, "snapshot_last_lsn:%llu\r\n", (unsigned long long)P.snapshot_last_lsn);
    resp_buf_appendf(b, "backup_in_progress:%d\r\nbackup_last_status:%s\r\nbackup_last_dir:%s\r\n",
                     P.child_kind == CHILD_BACKUP || P.backup_pending,
                     P.backup_ok < 0 ? "none"
                     : P.backup_ok   ? "ok"
                                     : "err",
                     P.backup_dir);
}

/* ---- command-line modes: --backup and --restore ------------------------------------------- */

typedef struct tool_conn {
    int fd;
    char buf[65536];
    size_t len;
} tool_conn;

static int tool_connect(tool_conn *tc, const char *host, const char *port) {
    struct addrinfo hints = {0}, *res, *ai;
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    int rc = getaddrinfo(host, port, &hints, &res);
    if (rc != 0) {
        fprintf(stderr, "Can't resolve %s: %s\n", host, gai_strerror(rc));
        return -1;
    }
    tc->fd = -1;
    for (ai = res; ai && tc->fd < 0; ai = ai->ai_next) {
        int fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC, ai->ai_protocol);
        if (fd < 0) continue;
        if (connect(fd, ai->ai_addr, ai->ai_addrlen) == 0)
            tc->fd = fd;
        else
            close(fd);
    }
    freeaddrinfo(res);
    if (tc->fd < 0) {
        fprintf(stderr, "Can't connect to %s:%s: %s\n", host, port, strerror(errno));
        return -1;
    }
    struct timeval tv = {30, 0};
    setsockopt(tc->fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    tc->len = 0;
    return 0;
}

static int tool_send(tool_conn *tc, int argc, const char **argv) {
    resp_buf b = {0};
    char hdr[RESP_HDR_MAX];
    resp_buf_append(&b, hdr, resp_encode_header(hdr, '*', argc));
    for (int i = 0; i < argc; i++)
        resp_write_bulk(&b, argv[i], strlen(argv[i]));
    size_t off = 0;
    int ok = 1;
    while (off < b.len) {
        ssize_t n = write(tc->fd, b.data + off, b.len - off);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) {
            ok = 0;
            break;
        }
        off += (size_t)n;
    }
    resp_buf_free(&b);
    return ok ? 0 : -1;
}

/* Reads more bytes; -1 on error, EOF, or a reply larger than the buffer. */
static int tool_fill(tool_conn *tc) {
    if (tc->len == sizeof tc->buf) return -1;
    ssize_t n;
    do {
        n = read(tc->fd, tc->buf + tc->len, sizeof tc->buf - tc->len);
    } while (n < 0 && errno == EINTR);
    if (n <= 0) return -1;
    tc->len += (size_t)n;
    return 0;
}

/* Reads one reply: a status, error or integer line, or a bulk string (the
 * only replies BACKUP, AUTH and INFO give). Its text goes to out
 * (NUL-terminated, the type byte kept first). */
static int tool_reply(tool_conn *tc, char *out, size_t outlen) {
    char *eol;
    while (!(eol = memmem(tc->buf, tc->len, "\r\n", 2)))
        if (tool_fill(tc) < 0) return -1;
    size_t line = (size_t)(eol - tc->buf);
    size_t take = line, total = line + 2;
    const char *src = tc->buf;
    if (tc->buf[0] == '$') {
        long long blen = atoll(tc->buf + 1);
        if (blen < 0 || blen > (long long)sizeof tc->buf - 64) return -1;
        while (tc->len < line + 2 + (size_t)blen + 2)
            if (tool_fill(tc) < 0) return -1;
        src = tc->buf + line + 2;
        take = (size_t)blen;
        total = line + 2 + (size_t)blen + 2;
    }
    if (take >= outlen) take = outlen - 1;
    memcpy(out, src, take);
    out[take] = '\0';
    memmove(tc->buf, tc->buf + total, tc->len - total);
    tc->len -= total;
    return 0;
}

/* The value of "field:" in an INFO text, copied to out; 0 when absent. */
static int info_field(const char *info, const char *field, char *out, size_t outlen) {
    size_t fl = strlen(field);
    for (const char *p = info; p && *p; p = strchr(p, '\n')) {
        if (*p == '\n') p++;
        if (strncmp(p, field, fl) == 0 && p[fl] == ':') {
            const char *v = p + fl + 1;
            size_t n = strcspn(v, "\r\n");
            if (n >= outlen) n = outlen - 1;
            memcpy(out, v, n);
            out[n] = '\0';
            return 1;
        }
    }
    return 0;
}

static int tool_backup(const char *dir, const char *host, const char *port, const char *pass) {
    char absdir[PATH_MAX + 2];
    if (dir[0] != '/') {
        char cwd[PATH_MAX];
        if (!getcwd(cwd, sizeof cwd)) return 1;
        snprintf(absdir, sizeof absdir, "%s/%s", cwd, dir);
    } else {
        snprintf(absdir, sizeof absdir, "%s", dir);
    }
    static tool_conn tc;
    if (tool_connect(&tc, host, port) < 0) return 1;
    static char reply[65536];
    int rc = 1;
    if (pass) {
        const char *auth[] = {"AUTH", pass};
        if (tool_send(&tc, 2, auth) < 0 || tool_reply(&tc, reply, sizeof reply) < 0) goto io;
        if (reply[0] == '-') {
            fprintf(stderr, "AUTH failed: %s\n", reply + 1);
            goto out;
        }
    }
    const char *cmd[] = {"BACKUP", absdir};
    if (tool_send(&tc, 2, cmd) < 0 || tool_reply(&tc, reply, sizeof reply) < 0) goto io;
    if (reply[0] == '-') {
        fprintf(stderr, "%s\n", reply + 1);
        goto out;
    }
    const char *info[] = {"INFO", "persistence"};
    char v[PATH_MAX + 64];
    for (;;) {
        usleep(100000);
        if (tool_send(&tc, 2, info) < 0 || tool_reply(&tc, reply, sizeof reply) < 0) goto io;
        if (info_field(reply, "backup_in_progress", v, sizeof v) && strcmp(v, "0") == 0) break;
    }
    info_field(reply, "backup_last_status", v, sizeof v);
    if (strcmp(v, "ok") == 0) {
        printf("Backup written to %s\n", absdir);
        rc = 0;
    } else {
        fprintf(stderr, "Backup into %s failed (see the server's log)\n", absdir);
    }
    goto out;
io:
    fprintf(stderr, "Connection to %s:%s lost: %s\n", host, port,
            errno ? strerror(errno) : "closed");
out:
    close(tc.fd);
    return rc;
}

static void print_line(const char *line, void *arg) {
    (void)arg;
    printf("  %s\n", line);
}

static int copy_file(const char *from, const char *to, char *err, size_t errlen) {
    char tmp[PATH_MAX + 8];
    if (snprintf(tmp, sizeof tmp, "%s.tmp", to) >= (int)sizeof tmp) {
        snprintf(err, errlen, "path too long");
        return -1;
    }
    int in = open(from, O_RDONLY | O_CLOEXEC);
    if (in < 0) {
        snprintf(err, errlen, "can't open %s: %s", from, strerror(errno));
        return -1;
    }
    int out = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (out < 0) {
        snprintf(err, errlen, "can't create %s: %s", tmp, strerror(errno));
        close(in);
        return -1;
    }
    static char buf[1 << 16];
    ssize_t n;
    int ok = 1;
    while (ok && (n = read(in, buf, sizeof buf)) != 0) {
        if (n < 0) {
            ok = errno == EINTR;
            continue;
        }
        for (ssize_t off = 0; ok && off < n;) {
            ssize_t w = write(out, buf + off, (size_t)(n - off));
            if (w < 0 && errno != EINTR) ok = 0;
            if (w > 0) off += w;
        }
    }
    if (ok && fsync(out) < 0) ok = 0;
    if (close(out) < 0) ok = 0;
    close(in);
    if (!ok || rename(tmp, to) < 0) {
        snprintf(err, errlen, "can't write %s: %s", to, strerror(errno));
        unlink(tmp);
        return -1;
    }
    return 0;
}

static int tool_restore(const char *backup, const char *datadir, void (*register_commands)(void)) {
    char snap[PATH_MAX], err[PATH_MAX + 256];
    uint64_t lsn;
    int found = snapshot_find_newest(backup, snap, sizeof snap, &lsn, 0, err, sizeof err);
    if (found <= 0) {
        fprintf(stderr, "No snapshot in %s/%s%s%s\n", backup, SNAPSHOT_DIR, found < 0 ? ": " : "",
                found < 0 ? err : "");
        return 1;
    }
    if (dir_has_entries(datadir, SNAPSHOT_DIR) || dir_has_entries(datadir, "wal")) {
        fprintf(stderr, "Restore refused: directory %s already holds snap/ or wal/ data\n",
                datadir);
        return 1;
    }
    /* Values are decoded to be checked: the type codecs must be there. */
    db_init_all(DB_MAX_COUNT);
    register_commands();
    printf("Verifying %s\n", snap);
    if (snapshot_verify(snap, print_line, NULL, err, sizeof err) < 0) {
        fprintf(stderr, "The backup is damaged: %s\n", err);
        return 1;
    }
    if (prepare_data_dir(datadir, err, sizeof err) < 0) {
        fprintf(stderr, "Restore refused: %s\n", err);
        return 1;
    }
    char to[PATH_MAX + 64], sdir[PATH_MAX + 16];
    snprintf(sdir, sizeof sdir, "%s/%s", datadir, SNAPSHOT_DIR);
    snprintf(to, sizeof to, "%s/%020llu.pdb", sdir, (unsigned long long)lsn);
    if (copy_file(snap, to, err, sizeof err) < 0 || fs_sync_dir(sdir) < 0 ||
        fs_sync_dir(datadir) < 0) {
        fprintf(stderr, "Restore failed: %s\n", err);
        return 1;
    }
    printf("Restored snapshot lsn %llu into %s\n", (unsigned long long)lsn, datadir);
    return 0;
}

static int tool_usage(void) {
    fprintf(stderr, "Usage: pairdb-server --backup DIR [--host H] [--port P] [--password X]\n"
                    "       pairdb-server --restore BACKUPDIR --dir DATADIR\n");
    return 1;
}

int persist_tool_main(int argc, char **argv, void (*register_commands)(void)) {
    if (argc < 2 || (strcmp(argv[1], "--backup") != 0 && strcmp(argv[1], "--restore") != 0))
        return -1;
    int backup = strcmp(argv[1], "--backup") == 0;
    if (argc < 3 || argc % 2 != 1) return tool_usage();
    const char *host = "127.0.0.1", *port = "6379", *pass = NULL, *dir = NULL;
    for (int i = 3; i + 1 < argc; i += 2) {
        if (backup && strcmp(argv[i], "--host") == 0)
            host = argv[i + 1];
        else if (backup && strcmp(argv[i], "--port") == 0)
            port = argv[i + 1];
        else if (backup && strcmp(argv[i], "--password") == 0)
            pass = argv[i + 1];
        else if (!backup && strcmp(argv[i], "--dir") == 0)
            dir = argv[i + 1];
        else
            return tool_usage();
    }
    if (backup) return tool_backup(argv[2], host, port, pass);
    if (!dir) return tool_usage();
    return tool_restore(argv[2], dir, register_commands);
}
