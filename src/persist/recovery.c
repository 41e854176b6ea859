/*
 * recovery.c - loading the snapshot and replaying the log (see recovery.h).
 *
 * A timer runs load_slice() once per loop iteration until loading is done;
 * each slice works for LOAD_SLICE_US, so the loop keeps answering clients
 * (-LOADING for most commands, INFO with the progress) in between.
 *
 * Log frames are replayed through the command table with an internal
 * client whose replies are dropped: the effects in the log are ordinary
 * commands (SELECT, SET ... PXAT, DEL...), so replay and live execution
 * share every line of the data code.
 */
#include "persist/recovery.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "persist/snapshot.h"
#include "persist/wal.h"
#include "proto/resp.h"
#include "server/client.h"
#include "server/clock.h"
#include "server/command.h"
#include "server/config.h"
#include "server/db.h"
#include "server/log.h"
#include "server/server.h"

#define LOAD_SLICE_US 20000
#define PATH_MAX_LEN 4096

static struct {
    int repair;
    snapshot_loader *snap;
    char snap_path[PATH_MAX_LEN];
    wal_reader *wal;
    client *replay;
    uint64_t snap_lsn, lsn;
    long long start_time, start_mono;
    long long keys_loaded, frames, commands, command_errors;
    long long snap_total_bytes;
    long long last_load_ms;
} rc;

int recovery_loading(void) {
    return server_loading();
}

uint64_t recovery_lsn(void) {
    return rc.lsn;
}

void recovery_get_progress(recovery_progress *out) {
    memset(out, 0, sizeof *out);
    out->loading = server_loading();
    out->start_time = rc.start_time;
    out->last_load_ms = rc.last_load_ms;
    out->keys_loaded = rc.keys_loaded + (rc.snap ? snapshot_loader_keys(rc.snap) : 0);
    out->frames_replayed = rc.frames;
    out->commands_replayed = rc.commands;
    if (!server_loading()) return;
    long long total = rc.snap_total_bytes + (rc.wal ? wal_reader_total_bytes(rc.wal) : 0);
    long long done = rc.snap ? snapshot_loader_bytes_read(rc.snap) : rc.snap_total_bytes;
    if (rc.wal) done += wal_reader_bytes_read(rc.wal);
    out->total_bytes = total;
    out->loaded_bytes = done;
    out->perc = total ? 100.0 * (double)done / (double)total : 0;
    long long elapsed_us = clock_mono_us() - rc.start_mono;
    out->eta_seconds = done ? (long long)((double)elapsed_us / 1e6 * (double)(total - done) /
                                          (double)done)
                            : 1;
}

static void fatal(const char *what, const char *err) {
    log_msg(LOG_WARNING, "%s: %s", what, err);
    if (!rc.repair)
        log_msg(LOG_WARNING, "PairDB refuses to start on damaged data. Inspect the files with "
                "pairdb-check; start with --repair to keep everything before the damage.");
    exit(1);
}

/* --- phases --- */

/* Opens the newest snapshot; with --repair, a damaged one is set aside and
 * the next older one tried. 0 when a snapshot (or none) is ready. */
static int open_snapshot(void) {
    for (;;) {
        char err[512];
        uint64_t lsn = 0;
        int found = snapshot_find_newest(".", rc.snap_path, sizeof rc.snap_path, &lsn, 1, err,
                                         sizeof err);
        if (found < 0) fatal("Can't read the snapshot directory", err);
        if (found == 0) return 0;
        rc.snap = snapshot_load_open(rc.snap_path, err, sizeof err);
        if (rc.snap) {
            rc.snap_total_bytes = snapshot_loader_total_bytes(rc.snap);
            log_msg(LOG_NOTICE, "Loading snapshot %s (LSN %llu)", rc.snap_path,
                    (unsigned long long)lsn);
            return 0;
        }
        if (!rc.repair) fatal("Can't load the snapshot", err);
        char aside[PATH_MAX_LEN + 16];
        snprintf(aside, sizeof aside, "%s.corrupt", rc.snap_path);
        log_msg(LOG_WARNING, "Snapshot damaged (%s): renamed to %s, trying an older one", err,
                aside);
        if (rename(rc.snap_path, aside) < 0) fatal("Can't set the damaged snapshot aside", aside);
    }
}

static void replay_frame(const wal_frame *f) {
    resp_request_parser *p = &rc.replay->parser;
    size_t pos = 0;
    while (pos < f->len) {
        size_t used = 0;
        int r = resp_request_parse(p, f->payload + pos, f->len - pos, &used);
        if (r != RESP_OK) {
            char err[256];
            snprintf(err, sizeof err, "%s: frame LSN %llu at offset %lld has a malformed command "
                     "at byte %zu", f->file, (unsigned long long)f->lsn, f->offset, pos);
            fatal("Can't replay the log", err);
        }
        pos += used;
        if (p->argc == 0) continue;
        int unknown_sub = 0;
        command *cmd = command_lookup_argv_canonical(p->argc, p->argv, &unknown_sub);
        if (!cmd || unknown_sub) {
            char err[256];
            snprintf(err, sizeof err, "%s: frame LSN %llu holds an unknown command '%.*s'", f->file,
                     (unsigned long long)f->lsn, (int)(p->argv[0].len > 64 ? 64 : p->argv[0].len),
                     p->argv[0].ptr);
            fatal("Can't replay the log", err);
        }
        client *c = rc.replay;
        c->argc = p->argc;
        c->argv = p->argv;
        c->cmd = cmd;
        c->error_replied = 0;
        clock_cmd_start();
        cmd->proc(c);
        if (c->error_replied) rc.command_errors++;
        c->cmd = NULL;
        rc.commands++;
    }
    rc.frames++;
    rc.lsn = f->lsn;
}

