/*
 * test_wal.c - the write-ahead log: frames written by the writer thread
 * read back in order; the reader's rules for torn tails, damage in the
 * middle, gaps between segments and segments superseded after an error.
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "persist/wal.h"
#include "server/config_int.h"
#include "unit.h"

static char dir[64];

static void make_dir(void) {
    snprintf(dir, sizeof dir, "/tmp/pdb-unit-wal-XXXXXX");
    if (!mkdtemp(dir)) abort();
    config__ensure_init();
}

static void remove_dir(void) {
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    if (system(cmd) != 0) fprintf(stderr, "could not remove %s\n", dir);
}

/* Writes frames 1..n, frame i holding "SET k<i> v<i>" (one per batch). */
static int write_frames(int first, int n) {
    char err[256];
    if (wal_open(dir, (uint64_t)first, err, sizeof err) < 0) return -1;
    for (int i = first; i < first + n; i++) {
        char k[32], v[32];
        snprintf(k, sizeof k, "k%d", i);
        snprintf(v, sizeof v, "v%d", i);
        resp_arg argv[3] = {{"SET", 3}, {k, strlen(k)}, {v, strlen(v)}};
        wal_append(0, 3, argv);
        if (wal_seal() != (uint64_t)i) return -1;
    }
    wal_close();
    return 0;
}

/* Reads the whole log: frames counted, last LSN, the result of the last call. */
static int read_all(int *frames, uint64_t *last, char *err, size_t errlen) {
    wal_reader *r = wal_reader_open(dir, err, errlen);
    if (!r) return -2;
    wal_frame f;
    int n = 0, res;
    while ((res = wal_reader_next(r, &f, err, errlen)) == 1) n++;
    *frames = n;
    *last = wal_reader_last_lsn(r);
    if (res == 0 && wal_reader_torn(r)) res = 2;
    wal_reader_close(r);
    return res;
}

static void segment_file(char *out, size_t len, uint64_t first) {
    snprintf(out, len, "%s/wal/%020llu.log", dir, (unsigned long long)first);
}

static void patch(const char *path, long off, const void *bytes, size_t n) {
    int fd = open(path, O_WRONLY);
    if (fd < 0 || pwrite(fd, bytes, n, off) != (ssize_t)n) abort();
    close(fd);
}

/* Offset of frame `index` (0-based) in a segment of frames from write_frames. */
static long frame_offset(const char *path, int index) {
    int fd = open(path, O_RDONLY);
    long off = WAL_SEGMENT_HEADER_LEN;
    for (int i = 0; i < index; i++) {
        unsigned char h[WAL_FRAME_HEADER_LEN];
        if (pread(fd, h, sizeof h, off) != (ssize_t)sizeof h) abort();
        uint32_t len = h[4] | h[5] << 8 | h[6] << 16 | (uint32_t)h[7] << 24;
        off += WAL_FRAME_HEADER_LEN + len;
    }
    close(fd);
    return off;
}

TEST(wal_frames_round_trip) {
    make_dir();
    CHECK_INT(write_frames(1, 100), 0);
    char err[256];
    wal_reader *r = wal_reader_open(dir, err, sizeof err);
    CHECK(r != NULL);
    wal_frame f;
    for (int i = 1; i <= 100; i++) {
        CHECK_INT(wal_reader_next(r, &f, err, sizeof err), 1);
        CHECK_INT(f.lsn, i);
        char want[96];
        char k[16], v[16];
        snprintf(k, sizeof k, "k%d", i);
        snprintf(v, sizeof v, "v%d", i);
        /* Every frame starts with its database: it never depends on another. */
        snprintf(want, sizeof want, "*2\r\n$6\r\nSELECT\r\n$1\r\n0\r\n*3\r\n$3\r\nSET\r\n$%zu\r\n%s\r\n$%zu\r\n%s\r\n",
                 strlen(k), k, strlen(v), v);
        CHECK_MEM(f.payload, f.len, want);
    }
    CHECK_INT(wal_reader_next(r, &f, err, sizeof err), 0);
    CHECK_INT(wal_reader_torn(r), 0);
    wal_reader_close(r);
    remove_dir();
}

TEST(wal_continues_in_a_new_segment_after_restart) {
    make_dir();
    CHECK_INT(write_frames(1, 10), 0);
    CHECK_INT(write_frames(11, 5), 0);
    int n;
    uint64_t last;
    char err[256];
    CHECK_INT(read_all(&n, &last, err, sizeof err), 0);
    CHECK_INT(n, 15);
    CHECK_INT(last, 15);
    remove_dir();
}

