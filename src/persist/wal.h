/*
 * wal.h - the write-ahead log: effects in, durable frames out.
 *
 * The main thread appends effect commands (RESP multibulk) to the open
 * batch during a loop iteration; before sleeping it seals the batch into a
 * frame with the next LSN and hands it to the writer thread. The writer
 * groups every frame queued so far into one write, then (appendfsync
 * always) one fdatasync, and publishes the highest LSN written / synced.
 * Replies wait on wal_acked(): under `always` a reply leaves only once
 * every frame it could have observed is synced; under everysec/no once it
 * is written to the file (so a killed process loses nothing it answered).
 *
 * On disk (docs/FORMATS.md, "Write-ahead log"):
 *   <dir>/wal/<first-lsn, 20 digits>.log   segments, preallocated
 *   segment = header (32 bytes) + frames + zeros to the preallocated end
 *   header  = "PDBWAL\0\1" | u32 version | u32 reserved | u64 first lsn |
 *             u32 segment size | u32 crc32c(previous 28 bytes)
 *   frame   = u32 magic 0x4c574450 ("PDWL" LE) | u32 payload length |
 *             u64 lsn | u32 crc32c(length, lsn, payload) | payload
 *   payload = RESP arrays of bulk strings: effect commands, with a SELECT
 *             before the first command of a frame and at each change of
 *             database (a frame never depends on the previous one's db).
 * All integers little-endian. LSNs are consecutive from 1.
 *
 * Disk trouble: when a write or sync fails, or the next segment cannot be
 * preallocated, the writer keeps the unacknowledged frames in memory,
 * retries every second (into a fresh segment, since a failed fsync leaves
 * the old file's state unknown), and wal_writes_refused() makes the
 * dispatcher refuse writes with -MISCONF until it recovers.
 */
#ifndef PAIRDB_WAL_H
#define PAIRDB_WAL_H

#include <stddef.h>
#include <stdint.h>

#include "proto/resp.h"

#define WAL_SEGMENT_MAGIC "PDBWAL\0\1"
#define WAL_SEGMENT_HEADER_LEN 32
#define WAL_FRAME_MAGIC 0x4c574450u
#define WAL_FRAME_HEADER_LEN 20
#define WAL_VERSION 1
/* A frame's payload is bounded so that a corrupt length cannot make a
 * reader allocate without limit. */
#define WAL_MAX_FRAME (1024u * 1024 * 1024)

/* --- writing (main thread) --- */

/* Opens the log in dir/wal for appending frames from next_lsn on (a new
 * segment), starts the writer thread. 0, or -1 with err filled. */
int wal_open(const char *dir, uint64_t next_lsn, char *err, size_t errlen);
int wal_is_open(void);
/* Appends one effect command run against database dbid to the open batch. */
void wal_append(int dbid, int argc, const resp_arg *argv);
/* Seals the open batch (if any) into a frame and queues it for the writer.
 * Returns the LSN of the last sealed frame: what a reply produced before
 * this call could have observed (0 when nothing was ever logged). */
uint64_t wal_seal(void);
uint64_t wal_last_lsn(void);      /* last sealed LSN */
/* 1 when a reply that observed everything up to lsn may leave. */
int wal_acked(uint64_t lsn);
uint64_t wal_acked_lsn(void);
/* Called by the loop when the writer made progress (it wakes the loop). */
void wal_set_progress_callback(void (*fn)(void));
/* Called on the writer thread after each fdatasync with its duration (the
 * admin port's histogram); fn must be thread-safe. Set before the log opens. */
void wal_set_fsync_observer(void (*fn)(long long took_us));
/* Writes are refused (disk trouble): the text after "-MISCONF ", or NULL. */
const char *wal_writes_refused(void);
/* Deletes segments whose frames are all <= lsn (a snapshot covers them). */
void wal_drop_covered(uint64_t lsn);
/* Seals, waits until everything is written and synced, stops the thread,
 * closes the files. */
void wal_close(void);

/* Figures for INFO and metrics. */
typedef struct wal_stats {
    uint64_t last_lsn, written_lsn, synced_lsn;
    long long bytes_written;         /* since start */
    long long current_size;          /* bytes of frames in live segments */
    long long segments;
    long long fsyncs, fsync_us_total, fsync_us_max;
    long long delayed_fsyncs;        /* everysec: a sync took > 2 s, or the loop had to wait */
    long long pending_bytes;         /* sealed but not yet written */
    int write_error;                 /* errno of the last failure, 0 when healthy */
    long long write_errors;
} wal_stats;
void wal_get_stats(wal_stats *out);
/* The longest fsync since the previous call (0 if none): the writer
 * thread's samples handed to the main thread's latency monitor. */
long long wal_take_fsync_max_us(void);

/* --- reading (recovery, pairdb-check) --- */

/* 1 when name is a segment's file name ("<20 digits>.log"); *first = its LSN. */
int wal_segment_name_lsn(const char *name, uint64_t *first);

typedef struct wal_reader wal_reader;
typedef struct wal_frame {
    uint64_t lsn;
    const char *payload;             /* valid until the next call */
    size_t len;
    const char *file;                /* segment path */
    long long offset;                /* of the frame header in that file */
} wal_frame;

/* Lists dir/wal's segments. NULL with err filled when the directory cannot
 * be read; an absent directory is an empty log. */
wal_reader *wal_reader_open(const char *dir, char *err, size_t errlen);
/* Next frame: 1 (filled), 0 at the end of the log, -1 on corruption with a
 * message naming the file and offset in err. A torn tail (a bad frame with
 * nothing valid after it) ends the log: *torn is set and the file/offset
 * and dropped byte count are in err as a warning. */
int wal_reader_next(wal_reader *r, wal_frame *f, char *err, size_t errlen);
/* After a torn tail, or after corruption when repairing: cuts the log at
 * the end of its last good frame (later segments are deleted after a torn
 * tail, renamed to *.corrupt after damage; a damaged segment is copied to
 * *.corrupt before it is cut, or renamed whole after a gap or a bad
 * header), so the next start sees a clean log. */
int wal_reader_truncate_tail(wal_reader *r, char *err, size_t errlen);
int wal_reader_torn(const wal_reader *r);
uint64_t wal_reader_last_lsn(const wal_reader *r);
long long wal_reader_total_bytes(const wal_reader *r);
long long wal_reader_bytes_read(const wal_reader *r);
void wal_reader_close(wal_reader *r);

#endif
