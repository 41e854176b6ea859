/*
 * wal_read.c - reading the write-ahead log back (recovery, pairdb-check).
 *
 * Segments are mapped read-only and walked frame by frame. The rules that
 * decide what a bad frame means:
 *
 *  - A segment is read up to the first LSN its successor starts with: a
 *    writer that hit an error rewrote its unsynced frames into a new
 *    segment, so whatever follows in the old one does not count.
 *  - Zeros where a frame header should be end the segment: the rest of a
 *    preallocated file, or the end marker the writer puts after its last
 *    frame. A valid frame with an LSN below the expected one ends it too: a
 *    reused segment keeps frames of its previous life behind the new ones,
 *    and those never count (nor do they make damage look like a torn tail).
 *  - A bad frame (magic, length, checksum or LSN out of order) with no
 *    valid frame anywhere after it is a torn tail: the log ends there and
 *    the caller is told so. With a valid frame after it, acknowledged
 *    writes may follow the damage: that is corruption, and the reader
 *    stops with the file and offset.
 *  - LSNs must follow each other across segments; a gap is corruption.
 */
#include "persist/wal.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ds/crc32c.h"
#include "ds/endian.h"
#include "ds/mem.h"

typedef struct seg_entry {
    uint64_t first_lsn;
    char *path;
    long long size;
} seg_entry;

struct wal_reader {
    seg_entry *segs;
    int nsegs, cur;          /* cur: index of the mapped segment, -1 before the first */
    const unsigned char *map;
    long long map_len, off;  /* offset of the next frame in the mapped segment */
    uint64_t expect;         /* LSN the next frame must carry; 0 = not known yet */
    uint64_t last_lsn;
    long long total_bytes, done_bytes;
    int torn, corrupt;       /* where the log ends early: torn tail, or damage */
    int torn_seg;
    long long torn_off;
};

int wal_segment_name_lsn(const char *name, uint64_t *first) {
    unsigned long long n;
    char tail[8];
    if (strlen(name) != 24 || sscanf(name, "%20llu%7s", &n, tail) != 2 || strcmp(tail, ".log"))
        return 0;
    *first = n;
    return 1;
}

static int cmp_seg(const void *a, const void *b) {
    const seg_entry *x = a, *y = b;
    return x->first_lsn < y->first_lsn ? -1 : x->first_lsn > y->first_lsn;
}

wal_reader *wal_reader_open(const char *dir, char *err, size_t errlen) {
    char wdir[4096];
    snprintf(wdir, sizeof wdir, "%s/wal", dir);
    wal_reader *r = mem_calloc(sizeof *r);
    r->cur = -1;
    DIR *d = opendir(wdir);
    if (!d) {
        if (errno == ENOENT) return r;
        snprintf(err, errlen, "can't read %s: %s", wdir, strerror(errno));
        mem_free(r);
        return NULL;
    }
    int cap = 0;
    struct dirent *de;
    while ((de = readdir(d))) {
        uint64_t first;
        if (!wal_segment_name_lsn(de->d_name, &first)) continue;
        if (r->nsegs == cap) {
            cap = cap ? cap * 2 : 16;
            r->segs = mem_realloc(r->segs, (size_t)cap * sizeof *r->segs);
        }
        seg_entry *s = &r->segs[r->nsegs++];
        s->first_lsn = first;
        size_t plen = strlen(wdir) + strlen(de->d_name) + 2;
        s->path = mem_alloc(plen);
        snprintf(s->path, plen, "%s/%s", wdir, de->d_name);
        struct stat st;
        s->size = stat(s->path, &st) == 0 ? (long long)st.st_size : 0;
        r->total_bytes += s->size;
    }
    closedir(d);
    if (r->nsegs) qsort(r->segs, (size_t)r->nsegs, sizeof *r->segs, cmp_seg);
    return r;
}

static void unmap(wal_reader *r) {
    if (r->map) munmap((void *)r->map, (size_t)r->map_len);
    r->map = NULL;
    r->map_len = 0;
}

/* Maps segment i and checks its header. 0, 1 (an empty last segment whose
 * header never reached the disk: nothing to read), or -1 (err filled). */
