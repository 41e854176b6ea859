/*
 * snapshot.c - the snapshot file: writer, incremental loader, verifier.
 *
 * Layout (docs/FORMATS.md, "Snapshot"), all integers little-endian:
 *
 *   header  "PDBSNAP\0" | u32 version | u32 flags | u64 lsn |
 *           i64 created unix ms | u32 databases | u32 crc32c(previous 36 bytes)
 *   block*  u8 kind 'B' | u32 length | u32 crc32c(kind, length, payload) | payload
 *   end     u8 kind 'E' | u32 length 12 | u32 crc32c(...) | u64 keys |
 *           u32 crc32c(every file byte before the end block)
 *
 * A block holds whole records and is cut once it passes 64 KiB, so a
 * damaged byte is located to one block. Records: 'D' select database
 * (varint id, varint key count), 'K' key (blob key, blob DUMP payload),
 * 'X' key with expiry (8 bytes unix ms, then as 'K').
 *
 * The loader verifies a block's checksum before it interprets any of its
 * bytes, and a block's length against the bytes the file still holds before
 * allocating for it, so a hostile file can neither crash it nor make it
 * allocate more than the file's size.
 */
#include "persist/snapshot.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ds/crc32c.h"
#include "ds/dstr.h"
#include "ds/endian.h"
#include "ds/mem.h"
#include "script/script.h"
#include "server/clock.h"
#include "server/db.h"
#include "server/fsutil.h"
#include "server/kv.h"
#include "types/dump.h"

#define SNAP_MAGIC "PDBSNAP\0"
#define SNAP_VERSION 1
#define SNAP_HEADER_LEN 40
#define SNAP_BLOCK_HEADER_LEN 9
#define SNAP_BLOCK_TARGET (64 * 1024)
#define SNAP_OUT_BUF (1024 * 1024)
#define SNAP_END_PAYLOAD_LEN 12

enum { KIND_BLOCK = 'B', KIND_END = 'E' };
/* Function libraries (their code) come first, then each database's keys. */
enum { REC_LIBRARY = 'L', REC_DB = 'D', REC_KEY = 'K', REC_KEY_EXPIRE = 'X' };

static void set_err(char *err, size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void set_err(char *err, size_t errlen, const char *fmt, ...) {
    if (!err || !errlen) return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err, errlen, fmt, ap);
    va_end(ap);
}

static void snap_path(char *out, size_t outlen, const char *dir, uint64_t lsn, const char *ext) {
    snprintf(out, outlen, "%s/%s/%020llu%s", dir, SNAPSHOT_DIR, (unsigned long long)lsn, ext);
}

/* ---- writer ----------------------------------------------------------------------- */

typedef struct snap_writer {
    int fd;
    unsigned char *out; /* bytes waiting for write(), up to SNAP_OUT_BUF */
    size_t out_len;
    dstr *block;        /* the payload of the block being filled */
    uint32_t file_crc;  /* of every byte handed to out so far */
    long long keys;
    db *cur_db;
    snapshot_progress *progress;
    int failed;         /* errno of the first failure, or -1 for a value with no codec */
    char failed_key[64];
} snap_writer;

static int out_flush(snap_writer *w) {
    size_t off = 0;
    while (off < w->out_len) {
        ssize_t n = write(w->fd, w->out + off, w->out_len - off);
        if (n < 0) {
            if (errno == EINTR) continue;
            w->failed = errno;
            return -1;
        }
        off += (size_t)n;
    }
    w->out_len = 0;
    return 0;
}

static int out_put(snap_writer *w, const void *p, size_t len) {
    const unsigned char *s = p;
    w->file_crc = crc32c(w->file_crc, s, len);
    while (len > 0) {
        size_t room = SNAP_OUT_BUF - w->out_len;
        size_t n = len < room ? len : room;
        memcpy(w->out + w->out_len, s, n);
        w->out_len += n;
        s += n;
        len -= n;
        if (w->out_len == SNAP_OUT_BUF && out_flush(w) < 0) return -1;
    }
    return 0;
}

