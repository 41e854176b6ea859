/*
 * geo.c - the geo commands: GEOADD GEODIST GEOPOS GEOHASH, GEOSEARCH and
 * GEOSEARCHSTORE, and the older GEORADIUS family.
 *
 * A geo set is a sorted set whose scores are 52-bit geohashes (ds/geohash.h):
 * there is no type of its own, and every sorted set command works on it.
 * Writes and reads go through the sorted set's internal API (zset_int.h),
 * so both encodings are handled in one place.
 *
 * A search reads the centre geohash cell of the shape and its eight
 * neighbours, each a score range [min, max), in Redis's order, and keeps the
 * members whose exact position is inside the shape. Results, distances,
 * their formatting, their order under ASC/DESC/COUNT/ANY and the error
 * texts follow Redis 7.0. BYPOLYGON follows Valkey 9: no FROM* centre, the
 * centre is the vertices' centroid (WITHDIST is measured from it, in
 * metres), the candidate cells cover the vertices' bounding box.
 *
 * Effects: every write here is deterministic given the data and is logged
 * as received. Events: GEOADD raises "zadd"; the STORE variants raise
 * "georadiusstore" / "geosearchstore" on the destination, or "del" when an
 * empty result deletes it.
 *
 * Called by: the dispatcher, through the table geo_register installs.
 */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ds/geohash.h"
#include "ds/mem.h"
#include "ds/numconv.h"
#include "server/blocking.h"
#include "types/types.h"
#include "types/zset_int.h"

/* ------------------------------------------------------------------------ */
/* Arguments                                                                 */
/* ------------------------------------------------------------------------ */

/* Parses "lon lat" at argv[0..1]; replies the error and returns -1 when
 * either is not a float or the pair is outside the indexable area. */
static int parse_lonlat(client *c, const resp_arg *argv, double xy[2]) {
    if (arg_double(c, &argv[0], &xy[0]) < 0 || arg_double(c, &argv[1], &xy[1]) < 0) return -1;
    if (xy[0] < GH_LON_MIN || xy[0] > GH_LON_MAX || xy[1] < GH_LAT_MIN || xy[1] > GH_LAT_MAX) {
        reply_errorf(c, "ERR invalid longitude,latitude pair %f,%f", xy[0], xy[1]);
        return -1;
    }
    return 0;
}

/* Metres per unit, or -1 (error replied) for an unknown unit. */
static double parse_unit(client *c, const resp_arg *a) {
    if (arg_is(a, "m")) return 1;
    if (arg_is(a, "km")) return 1000;
    if (arg_is(a, "ft")) return 0.3048;
    if (arg_is(a, "mi")) return 1609.34;
    reply_error(c, "ERR unsupported unit provided. please use M, KM, FT, MI");
    return -1;
}

/* A float argument with Redis's per-argument error text. */
static int parse_float_msg(client *c, const resp_arg *a, double *out, const char *msg) {
    if (!numconv_str2d(a->ptr, a->len, out)) {
        reply_error(c, msg);
        return -1;
    }
    return 0;
}

enum { SHAPE_CIRCLE = 1, SHAPE_BOX, SHAPE_POLYGON };

typedef struct geo_shape {
    int type;
    double xy[2];          /* centre: lon, lat */
    double conversion;     /* metres per unit of the request */
    double radius;         /* SHAPE_CIRCLE, in units */
    double width, height;  /* SHAPE_BOX, in units */
    double (*vertices)[2]; /* SHAPE_POLYGON, lon/lat, owned */
    int nvertices;
} geo_shape;

/* "radius unit" at argv[0..1]. */
static int parse_radius(client *c, const resp_arg *argv, geo_shape *s) {
    if (parse_float_msg(c, &argv[0], &s->radius, "ERR need numeric radius") < 0) return -1;
    if (s->radius < 0) {
        reply_error(c, "ERR radius cannot be negative");
        return -1;
    }
    if ((s->conversion = parse_unit(c, &argv[1])) < 0) return -1;
    s->type = SHAPE_CIRCLE;
    return 0;
}