static int map_segment(wal_reader *r, int i, char *err, size_t errlen) {
    unmap(r);
    seg_entry *s = &r->segs[i];
    int fd = open(s->path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        snprintf(err, errlen, "can't open %s: %s", s->path, strerror(errno));
        return -1;
    }
    struct stat st;
    if (fstat(fd, &st) < 0) {
        snprintf(err, errlen, "can't stat %s: %s", s->path, strerror(errno));
        close(fd);
        return -1;
    }
    r->map_len = (long long)st.st_size;
    if (r->map_len > 0) {
        void *m = mmap(NULL, (size_t)r->map_len, PROT_READ, MAP_PRIVATE, fd, 0);
        if (m == MAP_FAILED) {
            snprintf(err, errlen, "can't map %s: %s", s->path, strerror(errno));
            close(fd);
            r->map_len = 0;
            return -1;
        }
        madvise(m, (size_t)r->map_len, MADV_SEQUENTIAL);
        r->map = m;
    }
    close(fd);
    r->off = WAL_SEGMENT_HEADER_LEN;
    const unsigned char *h = r->map;
    int zero_header = 1;
    for (long long k = 0; k < WAL_SEGMENT_HEADER_LEN && k < r->map_len; k++)
        if (h[k]) zero_header = 0;
    if (zero_header && i == r->nsegs - 1) return 1;
    if (r->map_len < WAL_SEGMENT_HEADER_LEN || memcmp(h, WAL_SEGMENT_MAGIC, 8) != 0 ||
        le_get_u32(h + 28) != crc32c(0, h, 28)) {
        snprintf(err, errlen, "%s: bad segment header at offset 0", s->path);
        return -1;
    }
    if (le_get_u32(h + 8) != WAL_VERSION) {
        snprintf(err, errlen, "%s: unsupported log version %u", s->path, le_get_u32(h + 8));
        return -1;
    }
    if (le_get_u64(h + 16) != s->first_lsn) {
        snprintf(err, errlen, "%s: header says first LSN %llu, the name says %llu", s->path,
                 (unsigned long long)le_get_u64(h + 16), (unsigned long long)s->first_lsn);
        return -1;
    }
    return 0;
}

/* A complete frame with a right checksum at off? Fills lsn/len. */
static int frame_ok(const unsigned char *m, long long size, long long off, uint64_t *lsn,
                    uint32_t *len) {
    if (off + WAL_FRAME_HEADER_LEN > size) return 0;
    const unsigned char *h = m + off;
    if (le_get_u32(h) != WAL_FRAME_MAGIC) return 0;
    uint32_t plen = le_get_u32(h + 4);
    if (plen > WAL_MAX_FRAME || off + WAL_FRAME_HEADER_LEN + (long long)plen > size) return 0;
    uint32_t crc = crc32c(0, h + 4, 12);
    crc = crc32c(crc, h + WAL_FRAME_HEADER_LEN, plen);
    if (crc != le_get_u32(h + 16)) return 0;
    *lsn = le_get_u64(h + 8);
    *len = plen;
    return 1;
}

static int all_zero(const unsigned char *p, long long n) {
    for (long long i = 0; i < n; i++)
        if (p[i]) return 0;
    return 1;
}

/* Does the segment at path start with a valid frame of its own (its first LSN)? */
static int segment_has_frame(const char *path, uint64_t first_lsn) {
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) return 0;
    unsigned char h[WAL_FRAME_HEADER_LEN];
    int ok = 0;
    if (pread(fd, h, sizeof h, WAL_SEGMENT_HEADER_LEN) == (ssize_t)sizeof h &&
        le_get_u32(h) == WAL_FRAME_MAGIC && le_get_u32(h + 4) <= WAL_MAX_FRAME &&
        le_get_u64(h + 8) == first_lsn) {
        uint32_t plen = le_get_u32(h + 4);
        unsigned char *p = mem_alloc(plen ? plen : 1);
        if (pread(fd, p, plen, WAL_SEGMENT_HEADER_LEN + WAL_FRAME_HEADER_LEN) == (ssize_t)plen) {
            uint32_t crc = crc32c(0, h + 4, 12);
            ok = crc32c(crc, p, plen) == le_get_u32(h + 16);
        }
        mem_free(p);
    }
    close(fd);
    return ok;
}

