/*
 * pairdb_check.c - pairdb-check: verifies and describes the snapshots and
 * the write-ahead log of a data directory (or single files), without a
 * server and without changing anything.
 *
 *   pairdb-check [--dir DATADIR] [--wal-only|--snapshot-only] [--dump] [FILE...]
 *
 * The formats are read only through the modules the server itself uses
 * (wal_reader_* and snapshot_verify), so the tool accepts exactly what
 * recovery accepts. On top of the readers it checks what recovery would
 * refuse later: every frame's payload must parse as commands the server
 * knows, and the log must continue the newest snapshot (the first frame
 * after the snapshot's LSN is LSN + 1).
 *
 * Exit status: 0 valid (a torn tail is a warning: recovery cuts it),
 * 1 damaged or unreadable, 2 usage error.
 */
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "app/app.h"
#include "ds/mem.h"
#include "persist/snapshot.h"
#include "persist/wal.h"
#include "proto/resp.h"
#include "server/command.h"
#include "server/config.h"
#include "server/config_int.h"

#define EXIT_VALID 0
#define EXIT_DAMAGED 1
#define EXIT_USAGE 2

#define ERR_LEN 1024
/* "<20 digits>.log" and "<20 digits>.pdb": the names the server writes. */
#define LSN_DIGITS 20

typedef struct check_opts {
    const char *dir;
    int wal_only, snapshot_only, dump;
    char **files;
    int nfiles;
} check_opts;

/* What one run found; decides the exit status. */
typedef struct check_state {
    int damaged;
    int torn;
} check_state;

/* One log segment as listed in the directory, with what its frames said. */
typedef struct seg_info {
    char *path;
    uint64_t first_lsn;
    long long size;
    long long frames;
    uint64_t last_lsn;
    long long used; /* end of the last frame read from it */
} seg_info;

static const char usage_text[] =
    "Usage: pairdb-check [--dir DATADIR] [--wal-only|--snapshot-only] [--dump] [FILE...]\n"
    "\n"
    "Verifies and describes PairDB's persistence files without changing them.\n"
    "\n"
    "  --dir DATADIR     data directory to check: every snapshot in DATADIR/snap and the\n"
    "                    whole log in DATADIR/wal (default: the current directory)\n"
    "  --wal-only        check only the write-ahead log\n"
    "  --snapshot-only   check only the snapshots\n"
    "  --dump            print every log frame: \"LSN <n>\", then one line per command\n"
    "  FILE...           check these files instead of a directory: <20 digits>.log is a\n"
    "                    log segment (checked on its own), any other name a snapshot\n"
    "  -h, --help        this text\n"
    "\n"
    "Exit status: 0 valid (a torn log tail is only a warning: recovery cuts it),\n"
    "1 damaged or unreadable, 2 usage error.\n";

static int usage_error(const char *fmt, const char *arg) {
    fprintf(stderr, "pairdb-check: ");
    fprintf(stderr, fmt, arg);
    fprintf(stderr, "\nTry 'pairdb-check --help'.\n");
    return -1;
}

/* 0 to run, 1 when --help was asked, -1 on a usage error (reported). */
static int parse_args(int argc, char **argv, check_opts *o) {
    int dir_given = 0, end_of_options = 0;
    int i = 1;
    for (; i < argc; i++) {
        const char *a = argv[i];
        if (strcmp(a, "--") == 0) {
            end_of_options = 1;
            i++;
            break;
        }
        if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) return 1;
        if (strcmp(a, "--dir") == 0) {
            if (i + 1 >= argc) return usage_error("%s needs a directory", a);
            o->dir = argv[++i];
            dir_given = 1;
        } else if (strcmp(a, "--wal-only") == 0) {
            o->wal_only = 1;
        } else if (strcmp(a, "--snapshot-only") == 0) {
            o->snapshot_only = 1;
        } else if (strcmp(a, "--dump") == 0) {
            o->dump = 1;
        } else if (a[0] == '-' && a[1] != '\0') {
            return usage_error("unknown option '%s'", a);
        } else {
            break;
        }
    }
    o->files = argv + i;
    o->nfiles = argc - i;
    for (int k = 0; k < o->nfiles; k++)
        if (!end_of_options && o->files[k][0] == '-' && o->files[k][1] != '\0')
            return usage_error("options come before files: '%s'", o->files[k]);
    if (o->wal_only && o->snapshot_only)
        return usage_error("%s", "--wal-only and --snapshot-only exclude each other");
    if (dir_given && o->nfiles) return usage_error("%s", "give either --dir or files, not both");
    if (o->dir[0] == '\0') return usage_error("%s", "--dir needs a directory");
    return 0;
}

