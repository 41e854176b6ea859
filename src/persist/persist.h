/*
 * persist.h - snapshots on demand and on schedule, backups, and the
 * persistence figures.
 *
 * BGSAVE seals the log's open batch, so the snapshot's LSN is exactly the
 * point its image shows, and forks: the child writes the image from its
 * copy-on-write view while the parent goes on serving. When the child
 * succeeds the parent drops the log segments and older snapshots the new
 * one covers. SAVE and shutdown write in-process; BACKUP forks as BGSAVE
 * does, writing into its own directory.
 *
 * Triggers: BGSAVE/BGREWRITEAOF, `save <seconds> <changes>` points, and
 * the log growing past `wal-snapshot-size` bytes since the last snapshot.
 */
#ifndef PAIRDB_PERSIST_H
#define PAIRDB_PERSIST_H

#include <stddef.h>

#include "proto/resp.h"

/* Registers SAVE BGSAVE LASTSAVE BGREWRITEAOF (and the backup command). */
void persist_register(void);
/* Server cron: hands the log writer's longest fsync to the latency monitor,
 * reaps the child, checks save points and the log-size trigger. */
void persist_cron(void);
/* Before sleeping: starts a BGSAVE that was scheduled during the iteration
 * (forking between iterations never splits a batch). */
void persist_before_sleep(void);
int persist_child_active(void);
/* Shutdown: saves a snapshot when asked (SHUTDOWN SAVE, or save points
 * configured and not NOSAVE) and kills a running child. -1 when a
 * requested save failed (the shutdown is refused, as in Redis). */
int persist_on_shutdown(int flags);
/* CONFIG SET appendonly: off closes the log (synced); on writes a
 * snapshot in-process (it holds what was written without a log) and opens
 * the log after its LSN. -1 with *err set when that fails. */
int persist_set_appendonly(int on, const char **err);
/* The "# Persistence" INFO section. */
void persist_info(resp_buf *b);
/* INFO stats latest_fork_usec and total_forks. */
void persist_fork_stats(long long *latest_usec, long long *total);
/* Snapshot figures for /metrics. */
typedef struct persist_status {
    int snapshot_in_progress;
    int last_snapshot_ok;              /* of the last background snapshot (1 before any) */
    long long last_snapshot_seconds;   /* its duration; -1 before any */
    long long last_save_time;          /* unix seconds of the newest snapshot */
    long long snapshots;               /* completed since start */
    long long changes_since_save;
} persist_status;
void persist_get_status(persist_status *out);

/* Command-line modes of pairdb-server: --backup DIR (ask a running server
 * for a consistent copy) and --restore DIR (prepare a data directory from
 * a backup). Returns the process exit code, or -1 when argv is not one of
 * these modes. register_commands builds the command table (with the type
 * codecs a restore needs to check values); the caller owns that list, since
 * it names every layer. */
int persist_tool_main(int argc, char **argv, void (*register_commands)(void));

#endif