static int put_block(snap_writer *w, uint8_t kind, const char *payload, size_t len) {
    unsigned char h[SNAP_BLOCK_HEADER_LEN];
    h[0] = kind;
    le_put_u32(h + 1, (uint32_t)len);
    uint32_t crc = crc32c(0, h, 5);
    crc = crc32c(crc, payload, len);
    le_put_u32(h + 5, crc);
    if (out_put(w, h, sizeof h) < 0) return -1;
    return out_put(w, payload, len);
}

static void block_flush(snap_writer *w) {
    if (w->failed || w->block->len == 0) return;
    put_block(w, KIND_BLOCK, w->block->buf, w->block->len);
    w->block->len = 0;
}

static void write_key(kv *e, void *arg) {
    snap_writer *w = arg;
    if (w->failed) return;
    dstr *val = dump_encode(e);
    if (!val) {
        w->failed = -1;
        snprintf(w->failed_key, sizeof w->failed_key, "%.*s",
                 (int)(kv_keylen(e) < 48 ? kv_keylen(e) : 48), kv_key(e));
        return;
    }
    if (e->expire) {
        unsigned char when[8];
        le_put_u64(when, (uint64_t)db_get_expire(w->cur_db, e));
        dump_put_u8(&w->block, REC_KEY_EXPIRE);
        w->block = dstr_append(w->block, (const char *)when, sizeof when);
    } else {
        dump_put_u8(&w->block, REC_KEY);
    }
    dump_put_blob(&w->block, kv_key(e), kv_keylen(e));
    dump_put_blob(&w->block, val->buf, val->len);
    dstr_free(val);
    w->keys++;
    if (w->progress) w->progress->keys_done = w->keys;
    if (w->block->len >= SNAP_BLOCK_TARGET) block_flush(w);
}

static void write_db(snap_writer *w, db *d) {
    size_t n = db_size(d);
    if (n == 0) return;
    w->cur_db = d;
    dump_put_u8(&w->block, REC_DB);
    dump_put_varint(&w->block, (uint64_t)db_id(d));
    dump_put_varint(&w->block, (uint64_t)n);
    uint64_t cursor = 0;
    do {
        cursor = db_scan(d, cursor, write_key, w);
    } while (cursor && !w->failed);
}

static void write_header(snap_writer *w, uint64_t lsn) {
    unsigned char h[SNAP_HEADER_LEN];
    memcpy(h, SNAP_MAGIC, 8);
    le_put_u32(h + 8, SNAP_VERSION);
    le_put_u32(h + 12, 0);
    le_put_u64(h + 16, lsn);
    le_put_u64(h + 24, (uint64_t)clock_now_ms());
    le_put_u32(h + 32, (uint32_t)db_count());
    le_put_u32(h + 36, crc32c(0, h, 36));
    out_put(w, h, sizeof h);
}

static void write_end(snap_writer *w) {
    unsigned char p[SNAP_END_PAYLOAD_LEN];
    le_put_u64(p, (uint64_t)w->keys);
    le_put_u32(p + 8, w->file_crc);
    put_block(w, KIND_END, (const char *)p, sizeof p);
}

static void write_library(const char *code, size_t len, void *arg) {
    snap_writer *w = arg;
    dump_put_u8(&w->block, REC_LIBRARY);
    dump_put_blob(&w->block, code, len);
    if (w->block->len >= SNAP_BLOCK_TARGET) block_flush(w);
}