/* "width height unit" at argv[0..2]. */
static int parse_box(client *c, const resp_arg *argv, geo_shape *s) {
    if (parse_float_msg(c, &argv[0], &s->width, "ERR need numeric width") < 0 ||
        parse_float_msg(c, &argv[1], &s->height, "ERR need numeric height") < 0)
        return -1;
    if (s->width < 0 || s->height < 0) {
        reply_error(c, "ERR height or width cannot be negative");
        return -1;
    }
    if ((s->conversion = parse_unit(c, &argv[2])) < 0) return -1;
    s->type = SHAPE_BOX;
    return 0;
}

/* "num-vertices lon lat ..." at argv[0..], avail arguments there. Returns
 * the number of arguments used, or -1 (error replied). */
static int parse_polygon(client *c, const resp_arg *argv, int avail, geo_shape *s) {
    long long n;
    if (!numconv_str2ll(argv[0].ptr, argv[0].len, &n) || n < INT32_MIN || n > INT32_MAX) {
        reply_error(c, "ERR invalid number of vertices");
        return -1;
    }
    /* Too few vertices and too few arguments for them share Valkey's text. */
    if (n < 3 || n > (avail - 1) / 2) {
        reply_error(c, "ERR GEOSEARCH BYPOLYGON must have at least 3 vertices");
        return -1;
    }
    s->vertices = mem_alloc((size_t)n * sizeof *s->vertices);
    s->nvertices = (int)n;
    for (int i = 0; i < s->nvertices; i++)
        if (parse_lonlat(c, &argv[1 + 2 * i], s->vertices[i]) < 0) return -1;
    s->conversion = 1;
    s->type = SHAPE_POLYGON;
    return 1 + 2 * s->nvertices;
}

/* The coordinates of member m of zset e; 0 when absent. */
static int member_lonlat(const kv *e, const resp_arg *m, double xy[2]) {
    double score;
    if (!e || !zs_score(e, m->ptr, m->len, &score)) return 0;
    gh_score_to_lonlat(score, xy);
    return 1;
}

/* ------------------------------------------------------------------------ */
/* Replies                                                                   */
/* ------------------------------------------------------------------------ */

/* A coordinate as Redis prints it: "%.17Lf" without trailing zeros; a bulk
 * string in RESP2, a double in RESP3. */
static void reply_coord(client *c, double v) {
    char buf[NUMCONV_LD_BUFSIZE + 3];
    size_t n = numconv_ld2str(buf + 1, NUMCONV_LD_BUFSIZE, (long double)v);
    if (c->resp == 2) {
        reply_bulk(c, buf + 1, n);
        return;
    }
    buf[0] = ',';
    buf[n + 1] = '\r';
    buf[n + 2] = '\n';
    reply_raw(c, buf, n + 3);
}

/* Distances always travel as bulk strings with four decimals. */
static void reply_distance(client *c, double d) {
    char buf[400];
    int n = snprintf(buf, sizeof buf, "%.4f", d);
    reply_bulk(c, buf, n > 0 && (size_t)n < sizeof buf ? (size_t)n : 0);
}

/* ------------------------------------------------------------------------ */
/* GEOADD GEODIST GEOPOS GEOHASH                                             */
/* ------------------------------------------------------------------------ */