/* ---- --dump: commands as redis-cli quotes them -------------------------------------- */

static void print_quoted(const char *p, size_t len) {
    static const char plain[] = "\\\"\n\r\t\a\b", letter[] = "\\\"nrtab";
    putchar('"');
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)p[i];
        const char *esc = c ? strchr(plain, c) : NULL;
        if (esc) {
            putchar('\\');
            putchar(letter[esc - plain]);
        } else if (c >= 0x20 && c < 0x7f) {
            putchar(c);
        } else {
            printf("\\x%02x", c);
        }
    }
    putchar('"');
}

static void print_command(int argc, const resp_arg *argv) {
    for (int i = 0; i < argc; i++) {
        if (i) putchar(' ');
        print_quoted(argv[i].ptr, argv[i].len);
    }
    putchar('\n');
}

/* ---- frames ---------------------------------------------------------------------- */

/* Parses the frame's payload into commands as recovery will (and prints
 * them with --dump). A checksum only proves the bytes are what was
 * written; recovery also needs whole commands it knows. 0, or -1 with err. */
static int check_frame_commands(const wal_frame *f, int dump, char *err, size_t errlen) {
    resp_request_parser p;
    resp_request_init(&p);
    int rc = 0;
    size_t pos = 0;
    if (dump) printf("LSN %llu\n", (unsigned long long)f->lsn);
    while (pos < f->len) {
        size_t used = 0;
        int r = resp_request_parse(&p, f->payload + pos, f->len - pos, &used);
        if (r != RESP_OK) {
            snprintf(err, errlen,
                     "%s: frame LSN %llu at offset %lld has a malformed command at "
                     "byte %zu of its payload (%s)",
                     f->file, (unsigned long long)f->lsn, f->offset, pos,
                     r == RESP_ERROR ? p.error : "incomplete");
            rc = -1;
            break;
        }
        pos += used;
        if (p.argc == 0) continue;
        int unknown_sub = 0;
        if (!command_lookup_argv(p.argc, p.argv, &unknown_sub) || unknown_sub) {
            int shown = p.argv[0].len > 64 ? 64 : (int)p.argv[0].len;
            snprintf(err, errlen,
                     "%s: frame LSN %llu at offset %lld holds an unknown command "
                     "'%.*s'",
                     f->file, (unsigned long long)f->lsn, f->offset, shown, p.argv[0].ptr);
            rc = -1;
            break;
        }
        if (dump) print_command(p.argc, p.argv);
    }
    resp_request_free(&p);
    return rc;
}

/* ---- listing segments ---------------------------------------------------------------- */

static int lsn_name(const char *name, const char *ext, uint64_t *lsn) {
    if (strspn(name, "0123456789") != LSN_DIGITS || strcmp(name + LSN_DIGITS, ext) != 0) return 0;
    errno = 0;
    unsigned long long v = strtoull(name, NULL, 10);
    if (errno) return 0;
    *lsn = v;
    return 1;
}

static int cmp_seg(const void *a, const void *b) {
    const seg_info *x = a, *y = b;
    return x->first_lsn < y->first_lsn ? -1 : x->first_lsn > y->first_lsn;
}

static char *join_path(const char *dir, const char *name) {
    size_t n = strlen(dir) + strlen(name) + 2;
    char *p = mem_alloc(n);
    snprintf(p, n, "%s/%s", dir, name);
    return p;
}

/* The segments in dir/wal, by first LSN, named as the reader names them (so
 * frames can be matched to them by path). An errno value when the directory
 * exists but cannot be read; an absent directory is an empty list. */
static int list_segments(const char *dir, seg_info **out, int *count) {
    char *wdir = join_path(dir, "wal");
    *out = NULL;
    *count = 0;
    DIR *d = opendir(wdir);
    if (!d) {
        int e = errno;
        mem_free(wdir);
        return e == ENOENT ? 0 : e;
    }
    int cap = 0;
    struct dirent *de;
    while ((de = readdir(d))) {
        uint64_t first;
        if (!lsn_name(de->d_name, ".log", &first)) continue;
        if (*count == cap) {
            cap = cap ? cap * 2 : 16;
            *out = mem_realloc(*out, (size_t)cap * sizeof **out);
        }
        seg_info *s = &(*out)[(*count)++];
        memset(s, 0, sizeof *s);
        s->first_lsn = first;
        s->path = join_path(wdir, de->d_name);
        struct stat st;
        s->size = stat(s->path, &st) == 0 ? (long long)st.st_size : 0;
    }
    closedir(d);
    mem_free(wdir);
    if (*count) qsort(*out, (size_t)*count, sizeof **out, cmp_seg);
    return 0;
}

