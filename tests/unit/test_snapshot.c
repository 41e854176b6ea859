/*
 * test_snapshot.c - snapshot files: every type and encoding through write
 * and load, damage located to an offset, budgeted loading, file naming.
 *
 * Values are made by decoding hand-built DUMP payloads, so each takes the
 * encoding the current thresholds give (small: listpack/intset, big:
 * quicklist/hashtable/skiplist). After a reload a value is compared in a
 * canonical form: its DUMP body's items, sorted, since a hashtable's
 * iteration order may change when it is rebuilt.
 */
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "unit.h"

#include "ds/crc32c.h"
#include "ds/dstr.h"
#include "ds/mem.h"
#include "persist/snapshot.h"
#include "server/clock.h"
#include "server/command.h"
#include "server/config.h"
#include "server/db.h"
#include "server/kv.h"
#include "types/dump.h"
#include "types/types.h"

/* ---- fixtures ------------------------------------------------------------------ */

static void snap_setup(void) {
    static int done;
    if (done) {
        for (int i = 0; i < db_count(); i++) db_empty(db_get(i));
        return;
    }
    done = 1;
    config_get_int("hz"); /* settings hold their defaults (encoding thresholds) */
    db_init_all(16);
    /* test_hash.c may have registered the hash family already. */
    if (!command_lookup("hset", 4)) hash_register();
    list_register();
    set_register();
    zset_register();
}

static char tmpdir[64];

static const char *snap_tmpdir(void) {
    snprintf(tmpdir, sizeof tmpdir, "/tmp/pdbsnap-XXXXXX");
    if (!mkdtemp(tmpdir)) return NULL;
    return tmpdir;
}

/* Removes the current test's directory. */
static void rm_tree(void) {
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmpdir);
    if (system(cmd) != 0) fprintf(stderr, "could not remove %s\n", tmpdir);
}

/* [type][hint][body][version][crc] */
static dstr *payload_finish(dstr *d) {
    unsigned char foot[6];
    foot[0] = DUMP_VERSION & 0xff;
    foot[1] = DUMP_VERSION >> 8;
    d = dstr_append(d, (const char *)foot, 2);
    uint32_t crc = crc32c(0, d->buf, d->len);
    for (int i = 0; i < 4; i++) foot[2 + i] = (unsigned char)(crc >> (8 * i));
    return dstr_append(d, (const char *)foot + 2, 4);
}

/* A collection of n generated items: prefix + index (zset: score = index). */
static kv *make_collection(const char *key, int type, uint8_t hint, int n, const char *prefix) {
    dstr *d = dstr_new("", 0);
    dump_put_u8(&d, (uint8_t)type);
    dump_put_u8(&d, hint);
    dump_put_varint(&d, (uint64_t)n);
    for (int i = 0; i < n; i++) {
        char item[64];
        int len = snprintf(item, sizeof item, "%s%d", prefix, i);
        dump_put_blob(&d, item, (size_t)len);
        if (type == TYPE_HASH) dump_put_blob(&d, item, (size_t)len / 2);
        if (type == TYPE_ZSET) {
            double score = i * 1.5;
            d = dstr_append(d, (const char *)&score, 8);
        }
    }
    d = payload_finish(d);
    kv *e = NULL;
    int rc = dump_decode(d->buf, d->len, key, strlen(key), &e);
    dstr_free(d);
    return rc == DUMP_OK ? e : NULL;
}

/* An intset-encoded set: the body is the intset's own bytes. */
static kv *make_intset(const char *key, int n) {
    dstr *blob = dstr_new("", 0);
    unsigned char hdr[8] = {2, 0, 0, 0};
    for (int i = 0; i < 4; i++) hdr[4 + i] = (unsigned char)((unsigned)n >> (8 * i));
    blob = dstr_append(blob, (const char *)hdr, 8);
    for (int i = 0; i < n; i++) {
        int16_t v = (int16_t)(i * 3 - 100);
        blob = dstr_append(blob, (const char *)&v, 2);
    }
    dstr *d = dstr_new("", 0);
    dump_put_u8(&d, TYPE_SET);
    dump_put_u8(&d, 0);
    dump_put_blob(&d, blob->buf, blob->len);
    dstr_free(blob);
    d = payload_finish(d);
    kv *e = NULL;
    int rc = dump_decode(d->buf, d->len, key, strlen(key), &e);
    dstr_free(d);
    return rc == DUMP_OK ? e : NULL;
}