/* GEOADD key [NX|XX] [CH] lon lat member [lon lat member ...] */
static void geoadd_command(client *c) {
    int in = 0, ch = 0, first = 2;
    for (; first < c->argc; first++) {
        const resp_arg *a = &c->argv[first];
        if (arg_is(a, "nx")) in |= ZS_NX;
        else if (arg_is(a, "xx")) in |= ZS_XX;
        else if (arg_is(a, "ch")) ch = 1;
        else break;
    }
    int left = c->argc - first;
    if (left % 3 || left == 0 || ((in & ZS_NX) && (in & ZS_XX))) {
        reply_error_syntax(c);
        return;
    }
    int n = left / 3;
    double *scores = mem_alloc((size_t)n * sizeof *scores);
    for (int i = 0; i < n; i++) {
        double xy[2];
        if (parse_lonlat(c, &c->argv[first + 3 * i], xy) < 0) {
            mem_free(scores);
            return;
        }
        gh_bits h;
        gh_encode_wgs84(xy[0], xy[1], GH_STEP_MAX, &h);
        scores[i] = (double)gh_align52(h);
    }
    const resp_arg *key = &c->argv[1];
    int wrong;
    kv *e = lookup_write_type(c, key, TYPE_ZSET, &wrong);
    long long added = 0, updated = 0;
    if (wrong || (!e && (in & ZS_XX))) goto done;
    if (!e) {
        e = zs_new_empty(key->ptr, key->len, c->argv[first + 2].len);
        db_add(c->db, e);
    }
    for (int i = 0; i < n; i++) {
        const resp_arg *m = &c->argv[first + 3 * i + 2];
        int out;
        double newscore;
        zs_add(e, scores[i], m->ptr, m->len, in, &out, &newscore);
        if (out & ZS_OUT_ADDED) added++;
        if (out & ZS_OUT_UPDATED) updated++;
    }
    if (added + updated) {
        key_modified(c, key->ptr, key->len);
        db_notify(NOTIFY_ZSET, "zadd", c->db, key->ptr, key->len);
        if (added) signal_key_ready(c->db, key->ptr, key->len);
    }
done:
    mem_free(scores);
    if (!wrong) reply_int(c, ch ? added + updated : added);
}

/* GEODIST key member1 member2 [unit] */
static void geodist_command(client *c) {
    double to_m = 1;
    if (c->argc == 5) {
        if ((to_m = parse_unit(c, &c->argv[4])) < 0) return;
    } else if (c->argc > 5) {
        reply_error_syntax(c);
        return;
    }
    int wrong;
    kv *e = lookup_read_type(c, &c->argv[1], TYPE_ZSET, &wrong);
    if (wrong) return;
    double a[2], b[2];
    if (!member_lonlat(e, &c->argv[2], a) || !member_lonlat(e, &c->argv[3], b)) {
        reply_null(c);
        return;
    }
    reply_distance(c, gh_distance(a[0], a[1], b[0], b[1]) / to_m);
}

/* GEOPOS key [member ...] */
static void geopos_command(client *c) {
    int wrong;
    kv *e = lookup_read_type(c, &c->argv[1], TYPE_ZSET, &wrong);
    if (wrong) return;
    reply_array(c, c->argc - 2);
    for (int j = 2; j < c->argc; j++) {
        double xy[2];
        if (!member_lonlat(e, &c->argv[j], xy)) {
            reply_null_array(c);
            continue;
        }
        reply_array(c, 2);
        reply_coord(c, xy[0]);
        reply_coord(c, xy[1]);
    }
}

/* GEOHASH key [member ...]: standard geohash strings, re-encoded from the
 * decoded position with the standard latitude range [-90, 90]. */
static void geohash_command(client *c) {
    int wrong;
    kv *e = lookup_read_type(c, &c->argv[1], TYPE_ZSET, &wrong);
    if (wrong) return;
    reply_array(c, c->argc - 2);
    for (int j = 2; j < c->argc; j++) {
        double xy[2];
        if (!member_lonlat(e, &c->argv[j], xy)) {
            reply_null(c);
            continue;
        }
        char buf[12];
        gh_string(xy[0], xy[1], buf);
        reply_bulk(c, buf, 11);
    }
}

/* ------------------------------------------------------------------------ */
/* Searching                                                                 */
/* ------------------------------------------------------------------------ */

typedef struct geo_point {
    double lon, lat, dist, score;
    char *m;
    size_t mlen;
} geo_point;

typedef struct geo_results {
    geo_point *p;
    size_t n, cap;
} geo_results;

static void results_free(geo_results *r) {
    for (size_t i = 0; i < r->n; i++) mem_free(r->p[i].m);
    mem_free(r->p);
}