/* Writes the whole image into the open file w->fd. */
static int write_image(snap_writer *w, uint64_t lsn) {
    long long total = 0;
    for (int i = 0; i < db_count(); i++) total += (long long)db_size(db_get(i));
    if (w->progress) {
        w->progress->keys_total = total;
        w->progress->keys_done = 0;
    }
    write_header(w, lsn);
    function_foreach_library(write_library, w);
    for (int i = 0; i < db_count() && !w->failed; i++) write_db(w, db_get(i));
    block_flush(w);
    if (!w->failed) write_end(w);
    if (!w->failed) out_flush(w);
    if (!w->failed && fsync(w->fd) < 0) w->failed = errno;
    return w->failed ? -1 : 0;
}

int snapshot_write(const char *dir, uint64_t lsn, snapshot_progress *progress, char *err,
                   size_t errlen) {
    char sdir[4096], tmp[4200], final[4200];
    snprintf(sdir, sizeof sdir, "%s/%s", dir, SNAPSHOT_DIR);
    if (fs_make_dir(sdir) < 0) {
        set_err(err, errlen, "Can't create %s: %s", sdir, strerror(errno));
        return -1;
    }
    snap_path(tmp, sizeof tmp, dir, lsn, ".pdb.tmp");
    snap_path(final, sizeof final, dir, lsn, ".pdb");
    snap_writer w = {0};
    w.fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (w.fd < 0) {
        set_err(err, errlen, "Can't open %s: %s", tmp, strerror(errno));
        return -1;
    }
    w.out = mem_alloc(SNAP_OUT_BUF);
    w.block = dstr_new("", 0);
    w.progress = progress;
    int rc = write_image(&w, lsn);
    if (close(w.fd) < 0 && rc == 0) {
        w.failed = errno;
        rc = -1;
    }
    if (rc == 0 && rename(tmp, final) < 0) {
        w.failed = errno;
        rc = -1;
    }
    if (rc == 0 && fs_sync_dir(sdir) < 0) {
        w.failed = errno;
        rc = -1;
    }
    if (rc < 0) {
        if (w.failed == -1)
            set_err(err, errlen, "Can't write %s: key '%s' has a type with no serializer", tmp,
                    w.failed_key);
        else
            set_err(err, errlen, "Can't write %s: %s", tmp, strerror(w.failed));
        unlink(tmp);
    }
    mem_free(w.out);
    dstr_free(w.block);
    return rc;
}

/* ---- finding and dropping files ------------------------------------------------------ */

/* 1 and *lsn when name is "<20 digits>.pdb" (tmp = 0) or "<20 digits>.pdb.tmp" (tmp = 1). */
static int parse_name(const char *name, uint64_t *lsn, int *tmp) {
    for (int i = 0; i < 20; i++)
        if (name[i] < '0' || name[i] > '9') return 0;
    if (strcmp(name + 20, ".pdb") == 0)
        *tmp = 0;
    else if (strcmp(name + 20, ".pdb.tmp") == 0)
        *tmp = 1;
    else
        return 0;
    errno = 0;
    unsigned long long v = strtoull(name, NULL, 10);
    if (errno) return 0;
    *lsn = v;
    return 1;
}

int snapshot_find_newest(const char *dir, char *out, size_t outlen, uint64_t *lsn,
                         int remove_temp, char *err, size_t errlen) {
    char sdir[4096];
    snprintf(sdir, sizeof sdir, "%s/%s", dir, SNAPSHOT_DIR);
    DIR *d = opendir(sdir);
    if (!d) {
        if (errno == ENOENT) return 0;
        set_err(err, errlen, "Can't open %s: %s", sdir, strerror(errno));
        return -1;
    }
    int found = 0;
    uint64_t best = 0;
    struct dirent *de;
    while ((de = readdir(d)) != NULL) {
        uint64_t v;
        int tmp;
        if (!parse_name(de->d_name, &v, &tmp)) continue;
        if (tmp) {
            if (remove_temp) unlinkat(dirfd(d), de->d_name, 0);
            continue;
        }
        if (!found || v > best) {
            best = v;
            found = 1;
        }
    }
    closedir(d);
    if (!found) return 0;
    if (lsn) *lsn = best;
    if (out) snap_path(out, outlen, dir, best, ".pdb");
    return 1;
}