/* Looks for any valid frame after (seg, off): in the rest of this segment
 * (magic bytes, then the checksum decides) or at the start of a later one. */
static int valid_frame_after(wal_reader *r, long long off) {
    static const unsigned char magic[4] = {0x50, 0x44, 0x57, 0x4c};
    const unsigned char *m = r->map;
    for (long long p = off + 1; p + WAL_FRAME_HEADER_LEN <= r->map_len;) {
        const unsigned char *hit = memmem(m + p, (size_t)(r->map_len - p), magic, 4);
        if (!hit) break;
        uint64_t lsn;
        uint32_t len;
        long long at = hit - m;
        if (frame_ok(m, r->map_len, at, &lsn, &len) && lsn >= r->expect) return 1;
        p = at + 1;
    }
    for (int i = r->cur + 1; i < r->nsegs; i++)
        if (segment_has_frame(r->segs[i].path, r->segs[i].first_lsn)) return 1;
    return 0;
}

/* The log is damaged at off in the current segment: what --repair cuts.
 * At offset 0 the whole segment is unusable (a gap before it, a bad
 * header) and is set aside with everything after it. */
static void mark_damage(wal_reader *r, long long off) {
    r->corrupt = 1;
    r->torn_seg = r->cur;
    r->torn_off = off;
}

int wal_reader_next(wal_reader *r, wal_frame *f, char *err, size_t errlen) {
    if (r->torn) return 0;
    for (;;) {
        if (r->cur < 0 || !r->map || r->off >= r->map_len) {
            /* Next segment. */
            if (r->cur >= 0 && r->map) r->done_bytes += r->segs[r->cur].size;
            if (r->cur + 1 >= r->nsegs) {
                unmap(r);
                r->cur = r->nsegs;
                return 0;
            }
            r->cur++;
            seg_entry *s = &r->segs[r->cur];
            if (r->expect && s->first_lsn != r->expect) {
                snprintf(err, errlen, "%s: the log goes from LSN %llu to a segment starting at %llu "
                         "(frames missing)", s->path, (unsigned long long)(r->expect - 1),
                         (unsigned long long)s->first_lsn);
                mark_damage(r, 0);
                return -1;
            }
            int m = map_segment(r, r->cur, err, errlen);
            if (m < 0) {
                mark_damage(r, 0);
                return -1;
            }
            if (m == 1) {
                unmap(r);
                continue;
            }
            r->expect = s->first_lsn;
        }
        seg_entry *s = &r->segs[r->cur];
        uint64_t limit = r->cur + 1 < r->nsegs ? r->segs[r->cur + 1].first_lsn : UINT64_MAX;
        if (r->expect >= limit) {
            r->off = r->map_len; /* the successor takes over from here */
            continue;
        }
        long long off = r->off;
        long long hdr_room = r->map_len - off;
        if (hdr_room < WAL_FRAME_HEADER_LEN
                ? all_zero(r->map + off, hdr_room)
                : all_zero(r->map + off, WAL_FRAME_HEADER_LEN)) {
            r->off = r->map_len; /* preallocated zeros: the end of this segment */
            if (!all_zero(r->map + off, r->map_len - off) && valid_frame_after(r, off)) {
                snprintf(err, errlen, "%s: corrupt frame at offset %lld (zeroed header followed "
                         "by valid frames)", s->path, off);
                mark_damage(r, off);
                return -1;
            }
            continue;
        }
        uint64_t lsn;
        uint32_t len;
        int ok = frame_ok(r->map, r->map_len, off, &lsn, &len);
        if (ok && lsn < r->expect) {
            /* A frame from the segment's previous life (it was reused). */
            r->off = r->map_len;
            continue;
        }
        if (!ok || lsn != r->expect) {
            if (valid_frame_after(r, off)) {
                snprintf(err, errlen, "%s: corrupt frame at offset %lld (expected LSN %llu)",
                         s->path, off, (unsigned long long)r->expect);
                mark_damage(r, off);
                return -1;
            }
            r->torn = 1;
            r->torn_seg = r->cur;
            r->torn_off = off;
            long long garbage = r->map_len - off;
            while (garbage > 0 && r->map[off + garbage - 1] == 0) garbage--;
            snprintf(err, errlen, "%s: torn write at offset %lld: %lld bytes after the last complete "
                     "frame (LSN %llu) dropped", s->path, off, garbage,
                     (unsigned long long)r->last_lsn);
            return 0;
        }
        f->lsn = lsn;
        f->payload = (const char *)r->map + off + WAL_FRAME_HEADER_LEN;
        f->len = len;
        f->file = s->path;
        f->offset = off;
        r->off = off + WAL_FRAME_HEADER_LEN + len;
        r->expect = lsn + 1;
        r->last_lsn = lsn;
        return 1;
    }
}

