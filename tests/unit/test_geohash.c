/*
 * test_geohash.c - unit tests for src/ds/geohash.c.
 *
 * Pins scores, decoded coordinates and geohash strings to the values
 * redis-server 7.0 gives for the same input, the neighbour arithmetic
 * (adjacency, wrap-around at the antimeridian, moves that cancel), the
 * step estimate, distances against the closed form, and the polygon test
 * on edges, vertices and concave shapes.
 */
#include "unit.h"

#include "ds/geohash.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int near(double a, double b, double eps) {
    return fabs(a - b) <= eps;
}

/* "%.17f" trimmed of trailing zeros, as GEOPOS prints. */
static const char *coord_text(double v, char *buf, size_t len) {
    snprintf(buf, len, "%.17Lf", (long double)v);
    char *p = buf + strlen(buf) - 1;
    while (*p == '0') *p-- = '\0';
    if (*p == '.') *p = '\0';
    return buf;
}

static double score_of(double lon, double lat) {
    gh_bits h;
    if (!gh_encode_wgs84(lon, lat, GH_STEP_MAX, &h)) return -1;
    return (double)gh_align52(h);
}

TEST(geohash_scores_match_redis) {
    CHECK(score_of(13.361389, 38.115556) == 3479099956230698.0);
    CHECK(score_of(15.087269, 37.502669) == 3479447370796909.0);
    CHECK(score_of(14.015482, 37.081181) == 3476104532976731.0);
    CHECK(score_of(0, 0) >= 0);
    CHECK(score_of(180.0001, 0) == -1);
    CHECK(score_of(0, 85.06) == -1);
    CHECK(score_of(0, -85.06) == -1);
}

TEST(geohash_decode_matches_redis) {
    double xy[2];
    char a[64], b[64];
    gh_score_to_lonlat(3479099956230698.0, xy);
    CHECK_STR(coord_text(xy[0], a, sizeof a), "13.36138933897018433");
    CHECK_STR(coord_text(xy[1], b, sizeof b), "38.11555639549629859");
    gh_score_to_lonlat(score_of(180, 85.05112878), xy);
    CHECK_STR(coord_text(xy[0], a, sizeof a), "180");
    CHECK_STR(coord_text(xy[1], b, sizeof b), "85.0511287799999991");
    gh_score_to_lonlat(score_of(-180, 0), xy);
    CHECK_STR(coord_text(xy[0], a, sizeof a), "-179.99999731779098511");
    CHECK_STR(coord_text(xy[1], b, sizeof b), "0.00000126736058093");
}

TEST(geohash_hostile_scores_stay_in_limits) {
    const double scores[] = {-1, -1e300, 1e300, INFINITY, -INFINITY, 4503599627370496.0 * 8,
                             1.5, 9.3e18, 1.9e19};
    for (size_t i = 0; i < sizeof scores / sizeof *scores; i++) {
        double xy[2];
        gh_score_to_lonlat(scores[i], xy);
        CHECK(xy[0] >= GH_LON_MIN && xy[0] <= GH_LON_MAX);
        CHECK(xy[1] >= GH_LAT_MIN && xy[1] <= GH_LAT_MAX);
    }
}

TEST(geohash_strings_match_redis) {
    char s[12];
    double xy[2];
    gh_score_to_lonlat(3479099956230698.0, xy);
    gh_string(xy[0], xy[1], s);
    CHECK_STR(s, "sqc8b49rny0");
    gh_score_to_lonlat(3479447370796909.0, xy);
    gh_string(xy[0], xy[1], s);
    CHECK_STR(s, "sqdtr74hyu0");
    gh_score_to_lonlat(score_of(180, 85.05112878), xy);
    gh_string(xy[0], xy[1], s);
    CHECK_STR(s, "bp05b5048p0");
    gh_score_to_lonlat(score_of(0, 0), xy);
    gh_string(xy[0], xy[1], s);
    CHECK_STR(s, "s0000000000");
    gh_score_to_lonlat(score_of(-0.0001, -0.0001), xy);
    gh_string(xy[0], xy[1], s);
    CHECK_STR(s, "7zzzzzzzmt0");
}

TEST(geohash_encode_decode_roundtrip) {
    srand(11);
    for (int i = 0; i < 2000; i++) {
        double lon = -180 + 360.0 * rand() / RAND_MAX;
        double lat = GH_LAT_MIN + (GH_LAT_MAX - GH_LAT_MIN) * rand() / RAND_MAX;
        int step = 1 + i % GH_STEP_MAX;
        gh_bits h, again;
        gh_area a;
        CHECK(gh_encode_wgs84(lon, lat, step, &h));
        CHECK(h.bits < (1ull << (2 * step)) || lon == GH_LON_MAX || lat == GH_LAT_MAX);
        CHECK(gh_decode_wgs84(h, &a));
        CHECK(lon >= a.lon.min - 1e-9 && lon <= a.lon.max + 1e-9);
        CHECK(lat >= a.lat.min - 1e-9 && lat <= a.lat.max + 1e-9);
        /* The cell's centre encodes to the same cell. */
        CHECK(gh_encode_wgs84((a.lon.min + a.lon.max) / 2, (a.lat.min + a.lat.max) / 2, step,
                              &again));
        CHECK(again.bits == h.bits);
    }
    gh_bits none = {0, 0};
    gh_area a;
    CHECK(!gh_decode_wgs84(none, &a));
}