static void results_add(geo_results *r, const double xy[2], double dist, double score,
                        const char *m, size_t mlen) {
    if (r->n == r->cap) {
        r->cap = r->cap ? r->cap * 2 : 8;
        r->p = mem_realloc(r->p, r->cap * sizeof *r->p);
    }
    r->p[r->n++] = (geo_point){xy[0], xy[1], dist, score, mem_memdup(m, mlen), mlen};
}

/* 1 if the point of this score is inside the shape; *dist is its distance
 * from the centre in metres. */
static int within_shape(const geo_shape *s, double score, double xy[2], double *dist) {
    gh_score_to_lonlat(score, xy);
    switch (s->type) {
    case SHAPE_CIRCLE:
        *dist = gh_distance(s->xy[0], s->xy[1], xy[0], xy[1]);
        return *dist <= s->radius * s->conversion;
    case SHAPE_BOX:
        /* The box is centred on xy, its sides measured along the centre's
         * meridian and the point's parallel (Redis's definition). */
        if (gh_lat_distance(xy[1], s->xy[1]) > s->height * s->conversion / 2) return 0;
        if (gh_distance(xy[0], xy[1], s->xy[0], xy[1]) > s->width * s->conversion / 2) return 0;
        *dist = gh_distance(s->xy[0], s->xy[1], xy[0], xy[1]);
        return 1;
    default:
        if (!gh_in_polygon((const double(*)[2])s->vertices, s->nvertices, xy[0], xy[1])) return 0;
        *dist = gh_distance(s->xy[0], s->xy[1], xy[0], xy[1]);
        return 1;
    }
}

/* Appends the members of one cell inside the shape; stops at limit
 * results (0: no limit). */
static void search_cell(const kv *e, gh_bits cell, const geo_shape *s, geo_results *r,
                        size_t limit) {
    sl_range range = {.min = (double)gh_align52(cell), .minex = 0, .maxex = 1};
    cell.bits++;
    range.max = (double)gh_align52(cell);
    zit it;
    for (int ok = zit_seek_score(&it, e, &range, 0); ok; ok = zit_next(&it)) {
        if (!sl_score_lte_max(it.score, &range)) break;
        double xy[2], dist;
        if (within_shape(s, it.score, xy, &dist)) results_add(r, xy, dist, it.score, it.m, it.mlen);
        if (limit && r->n >= limit) break;
    }
}

/* The bounding box and the radius that pick the cells of a shape. */
static double shape_bounds(geo_shape *s, double bounds[4]) {
    if (s->type == SHAPE_CIRCLE) {
        double r = s->radius * s->conversion;
        gh_bounding_box(s->xy[0], s->xy[1], r, r, bounds);
        return r;
    }
    if (s->type == SHAPE_BOX) {
        double w = s->width * s->conversion, h = s->height * s->conversion;
        gh_bounding_box(s->xy[0], s->xy[1], w / 2, h / 2, bounds);
        return sqrt(w * w / 4 + h * h / 4);
    }
    bounds[0] = bounds[2] = s->vertices[0][0];
    bounds[1] = bounds[3] = s->vertices[0][1];
    for (int i = 1; i < s->nvertices; i++) {
        bounds[0] = fmin(bounds[0], s->vertices[i][0]);
        bounds[2] = fmax(bounds[2], s->vertices[i][0]);
        bounds[1] = fmin(bounds[1], s->vertices[i][1]);
        bounds[3] = fmax(bounds[3], s->vertices[i][1]);
    }
    gh_polygon_centroid((const double(*)[2])s->vertices, s->nvertices, s->xy);
    /* The farthest corner of the box from the centroid. */
    double radius = 0;
    for (int i = 0; i < 4; i++) {
        double d = gh_distance(s->xy[0], s->xy[1], bounds[(i & 1) ? 2 : 0], bounds[(i & 2) ? 3 : 1]);
        if (d > radius) radius = d;
    }
    return radius;
}

/* Reads the nine cells in Redis's order, skipping excluded cells and a
 * cell equal to the last one read (huge radii make neighbours coincide). */