static void free_segments(seg_info *segs, int n) {
    for (int i = 0; i < n; i++)
        mem_free(segs[i].path);
    mem_free(segs);
}

/* Frames arrive segment after segment, so the previous answer is tried
 * first: a long log costs one comparison per frame. */
static seg_info *segment_of(seg_info *segs, int n, const char *path, seg_info *prev) {
    if (prev && strcmp(prev->path, path) == 0) return prev;
    for (int i = 0; i < n; i++)
        if (strcmp(segs[i].path, path) == 0) return &segs[i];
    return NULL;
}

/* ---- the log --------------------------------------------------------------------- */

/* Where the log stands against the newest snapshot: recovery replays the
 * frames after snap_lsn and needs the first of them to be snap_lsn + 1
 * (LSN 1 when there is no snapshot). */
typedef struct continuity {
    uint64_t snap_lsn;
    int have_snapshot;
    uint64_t first_after; /* first frame LSN > snap_lsn, 0 when none */
    char first_after_file[PATH_MAX];
} continuity;

/* Copies a message, writing `shown` wherever `actual` appears (a segment
 * checked through a link is reported under the name the user gave). */
static void show_path(char *msg, size_t msglen, const char *actual, const char *shown) {
    if (!actual || !shown) return;
    char out[ERR_LEN];
    size_t o = 0, alen = strlen(actual), slen = strlen(shown);
    const char *p = msg;
    while (*p && o + 1 < sizeof out) {
        if (alen && strncmp(p, actual, alen) == 0 && o + slen + 1 < sizeof out) {
            memcpy(out + o, shown, slen);
            o += slen;
            p += alen;
        } else {
            out[o++] = *p++;
        }
    }
    out[o] = '\0';
    snprintf(msg, msglen, "%s", out);
}

static const char *display(const char *path, const char *actual, const char *shown) {
    return actual && strcmp(path, actual) == 0 ? shown : path;
}

static void print_segments(const seg_info *segs, int n, const char *actual, const char *shown) {
    for (int i = 0; i < n; i++) {
        const seg_info *s = &segs[i];
        const char *name = display(s->path, actual, shown);
        if (s->frames)
            printf("segment %s: first LSN %llu, %lld frame%s, last LSN %llu, %lld of %lld bytes "
                   "used\n",
                   name, (unsigned long long)s->first_lsn, s->frames, s->frames == 1 ? "" : "s",
                   (unsigned long long)s->last_lsn, s->used, s->size);
        else
            printf("segment %s: first LSN %llu, no frames, %lld bytes\n", name,
                   (unsigned long long)s->first_lsn, s->size);
    }
}

/* Reads the whole log of dir (frames and their commands), describes it,
 * and records torn tails and damage in st. When `actual`/`shown` are set,
 * messages name the segment `actual` as `shown`. */
static void check_log(const char *dir, const check_opts *o, continuity *cont, check_state *st,
                      const char *actual, const char *shown) {
    char err[ERR_LEN] = "";
    seg_info *segs;
    int nsegs;
    int e = list_segments(dir, &segs, &nsegs);
    if (e) {
        printf("damaged: can't read %s/wal: %s\n", dir, strerror(e));
        st->damaged = 1;
        return;
    }
    wal_reader *r = wal_reader_open(dir, err, sizeof err);
    if (!r) {
        printf("damaged: %s\n", err);
        st->damaged = 1;
        free_segments(segs, nsegs);
        return;
    }
    long long frames = 0;
    uint64_t first = 0, last = 0;
    int rc;
    wal_frame f;
    seg_info *s = NULL;
    while ((rc = wal_reader_next(r, &f, err, sizeof err)) == 1) {
        if (!first) first = f.lsn;
        last = f.lsn;
        frames++;
        s = segment_of(segs, nsegs, f.file, s);
        if (s) {
            s->frames++;
            s->last_lsn = f.lsn;
            s->used = f.offset + WAL_FRAME_HEADER_LEN + (long long)f.len;
        }
        if (cont && f.lsn > cont->snap_lsn && !cont->first_after) {
            cont->first_after = f.lsn;
            snprintf(cont->first_after_file, sizeof cont->first_after_file, "%s", f.file);
        }
        if (check_frame_commands(&f, o->dump, err, sizeof err) < 0) {
            rc = -1;
            break;
        }
    }
    if (!shown)
        printf("log %s/wal: %d segment%s, %lld bytes\n", dir, nsegs, nsegs == 1 ? "" : "s",
               wal_reader_total_bytes(r));
    print_segments(segs, nsegs, actual, shown);
    if (frames)
        printf("log: %lld frame%s, LSN %llu to %llu\n", frames, frames == 1 ? "" : "s",
               (unsigned long long)first, (unsigned long long)last);
    else
        printf("log: no frames\n");
    show_path(err, sizeof err, actual, shown);
    if (rc < 0) {
        printf("damaged: %s\n", err);
        st->damaged = 1;
    } else if (wal_reader_torn(r)) {
        printf("warning: torn tail: %s (recovery cuts it off)\n", err);
        st->torn = 1;
    }
    wal_reader_close(r);
    free_segments(segs, nsegs);
}