TEST(wal_torn_tail_is_cut) {
    make_dir();
    CHECK_INT(write_frames(1, 10), 0);
    char path[128];
    segment_file(path, sizeof path, 1);
    long off = frame_offset(path, 9);
    /* Half of the last frame's payload is garbage: a write torn by a crash. */
    patch(path, off + WAL_FRAME_HEADER_LEN + 2, "XXXX", 4);
    int n;
    uint64_t last;
    char err[256];
    CHECK_INT(read_all(&n, &last, err, sizeof err), 2);
    CHECK_INT(n, 9);
    CHECK(strstr(err, "torn write") != NULL);
    /* Cutting it leaves a log that reads cleanly. */
    wal_reader *r = wal_reader_open(dir, err, sizeof err);
    wal_frame f;
    while (wal_reader_next(r, &f, err, sizeof err) == 1) {
    }
    CHECK_INT(wal_reader_truncate_tail(r, err, sizeof err), 0);
    wal_reader_close(r);
    CHECK_INT(read_all(&n, &last, err, sizeof err), 0);
    CHECK_INT(n, 9);
    struct stat st;
    CHECK_INT(stat(path, &st), 0);
    CHECK_INT(st.st_size, off);
    remove_dir();
}

TEST(wal_damage_in_the_middle_is_refused) {
    make_dir();
    CHECK_INT(write_frames(1, 10), 0);
    char path[128];
    segment_file(path, sizeof path, 1);
    long off = frame_offset(path, 4);
    patch(path, off + WAL_FRAME_HEADER_LEN + 20, "\xff", 1);
    int n;
    uint64_t last;
    char err[256];
    CHECK_INT(read_all(&n, &last, err, sizeof err), -1);
    CHECK_INT(n, 4);
    char where[64];
    snprintf(where, sizeof where, "at offset %ld", off);
    CHECK(strstr(err, where) != NULL);
    CHECK(strstr(err, path) != NULL);
    remove_dir();
}

TEST(wal_gap_between_segments_is_refused) {
    make_dir();
    CHECK_INT(write_frames(1, 5), 0);
    CHECK_INT(write_frames(8, 5), 0); /* LSNs 6 and 7 are missing */
    int n;
    uint64_t last;
    char err[256];
    CHECK_INT(read_all(&n, &last, err, sizeof err), -1);
    CHECK_INT(n, 5);
    CHECK(strstr(err, "frames missing") != NULL);
    remove_dir();
}

TEST(wal_superseded_segment_tail_is_ignored) {
    /* A writer that failed rewrites its unsynced frames (here 4..6) into a
     * new segment: the old segment's copies, damaged or not, do not count. */
    make_dir();
    CHECK_INT(write_frames(1, 6), 0);
    char path[128];
    segment_file(path, sizeof path, 1);
    long off = frame_offset(path, 4);
    patch(path, off + WAL_FRAME_HEADER_LEN + 3, "\x00\x01", 2);
    CHECK_INT(write_frames(4, 5), 0);
    int n;
    uint64_t last;
    char err[256];
    CHECK_INT(read_all(&n, &last, err, sizeof err), 0);
    CHECK_INT(n, 8);
    CHECK_INT(last, 8);
    remove_dir();
}

TEST(wal_covered_segments_are_dropped) {
    make_dir();
    CHECK_INT(write_frames(1, 5), 0);
    CHECK_INT(write_frames(6, 5), 0);
    char err[256];
    CHECK_INT(wal_open(dir, 11, err, sizeof err), 0);
    wal_stats st;
    wal_get_stats(&st);
    CHECK_INT(st.segments, 3);
    wal_drop_covered(7); /* the first segment (1..5) is covered, the second is not */
    wal_get_stats(&st);
    CHECK_INT(st.segments, 2);
    wal_close();
    char path[128];
    segment_file(path, sizeof path, 1);
    CHECK(access(path, F_OK) != 0);
    segment_file(path, sizeof path, 6);
    CHECK(access(path, F_OK) == 0);
    remove_dir();
}

TEST(wal_reused_segment_ignores_its_old_frames) {
    /* A covered segment is renamed spare.tmp and becomes the next segment:
     * frames 4..10 of its previous life stay behind frames 11..13. */
    make_dir();
    CHECK_INT(write_frames(1, 10), 0);
    char old[128], spare[128], path[128];
    segment_file(old, sizeof old, 1);
    snprintf(spare, sizeof spare, "%s/wal/spare.tmp", dir);
    CHECK_INT(rename(old, spare), 0);
    CHECK_INT(write_frames(11, 3), 0);
    CHECK(access(spare, F_OK) != 0); /* it was taken */
    int n;
    uint64_t last;
    char err[256];
    CHECK_INT(read_all(&n, &last, err, sizeof err), 0);
    CHECK_INT(n, 3);
    CHECK_INT(last, 13);
    /* A torn last frame there is a torn tail, not damage: the old frames
     * after it are not "valid frames that follow". */
    segment_file(path, sizeof path, 11);
    long off = frame_offset(path, 2);
    patch(path, off + WAL_FRAME_HEADER_LEN + 1, "XX", 2);
    CHECK_INT(read_all(&n, &last, err, sizeof err), 2);
    CHECK_INT(n, 2);
    remove_dir();
}