static void search_shape(const kv *e, geo_shape *s, geo_results *r, size_t limit) {
    double bounds[4];
    double radius = shape_bounds(s, bounds);
    gh_bits cells[GH_CELLS];
    gh_search_cells(s->xy[0], s->xy[1], bounds, radius, s->type == SHAPE_POLYGON, cells);
    int last = 0;
    for (int i = 0; i < GH_CELLS; i++) {
        if (cells[i].bits == 0 && cells[i].step == 0) continue;
        /* Redis compares only once a cell other than the centre was read. */
        if (last && cells[i].bits == cells[last].bits && cells[i].step == cells[last].step)
            continue;
        if (limit && r->n >= limit) break;
        search_cell(e, cells[i], s, r, limit);
        last = i;
    }
}

static int cmp_dist_asc(const void *a, const void *b) {
    double x = ((const geo_point *)a)->dist, y = ((const geo_point *)b)->dist;
    return x > y ? 1 : x == y ? 0 : -1;
}
static int cmp_dist_desc(const void *a, const void *b) {
    return -cmp_dist_asc(a, b);
}

/* ------------------------------------------------------------------------ */
/* GEOSEARCH GEOSEARCHSTORE GEORADIUS GEORADIUSBYMEMBER                      */
/* ------------------------------------------------------------------------ */

enum {
    GEO_COORDS = 1,       /* GEORADIUS: centre from lon lat */
    GEO_MEMBER = 2,       /* GEORADIUSBYMEMBER: centre from a member */
    GEO_NOSTORE = 4,      /* the _RO variants */
    GEO_SEARCH = 8,       /* GEOSEARCH syntax */
    GEO_SEARCHSTORE = 16, /* GEOSEARCHSTORE */
};
enum { SORT_NONE, SORT_ASC, SORT_DESC };

typedef struct geo_opts {
    int withdist, withhash, withcoord, any, sort, storedist;
    int frommember, fromlonlat, byradius, bybox, bypolygon;
    long long count;
    const resp_arg *store;
} geo_opts;

/* Parses the options from argv[base]. Returns 0, or -1 with the error
 * replied. e is the source (NULL when missing: FROMMEMBER is then only
 * skipped, so that the reply to a missing key can still be chosen). */
static int parse_options(client *c, int base, int flags, const kv *e, geo_shape *s, geo_opts *o) {
    int search = flags & GEO_SEARCH, can_store = !(flags & (GEO_NOSTORE | GEO_SEARCH));
    for (int i = base; i < c->argc; i++) {
        const resp_arg *a = &c->argv[i];
        int left = c->argc - i - 1;
        if (arg_is(a, "withdist")) {
            o->withdist = 1;
        } else if (arg_is(a, "withhash")) {
            o->withhash = 1;
        } else if (arg_is(a, "withcoord")) {
            o->withcoord = 1;
        } else if (arg_is(a, "any")) {
            o->any = 1;
        } else if (arg_is(a, "asc")) {
            o->sort = SORT_ASC;
        } else if (arg_is(a, "desc")) {
            o->sort = SORT_DESC;
        } else if (arg_is(a, "count") && left >= 1) {
            if (arg_ll(c, &c->argv[i + 1], &o->count) < 0) return -1;
            if (o->count <= 0) {
                reply_error(c, "ERR COUNT must be > 0");
                return -1;
            }
            i++;
        } else if ((arg_is(a, "store") || arg_is(a, "storedist")) && left >= 1 && can_store) {
            o->store = &c->argv[i + 1];
            o->storedist = arg_is(a, "storedist");
            i++;
        } else if (arg_is(a, "storedist") && (flags & GEO_SEARCHSTORE)) {
            o->storedist = 1;
        } else if (arg_is(a, "frommember") && left >= 1 && search && !o->fromlonlat &&
                   !o->bypolygon) {
            if (e && !member_lonlat(e, &c->argv[i + 1], s->xy)) {
                reply_error(c, "ERR could not decode requested zset member");
                return -1;
            }
            o->frommember = 1;
            i++;
        } else if (arg_is(a, "fromlonlat") && left >= 2 && search && !o->frommember &&
                   !o->bypolygon) {
            if (parse_lonlat(c, &c->argv[i + 1], s->xy) < 0) return -1;
            o->fromlonlat = 1;
            i += 2;
        } else if (arg_is(a, "byradius") && left >= 2 && search && !o->bybox && !o->bypolygon) {
            if (parse_radius(c, &c->argv[i + 1], s) < 0) return -1;
            o->byradius = 1;
            i += 2;
        } else if (arg_is(a, "bybox") && left >= 3 && search && !o->byradius && !o->bypolygon) {
            if (parse_box(c, &c->argv[i + 1], s) < 0) return -1;
            o->bybox = 1;
            i += 3;
        } else if (arg_is(a, "bypolygon") && left >= 2 && search && !o->byradius && !o->bybox &&
                   !o->bypolygon && !o->frommember && !o->fromlonlat) {
            int used = parse_polygon(c, &c->argv[i + 1], left, s);
            if (used < 0) return -1;
            o->bypolygon = 1;
            i += used;
        } else {
            reply_error_syntax(c);
            return -1;
        }
    }
    return 0;
}