static int cmp_dstr(const void *a, const void *b) {
    const dstr *x = *(dstr *const *)a, *y = *(dstr *const *)b;
    size_t n = x->len < y->len ? x->len : y->len;
    int c = memcmp(x->buf, y->buf, n);
    return c ? c : (x->len > y->len) - (x->len < y->len);
}

/* The value in a form independent of iteration order: type, encoding and
 * the DUMP body's items sorted (a list keeps its order: its body is one). */
static dstr *canonical(const kv *e) {
    dstr *p = dump_encode(e);
    dstr *out = dstr_new("", 0);
    dump_put_u8(&out, (uint8_t)e->type);
    dump_put_u8(&out, (uint8_t)e->enc);
    int items = e->type == TYPE_HASH || e->type == TYPE_ZSET ||
                (e->type == TYPE_SET && (uint8_t)p->buf[1] == 1);
    if (!items) {
        out = dstr_append(out, p->buf, p->len);
        dstr_free(p);
        return out;
    }
    dump_reader r = {(const unsigned char *)p->buf + 2,
                     (const unsigned char *)p->buf + p->len - DUMP_FOOTER_LEN};
    uint64_t n = 0;
    dump_get_varint(&r, &n);
    dstr **v = mem_alloc(sizeof(dstr *) * (n ? n : 1));
    for (uint64_t i = 0; i < n; i++) {
        const char *s;
        size_t len;
        dump_get_blob(&r, &s, &len);
        v[i] = dstr_new(s, len);
        if (e->type == TYPE_HASH) {
            dump_get_blob(&r, &s, &len);
            v[i] = dstr_append(v[i], "=", 1);
            v[i] = dstr_append(v[i], s, len);
        } else if (e->type == TYPE_ZSET) {
            v[i] = dstr_append(v[i], (const char *)r.p, 8);
            r.p += 8;
        }
    }
    qsort(v, n, sizeof *v, cmp_dstr);
    for (uint64_t i = 0; i < n; i++) {
        dump_put_blob(&out, v[i]->buf, v[i]->len);
        dstr_free(v[i]);
    }
    mem_free(v);
    dstr_free(p);
    return out;
}

typedef struct sample {
    const char *key;
    int dbid;
    long long expire; /* -1: none */
    kv *e;            /* built, then owned by the database */
    dstr *canon;
    int enc;
} sample;

static sample samples[] = {
    {"str:int", 0, -1, NULL, NULL, ENC_INT},
    {"str:emb", 0, 4102444800000LL, NULL, NULL, ENC_EMBSTR},
    {"str:raw", 3, -1, NULL, NULL, ENC_RAW},
    {"list:small", 0, -1, NULL, NULL, ENC_QUICKLIST}, /* Redis 7.0: lists are always quicklists */
    {"list:big", 3, 1000LL, NULL, NULL, ENC_QUICKLIST}, /* expired long ago: kept as is */
    {"hash:small", 0, -1, NULL, NULL, ENC_LISTPACK},
    {"hash:big", 0, 4102444800123LL, NULL, NULL, ENC_HASHTABLE},
    {"set:int", 15, -1, NULL, NULL, ENC_INTSET},
    {"set:small", 0, -1, NULL, NULL, ENC_HASHTABLE}, /* Redis 7.0: no listpack sets */
    {"set:big", 0, -1, NULL, NULL, ENC_HASHTABLE},
    {"zset:small", 0, -1, NULL, NULL, ENC_LISTPACK},
    {"zset:big", 3, 1LL, NULL, NULL, ENC_SKIPLIST},
};
#define NSAMPLES (int)(sizeof samples / sizeof samples[0])