TEST(geohash_neighbours_are_adjacent) {
    gh_bits h, n[GH_CELLS];
    gh_area self, nb;
    CHECK(gh_encode_wgs84(13.36, 38.11, 10, &h));
    gh_neighbours(h, n);
    CHECK(n[GH_SELF].bits == h.bits);
    gh_decode_wgs84(h, &self);
    gh_decode_wgs84(n[GH_N], &nb);
    CHECK(nb.lat.min == self.lat.max && nb.lon.min == self.lon.min);
    gh_decode_wgs84(n[GH_S], &nb);
    CHECK(nb.lat.max == self.lat.min && nb.lon.min == self.lon.min);
    gh_decode_wgs84(n[GH_E], &nb);
    CHECK(nb.lon.min == self.lon.max && nb.lat.min == self.lat.min);
    gh_decode_wgs84(n[GH_W], &nb);
    CHECK(nb.lon.max == self.lon.min && nb.lat.min == self.lat.min);
    gh_decode_wgs84(n[GH_NE], &nb);
    CHECK(nb.lon.min == self.lon.max && nb.lat.min == self.lat.max);
    gh_decode_wgs84(n[GH_SW], &nb);
    CHECK(nb.lon.max == self.lon.min && nb.lat.max == self.lat.min);
    gh_decode_wgs84(n[GH_NW], &nb);
    CHECK(nb.lon.max == self.lon.min && nb.lat.min == self.lat.max);
    gh_decode_wgs84(n[GH_SE], &nb);
    CHECK(nb.lon.min == self.lon.max && nb.lat.max == self.lat.min);
    /* Opposite moves cancel. */
    gh_bits back[GH_CELLS];
    gh_neighbours(n[GH_E], back);
    CHECK(back[GH_W].bits == h.bits);
    gh_neighbours(n[GH_NE], back);
    CHECK(back[GH_SW].bits == h.bits);
}

TEST(geohash_neighbours_wrap_at_the_antimeridian) {
    gh_bits h, n[GH_CELLS];
    gh_area self, nb;
    CHECK(gh_encode_wgs84(179.99, 0.5, 8, &h));
    gh_neighbours(h, n);
    gh_decode_wgs84(h, &self);
    CHECK(self.lon.max == 180);
    gh_decode_wgs84(n[GH_E], &nb);
    CHECK(nb.lon.min == -180);
    CHECK(nb.lat.min == self.lat.min);
    CHECK(gh_encode_wgs84(-179.99, 0.5, 8, &h));
    gh_neighbours(h, n);
    gh_decode_wgs84(n[GH_W], &nb);
    CHECK(nb.lon.max == 180);
}

TEST(geohash_step_estimate) {
    CHECK_INT(gh_estimate_step(0, 0), 26);
    CHECK_INT(gh_estimate_step(200000, 37), 6);
    CHECK_INT(gh_estimate_step(200000, 70), 5);
    CHECK_INT(gh_estimate_step(200000, -81), 4);
    CHECK_INT(gh_estimate_step(1e9, 0), 1);
    CHECK_INT(gh_estimate_step(0.001, 0), 26);
}

TEST(geohash_distances) {
    double deg = GH_EARTH_RADIUS_M * M_PI / 180;
    CHECK(near(gh_distance(0, 0, 0, 1), deg, 1e-6));
    CHECK(near(gh_distance(0, 0, 1, 0), deg, 1e-6));
    CHECK(near(gh_distance(10, 20, 10, 20), 0, 0));
    CHECK(near(gh_distance(-180, 0, 180, 0), 0, 1e-6));
    CHECK(near(gh_distance(0, 0, 180, 0), GH_EARTH_RADIUS_M * M_PI, 1e-6));
    CHECK(near(gh_lat_distance(10, 11), deg, 1e-6));
    /* Palermo-Catania as GEODIST prints it: 166274.1516 m. */
    double a[2], b[2];
    gh_score_to_lonlat(3479099956230698.0, a);
    gh_score_to_lonlat(3479447370796909.0, b);
    char buf[32];
    snprintf(buf, sizeof buf, "%.4f", gh_distance(a[0], a[1], b[0], b[1]));
    CHECK_STR(buf, "166274.1516");
}

TEST(geohash_bounding_box) {
    double b[4];
    gh_bounding_box(10, 40, 100000, 50000, b);
    double lat_delta = 50000 / GH_EARTH_RADIUS_M * 180 / M_PI;
    CHECK(near(b[1], 40 - lat_delta, 1e-12) && near(b[3], 40 + lat_delta, 1e-12));
    /* Northern hemisphere: the wider (northern) edge sets the longitudes. */
    double lon_delta = 100000 / GH_EARTH_RADIUS_M / cos((40 + lat_delta) * M_PI / 180) * 180 / M_PI;
    CHECK(near(b[0], 10 - lon_delta, 1e-12) && near(b[2], 10 + lon_delta, 1e-12));
}