/* The checks Redis makes once all options are known. */
static int check_options(client *c, int flags, const geo_opts *o) {
    const char *name = c->argv[0].ptr;
    int namelen = (int)(c->argv[0].len > 64 ? 64 : c->argv[0].len);
    if (o->store && (o->withdist || o->withhash || o->withcoord)) {
        reply_errorf(c, "ERR %s is not compatible with WITHDIST, WITHHASH and WITHCOORD options",
                     (flags & GEO_SEARCHSTORE) ? "GEOSEARCHSTORE" : "STORE option in GEORADIUS");
        return -1;
    }
    if ((flags & GEO_SEARCH) && !(o->frommember || o->fromlonlat) && !o->bypolygon) {
        reply_errorf(c, "ERR exactly one of FROMMEMBER or FROMLONLAT can be specified for %.*s",
                     namelen, name);
        return -1;
    }
    if ((flags & GEO_SEARCH) && !(o->byradius || o->bybox || o->bypolygon)) {
        reply_errorf(c, "ERR exactly one of BYRADIUS and BYBOX can be specified for %.*s", namelen,
                     name);
        return -1;
    }
    if (o->any && !o->count) {
        reply_error(c, "ERR the ANY argument requires COUNT argument");
        return -1;
    }
    return 0;
}

/* An empty result written to dst: the key goes. */
static void store_nothing(client *c, const resp_arg *dst) {
    if (db_delete(c->db, dst->ptr, dst->len)) {
        key_modified(c, dst->ptr, dst->len);
        db_notify(NOTIFY_GENERIC, "del", c->db, dst->ptr, dst->len);
    }
    reply_int(c, 0);
}

static void store_results(client *c, int flags, const geo_opts *o, const geo_shape *s,
                          geo_results *r, size_t n) {
    if (n == 0) {
        store_nothing(c, o->store);
        return;
    }
    skiplist *sl = sl_new();
    for (size_t i = 0; i < n; i++) {
        geo_point *p = &r->p[i];
        sl_insert(sl, o->storedist ? p->dist / s->conversion : p->score, p->m, p->mlen);
    }
    const resp_arg *dst = o->store;
    db_set(c->db, zs_new_from_skiplist(dst->ptr, dst->len, sl), 0);
    key_modified(c, dst->ptr, dst->len);
    db_notify(NOTIFY_ZSET, (flags & GEO_SEARCH) ? "geosearchstore" : "georadiusstore", c->db,
              dst->ptr, dst->len);
    signal_key_ready(c->db, dst->ptr, dst->len);
    reply_int(c, (long long)n);
}