static kv *build_sample(const sample *s) {
    static char raw[200];
    memset(raw, 'r', sizeof raw);
    const char *k = s->key;
    size_t kl = strlen(k);
    if (!strcmp(k, "str:int")) return kv_new_string(k, kl, "-1234567890123", 14);
    if (!strcmp(k, "str:emb")) return kv_new_string(k, kl, "hello world", 11);
    if (!strcmp(k, "str:raw")) return kv_new_string(k, kl, raw, sizeof raw);
    if (!strcmp(k, "list:small")) return make_collection(k, TYPE_LIST, 0, 5, "e");
    if (!strcmp(k, "list:big")) return make_collection(k, TYPE_LIST, 0, 3000, "element-");
    if (!strcmp(k, "hash:small")) return make_collection(k, TYPE_HASH, 0, 10, "field");
    if (!strcmp(k, "hash:big")) return make_collection(k, TYPE_HASH, 0, 600, "field");
    if (!strcmp(k, "set:int")) return make_intset(k, 50);
    if (!strcmp(k, "set:small")) return make_collection(k, TYPE_SET, 1, 8, "m");
    if (!strcmp(k, "set:big")) return make_collection(k, TYPE_SET, 1, 700, "member");
    if (!strcmp(k, "zset:small")) return make_collection(k, TYPE_ZSET, 0, 6, "z");
    if (!strcmp(k, "zset:big")) return make_collection(k, TYPE_ZSET, 0, 400, "zmember");
    return NULL;
}

static int write_samples(const char *dir, uint64_t lsn) {
    for (int i = 0; i < NSAMPLES; i++) {
        sample *s = &samples[i];
        s->e = build_sample(s);
        if (!s->e || s->e->enc != (unsigned)s->enc) {
            fprintf(stderr, "  sample %s: %s encoding %d\n", s->key, s->e ? "" : "no value,",
                    s->e ? (int)s->e->enc : -1);
            return -1;
        }
        s->canon = canonical(s->e);
        db *d = db_get(s->dbid);
        db_add(d, s->e);
        if (s->expire >= 0) db_set_expire(d, s->e, s->expire);
    }
    char err[512];
    return snapshot_write(dir, lsn, NULL, err, sizeof err);
}

static void free_canon(void) {
    for (int i = 0; i < NSAMPLES; i++) {
        dstr_free(samples[i].canon);
        samples[i].canon = NULL;
    }
}

static int load_all(const char *path, long long budget_us, int *steps, char *err, size_t errlen) {
    snapshot_loader *l = snapshot_load_open(path, err, errlen);
    if (!l) return -1;
    int rc;
    *steps = 0;
    while ((rc = snapshot_load_step(l, budget_us, err, errlen)) == 1) (*steps)++;
    snapshot_load_close(l);
    return rc;
}

/* ---- round trip ----------------------------------------------------------------- */