void snapshot_drop_older(const char *dir, uint64_t keep_lsn) {
    char sdir[4096];
    snprintf(sdir, sizeof sdir, "%s/%s", dir, SNAPSHOT_DIR);
    DIR *d = opendir(sdir);
    if (!d) return;
    int dropped = 0;
    struct dirent *de;
    while ((de = readdir(d)) != NULL) {
        uint64_t v;
        int tmp;
        if (!parse_name(de->d_name, &v, &tmp) || tmp || v >= keep_lsn) continue;
        if (unlinkat(dirfd(d), de->d_name, 0) == 0) dropped = 1;
    }
    closedir(d);
    if (dropped) fs_sync_dir(sdir);
}

/* ---- loader and verifier ---------------------------------------------------------------- */

struct snapshot_loader {
    int fd;
    char *path;
    uint64_t lsn;
    long long created_ms;
    long long file_size;
    long long pos;         /* file offset of the next unread byte */
    uint32_t file_crc;     /* of every byte before pos */
    unsigned char *blk;    /* the current block's payload */
    size_t blk_cap, blk_len, blk_pos;
    long long blk_off;     /* file offset of blk[0] */
    int verify_only;       /* decode values to check them, then free them */
    int cur_db;            /* -1 before the first database record */
    uint64_t db_declared, db_seen;
    uint64_t dbs_done;     /* bit per database already met (DB_MAX_COUNT <= 64) */
    long long keys;
    int done;
    /* verify_only figures */
    long long db_keys[DB_MAX_COUNT], db_expires[DB_MAX_COUNT];
    long long type_counts[TYPE_COUNT];
    long long libraries;
};

static int read_full(snapshot_loader *l, void *buf, size_t len) {
    unsigned char *p = buf;
    size_t got = 0;
    while (got < len) {
        ssize_t n = read(l->fd, p + got, len - got);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) return -1;
        got += (size_t)n;
    }
    l->pos += (long long)len;
    return 0;
}

static snapshot_loader *loader_open(const char *path, int verify_only, char *err,
                                    size_t errlen) {
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        set_err(err, errlen, "Can't open snapshot %s: %s", path, strerror(errno));
        return NULL;
    }
    struct stat st;
    if (fstat(fd, &st) < 0) {
        set_err(err, errlen, "Can't stat snapshot %s: %s", path, strerror(errno));
        close(fd);
        return NULL;
    }
    snapshot_loader *l = mem_calloc(sizeof *l);
    l->fd = fd;
    l->path = mem_strdup(path);
    l->file_size = (long long)st.st_size;
    l->verify_only = verify_only;
    l->cur_db = -1;
    unsigned char h[SNAP_HEADER_LEN];
    const char *what = NULL;
    if (l->file_size < SNAP_HEADER_LEN || read_full(l, h, sizeof h) < 0)
        what = "truncated header";
    else if (memcmp(h, SNAP_MAGIC, 8) != 0)
        what = "not a snapshot (bad magic)";
    else if (le_get_u32(h + 36) != crc32c(0, h, 36))
        what = "header checksum mismatch";
    else if (le_get_u32(h + 8) != SNAP_VERSION)
        what = "unknown format version";
    if (what) {
        set_err(err, errlen, "Bad snapshot %s at offset 0: %s", path, what);
        snapshot_load_close(l);
        return NULL;
    }
    l->lsn = le_get_u64(h + 16);
    l->created_ms = (long long)le_get_u64(h + 24);
    l->file_crc = crc32c(0, h, sizeof h);
    return l;
}

snapshot_loader *snapshot_load_open(const char *path, char *err, size_t errlen) {
    return loader_open(path, 0, err, errlen);
}

