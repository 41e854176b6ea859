/*
 * geohash.c - geohash cells, neighbours, search areas and distances (see
 * geohash.h). The arithmetic reproduces Redis's bit for bit where results
 * are visible to clients: scores, decoded coordinates, the cells a search
 * reads (which decides what COUNT ANY returns) and the distances.
 */
#include "ds/geohash.h"

#include <math.h>
#include <stddef.h>

#define DEG_TO_RAD (M_PI / 180.0)
/* Half the circumference along the equator of the Mercator projection:
 * the cell size of step 1. */
#define MERCATOR_MAX 20037726.37
/* A point this close (degrees) to a polygon edge is on the edge. */
#define EDGE_EPSILON 1e-9

static double deg_to_rad(double d) {
    return d * DEG_TO_RAD;
}
static double rad_to_deg(double r) {
    return r / DEG_TO_RAD;
}

/* Spreads the 32 bits of v to the even positions of a 64-bit word. */
static uint64_t spread_bits(uint32_t v) {
    uint64_t x = v;
    x = (x | (x << 16)) & 0x0000FFFF0000FFFFull;
    x = (x | (x << 8)) & 0x00FF00FF00FF00FFull;
    x = (x | (x << 4)) & 0x0F0F0F0F0F0F0F0Full;
    x = (x | (x << 2)) & 0x3333333333333333ull;
    x = (x | (x << 1)) & 0x5555555555555555ull;
    return x;
}

/* Gathers the even-position bits of x into 32 bits. */
static uint32_t gather_bits(uint64_t x) {
    x &= 0x5555555555555555ull;
    x = (x | (x >> 1)) & 0x3333333333333333ull;
    x = (x | (x >> 2)) & 0x0F0F0F0F0F0F0F0Full;
    x = (x | (x >> 4)) & 0x00FF00FF00FF00FFull;
    x = (x | (x >> 8)) & 0x0000FFFF0000FFFFull;
    x = (x | (x >> 16)) & 0x00000000FFFFFFFFull;
    return (uint32_t)x;
}

static const gh_range wgs84_lon = {GH_LON_MIN, GH_LON_MAX};
static const gh_range wgs84_lat = {GH_LAT_MIN, GH_LAT_MAX};

int gh_encode(const gh_range *lon_r, const gh_range *lat_r, double lon, double lat, int step,
              gh_bits *out) {
    out->bits = 0;
    out->step = (uint8_t)step;
    if (!(lon >= GH_LON_MIN && lon <= GH_LON_MAX && lat >= GH_LAT_MIN && lat <= GH_LAT_MAX))
        return 0;
    if (lat < lat_r->min || lat > lat_r->max || lon < lon_r->min || lon > lon_r->max) return 0;
    double lat_off = (lat - lat_r->min) / (lat_r->max - lat_r->min);
    double lon_off = (lon - lon_r->min) / (lon_r->max - lon_r->min);
    lat_off *= (double)(1ull << step);
    lon_off *= (double)(1ull << step);
    /* Truncation to the cell index, as Redis's conversion to uint32. */
    out->bits = spread_bits((uint32_t)lat_off) | (spread_bits((uint32_t)lon_off) << 1);
    return 1;
}

int gh_encode_wgs84(double lon, double lat, int step, gh_bits *out) {
    return gh_encode(&wgs84_lon, &wgs84_lat, lon, lat, step, out);
}

int gh_decode(const gh_range *lon_r, const gh_range *lat_r, gh_bits h, gh_area *area) {
    if (h.bits == 0 && h.step == 0) return 0;
    uint32_t ilat = gather_bits(h.bits), ilon = gather_bits(h.bits >> 1);
    double cells = (double)(1ull << h.step);
    double lat_scale = lat_r->max - lat_r->min, lon_scale = lon_r->max - lon_r->min;
    /* "+ 1" in 32 bits, as Redis computes it: a hostile score whose index
     * is all ones wraps to 0 rather than overflowing. */
    uint32_t ilat1 = ilat + 1u, ilon1 = ilon + 1u;
    area->lat.min = lat_r->min + (ilat / cells) * lat_scale;
    area->lat.max = lat_r->min + (ilat1 / cells) * lat_scale;
    area->lon.min = lon_r->min + (ilon / cells) * lon_scale;
    area->lon.max = lon_r->min + (ilon1 / cells) * lon_scale;
    return 1;
}