static void finish(void) {
    char err[512];
    if (rc.wal) {
        if (wal_reader_torn(rc.wal) || rc.repair) {
            if (wal_reader_truncate_tail(rc.wal, err, sizeof err) < 0)
                fatal("Can't cut the log's torn tail", err);
        }
        wal_reader_close(rc.wal);
        rc.wal = NULL;
    }
    if (rc.replay) client_free_internal(rc.replay);
    rc.replay = NULL;
    if (rc.lsn < rc.snap_lsn) rc.lsn = rc.snap_lsn;
    if (cfg->appendonly && wal_open(".", rc.lsn + 1, err, sizeof err) < 0)
        fatal("Can't open the write-ahead log", err);
    db_suspend_expiry(0);
    server_set_loading(0);
    rc.last_load_ms = (clock_mono_us() - rc.start_mono) / 1000;
    long long keys = 0;
    for (int i = 0; i < db_count(); i++) keys += (long long)db_size(db_get(i));
    log_msg(LOG_NOTICE, "DB loaded from disk: %.3f seconds (%lld keys; snapshot LSN %llu, %lld log "
            "frames replayed, now at LSN %llu)", (double)rc.last_load_ms / 1000, keys,
            (unsigned long long)rc.snap_lsn, rc.frames, (unsigned long long)rc.lsn);
    if (rc.command_errors)
        log_msg(LOG_WARNING, "%lld replayed commands answered an error (the same they answered "
                "when they ran)", rc.command_errors);
}

/* One slice of work. Returns 1 while there is more. */
static int load_slice(void) {
    char err[512];
    long long deadline = clock_mono_us() + LOAD_SLICE_US;
    if (rc.snap) {
        int r = snapshot_load_step(rc.snap, LOAD_SLICE_US, err, sizeof err);
        if (r < 0) {
            if (!rc.repair) fatal("Can't load the snapshot", err);
            /* Start over without it: what was loaded is incomplete. */
            log_msg(LOG_WARNING, "Snapshot damaged (%s): trying an older one", err);
            snapshot_load_close(rc.snap);
            rc.snap = NULL;
            for (int i = 0; i < db_count(); i++) db_empty(db_get(i));
            char aside[PATH_MAX_LEN + 16];
            snprintf(aside, sizeof aside, "%s.corrupt", rc.snap_path);
            rename(rc.snap_path, aside);
            open_snapshot();
            return 1;
        }
        if (r == 1) return 1;
        rc.snap_lsn = snapshot_loader_lsn(rc.snap);
        rc.lsn = rc.snap_lsn;
        rc.keys_loaded = snapshot_loader_keys(rc.snap);
        snapshot_load_close(rc.snap);
        rc.snap = NULL;
    }
    if (rc.wal) {
        wal_frame f;
        int n = 0;
        for (;;) {
            int r = wal_reader_next(rc.wal, &f, err, sizeof err);
            if (r < 0) {
                if (!rc.repair) fatal("The write-ahead log is damaged", err);
                log_msg(LOG_WARNING, "The write-ahead log is damaged (%s): --repair keeps the "
                        "frames before the damage (up to LSN %llu) and sets the rest aside",
                        err, (unsigned long long)rc.lsn);
                break;
            }
            if (r == 0) {
                if (wal_reader_torn(rc.wal)) log_msg(LOG_WARNING, "%s; cutting it off", err);
                break;
            }
            if (f.lsn <= rc.snap_lsn) continue; /* the snapshot has it */
            if (f.lsn != rc.lsn + 1) {
                snprintf(err, sizeof err, "%s: frame LSN %llu follows LSN %llu (frames missing "
                         "between the snapshot and the log)", f.file, (unsigned long long)f.lsn,
                         (unsigned long long)rc.lsn);
                fatal("The write-ahead log does not continue the snapshot", err);
            }
            replay_frame(&f);
            if ((++n & 63) == 0 && clock_mono_us() > deadline) return 1;
        }
    }
    finish();
    return 0;
}

static long long load_timer(loop *l, long long id, void *data) {
    (void)l;
    (void)id;
    (void)data;
    return load_slice() ? 0 : LOOP_TIMER_STOP;
}

int recovery_start(int repair) {
    rc.repair = repair;
    server_set_loading(1);
    rc.start_time = clock_now_ms() / 1000;
    rc.start_mono = clock_mono_us();
    db_suspend_expiry(1);
    open_snapshot();
    if (cfg->appendonly) {
        char err[512];
        rc.wal = wal_reader_open(".", err, sizeof err);
        if (!rc.wal) fatal("Can't read the write-ahead log", err);
        rc.replay = client_create_internal();
    } else if (access("wal", F_OK) == 0) {
        log_msg(LOG_WARNING, "appendonly is off: the write-ahead log in wal/ is not replayed; "
                "writes after the last snapshot are not loaded.");
    }
    if (!load_slice()) return 0;
    loop_timer_add(server_loop(), 0, load_timer, NULL);
    return 0;
}