int wal_reader_torn(const wal_reader *r) {
    return r->torn;
}

/* Copies src to dst (created, synced). 0, or -1 with errno. */
static int copy_file(const char *src, const char *dst) {
    int in = open(src, O_RDONLY | O_CLOEXEC);
    if (in < 0) return -1;
    int out = open(dst, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (out < 0) {
        close(in);
        return -1;
    }
    char buf[65536];
    ssize_t n;
    int rc = 0;
    while (rc == 0 && (n = read(in, buf, sizeof buf)) != 0) {
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) rc = -1;
        for (ssize_t done = 0; rc == 0 && done < n;) {
            ssize_t m = write(out, buf + done, (size_t)(n - done));
            if (m < 0 && errno == EINTR) continue;
            if (m <= 0) {
                if (m == 0) errno = EIO;
                rc = -1;
            } else {
                done += m;
            }
        }
    }
    if (rc == 0 && fsync(out) < 0) rc = -1;
    int saved = errno;
    close(in);
    close(out);
    errno = saved;
    return rc;
}

int wal_reader_truncate_tail(wal_reader *r, char *err, size_t errlen) {
    if (!r->torn && !r->corrupt) return 0;
    const char *path = r->segs[r->torn_seg].path;
    char aside[4200];
    snprintf(aside, sizeof aside, "%s.corrupt", path);
    if (r->corrupt && r->torn_off == 0) {
        /* Nothing in it can be used: the segment itself goes aside. Left in
         * place, the next start would replay it after the new frames. */
        if (rename(path, aside) < 0) {
            snprintf(err, errlen, "can't rename %s to %s: %s", path, aside, strerror(errno));
            return -1;
        }
    } else {
        /* Valid frames may follow the damage in this very segment: keep the
         * whole file aside before cutting it, so the offsets a message named
         * still point at the same bytes. */
        if (r->corrupt && copy_file(path, aside) < 0) {
            snprintf(err, errlen, "can't keep a copy of %s as %s: %s", path, aside,
                     strerror(errno));
            return -1;
        }
        int fd = open(path, O_WRONLY | O_CLOEXEC);
        if (fd < 0 || ftruncate(fd, r->torn_off) < 0 || fsync(fd) < 0) {
            snprintf(err, errlen, "can't truncate %s at %lld: %s", path, r->torn_off,
                     strerror(errno));
            if (fd >= 0) close(fd);
            return -1;
        }
        close(fd);
    }
    /* After a torn tail later segments hold no valid frame: they go. After
     * damage (--repair) they are kept aside for inspection. */
    for (int i = r->torn_seg + 1; i < r->nsegs; i++) {
        if (r->torn) {
            unlink(r->segs[i].path);
        } else {
            char aside[4200];
            snprintf(aside, sizeof aside, "%s.corrupt", r->segs[i].path);
            rename(r->segs[i].path, aside);
        }
    }
    return 0;
}

uint64_t wal_reader_last_lsn(const wal_reader *r) {
    return r->last_lsn;
}

long long wal_reader_total_bytes(const wal_reader *r) {
    return r->total_bytes;
}

long long wal_reader_bytes_read(const wal_reader *r) {
    return r->done_bytes + (r->map ? r->off : 0);
}

void wal_reader_close(wal_reader *r) {
    if (!r) return;
    unmap(r);
    for (int i = 0; i < r->nsegs; i++) mem_free(r->segs[i].path);
    mem_free(r->segs);
    mem_free(r);
}