TEST(snapshot_roundtrip_every_type_and_expiry) {
    snap_setup();
    const char *dir = snap_tmpdir();
    CHECK(dir != NULL);
    CHECK_INT(write_samples(dir, 42), 0);
    char path[256], err[512];
    uint64_t lsn = 0;
    CHECK_INT(snapshot_find_newest(dir, path, sizeof path, &lsn, 0, err, sizeof err), 1);
    CHECK_INT(lsn, 42);
    for (int i = 0; i < db_count(); i++) db_empty(db_get(i));

    snapshot_loader *l = snapshot_load_open(path, err, sizeof err);
    CHECK(l != NULL);
    CHECK_INT(snapshot_loader_lsn(l), 42);
    int rc;
    while ((rc = snapshot_load_step(l, 100000, err, sizeof err)) == 1) {
    }
    CHECK_INT(rc, 0);
    CHECK_INT(snapshot_loader_keys(l), NSAMPLES);
    CHECK_INT(snapshot_loader_bytes_read(l), snapshot_loader_total_bytes(l));
    snapshot_load_close(l);

    for (int i = 0; i < NSAMPLES; i++) {
        sample *s = &samples[i];
        db *d = db_get(s->dbid);
        kv *e = db_lookup(d, s->key, strlen(s->key),
                          LOOKUP_NOEXPIRE | LOOKUP_NOTOUCH | LOOKUP_NOSTATS);
        if (!e) {
            unit_fail(__FILE__, __LINE__, "key %s missing after load", s->key);
            break;
        }
        CHECK_INT(e->enc, s->enc);
        CHECK_INT(db_get_expire(d, e), s->expire);
        dstr *c = canonical(e);
        int same = c->len == s->canon->len && memcmp(c->buf, s->canon->buf, c->len) == 0;
        dstr_free(c);
        if (!same) {
            unit_fail(__FILE__, __LINE__, "key %s differs after load", s->key);
            break;
        }
    }
    free_canon();
    CHECK_INT(db_size(db_get(0)), 8);
    CHECK_INT(db_size(db_get(3)), 3);
    CHECK_INT(db_size(db_get(15)), 1);
    CHECK_INT(db_expires_count(db_get(3)), 2);

    /* Loading it again on top finds the keys already there. */
    int steps;
    CHECK_INT(load_all(path, 100000, &steps, err, sizeof err), -1);
    CHECK(strstr(err, "duplicate key") != NULL);
    CHECK(strstr(err, path) != NULL);
    rm_tree();
}

static void collect(const char *line, void *arg) {
    dstr **out = arg;
    *out = dstr_append(*out, line, strlen(line));
    *out = dstr_append(*out, "\n", 1);
}

TEST(snapshot_verify_describes_without_loading) {
    snap_setup();
    const char *dir = snap_tmpdir();
    CHECK(dir != NULL);
    CHECK_INT(write_samples(dir, 7), 0);
    free_canon();
    for (int i = 0; i < db_count(); i++) db_empty(db_get(i));
    char path[256], err[512];
    CHECK_INT(snapshot_find_newest(dir, path, sizeof path, NULL, 0, err, sizeof err), 1);
    dstr *text = dstr_new("", 0);
    int rc = snapshot_verify(path, collect, &text, err, sizeof err);
    int ok = rc == 0 && strstr(text->buf, "lsn 7,") && strstr(text->buf, "db0: keys=8 expires=2\n") &&
             strstr(text->buf, "db3: keys=3 expires=2\n") &&
             strstr(text->buf, "db15: keys=1 expires=0\n") &&
             strstr(text->buf, "types: string=3 list=2 set=3 zset=2 hash=2\n") &&
             strstr(text->buf, "total: keys=12 expires=4\n");
    if (!ok) unit_fail(__FILE__, __LINE__, "verify gave %d: %s / %s", rc, err, text->buf);
    dstr_free(text);
    CHECK_INT(db_size(db_get(0)), 0);
    rm_tree();
}

/* ---- damage ---------------------------------------------------------------------- */

static long long fill_strings(int n, int vlen) {
    char val[512];
    memset(val, 'v', sizeof val);
    for (int i = 0; i < n; i++) {
        char key[32];
        int kl = snprintf(key, sizeof key, "key:%d", i);
        kv *e = kv_new_string(key, (size_t)kl, val, (size_t)vlen);
        db_add(db_get(i % 3), e);
        if (i % 7 == 0) db_set_expire(db_get(i % 3), e, 4102444800000LL + i);
    }
    return n;
}

static unsigned char *read_file(const char *path, size_t *len) {
    FILE *fp = fopen(path, "rb");
    if (!fp) return NULL;
    fseek(fp, 0, SEEK_END);
    *len = (size_t)ftell(fp);
    fseek(fp, 0, SEEK_SET);
    unsigned char *buf = malloc(*len ? *len : 1);
    if (fread(buf, 1, *len, fp) != *len) *len = 0;
    fclose(fp);
    return buf;
}

static int write_file(const char *path, const unsigned char *buf, size_t len) {
    FILE *fp = fopen(path, "wb");
    if (!fp) return -1;
    size_t n = fwrite(buf, 1, len, fp);
    fclose(fp);
    return n == len ? 0 : -1;
}

