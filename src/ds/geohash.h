/*
 * geohash.h - the 52-bit interleaved geohash that geo sets use as sorted
 * set scores, the cell arithmetic of the radius/box/polygon searches, and
 * great-circle distances.
 *
 * A cell at precision `step` is a 2*step-bit number: longitude bits in the
 * odd positions, latitude bits in the even ones (latitude is the lower bit
 * of each pair). A member's score is its step-26 cell (52 bits), which a
 * double holds exactly. Coordinates follow Redis's limits: longitude
 * [-180, 180], latitude [-85.05112878, 85.05112878] (EPSG:900913).
 *
 * Pure computation: no allocation, no I/O. Called by types/geo.c and the
 * unit tests.
 */
#ifndef PAIRDB_GEOHASH_H
#define PAIRDB_GEOHASH_H

#include <stdint.h>

#define GH_STEP_MAX 26
#define GH_LAT_MIN (-85.05112878)
#define GH_LAT_MAX 85.05112878
#define GH_LON_MIN (-180.0)
#define GH_LON_MAX 180.0
/* Redis's earth radius (quadratic mean of WGS-84), metres. */
#define GH_EARTH_RADIUS_M 6372797.560856

typedef struct gh_bits {
    uint64_t bits;
    uint8_t step;      /* 0 with bits 0: "no cell" (an excluded neighbour) */
} gh_bits;

typedef struct gh_range {
    double min, max;
} gh_range;

typedef struct gh_area {
    gh_range lon, lat;
} gh_area;

/* The order of cells a search visits: centre, then N S E W NE NW SE SW. */
enum { GH_SELF, GH_N, GH_S, GH_E, GH_W, GH_NE, GH_NW, GH_SE, GH_SW, GH_CELLS };

/* The cell of (lon, lat) at `step` inside the given ranges. Returns 0 (and
 * bits 0) when the point is outside Redis's limits or the ranges. */
int gh_encode(const gh_range *lon_r, const gh_range *lat_r, double lon, double lat, int step,
              gh_bits *out);
/* The same with the geo set ranges (lat +-85.05112878). */
int gh_encode_wgs84(double lon, double lat, int step, gh_bits *out);
/* The area a cell covers. Returns 0 for the "no cell" value. */
int gh_decode(const gh_range *lon_r, const gh_range *lat_r, gh_bits h, gh_area *area);
int gh_decode_wgs84(gh_bits h, gh_area *area);
/* A cell's bits shifted to a 52-bit score prefix. */
uint64_t gh_align52(gh_bits h);
/* The coordinates a geo set score stands for: the centre of its step-26
 * cell, clamped to the limits. xy[0] longitude, xy[1] latitude. Any double
 * is accepted (a score written by ZADD may be anything). */
void gh_score_to_lonlat(double score, double xy[2]);
/* The 11-character standard geohash (latitude range [-90, 90]) of a point,
 * NUL-terminated, as Redis's GEOHASH prints it. */
void gh_string(double lon, double lat, char out[12]);
/* The eight neighbours of h, indexed GH_N..GH_SW (out[GH_SELF] = h).
 * Moving off an edge wraps around. */
void gh_neighbours(gh_bits h, gh_bits out[GH_CELLS]);

/* Haversine distance in metres between two points (degrees). */
double gh_distance(double lon1, double lat1, double lon2, double lat2);
/* Distance along a meridian between two latitudes, metres. */
double gh_lat_distance(double lat1, double lat2);

/* The step whose cells are about the size of radius_m near latitude lat. */
int gh_estimate_step(double radius_m, double lat);
/* The bounding box {min lon, min lat, max lon, max lat} of a box of half
 * sizes half_w_m x half_h_m (a circle: both the radius) around (lon, lat). */
void gh_bounding_box(double lon, double lat, double half_w_m, double half_h_m, double bounds[4]);
/* The cells a search around (lon, lat) reads: the centre cell at the step
 * radius_m calls for and its neighbours, those entirely beyond bounds
 * zeroed, duplicates of the previous cell kept (the caller skips them).
 * cover_bounds: lower the step until the nine cells contain all of bounds
 * (for shapes whose centre is not the middle of their box). */
void gh_search_cells(double lon, double lat, const double bounds[4], double radius_m,
                     int cover_bounds, gh_bits cells[GH_CELLS]);

/* 1 if (lon, lat) lies inside the polygon or on its boundary. The ring is
 * closed implicitly; edges are straight lines in longitude/latitude. */
int gh_in_polygon(const double (*v)[2], int n, double lon, double lat);
/* The centroid of the vertices on the sphere (mean of their unit vectors),
 * degrees. */
void gh_polygon_centroid(const double (*v)[2], int n, double xy[2]);

#endif