int gh_decode_wgs84(gh_bits h, gh_area *area) {
    return gh_decode(&wgs84_lon, &wgs84_lat, h, area);
}

uint64_t gh_align52(gh_bits h) {
    return h.bits << (52 - h.step * 2);
}

/* The 64 bits a score stands for, as the x86-64 conversion Redis relies on
 * produces them for every double (in range: the integer part; negative:
 * two's complement; beyond: the "integer indefinite" results). */
static uint64_t score_bits(double s) {
    if (s >= 0 && s < 18446744073709551616.0) return (uint64_t)s;
    if (s < 0 && s > -9223372036854775808.0) return (uint64_t)(int64_t)s;
    return s >= 0 ? 0 : 0x8000000000000000ull;
}

static double clamp(double v, double lo, double hi) {
    return v < lo ? lo : v > hi ? hi : v;
}

void gh_score_to_lonlat(double score, double xy[2]) {
    gh_bits h = {score_bits(score), GH_STEP_MAX};
    gh_area a;
    gh_decode_wgs84(h, &a);
    xy[0] = clamp((a.lon.min + a.lon.max) / 2, GH_LON_MIN, GH_LON_MAX);
    xy[1] = clamp((a.lat.min + a.lat.max) / 2, GH_LAT_MIN, GH_LAT_MAX);
}

void gh_string(double lon, double lat, char out[12]) {
    static const char alphabet[] = "0123456789bcdefghjkmnpqrstuvwxyz";
    const gh_range lon_r = {-180, 180}, lat_r = {-90, 90};
    gh_bits h;
    gh_encode(&lon_r, &lat_r, lon, lat, GH_STEP_MAX, &h);
    /* 52 bits make ten 5-bit characters; the eleventh is always '0'. */
    for (int i = 0; i < 10; i++) out[i] = alphabet[(h.bits >> (52 - (i + 1) * 5)) & 0x1f];
    out[10] = alphabet[0];
    out[11] = '\0';
}

/* Moves h by d cells along the longitude bits (odd) or latitude bits
 * (even), wrapping around the world. */
static gh_bits move_cell(gh_bits h, int d, int along_lon) {
    if (d == 0) return h;
    const uint64_t odd = 0xaaaaaaaaaaaaaaaaull, even = 0x5555555555555555ull;
    unsigned shift = 64u - h.step * 2u;
    uint64_t mine = h.bits & (along_lon ? odd : even);
    uint64_t other = h.bits & (along_lon ? even : odd);
    /* Filling the other coordinate's positions with ones makes the carry
     * of an addition run through to the next bit of this coordinate. */
    uint64_t fill = (along_lon ? even : odd) >> shift;
    if (d > 0) {
        mine = mine + (fill + 1);
    } else {
        mine = mine | fill;
        mine = mine - (fill + 1);
    }
    mine &= (along_lon ? odd : even) >> shift;
    h.bits = mine | other;
    return h;
}

static gh_bits move(gh_bits h, int dlon, int dlat) {
    return move_cell(move_cell(h, dlon, 1), dlat, 0);
}

void gh_neighbours(gh_bits h, gh_bits out[GH_CELLS]) {
    out[GH_SELF] = h;
    out[GH_N] = move(h, 0, 1);
    out[GH_S] = move(h, 0, -1);
    out[GH_E] = move(h, 1, 0);
    out[GH_W] = move(h, -1, 0);
    out[GH_NE] = move(h, 1, 1);
    out[GH_NW] = move(h, -1, 1);
    out[GH_SE] = move(h, 1, -1);
    out[GH_SW] = move(h, -1, -1);
}

