/*
 * fuzz_wal_reader.c - libFuzzer target for the write-ahead log reader
 * (wal_reader_*).
 *
 * Log segments come from disk, where a crash, a bad disk or an operator can
 * leave anything, so the reader must classify every byte sequence as frames,
 * a torn tail or corruption without reading out of bounds. The input
 * becomes one or two segment files in a scratch directory; its first byte
 * picks how:
 *
 *   (mode & 0x7f) % 3 == 0   the rest is the whole segment file, header included
 *   (mode & 0x7f) % 3 == 1   a valid header, then the rest as the frame area
 *   (mode & 0x7f) % 3 == 2   a valid header, then frames built from records
 *                            [u8 length][u8 flags][length bytes], each with a right
 *                            checksum unless its flags damage it (REC_*); what is
 *                            left of the input goes after them raw
 *   mode & 0x80              two segments: the input is split in two (raw modes), or
 *                            at the first record flagged SPLIT (built frames)
 *
 * Invariants checked: frames come back with consecutive LSNs and payloads
 * inside their file; after a torn tail, wal_reader_truncate_tail leaves a
 * log that reads back as exactly the same frames and ends cleanly; after
 * damage (what --repair does) it reads back as the same frames again.
 */
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ds/crc32c.h"
#include "persist/wal.h"

enum {
    REC_BAD_LSN = 1,  /* the frame skips an LSN */
    REC_BAD_CRC = 2,  /* its checksum is off by one */
    REC_ZERO_GAP = 4, /* a frame header's worth of zeros before it */
    REC_SPLIT = 8,    /* the second segment starts with this frame */
};

static char dir[256];
static char wdir[300];

static void clear_dir(void);

static void remove_scratch(void) {
    clear_dir();
    rmdir(wdir);
    rmdir(dir);
}

int LLVMFuzzerInitialize(int *argc, char ***argv) {
    (void)argc;
    (void)argv;
    const char *base = access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp";
    snprintf(dir, sizeof dir, "%s/fuzz-wal-XXXXXX", base);
    if (!mkdtemp(dir)) abort();
    snprintf(wdir, sizeof wdir, "%s/wal", dir);
    if (mkdir(wdir, 0700) < 0) abort();
    atexit(remove_scratch);
    return 0;
}

/* A growable byte buffer for building segment images. */
typedef struct bytes {
    unsigned char *p;
    size_t len, cap;
} bytes;

static void put(bytes *b, const void *src, size_t n) {
    if (b->len + n > b->cap) {
        b->cap = (b->len + n) * 2 + 64;
        b->p = realloc(b->p, b->cap);
        if (!b->p) abort();
    }
    if (n) memcpy(b->p + b->len, src, n);
    b->len += n;
}

static void put_u32(bytes *b, uint32_t v) {
    unsigned char c[4] = {(unsigned char)v, (unsigned char)(v >> 8), (unsigned char)(v >> 16),
                          (unsigned char)(v >> 24)};
    put(b, c, 4);
}

static void put_u64(bytes *b, uint64_t v) {
    put_u32(b, (uint32_t)v);
    put_u32(b, (uint32_t)(v >> 32));
}

static void put_header(bytes *b, uint64_t first_lsn) {
    size_t at = b->len;
    put(b, WAL_SEGMENT_MAGIC, 8);
    put_u32(b, WAL_VERSION);
    put_u32(b, 0);
    put_u64(b, first_lsn);
    put_u32(b, 1024 * 1024);
    put_u32(b, crc32c(0, b->p + at, 28));
}

static void put_frame(bytes *b, uint64_t lsn, const unsigned char *payload, uint32_t len,
                      int bad_crc) {
    size_t at = b->len;
    put_u32(b, WAL_FRAME_MAGIC);
    put_u32(b, len);
    put_u64(b, lsn);
    uint32_t crc = crc32c(crc32c(0, b->p + at + 4, 12), payload, len);
    put_u32(b, crc + (bad_crc ? 1 : 0));
    put(b, payload, len);
}

static void write_segment(uint64_t first_lsn, const bytes *b) {
    char path[400];
    snprintf(path, sizeof path, "%s/%020llu.log", wdir, (unsigned long long)first_lsn);
    FILE *f = fopen(path, "wb");
    if (!f) abort();
    if (b->len && fwrite(b->p, 1, b->len, f) != b->len) abort();
    fclose(f);
}