static void reply_results(client *c, const geo_opts *o, const geo_shape *s, geo_results *r,
                          size_t n) {
    int extras = o->withdist + o->withhash + o->withcoord;
    reply_array(c, (long)n);
    for (size_t i = 0; i < n; i++) {
        geo_point *p = &r->p[i];
        if (extras) reply_array(c, extras + 1);
        reply_bulk(c, p->m, p->mlen);
        if (o->withdist) reply_distance(c, p->dist / s->conversion);
        if (o->withhash) reply_int(c, (long long)p->score);
        if (o->withcoord) {
            reply_array(c, 2);
            reply_coord(c, p->lon);
            reply_coord(c, p->lat);
        }
    }
}

/* Parses and checks the request; returns the source (may be NULL) with
 * *ok = 1, or *ok = 0 after replying an error. */
static kv *prepare_search(client *c, int src, int flags, geo_shape *s, geo_opts *o, int *ok) {
    int wrong, base;
    *ok = 0;
    kv *e = lookup_read_type(c, &c->argv[src], TYPE_ZSET, &wrong);
    if (wrong) return NULL;
    if (flags & GEO_COORDS) {
        base = 6;
        if (parse_lonlat(c, &c->argv[2], s->xy) < 0 || parse_radius(c, &c->argv[4], s) < 0)
            return NULL;
    } else if (flags & GEO_MEMBER) {
        base = 5;
        if (e) {
            if (!member_lonlat(e, &c->argv[2], s->xy)) {
                reply_error(c, "ERR could not decode requested zset member");
                return NULL;
            }
            if (parse_radius(c, &c->argv[3], s) < 0) return NULL;
        }
    } else {
        base = (flags & GEO_SEARCHSTORE) ? 3 : 2;
        if (flags & GEO_SEARCHSTORE) o->store = &c->argv[1];
    }
    if (parse_options(c, base, flags, e, s, o) < 0 || check_options(c, flags, o) < 0) return NULL;
    *ok = 1;
    return e;
}

/* Redis's georadiusGeneric: argv[src] is the source key. */
static void search_generic(client *c, int src, int flags) {
    geo_shape s = {0};
    geo_opts o = {0};
    int ok;
    kv *e = prepare_search(c, src, flags, &s, &o, &ok);
    if (!ok) goto out;
    if (!e) {
        if (o.store)
            store_nothing(c, o.store);
        else
            reply_empty_array(c);
        goto out;
    }
    /* COUNT without an order means the nearest ones (unless ANY). */
    if (o.count && o.sort == SORT_NONE && !o.any) o.sort = SORT_ASC;
    geo_results r = {0};
    search_shape(e, &s, &r, o.any ? (size_t)o.count : 0);
    size_t n = r.n;
    if (o.count && (unsigned long long)o.count < n) n = (size_t)o.count;
    if (o.sort != SORT_NONE && r.n > 1)
        qsort(r.p, r.n, sizeof *r.p, o.sort == SORT_ASC ? cmp_dist_asc : cmp_dist_desc);
    if (o.store)
        store_results(c, flags, &o, &s, &r, n);
    else
        reply_results(c, &o, &s, &r, n);
    results_free(&r);
out:
    mem_free(s.vertices);
}

static void georadius_command(client *c) {
    search_generic(c, 1, GEO_COORDS);
}
static void georadius_ro_command(client *c) {
    search_generic(c, 1, GEO_COORDS | GEO_NOSTORE);
}
static void georadiusbymember_command(client *c) {
    search_generic(c, 1, GEO_MEMBER);
}
static void georadiusbymember_ro_command(client *c) {
    search_generic(c, 1, GEO_MEMBER | GEO_NOSTORE);
}
static void geosearch_command(client *c) {
    search_generic(c, 1, GEO_SEARCH);
}
static void geosearchstore_command(client *c) {
    search_generic(c, 2, GEO_SEARCH | GEO_SEARCHSTORE);
}

/* ------------------------------------------------------------------------ */
/* Command table                                                             */
/* ------------------------------------------------------------------------ */

/* The source key, then the key after the first STORE/STOREDIST keyword
 * from argv[first] on (Redis's key specification). */