/* The offset an error names ("... at offset N: ..."), or -1. */
static long long err_offset(const char *err) {
    const char *p = strstr(err, "at offset ");
    return p ? atoll(p + 10) : -1;
}

/* A multi-block snapshot for the damage tests; its bytes in *buf. */
static int damage_fixture(char *path, size_t pathlen, unsigned char **buf, size_t *len) {
    snap_setup();
    const char *dir = snap_tmpdir();
    if (!dir) return -1;
    fill_strings(3000, 100); /* ~350 KB: several 64 KiB blocks */
    char err[512];
    if (snapshot_write(dir, 9, NULL, err, sizeof err) < 0) return -1;
    for (int i = 0; i < db_count(); i++) db_empty(db_get(i));
    if (snapshot_find_newest(dir, path, pathlen, NULL, 0, err, sizeof err) != 1) return -1;
    *buf = read_file(path, len);
    return *buf && *len > 4 * 65536 ? 0 : -1;
}

TEST(snapshot_bit_flip_anywhere_is_located) {
    char path[256], damaged[300], err[512];
    unsigned char *buf;
    size_t len;
    CHECK_INT(damage_fixture(path, sizeof path, &buf, &len), 0);
    snprintf(damaged, sizeof damaged, "%s.bad", path);
    CHECK_INT(snapshot_verify(path, NULL, NULL, err, sizeof err), 0);
    int tried = 0;
    for (size_t pos = 0; pos < len; pos += (pos < 64 || pos + 64 > len) ? 1 : 997) {
        buf[pos] ^= (unsigned char)(1u << (pos % 8));
        CHECK_INT(write_file(damaged, buf, len), 0);
        buf[pos] ^= (unsigned char)(1u << (pos % 8));
        err[0] = '\0';
        int rc = snapshot_verify(damaged, NULL, NULL, err, sizeof err);
        long long off = err_offset(err);
        if (rc != -1 || off < 0 || off > (long long)pos || !strstr(err, damaged)) {
            unit_fail(__FILE__, __LINE__, "flip at %zu: rc %d, \"%s\"", pos, rc, err);
            break;
        }
        /* A flip inside a block is named by that block, never a later one. */
        if (pos >= 40 && (long long)pos - off > 70000) {
            unit_fail(__FILE__, __LINE__, "flip at %zu reported at %lld", pos, off);
            break;
        }
        tried++;
    }
    CHECK(tried > 400);
    /* The loader refuses it too, naming the offset. */
    buf[len / 2] ^= 0x10;
    CHECK_INT(write_file(damaged, buf, len), 0);
    int steps;
    CHECK_INT(load_all(damaged, 100000, &steps, err, sizeof err), -1);
    CHECK(err_offset(err) >= 0);
    free(buf);
    rm_tree();
}

TEST(snapshot_truncation_anywhere_is_detected) {
    char path[256], damaged[300], err[512];
    unsigned char *buf;
    size_t len;
    CHECK_INT(damage_fixture(path, sizeof path, &buf, &len), 0);
    snprintf(damaged, sizeof damaged, "%s.cut", path);
    int tried = 0;
    for (size_t cut = 0; cut < len; cut += (cut < 64 || cut + 64 > len) ? 1 : 1499) {
        CHECK_INT(write_file(damaged, buf, cut), 0);
        err[0] = '\0';
        int rc = snapshot_verify(damaged, NULL, NULL, err, sizeof err);
        if (rc != -1 || err_offset(err) < 0 || err_offset(err) > (long long)cut) {
            unit_fail(__FILE__, __LINE__, "cut at %zu: rc %d, \"%s\"", cut, rc, err);
            break;
        }
        tried++;
    }
    CHECK(tried > 300);
    /* Bytes after the end record are refused as well. */
    unsigned char *longer = malloc(len + 1);
    memcpy(longer, buf, len);
    longer[len] = 0;
    CHECK_INT(write_file(damaged, longer, len + 1), 0);
    CHECK_INT(snapshot_verify(damaged, NULL, NULL, err, sizeof err), -1);
    CHECK(strstr(err, "after the end record") != NULL);
    free(longer);
    free(buf);
    rm_tree();
}