/* Every file in the scratch log directory goes (segments and *.corrupt). */
static void clear_dir(void) {
    DIR *d = opendir(wdir);
    if (!d) abort();
    struct dirent *de;
    while ((de = readdir(d)))
        if (de->d_name[0] != '.') unlinkat(dirfd(d), de->d_name, 0);
    closedir(d);
}

/* Mode 2: frames from records, into one or two segments. */
static void build_frames(const uint8_t *data, size_t size, int two) {
    bytes seg[2] = {{0}};
    uint64_t first[2] = {1, 0};
    int cur = 0;
    uint64_t lsn = 1;
    put_header(&seg[0], 1);
    size_t i = 0;
    while (i + 2 <= size && data[i] + 2 <= size - i) {
        uint32_t len = data[i];
        uint8_t flags = data[i + 1];
        const unsigned char *payload = data + i + 2;
        i += 2 + len;
        if (flags & REC_BAD_LSN) lsn++;
        if (two && cur == 0 && (flags & REC_SPLIT)) {
            cur = 1;
            first[1] = lsn;
            put_header(&seg[1], lsn);
        }
        if (flags & REC_ZERO_GAP) {
            static const unsigned char zeros[WAL_FRAME_HEADER_LEN];
            put(&seg[cur], zeros, sizeof zeros);
        }
        put_frame(&seg[cur], lsn, payload, len, flags & REC_BAD_CRC);
        lsn++;
    }
    put(&seg[cur], data + i, size - i);
    for (int k = 0; k <= cur; k++) {
        write_segment(first[k], &seg[k]);
        free(seg[k].p);
    }
}

/* Modes 0 and 1: the input as it is, split in two for the second segment,
 * whose first LSN is taken from the input's second byte. */
static void build_raw(const uint8_t *data, size_t size, int with_header, int two) {
    size_t cut = two ? size / 2 : size;
    uint64_t second_first = size ? (uint64_t)data[0] % 8 + 1 : 2;
    bytes b = {0};
    if (with_header) put_header(&b, 1);
    put(&b, data, cut);
    write_segment(1, &b);
    if (two) {
        b.len = 0;
        if (with_header) put_header(&b, second_first);
        put(&b, data + cut, size - cut);
        write_segment(second_first, &b);
    }
    free(b.p);
}

/* Reads the whole log; returns the number of frames, with how it ended in
 * *end (0 clean, 1 torn tail, -1 damage) and the reader left open in *out. */
static long long read_log(wal_reader **out, int *end, uint64_t *last) {
    char err[1024];
    wal_reader *r = wal_reader_open(dir, err, sizeof err);
    if (!r) abort(); /* the directory exists and is readable */
    long long frames = 0;
    uint64_t prev = 0;
    wal_frame f;
    int rc;
    while ((rc = wal_reader_next(r, &f, err, sizeof err)) == 1) {
        if (prev && f.lsn != prev + 1) abort();
        if (f.offset < WAL_SEGMENT_HEADER_LEN || f.len > WAL_MAX_FRAME) abort();
        /* Touch the whole payload: it must lie inside the mapping. */
        volatile uint32_t sink = crc32c(0, f.payload, f.len);
        (void)sink;
        prev = f.lsn;
        frames++;
    }
    if (prev != wal_reader_last_lsn(r)) abort();
    if (wal_reader_bytes_read(r) < 0) abort();
    *end = rc < 0 ? -1 : wal_reader_torn(r) ? 1 : 0;
    if (rc == 0 && wal_reader_torn(r) && !strstr(err, "torn write")) abort();
    *last = prev;
    *out = r;
    return frames;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    if (size < 1) return 0;
    int kind = (data[0] & 0x7f) % 3;
    int two = (data[0] & 0x80) != 0;
    clear_dir();
    if (kind == 2)
        build_frames(data + 1, size - 1, two);
    else
        build_raw(data + 1, size - 1, kind == 1, two);

    wal_reader *r;
    int end;
    uint64_t last;
    long long frames = read_log(&r, &end, &last);
    if (end != 0) {
        char err[1024];
        if (wal_reader_truncate_tail(r, err, sizeof err) < 0) abort();
    }
    wal_reader_close(r);
    if (end != 0) {
        /* The cut log holds exactly the frames read before the tail. Damage
         * that is not inside a segment (a bad header, missing LSNs between
         * segments) is left as it is, so only a torn tail must end cleanly. */
        int end2;
        uint64_t last2;
        long long frames2 = read_log(&r, &end2, &last2);
        if (frames2 != frames || last2 != last || (end == 1 && end2 != 0)) abort();
        wal_reader_close(r);
    }
    return 0;
}