static int keys_radius(int argc, const resp_arg *argv, int *keys, int max, int first) {
    int n = 0;
    if (max < 1 || argc < 2) return 0;
    keys[n++] = 1;
    for (int i = first; i < argc - 1; i++) {
        if (arg_is(&argv[i], "store") || arg_is(&argv[i], "storedist")) {
            if (n < max) keys[n++] = i + 1;
            break;
        }
    }
    return n;
}
static int keys_georadius(int argc, const resp_arg *argv, int *keys, int max) {
    return keys_radius(argc, argv, keys, max, 6);
}
static int keys_georadiusbymember(int argc, const resp_arg *argv, int *keys, int max) {
    return keys_radius(argc, argv, keys, max, 5);
}

#define GR (ACL_READ | ACL_GEO | ACL_SLOW)
#define GW (ACL_WRITE | ACL_GEO | ACL_SLOW)
#define GCMD(name_, proc_, arity_, flags_, acl_, first_, last_, keys_, since_, cx_, sum_)          \
    {                                                                                              \
        .name = name_, .proc = proc_, .arity = arity_, .flags = flags_, .acl = acl_,               \
        .first_key = first_, .last_key = last_, .key_step = 1, .getkeys = keys_,                   \
        .summary = sum_, .since = since_, .group = "geo", .complexity = cx_                        \
    }

static const char cx_search[] =
    "O(N+log(M)): N elements in the circle's bounding box, M items in the index.";
static const char cx_geosearch[] =
    "O(N+log(M)): N elements in the grid-aligned box around the shape, M items in the shape";
static const char cx_members[] =
    "O(log(N)) per member asked for, N being the size of the sorted set.";

static command geo_commands[] = {
    GCMD("geoadd", geoadd_command, -5, CMD_WRITE | CMD_DENYOOM, GW, 1, 1, NULL, "3.2.0",
         "O(log(N)) per item added, N being the size of the sorted set.",
         "Stores places by longitude and latitude in a geo key, creating it when absent."),
    GCMD("geodist", geodist_command, -4, CMD_READONLY, GR, 1, 1, NULL, "3.2.0", "O(log(N))",
         "Measures how far apart two places of a geo key are."),
    GCMD("geohash", geohash_command, -2, CMD_READONLY, GR, 1, 1, NULL, "3.2.0", cx_members,
         "Gives the geohash string of places in a geo key."),
    GCMD("geopos", geopos_command, -2, CMD_READONLY, GR, 1, 1, NULL, "3.2.0", cx_members,
         "Gives the longitude and latitude of places in a geo key."),
    GCMD("georadius", georadius_command, -6, CMD_WRITE | CMD_DENYOOM, GW, 1, 1, keys_georadius,
         "3.2.0", cx_search,
         "Finds places within a radius of a point, and can store them in a key."),
    GCMD("georadius_ro", georadius_ro_command, -6, CMD_READONLY, GR, 1, 1, NULL, "3.2.10",
         cx_search, "Finds places within a radius of a point."),
    GCMD("georadiusbymember", georadiusbymember_command, -5, CMD_WRITE | CMD_DENYOOM, GW, 1, 1,
         keys_georadiusbymember, "3.2.0", cx_search,
         "Finds places within a radius of another place, and can store them in a key."),
    GCMD("georadiusbymember_ro", georadiusbymember_ro_command, -5, CMD_READONLY, GR, 1, 1, NULL,
         "3.2.10", cx_search, "Finds places within a radius of another place."),
    GCMD("geosearch", geosearch_command, -7, CMD_READONLY, GR, 1, 1, NULL, "6.2.0", cx_geosearch,
         "Finds places of a geo key inside a circle or a box."),
    GCMD("geosearchstore", geosearchstore_command, -8, CMD_WRITE | CMD_DENYOOM, GW, 1, 2, NULL,
         "6.2.0", cx_geosearch,
         "Finds places of a geo key inside a circle or a box and stores them in a key."),
    {.name = NULL},
};

void geo_register(void) {
    command_register(geo_commands);
}