static void report_continuity(const continuity *c, check_state *st) {
    uint64_t want = c->snap_lsn + 1;
    if (!c->first_after) {
        if (c->have_snapshot)
            printf("log continues snapshot LSN %llu: no frames after it\n",
                   (unsigned long long)c->snap_lsn);
        return;
    }
    if (c->first_after == want) {
        if (c->have_snapshot)
            printf("log continues snapshot LSN %llu: frames from LSN %llu on are present\n",
                   (unsigned long long)c->snap_lsn, (unsigned long long)want);
        else
            printf("no snapshot: the log holds every frame from LSN 1 on\n");
        return;
    }
    st->damaged = 1;
    if (c->have_snapshot)
        printf("damaged: the log does not continue snapshot LSN %llu: the first frame after it is "
               "LSN %llu in %s (frames %llu to %llu missing)\n",
               (unsigned long long)c->snap_lsn, (unsigned long long)c->first_after,
               c->first_after_file, (unsigned long long)want,
               (unsigned long long)(c->first_after - 1));
    else
        printf("damaged: no snapshot, and the log starts at LSN %llu in %s (frames 1 to %llu "
               "missing)\n",
               (unsigned long long)c->first_after, c->first_after_file,
               (unsigned long long)(c->first_after - 1));
}

/* ---- snapshots ------------------------------------------------------------------- */

typedef struct describe_ctx {
    int lines;
} describe_ctx;

/* The snapshot module's description: its first line names the file, the
 * others (databases, types, totals) are indented under it. */
static void describe_line(const char *line, void *arg) {
    describe_ctx *d = arg;
    printf("%s%s\n", d->lines++ ? "  " : "", line);
}

/* Verifies one snapshot file; fills *lsn from its header when valid. */
static int verify_snapshot(const char *path, uint64_t *lsn, check_state *st) {
    char err[ERR_LEN] = "";
    describe_ctx d = {0};
    if (snapshot_verify(path, describe_line, &d, err, sizeof err) < 0) {
        printf("damaged: %s\n", err[0] ? err : path);
        st->damaged = 1;
        return -1;
    }
    snapshot_loader *l = snapshot_load_open(path, err, sizeof err);
    if (!l) {
        printf("damaged: %s\n", err[0] ? err : path);
        st->damaged = 1;
        return -1;
    }
    if (lsn) *lsn = snapshot_loader_lsn(l);
    snapshot_load_close(l);
    return 0;
}

/* Every snapshot in dir/snap, oldest first. Sets the continuity's LSN from
 * the newest one (the one recovery loads). */
static void check_snapshots(const char *dir, continuity *cont, check_state *st) {
    char *sdir = join_path(dir, SNAPSHOT_DIR);
    DIR *d = opendir(sdir);
    if (!d) {
        if (errno == ENOENT)
            printf("snapshots %s: none\n", sdir);
        else {
            printf("damaged: can't read %s: %s\n", sdir, strerror(errno));
            st->damaged = 1;
        }
        mem_free(sdir);
        return;
    }
    seg_info *list = NULL; /* reused for its path and LSN fields */
    int n = 0, cap = 0;
    struct dirent *de;
    while ((de = readdir(d))) {
        uint64_t lsn;
        if (!lsn_name(de->d_name, ".pdb", &lsn)) continue;
        if (n == cap) {
            cap = cap ? cap * 2 : 8;
            list = mem_realloc(list, (size_t)cap * sizeof *list);
        }
        memset(&list[n], 0, sizeof list[n]);
        list[n].first_lsn = lsn;
        list[n].path = join_path(sdir, de->d_name);
        n++;
    }
    closedir(d);
    if (n) qsort(list, (size_t)n, sizeof *list, cmp_seg);
    printf("snapshots %s: %d\n", sdir, n);
    for (int i = 0; i < n; i++) {
        uint64_t lsn = 0;
        if (verify_snapshot(list[i].path, &lsn, st) == 0 && i == n - 1 && cont) {
            cont->snap_lsn = lsn;
            cont->have_snapshot = 1;
        }
    }
    free_segments(list, n);
    mem_free(sdir);
}