double gh_lat_distance(double lat1, double lat2) {
    return GH_EARTH_RADIUS_M * fabs(deg_to_rad(lat2) - deg_to_rad(lat1));
}

double gh_distance(double lon1, double lat1, double lon2, double lat2) {
    double v = sin((deg_to_rad(lon2) - deg_to_rad(lon1)) / 2);
    /* Same meridian: the arc is the latitude difference (and cheaper). */
    if (v == 0.0) return gh_lat_distance(lat1, lat2);
    double lat1r = deg_to_rad(lat1), lat2r = deg_to_rad(lat2);
    double u = sin((lat2r - lat1r) / 2);
    double a = u * u + cos(lat1r) * cos(lat2r) * v * v;
    return 2.0 * GH_EARTH_RADIUS_M * asin(sqrt(a));
}

int gh_estimate_step(double radius_m, double lat) {
    if (radius_m == 0) return GH_STEP_MAX;
    int step = 1;
    while (radius_m < MERCATOR_MAX) {
        radius_m *= 2;
        step++;
    }
    step -= 2; /* one step coarser, so the radius fits most cells */
    /* Meridians converge towards the poles: cells there are narrower. */
    if (lat > 66 || lat < -66) {
        step--;
        if (lat > 80 || lat < -80) step--;
    }
    if (step < 1) step = 1;
    if (step > GH_STEP_MAX) step = GH_STEP_MAX;
    return step;
}

void gh_bounding_box(double lon, double lat, double half_w_m, double half_h_m, double bounds[4]) {
    double lat_delta = rad_to_deg(half_h_m / GH_EARTH_RADIUS_M);
    double lon_delta_top = rad_to_deg(half_w_m / GH_EARTH_RADIUS_M / cos(deg_to_rad(lat + lat_delta)));
    double lon_delta_bottom =
        rad_to_deg(half_w_m / GH_EARTH_RADIUS_M / cos(deg_to_rad(lat - lat_delta)));
    /* The edge nearer the pole is the wider one in degrees. */
    double lon_delta = lat < 0 ? lon_delta_bottom : lon_delta_top;
    bounds[0] = lon - lon_delta;
    bounds[1] = lat - lat_delta;
    bounds[2] = lon + lon_delta;
    bounds[3] = lat + lat_delta;
}

/* The centre cell of (lon, lat) at step with its neighbours and area. */
static void cells_at(double lon, double lat, int step, gh_bits cells[GH_CELLS], gh_area *area) {
    gh_bits h;
    gh_encode_wgs84(lon, lat, step, &h);
    gh_neighbours(h, cells);
    gh_decode_wgs84(h, area);
}

/* 1 when one of the N/S/E/W cells ends before the bounds do. */
static int cells_too_small(const gh_bits cells[GH_CELLS], const double bounds[4]) {
    gh_area n, s, e, w;
    gh_decode_wgs84(cells[GH_N], &n);
    gh_decode_wgs84(cells[GH_S], &s);
    gh_decode_wgs84(cells[GH_E], &e);
    gh_decode_wgs84(cells[GH_W], &w);
    return n.lat.max < bounds[3] || s.lat.min > bounds[1] || e.lon.max < bounds[2] ||
           w.lon.min > bounds[0];
}

/* 1 when the 3x3 block around area contains the bounds. */
static int block_covers(const gh_area *area, const double bounds[4]) {
    double w = area->lon.max - area->lon.min, h = area->lat.max - area->lat.min;
    int lon_ok = 3 * w >= 360 || (area->lon.min - w <= bounds[0] && area->lon.max + w >= bounds[2]);
    int lat_ok = area->lat.min - h <= bounds[1] && area->lat.max + h >= bounds[3];
    return lon_ok && lat_ok;
}