uint64_t snapshot_loader_lsn(const snapshot_loader *l) {
    return l->lsn;
}
long long snapshot_loader_keys(const snapshot_loader *l) {
    return l->keys;
}
long long snapshot_loader_bytes_read(const snapshot_loader *l) {
    return l->pos;
}
long long snapshot_loader_total_bytes(const snapshot_loader *l) {
    return l->file_size;
}

void snapshot_load_close(snapshot_loader *l) {
    if (!l) return;
    close(l->fd);
    mem_free(l->path);
    mem_free(l->blk);
    mem_free(l);
}

#define FAIL_AT(off, ...)                                                                          \
    do {                                                                                           \
        char what_[256];                                                                           \
        snprintf(what_, sizeof what_, __VA_ARGS__);                                                \
        set_err(err, errlen, "Bad snapshot %s at offset %lld: %s", l->path, (long long)(off),      \
                what_);                                                                            \
        return -1;                                                                                 \
    } while (0)

/* The database record before, and every key record of it, must agree. */
static int close_db(snapshot_loader *l, long long off, char *err, size_t errlen) {
    if (l->cur_db >= 0 && l->db_seen != l->db_declared)
        FAIL_AT(off, "database %d declares %llu keys but holds %llu", l->cur_db,
                (unsigned long long)l->db_declared, (unsigned long long)l->db_seen);
    return 0;
}

/* Reads the end block's payload (already checksummed) and the file's tail. */
static int finish_end(snapshot_loader *l, uint32_t crc_before, long long off, char *err,
                      size_t errlen) {
    if (close_db(l, off, err, errlen) < 0) return -1;
    if (l->blk_len != SNAP_END_PAYLOAD_LEN) FAIL_AT(off, "end record of a wrong length");
    if (le_get_u64(l->blk) != (uint64_t)l->keys)
        FAIL_AT(off, "end record counts %llu keys but the file holds %lld",
                (unsigned long long)le_get_u64(l->blk), l->keys);
    if (le_get_u32(l->blk + 8) != crc_before) FAIL_AT(off, "whole-file checksum mismatch");
    if (l->pos != l->file_size) FAIL_AT(l->pos, "bytes after the end record");
    l->done = 1;
    return 0;
}

/* Reads the next block into l->blk. 1: a data block, 0: the end block was
 * read and verified, -1: error. */
static int next_block(snapshot_loader *l, char *err, size_t errlen) {
    long long off = l->pos;
    unsigned char h[SNAP_BLOCK_HEADER_LEN];
    if (l->file_size - l->pos < (long long)sizeof h) FAIL_AT(off, "truncated (no end record)");
    if (read_full(l, h, sizeof h) < 0) FAIL_AT(off, "read error: %s", strerror(errno));
    uint8_t kind = h[0];
    uint32_t len = le_get_u32(h + 1);
    if (kind != KIND_BLOCK && kind != KIND_END) FAIL_AT(off, "unknown block kind 0x%02x", kind);
    if ((long long)len > l->file_size - l->pos)
        FAIL_AT(off, "block length %u runs past the end of the file", (unsigned)len);
    if (len > l->blk_cap) {
        mem_free(l->blk);
        l->blk = mem_alloc(len);
        l->blk_cap = len;
    }
    if (len && read_full(l, l->blk, len) < 0)
        FAIL_AT(off, "read error: %s", strerror(errno));
    uint32_t crc = crc32c(crc32c(0, h, 5), l->blk, len);
    if (crc != le_get_u32(h + 5))
        FAIL_AT(off, "block checksum mismatch (block of %u bytes)", (unsigned)len);
    uint32_t crc_before = l->file_crc;
    l->file_crc = crc32c(crc32c(l->file_crc, h, sizeof h), l->blk, len);
    l->blk_len = len;
    l->blk_pos = 0;
    l->blk_off = off + (long long)sizeof h;
    if (kind == KIND_END) return finish_end(l, crc_before, off, err, errlen) < 0 ? -1 : 0;
    if (len == 0) FAIL_AT(off, "empty block");
    return 1;
}