TEST(geohash_search_cells_cover_the_bounds) {
    /* Every point of a polygon's box must fall into one of the cells. */
    const double boxes[][4] = {{10, 30, 20, 40}, {-170, -10, 170, 10}, {0, 80, 1, 85},
                               {-1, -1, 1, 1}, {100, -60, 101, -59.5}};
    for (size_t k = 0; k < sizeof boxes / sizeof *boxes; k++) {
        const double *bx = boxes[k];
        double cx = (bx[0] + bx[2]) / 2, cy = (bx[1] + bx[3]) / 2;
        double radius = gh_distance(cx, cy, bx[0], bx[1]);
        gh_bits cells[GH_CELLS];
        /* An off-centre centre, as a centroid may be. */
        gh_search_cells(bx[0] + (bx[2] - bx[0]) * 0.1, cy, bx, radius, 1, cells);
        for (int i = 0; i <= 10; i++) {
            for (int j = 0; j <= 10; j++) {
                double lon = bx[0] + (bx[2] - bx[0]) * i / 10, lat = bx[1] + (bx[3] - bx[1]) * j / 10;
                gh_bits p;
                CHECK(gh_encode_wgs84(lon, lat, GH_STEP_MAX, &p));
                double s = (double)gh_align52(p);
                int found = 0;
                for (int c = 0; c < GH_CELLS && !found; c++) {
                    if (cells[c].step == 0) continue;
                    gh_bits next = cells[c];
                    next.bits++;
                    found = s >= (double)gh_align52(cells[c]) && s < (double)gh_align52(next);
                }
                if (!found) unit_fail(__FILE__, __LINE__, "box %zu misses %f,%f", k, lon, lat);
                if (!found) return;
            }
        }
    }
}

TEST(geohash_polygon_square) {
    const double sq[][2] = {{0, 0}, {10, 0}, {10, 10}, {0, 10}};
    CHECK(gh_in_polygon(sq, 4, 5, 5));
    CHECK(!gh_in_polygon(sq, 4, 15, 5));
    CHECK(!gh_in_polygon(sq, 4, -0.001, 5));
    CHECK(!gh_in_polygon(sq, 4, 5, 10.001));
    /* The boundary belongs to the polygon: every edge and every vertex. */
    CHECK(gh_in_polygon(sq, 4, 10, 5));
    CHECK(gh_in_polygon(sq, 4, 0, 5));
    CHECK(gh_in_polygon(sq, 4, 5, 0));
    CHECK(gh_in_polygon(sq, 4, 5, 10));
    for (int i = 0; i < 4; i++) CHECK(gh_in_polygon(sq, 4, sq[i][0], sq[i][1]));
    /* Just inside and just outside an edge. */
    CHECK(gh_in_polygon(sq, 4, 9.9999, 5));
    CHECK(!gh_in_polygon(sq, 4, 10.0001, 5));
}

TEST(geohash_polygon_concave_and_vertices_on_the_ray) {
    /* An L: the notch (upper right) is outside. */
    const double l[][2] = {{0, 0}, {10, 0}, {10, 4}, {4, 4}, {4, 10}, {0, 10}};
    CHECK(gh_in_polygon(l, 6, 2, 8));
    CHECK(gh_in_polygon(l, 6, 8, 2));
    CHECK(!gh_in_polygon(l, 6, 8, 8));
    CHECK(gh_in_polygon(l, 6, 4, 7)); /* on the inner edge */
    CHECK(gh_in_polygon(l, 6, 7, 4));
    /* The ray from these points passes exactly through vertices. */
    CHECK(gh_in_polygon(l, 6, 2, 4));
    CHECK(!gh_in_polygon(l, 6, -2, 4));
    const double tri[][2] = {{0, 0}, {10, 5}, {0, 10}};
    CHECK(gh_in_polygon(tri, 3, 5, 5));
    CHECK(!gh_in_polygon(tri, 3, -5, 5));
    CHECK(!gh_in_polygon(tri, 3, 11, 5));
    CHECK(!gh_in_polygon(tri, 3, -1, 0));
    /* A closing vertex repeated is harmless. */
    const double closed[][2] = {{0, 0}, {10, 0}, {10, 10}, {0, 10}, {0, 0}};
    CHECK(gh_in_polygon(closed, 5, 5, 5));
    CHECK(!gh_in_polygon(closed, 5, 11, 5));
}

TEST(geohash_polygon_centroid) {
    const double sq[][2] = {{-1, -1}, {1, -1}, {1, 1}, {-1, 1}};
    double xy[2];
    gh_polygon_centroid(sq, 4, xy);
    CHECK(near(xy[0], 0, 1e-12) && near(xy[1], 0, 1e-12));
    const double across[][2] = {{179, 0}, {-179, 0}, {-179, 2}, {179, 2}};
    gh_polygon_centroid(across, 4, xy);
    CHECK(near(fabs(xy[0]), 180, 1e-9) && near(xy[1], 1, 1e-3));
}