/* A file built by hand: header, one block of the given records, end block. */
static int craft(const char *path, const unsigned char *recs, size_t rlen, uint64_t keys) {
    unsigned char h[40] = "PDBSNAP";
    h[8] = 1;
    h[16] = 5;
    h[32] = 16;
    uint32_t c = crc32c(0, h, 36);
    memcpy(h + 36, &c, 4);
    dstr *f = dstr_new((const char *)h, 40);
    unsigned char bh[9] = {'B'};
    uint32_t l32 = (uint32_t)rlen;
    memcpy(bh + 1, &l32, 4);
    c = crc32c(crc32c(0, bh, 5), recs, rlen);
    memcpy(bh + 5, &c, 4);
    f = dstr_append(f, (const char *)bh, 9);
    f = dstr_append(f, (const char *)recs, rlen);
    unsigned char end[9 + 12] = {'E', 12};
    memcpy(end + 9, &keys, 8);
    uint32_t fc = crc32c(0, f->buf, f->len);
    memcpy(end + 17, &fc, 4);
    c = crc32c(crc32c(0, end, 5), end + 9, 12);
    memcpy(end + 5, &c, 4);
    f = dstr_append(f, (const char *)end, sizeof end);
    int rc = write_file(path, (const unsigned char *)f->buf, f->len);
    dstr_free(f);
    return rc;
}