static int read_db_record(snapshot_loader *l, dump_reader *r, long long off, char *err,
                          size_t errlen) {
    uint64_t id, count;
    if (dump_get_varint(r, &id) < 0 || dump_get_varint(r, &count) < 0)
        FAIL_AT(off, "malformed database record");
    int limit = l->verify_only ? DB_MAX_COUNT : db_count();
    if (id >= (uint64_t)limit) FAIL_AT(off, "unknown database %llu", (unsigned long long)id);
    if (l->dbs_done & (1ull << id)) FAIL_AT(off, "database %llu appears twice",
                                             (unsigned long long)id);
    if (close_db(l, off, err, errlen) < 0) return -1;
    if (count == 0) FAIL_AT(off, "database record with no keys");
    l->dbs_done |= 1ull << id;
    l->cur_db = (int)id;
    l->db_declared = count;
    l->db_seen = 0;
    return 0;
}

/* Adds (or, verifying, counts and frees) one decoded entry. */
static int place_key(snapshot_loader *l, kv *e, long long when, long long off, char *err,
                     size_t errlen) {
    if (l->verify_only) {
        l->db_keys[l->cur_db]++;
        if (when >= 0) l->db_expires[l->cur_db]++;
        l->type_counts[e->type]++;
        kv_free(e);
        return 0;
    }
    db *d = db_get(l->cur_db);
    if (db_lookup(d, kv_key(e), kv_keylen(e), LOOKUP_NOEXPIRE | LOOKUP_NOTOUCH | LOOKUP_NOSTATS)) {
        kv_free(e);
        FAIL_AT(off, "duplicate key in database %d", l->cur_db);
    }
    db_add(d, e);
    if (when >= 0) db_set_expire(d, e, when);
    return 0;
}

static int read_key_record(snapshot_loader *l, dump_reader *r, int with_expire, long long off,
                           char *err, size_t errlen) {
    if (l->cur_db < 0) FAIL_AT(off, "key record before any database record");
    if (l->db_seen >= l->db_declared)
        FAIL_AT(off, "more keys than database %d declares", l->cur_db);
    long long when = -1;
    if (with_expire) {
        if (dump_remaining(r) < 8) FAIL_AT(off, "truncated expire time");
        when = (long long)le_get_u64(r->p);
        r->p += 8;
        if (when < 0) FAIL_AT(off, "negative expire time");
    }
    const char *key, *val;
    size_t klen, vlen;
    if (dump_get_blob(r, &key, &klen) < 0 || dump_get_blob(r, &val, &vlen) < 0)
        FAIL_AT(off, "malformed key record");
    if (klen >= (1u << 30)) FAIL_AT(off, "key too long");
    kv *e = NULL;
    int rc = dump_decode(val, vlen, key, klen, &e);
    if (rc != DUMP_OK)
        FAIL_AT(off, "%s", rc == DUMP_ERR_CHECKSUM ? "value checksum or version wrong"
                                                   : "value malformed");
    if (place_key(l, e, when, off, err, errlen) < 0) return -1;
    l->db_seen++;
    l->keys++;
    return 0;
}

/* A function library: loaded (replacing one of the same name), or counted
 * when verifying. Libraries precede every database record. */
static int read_library_record(snapshot_loader *l, dump_reader *r, long long off, char *err,
                               size_t errlen) {
    const char *code;
    size_t len;
    if (dump_get_blob(r, &code, &len) < 0) FAIL_AT(off, "malformed library record");
    if (l->cur_db != -1) FAIL_AT(off, "library record after database records");
    l->libraries++;
    if (l->verify_only) return 0;
    char why[512];
    if (function_load_code(code, len, why, sizeof why) < 0)
        FAIL_AT(off, "function library refused: %.200s", why);
    return 0;
}

