/*
 * snapshot.h - point-in-time images of the whole dataset.
 *
 * A snapshot holds every database's keys, values and expiry times as they
 * were when the log's frame `lsn` had been applied; recovery loads the
 * newest valid snapshot, then replays frames after its LSN.
 *
 * On disk: <dir>/snap/<lsn, 20 digits>.pdb (docs/FORMATS.md, "Snapshot").
 * Values are encoded with the DUMP body codecs (types/dump.h), so a type
 * that has DUMP/RESTORE is in snapshots too. Written to a temporary name,
 * fsynced, renamed, and the directory fsynced: a snapshot that exists
 * under its final name is complete.
 */
#ifndef PAIRDB_SNAPSHOT_H
#define PAIRDB_SNAPSHOT_H

#include <stddef.h>
#include <stdint.h>

#define SNAPSHOT_DIR "snap"

/* Progress of a writer, for INFO (shared with the parent through memory
 * the caller maps; may be NULL). */
typedef struct snapshot_progress {
    volatile long long keys_total;
    volatile long long keys_done;
} snapshot_progress;

/* Writes the current dataset as snapshot `lsn` into dir/snap (creating the
 * directory). Used by the forked child (BGSAVE) and in-process (SAVE,
 * shutdown). 0 on success, -1 with err filled. */
int snapshot_write(const char *dir, uint64_t lsn, snapshot_progress *progress, char *err,
                   size_t errlen);

/* Newest snapshot file in dir/snap: its path in out (size outlen) and LSN.
 * 1 when found, 0 when none, -1 on a directory error (err filled).
 * Temporary files are ignored (and removed when remove_temp is set). */
int snapshot_find_newest(const char *dir, char *out, size_t outlen, uint64_t *lsn,
                         int remove_temp, char *err, size_t errlen);
/* Deletes snapshots older than keep_lsn. */
void snapshot_drop_older(const char *dir, uint64_t keep_lsn);

/* Incremental loading: recovery calls snapshot_load_step() from the loop
 * with a time budget so that clients get -LOADING meanwhile. Keys are added
 * to the databases with their expiry times as stored (nothing is expired
 * while loading). */
typedef struct snapshot_loader snapshot_loader;
/* Opens and checks the header. NULL with err filled (file, offset, what). */
snapshot_loader *snapshot_load_open(const char *path, char *err, size_t errlen);
uint64_t snapshot_loader_lsn(const snapshot_loader *l);
/* Loads for about budget_us. 1: more to load, 0: done (the end record and
 * its checksum verified), -1: corrupt or unreadable, err names the file and
 * the offset. */
int snapshot_load_step(snapshot_loader *l, long long budget_us, char *err, size_t errlen);
long long snapshot_loader_keys(const snapshot_loader *l);
long long snapshot_loader_bytes_read(const snapshot_loader *l);
long long snapshot_loader_total_bytes(const snapshot_loader *l);
void snapshot_load_close(snapshot_loader *l);

/* Verification without loading (pairdb-check): walks every record and
 * checksum, calls describe (if set) with one line per database and a
 * summary. 0 when valid, -1 with err naming the offset. */
int snapshot_verify(const char *path, void (*describe)(const char *line, void *arg), void *arg,
                    char *err, size_t errlen);

/* Reads only the header of a snapshot: its LSN and creation time (unix
 * ms). 0, or -1 with err filled. */
int snapshot_read_info(const char *path, uint64_t *lsn, long long *created_ms, char *err,
                       size_t errlen);

#endif