TEST(snapshot_refuses_inconsistent_records) {
    snap_setup();
    const char *dir = snap_tmpdir();
    CHECK(dir != NULL);
    char path[128], err[512];
    snprintf(path, sizeof path, "%s/x.pdb", dir);
    kv *e = kv_new_string("k", 1, "v", 1);
    dstr *val = dump_encode(e);
    kv_free(e);
    dstr *ok = dstr_new("D\x02\x01K\x01k", 6);
    dump_put_blob(&ok, val->buf, val->len);
    /* Well formed: loads. */
    CHECK_INT(craft(path, (const unsigned char *)ok->buf, ok->len, 1), 0);
    int steps;
    CHECK_INT(load_all(path, 100000, &steps, err, sizeof err), 0);
    CHECK_INT(db_size(db_get(2)), 1);
    db_empty(db_get(2));
    /* Each of these is refused with an offset. */
    struct {
        const char *recs;
        size_t len;
        uint64_t keys;
        const char *what;
    } bad[] = {
        {"D\x40\x01", 3, 0, "unknown database"},
        {"D\x02\x02", 3, 0, "declares 2 keys"},
        {"Q", 1, 0, "unknown record type"},
        {"K\x01k", 3, 0, "before any database"},
        {"D\x02\x01K\x09", 5, 0, "malformed key record"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        CHECK_INT(craft(path, (const unsigned char *)bad[i].recs, bad[i].len, bad[i].keys), 0);
        err[0] = '\0';
        int rc = load_all(path, 100000, &steps, err, sizeof err);
        if (rc != -1 || !strstr(err, bad[i].what) || err_offset(err) < 40) {
            unit_fail(__FILE__, __LINE__, "case %zu: rc %d, \"%s\"", i, rc, err);
            break;
        }
    }
    /* The end record's key count must match. */
    CHECK_INT(craft(path, (const unsigned char *)ok->buf, ok->len, 2), 0);
    CHECK_INT(snapshot_verify(path, NULL, NULL, err, sizeof err), -1);
    CHECK(strstr(err, "end record counts 2 keys") != NULL);
    dstr_free(ok);
    dstr_free(val);
    for (int i = 0; i < db_count(); i++) db_empty(db_get(i));
    rm_tree();
}

/* ---- budgeted loading --------------------------------------------------------------- */

TEST(snapshot_budgeted_load_resumes) {
    snap_setup();
    const char *dir = snap_tmpdir();
    CHECK(dir != NULL);
    fill_strings(20000, 10);
    char path[256], err[512];
    snapshot_progress prog = {0};
    CHECK_INT(snapshot_write(dir, 3, &prog, err, sizeof err), 0);
    CHECK_INT(prog.keys_total, 20000);
    CHECK_INT(prog.keys_done, 20000);
    for (int i = 0; i < db_count(); i++) db_empty(db_get(i));
    CHECK_INT(snapshot_find_newest(dir, path, sizeof path, NULL, 0, err, sizeof err), 1);
    int steps;
    /* A zero budget still makes progress: a bounded number of records per step. */
    CHECK_INT(load_all(path, 0, &steps, err, sizeof err), 0);
    CHECK(steps >= 20000 / 256);
    CHECK_INT(db_size(db_get(0)) + db_size(db_get(1)) + db_size(db_get(2)), 20000);
    kv *e = db_lookup(db_get(1), "key:7", 5, LOOKUP_NOEXPIRE | LOOKUP_NOSTATS);
    CHECK(e != NULL);
    CHECK_INT(db_get_expire(db_get(1), e), 4102444800007LL);
    for (int i = 0; i < db_count(); i++) db_empty(db_get(i));
    rm_tree();
}

TEST(snapshot_load_speed_small_keys) {
    snap_setup();
    const char *dir = snap_tmpdir();
    CHECK(dir != NULL);
    const int n = 300000;
    fill_strings(n, 8);
    char path[256], err[512];
    CHECK_INT(snapshot_write(dir, 1, NULL, err, sizeof err), 0);
    for (int i = 0; i < db_count(); i++) db_empty(db_get(i));
    CHECK_INT(snapshot_find_newest(dir, path, sizeof path, NULL, 0, err, sizeof err), 1);
    long long start = clock_mono_us();
    int steps;
    CHECK_INT(load_all(path, 50000, &steps, err, sizeof err), 0);
    long long us = clock_mono_us() - start;
    printf("  loaded %d keys in %lld ms\n", n, us / 1000);
    /* 1M keys must load well under 2 s; 300k get a generous share of that
     * (sanitizer builds run several times slower). */
    CHECK(us < 3000000);
    for (int i = 0; i < db_count(); i++) db_empty(db_get(i));
    rm_tree();
}

/* ---- naming ---------------------------------------------------------------------------- */

TEST(snapshot_find_newest_and_drop_older) {
    snap_setup();
    const char *dir = snap_tmpdir();
    CHECK(dir != NULL);
    char path[256], err[512];
    uint64_t lsn;
    CHECK_INT(snapshot_find_newest(dir, path, sizeof path, &lsn, 0, err, sizeof err), 0);
    CHECK_INT(snapshot_write(dir, 5, NULL, err, sizeof err), 0);
    CHECK_INT(snapshot_write(dir, 12, NULL, err, sizeof err), 0);
    CHECK_INT(snapshot_write(dir, 7, NULL, err, sizeof err), 0);
    char tmp[256], other[256];
    snprintf(tmp, sizeof tmp, "%s/snap/00000000000000000099.pdb.tmp", dir);
    snprintf(other, sizeof other, "%s/snap/notes.txt", dir);
    CHECK_INT(write_file(tmp, (const unsigned char *)"x", 1), 0);
    CHECK_INT(write_file(other, (const unsigned char *)"x", 1), 0);
    CHECK_INT(snapshot_find_newest(dir, path, sizeof path, &lsn, 1, err, sizeof err), 1);
    CHECK_INT(lsn, 12);
    CHECK(strstr(path, "/snap/00000000000000000012.pdb") != NULL);
    CHECK(access(tmp, F_OK) != 0);
    snapshot_drop_older(dir, 12);
    int pdb = 0;
    DIR *d;
    char sdir[128];
    snprintf(sdir, sizeof sdir, "%s/snap", dir);
    CHECK((d = opendir(sdir)) != NULL);
    struct dirent *de;
    while ((de = readdir(d)) != NULL) pdb += strstr(de->d_name, ".pdb") != NULL;
    closedir(d);
    CHECK_INT(pdb, 1);
    CHECK(access(other, F_OK) == 0);
    rm_tree();
}