/* Decodes the record at blk_pos. */
static int next_record(snapshot_loader *l, char *err, size_t errlen) {
    dump_reader r = {l->blk + l->blk_pos, l->blk + l->blk_len};
    long long off = l->blk_off + (long long)l->blk_pos;
    uint8_t type;
    dump_get_u8(&r, &type);
    int rc;
    if (type == REC_DB)
        rc = read_db_record(l, &r, off, err, errlen);
    else if (type == REC_KEY || type == REC_KEY_EXPIRE)
        rc = read_key_record(l, &r, type == REC_KEY_EXPIRE, off, err, errlen);
    else if (type == REC_LIBRARY)
        rc = read_library_record(l, &r, off, err, errlen);
    else
        FAIL_AT(off, "unknown record type 0x%02x", type);
    if (rc < 0) return -1;
    l->blk_pos = (size_t)(r.p - l->blk);
    return 0;
}

int snapshot_load_step(snapshot_loader *l, long long budget_us, char *err, size_t errlen) {
    if (l->done) return 0;
    long long deadline = clock_mono_us() + budget_us;
    for (unsigned n = 1;; n++) {
        if (l->blk_pos >= l->blk_len) {
            int rc = next_block(l, err, errlen);
            if (rc <= 0) return rc;
        }
        if (next_record(l, err, errlen) < 0) return -1;
        if ((n & 127) == 0 && clock_mono_us() >= deadline) return 1;
    }
}

#undef FAIL_AT

static void describe_line(void (*describe)(const char *, void *), void *arg, const char *fmt,
                          ...) __attribute__((format(printf, 3, 4)));
static void describe_line(void (*describe)(const char *, void *), void *arg, const char *fmt,
                          ...) {
    char line[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(line, sizeof line, fmt, ap);
    va_end(ap);
    describe(line, arg);
}

static void describe_loader(const snapshot_loader *l,
                            void (*describe)(const char *line, void *arg), void *arg) {
    describe_line(describe, arg, "snapshot %s: format %d, lsn %llu, created %lld (unix ms), "
                  "%lld bytes", l->path, SNAP_VERSION, (unsigned long long)l->lsn,
                  l->created_ms, l->file_size);
    long long expires = 0;
    for (int i = 0; i < DB_MAX_COUNT; i++) {
        expires += l->db_expires[i];
        if (l->db_keys[i])
            describe_line(describe, arg, "db%d: keys=%lld expires=%lld", i, l->db_keys[i],
                          l->db_expires[i]);
    }
    describe_line(describe, arg, "types: string=%lld list=%lld set=%lld zset=%lld hash=%lld",
                  l->type_counts[TYPE_STRING], l->type_counts[TYPE_LIST],
                  l->type_counts[TYPE_SET], l->type_counts[TYPE_ZSET],
                  l->type_counts[TYPE_HASH]);
    describe_line(describe, arg, "total: keys=%lld expires=%lld", l->keys, expires);
    if (l->libraries) describe_line(describe, arg, "function libraries: %lld", l->libraries);
}

int snapshot_verify(const char *path, void (*describe)(const char *line, void *arg), void *arg,
                    char *err, size_t errlen) {
    snapshot_loader *l = loader_open(path, 1, err, errlen);
    if (!l) return -1;
    int rc;
    while ((rc = snapshot_load_step(l, 1000000, err, errlen)) == 1) {
    }
    if (rc == 0 && describe) describe_loader(l, describe, arg);
    snapshot_load_close(l);
    return rc == 0 ? 0 : -1;
}

int snapshot_read_info(const char *path, uint64_t *lsn, long long *created_ms, char *err,
                       size_t errlen) {
    snapshot_loader *l = loader_open(path, 1, err, errlen);
    if (!l) return -1;
    if (lsn) *lsn = l->lsn;
    if (created_ms) *created_ms = l->created_ms;
    snapshot_load_close(l);
    return 0;
}