/* ---- single files ------------------------------------------------------------------ */

/* A segment given by name is read through a private directory holding a
 * link to it, so the log reader sees it exactly as in a data directory. */
static void check_segment_file(const char *path, const check_opts *o, check_state *st) {
    const char *base = strrchr(path, '/');
    base = base ? base + 1 : path;
    uint64_t first;
    if (!lsn_name(base, ".log", &first)) {
        printf("damaged: %s: a log segment is named <20 digits>.log (its first LSN)\n", path);
        st->damaged = 1;
        return;
    }
    char target[PATH_MAX];
    if (!realpath(path, target)) {
        printf("damaged: can't open %s: %s\n", path, strerror(errno));
        st->damaged = 1;
        return;
    }
    const char *tmp = getenv("TMPDIR");
    char dir[PATH_MAX], wdir[PATH_MAX + 8], link[PATH_MAX + 40];
    snprintf(dir, sizeof dir, "%s/pairdb-check-XXXXXX", tmp && tmp[0] ? tmp : "/tmp");
    if (!mkdtemp(dir)) {
        printf("damaged: can't create a scratch directory %s: %s\n", dir, strerror(errno));
        st->damaged = 1;
        return;
    }
    snprintf(wdir, sizeof wdir, "%s/wal", dir);
    snprintf(link, sizeof link, "%s/%s", wdir, base);
    if (mkdir(wdir, 0700) < 0 || symlink(target, link) < 0) {
        printf("damaged: can't prepare %s: %s\n", link, strerror(errno));
        st->damaged = 1;
    } else {
        check_log(dir, o, NULL, st, link, path);
    }
    unlink(link);
    rmdir(wdir);
    rmdir(dir);
}

static int is_segment_name(const char *path) {
    size_t n = strlen(path);
    return n >= 4 && strcmp(path + n - 4, ".log") == 0;
}

static void check_files(const check_opts *o, check_state *st) {
    for (int i = 0; i < o->nfiles; i++) {
        const char *path = o->files[i];
        if (is_segment_name(path)) {
            if (!o->snapshot_only) check_segment_file(path, o, st);
        } else if (!o->wal_only) {
            verify_snapshot(path, NULL, st);
        }
    }
}

static void check_dir(const check_opts *o, check_state *st) {
    struct stat sb;
    if (stat(o->dir, &sb) < 0 || !S_ISDIR(sb.st_mode)) {
        printf("damaged: %s is not a readable directory\n", o->dir);
        st->damaged = 1;
        return;
    }
    continuity cont = {0};
    if (!o->wal_only) check_snapshots(o->dir, &cont, st);
    if (!o->snapshot_only) check_log(o->dir, o, o->wal_only ? NULL : &cont, st, NULL, NULL);
    if (!o->wal_only && !o->snapshot_only && !st->damaged) report_continuity(&cont, st);
}

int main(int argc, char **argv) {
    check_opts o = {.dir = "."};
    int p = parse_args(argc, argv, &o);
    if (p > 0) {
        fputs(usage_text, stdout);
        return EXIT_VALID;
    }
    if (p < 0) return EXIT_USAGE;
    /* Decoding snapshot values needs every type's DUMP codec and the
     * encoding thresholds; checking log commands needs the command table.
     * Both are what the server registers at start-up. */
    config__ensure_init();
    command_register_builtins();
    check_state st = {0};
    if (o.nfiles)
        check_files(&o, &st);
    else
        check_dir(&o, &st);
    if (st.damaged)
        printf("status: damaged\n");
    else if (st.torn)
        printf("status: valid, with a torn tail that recovery cuts off\n");
    else
        printf("status: valid\n");
    fflush(stdout);
    command_free_all();
    config_free();
    return st.damaged ? EXIT_DAMAGED : EXIT_VALID;
}