static void zero_cells(gh_bits cells[GH_CELLS], int a, int b, int c) {
    cells[a] = cells[b] = cells[c] = (gh_bits){0, 0};
}

void gh_search_cells(double lon, double lat, const double bounds[4], double radius_m,
                     int cover_bounds, gh_bits cells[GH_CELLS]) {
    int step = gh_estimate_step(radius_m, lat);
    /* A polygon's centroid may lie beyond the indexable latitudes, or on
     * the antimeridian at +180, whose cell index overflows (Redis keeps
     * that for its own centres): -180 is the same meridian. */
    lat = clamp(lat, GH_LAT_MIN, GH_LAT_MAX);
    if (cover_bounds && lon >= GH_LON_MAX) lon = GH_LON_MIN;
    gh_area area;
    cells_at(lon, lat, step, cells, &area);
    /* Near a cell edge the estimate can leave part of the shape outside
     * the nine cells: one step coarser fixes that. */
    if (step > 1 && cells_too_small(cells, bounds)) cells_at(lon, lat, --step, cells, &area);
    while (cover_bounds && step > 1 && !block_covers(&area, bounds))
        cells_at(lon, lat, --step, cells, &area);
    if (step < 2) return;
    /* Neighbours on a side the centre cell already spans past the bounds
     * cannot hold a match. */
    if (area.lat.min < bounds[1]) zero_cells(cells, GH_S, GH_SW, GH_SE);
    if (area.lat.max > bounds[3]) zero_cells(cells, GH_N, GH_NE, GH_NW);
    if (area.lon.min < bounds[0]) zero_cells(cells, GH_W, GH_SW, GH_NW);
    if (area.lon.max > bounds[2]) zero_cells(cells, GH_E, GH_SE, GH_NE);
}

/* 1 if p lies on the segment a-b (within EDGE_EPSILON degrees). */
static int on_segment(const double a[2], const double b[2], double x, double y) {
    double dx = b[0] - a[0], dy = b[1] - a[1];
    double len = sqrt(dx * dx + dy * dy);
    if (len == 0) return fabs(x - a[0]) <= EDGE_EPSILON && fabs(y - a[1]) <= EDGE_EPSILON;
    double cross = dx * (y - a[1]) - dy * (x - a[0]);
    if (fabs(cross) / len > EDGE_EPSILON) return 0;
    double lo_x = fmin(a[0], b[0]) - EDGE_EPSILON, hi_x = fmax(a[0], b[0]) + EDGE_EPSILON;
    double lo_y = fmin(a[1], b[1]) - EDGE_EPSILON, hi_y = fmax(a[1], b[1]) + EDGE_EPSILON;
    return x >= lo_x && x <= hi_x && y >= lo_y && y <= hi_y;
}

int gh_in_polygon(const double (*v)[2], int n, double lon, double lat) {
    int inside = 0;
    for (int i = 0, j = n - 1; i < n; j = i++) {
        if (on_segment(v[j], v[i], lon, lat)) return 1;
        /* Even-odd rule: count the edges a ray towards +lon crosses; an
         * edge owns its lower end only, so a vertex is counted once. */
        if ((v[i][1] > lat) != (v[j][1] > lat)) {
            double x = (v[j][0] - v[i][0]) * (lat - v[i][1]) / (v[j][1] - v[i][1]) + v[i][0];
            if (lon < x) inside = !inside;
        }
    }
    return inside;
}

void gh_polygon_centroid(const double (*v)[2], int n, double xy[2]) {
    double x = 0, y = 0, z = 0;
    for (int i = 0; i < n; i++) {
        double lon = deg_to_rad(v[i][0]), lat = deg_to_rad(v[i][1]);
        x += cos(lat) * cos(lon);
        y += cos(lat) * sin(lon);
        z += sin(lat);
    }
    xy[0] = rad_to_deg(atan2(y, x));
    xy[1] = rad_to_deg(atan2(z, sqrt(x * x + y * y)));
}
