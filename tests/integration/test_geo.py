"""Geo commands: exact replies and errors as Redis 7.0 gives them (RESP2 and RESP3), distances
and search results checked against an independent haversine computation, Valkey's BYPOLYGON
(its documented examples, errors, edges, vertices, concave shapes, poles, the antimeridian),
keyspace events of the writes, and the log replay of the STORE variants."""

import math
import random

import pytest

from conftest import IS_REDIS
from resp import bulk
from test_notifications import Events, both
import walfile

SYNTAX = b"-ERR syntax error\r\n"
EARTH_RADIUS_M = 6372797.560856
UNITS = {"m": 1.0, "km": 1000.0, "mi": 1609.34, "ft": 0.3048}

SICILY = ["13.361389", "38.115556", "Palermo", "15.087269", "37.502669", "Catania",
          "12.758489", "38.788135", "edge1", "17.241510", "38.788135", "edge2"]


def arr(*items):
    return b"*%d\r\n" % len(items) + b"".join(items)


def haversine(lon1, lat1, lon2, lat2):
    """Great-circle distance in metres, computed here independently of the server."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * EARTH_RADIUS_M * math.asin(math.sqrt(a))


def positions(r, key, members):
    """The stored (decoded) coordinates of members, as floats."""
    return {m: (float(p[0]), float(p[1])) for m, p in zip(members, r.geopos(key, *members))}


# ---- exact replies ----------------------------------------------------------------------------

CASES = [
    (("GEOADD", "Sicily") + tuple(SICILY), b":4\r\n"),
    (("ZSCORE", "Sicily", "Palermo"), bulk("3479099956230698")),
    (("GEOPOS", "Sicily", "Palermo", "nope"),
     arr(arr(bulk("13.36138933897018433"), bulk("38.11555639549629859")), b"*-1\r\n")),
    (("GEOHASH", "Sicily", "Palermo", "Catania", "nope"),
     arr(bulk("sqc8b49rny0"), bulk("sqdtr74hyu0"), b"$-1\r\n")),
    (("GEODIST", "Sicily", "Palermo", "Catania"), bulk("166274.1516")),
    (("GEODIST", "Sicily", "Palermo", "Catania", "km"), bulk("166.2742")),
    (("GEODIST", "Sicily", "Palermo", "Catania", "mi"), bulk("103.3182")),
    (("GEODIST", "Sicily", "Palermo", "Catania", "ft"), bulk("545518.8700")),
    (("GEODIST", "Sicily", "Palermo", "nope"), b"$-1\r\n"),
    (("GEODIST", "Sicily", "Palermo", "Catania", "yd"),
     b"-ERR unsupported unit provided. please use M, KM, FT, MI\r\n"),
    (("GEODIST", "Sicily", "Palermo", "Catania", "km", "x"), SYNTAX),
    (("GEOADD", "Sicily", "200", "10", "x"),
     b"-ERR invalid longitude,latitude pair 200.000000,10.000000\r\n"),
    (("GEOADD", "Sicily", "10", "-85.06", "x"),
     b"-ERR invalid longitude,latitude pair 10.000000,-85.060000\r\n"),
    (("GEOADD", "Sicily", "a", "10", "x"), b"-ERR value is not a valid float\r\n"),
    (("GEOADD", "Sicily", "NX", "XX", "1", "2", "x"), SYNTAX),
    (("GEOADD", "Sicily", "1", "2", "x", "3"), SYNTAX),
    (("GEOADD", "Sicily", "NX", "13.361389", "38.2", "Palermo", "1", "1", "new"), b":1\r\n"),
    (("GEOADD", "Sicily", "XX", "CH", "13.361389", "38.2", "Palermo", "1", "1", "gone"),
     b":1\r\n"),
    (("GEOADD", "Sicily", "CH", "13.361389", "38.115556", "Palermo"), b":1\r\n"),
    (("GEOSEARCH", "Sicily", "FROMLONLAT", "15", "37", "BYRADIUS", "200", "km", "ASC"),
     arr(bulk("Catania"), bulk("Palermo"))),
    (("GEOSEARCH", "Sicily", "FROMLONLAT", "15", "37", "BYBOX", "400", "400", "km", "ASC",
      "WITHCOORD", "WITHDIST"),
     arr(arr(bulk("Catania"), bulk("56.4413"),
             arr(bulk("15.08726745843887329"), bulk("37.50266842333162032"))),
         arr(bulk("Palermo"), bulk("190.4424"),
             arr(bulk("13.36138933897018433"), bulk("38.11555639549629859"))),
         arr(bulk("edge2"), bulk("279.7403"),
             arr(bulk("17.24151045083999634"), bulk("38.78813451624225195"))),
         arr(bulk("edge1"), bulk("279.7405"),
             arr(bulk("12.7584877610206604"), bulk("38.78813451624225195"))))),
    (("GEOSEARCH", "Sicily", "FROMMEMBER", "Palermo", "BYRADIUS", "200", "km", "DESC",
      "WITHHASH", "COUNT", "1"), arr(arr(bulk("Catania"), b":3479447370796909\r\n"))),
    (("GEOSEARCH", "Sicily", "FROMMEMBER", "nope", "BYRADIUS", "1", "km"),
     b"-ERR could not decode requested zset member\r\n"),
    (("GEOSEARCH", "Sicily", "FROMLONLAT", "15", "37", "BYRADIUS", "1", "km", "COUNT", "0"),
     b"-ERR COUNT must be > 0\r\n"),
    (("GEOSEARCH", "Sicily", "FROMLONLAT", "15", "37", "BYRADIUS", "1", "km", "ANY"),
     b"-ERR the ANY argument requires COUNT argument\r\n"),
    (("GEOSEARCH", "Sicily", "FROMLONLAT", "15", "37", "BYRADIUS", "-1", "km"),
     b"-ERR radius cannot be negative\r\n"),
    (("GEOSEARCH", "Sicily", "FROMLONLAT", "15", "37", "BYRADIUS", "x", "km"),
     b"-ERR need numeric radius\r\n"),
    (("GEOSEARCH", "Sicily", "FROMLONLAT", "15", "37", "BYBOX", "1", "y", "km"),
     b"-ERR need numeric height\r\n"),
    (("GEOSEARCH", "Sicily", "FROMLONLAT", "15", "37", "BYBOX", "1", "-1", "km"),
     b"-ERR height or width cannot be negative\r\n"),
    (("GEOSEARCH", "Sicily", "FROMLONLAT", "15", "37", "BYRADIUS", "1", "km", "BYBOX", "1", "1",
      "km"), SYNTAX),
    (("GEOSEARCH", "Sicily", "FROMLONLAT", "15", "37", "FROMMEMBER", "Palermo", "BYRADIUS", "1",
      "km"), SYNTAX),
    (("GEOSEARCH", "Sicily", "BYRADIUS", "1", "km", "ASC", "ASC"),
     b"-ERR exactly one of FROMMEMBER or FROMLONLAT can be specified for GEOSEARCH\r\n"),
    (("GEOSEARCH", "Sicily", "FROMLONLAT", "1", "1", "ASC", "ASC"),
     b"-ERR exactly one of BYRADIUS and BYBOX can be specified for GEOSEARCH\r\n"),
    (("GEOSEARCHSTORE", "d", "Sicily", "FROMLONLAT", "15", "37", "BYRADIUS", "1", "km",
      "WITHDIST"),
     b"-ERR GEOSEARCHSTORE is not compatible with WITHDIST, WITHHASH and WITHCOORD options\r\n"),
    (("GEORADIUS", "Sicily", "15", "37", "200", "km", "STORE", "d", "WITHCOORD"),
     b"-ERR STORE option in GEORADIUS is not compatible with WITHDIST, WITHHASH and WITHCOORD "
     b"options\r\n"),
    (("GEORADIUS_RO", "Sicily", "15", "37", "200", "km", "STORE", "d"), SYNTAX),
    (("GEORADIUS", "Sicily", "15", "37", "200", "km", "WITHDIST", "ASC"),
     arr(arr(bulk("Catania"), bulk("56.4413")), arr(bulk("Palermo"), bulk("190.4424")))),
    (("GEORADIUSBYMEMBER", "Sicily", "Palermo", "100", "km"), arr(bulk("Palermo"),
                                                                 bulk("edge1"))),
    (("GEORADIUSBYMEMBER", "Sicily", "nope", "100", "km"),
     b"-ERR could not decode requested zset member\r\n"),
    (("GEORADIUSBYMEMBER", "nokey", "nope", "x", "parsec"), b"*0\r\n"),
    (("GEOSEARCH", "nokey", "FROMMEMBER", "x", "BYRADIUS", "1", "km"), b"*0\r\n"),
    (("GEOSEARCHSTORE", "d", "nokey", "FROMMEMBER", "x", "BYRADIUS", "1", "km"), b":0\r\n"),
    (("SET", "s", "v"), b"+OK\r\n"),
    (("GEOADD", "s", "1", "1", "m"),
     b"-WRONGTYPE Operation against a key holding the wrong kind of value\r\n"),
    (("GEOSEARCH", "s", "FROMLONLAT", "1", "1", "BYRADIUS", "1", "km"),
     b"-WRONGTYPE Operation against a key holding the wrong kind of value\r\n"),
]


def test_exact_replies(raw):
    for args, want in CASES:
        assert raw.cmd(*args) == want, args


def test_resp3_coordinates_are_doubles(raw3):
    raw3.cmd("GEOADD", "Sicily", *SICILY)
    assert raw3.cmd("GEOPOS", "Sicily", "Palermo", "nope") == (
        b"*2\r\n*2\r\n,13.36138933897018433\r\n,38.11555639549629859\r\n_\r\n")
    # Distances stay bulk strings.
    assert raw3.cmd("GEODIST", "Sicily", "Palermo", "Catania", "km") == bulk("166.2742")
    assert raw3.cmd("GEOSEARCH", "Sicily", "FROMMEMBER", "Palermo", "BYRADIUS", "1", "m",
                    "WITHCOORD", "WITHDIST") == (
        b"*1\r\n*3\r\n$7\r\nPalermo\r\n$6\r\n0.0000\r\n"
        b"*2\r\n,13.36138933897018433\r\n,38.11555639549629859\r\n")


def test_geoadd_writes_a_sorted_set(r):
    assert r.geoadd("g", SICILY[:6]) == 2
    assert r.type("g") == b"zset"
    assert r.zrange("g", 0, -1) == [b"Palermo", b"Catania"]
    assert r.zrem("g", "Palermo") == 1
    assert r.geopos("g", "Palermo") == [None]
    # A member written by ZADD with any score decodes without harm.
    r.zadd("g", {"odd": -1, "big": 1e300, "frac": 0.5})
    for pos in r.geopos("g", "odd", "big", "frac"):
        assert -180 <= float(pos[0]) <= 180 and -85.05112879 <= float(pos[1]) <= 85.05112879
    assert len(r.geohash("g", "odd", "big", "frac")) == 3


# ---- against an independent computation -------------------------------------------------------

def random_points(rnd, n, lon0, lat0, spread):
    """n points around (lon0, lat0). Longitude 180 itself is avoided: its cell index overflows
    into bit 52 (as in Redis), so searches never find a member stored there."""
    pts = {}
    for i in range(n):
        lon = max(-180, min(179.9999, lon0 + rnd.uniform(-spread, spread)))
        lat = max(-85, min(85, lat0 + rnd.uniform(-spread, spread)))
        pts["m%d" % i] = (lon, lat)
    return pts


@pytest.mark.parametrize("centre", [(13.4, 38.1), (179.5, 0.5), (-0.2, 84.5), (0, 0)])
def test_searches_match_haversine(r, raw, centre):
    rnd = random.Random(hash(centre) & 0xffff)
    pts = random_points(rnd, 300, centre[0], centre[1], 4)
    args = []
    for m, (lon, lat) in pts.items():
        args += [lon, lat, m]
    assert r.geoadd("w", args) == len(pts)
    stored = positions(r, "w", list(pts))
    # Decoding stays within the 52-bit cell: well under a metre.
    for m, (lon, lat) in pts.items():
        assert haversine(lon, lat, *stored[m]) < 1.0
    found = 0
    for radius, unit in [(20, "km"), (150, "km"), (60, "mi"), (90000, "m"), (300000, "ft")]:
        limit = radius * UNITS[unit]
        want = {m for m, p in stored.items()
                if abs(haversine(centre[0], centre[1], *p) - limit) > 1e-6 * limit
                and haversine(centre[0], centre[1], *p) < limit}
        unsure = {m for m, p in stored.items()
                  if abs(haversine(centre[0], centre[1], *p) - limit) <= 1e-6 * limit}
        got = raw.cmdp("GEOSEARCH", "w", "FROMLONLAT", centre[0], centre[1], "BYRADIUS", radius,
                       unit, "WITHDIST", "ASC")
        got = [(name, float(dist)) for name, dist in got]
        names = {g[0].decode() for g in got}
        assert names - unsure == want, (radius, unit)
        found += len(want)
        dists = [g[1] for g in got]
        assert dists == sorted(dists)
        for name, dist in got:
            expect = haversine(centre[0], centre[1], *stored[name.decode()]) / UNITS[unit]
            assert abs(dist - expect) <= 0.00011, (name, dist, expect)
        # COUNT keeps the nearest ones, in order.
        top = raw.cmdp("GEOSEARCH", "w", "FROMLONLAT", centre[0], centre[1], "BYRADIUS", radius,
                       unit, "COUNT", 5, "ASC")
        assert top == [g[0] for g in got[:5]]
    assert found > 50


def test_box_matches_its_definition(r, raw):
    rnd = random.Random(5)
    pts = random_points(rnd, 300, 10, 45, 3)
    args = []
    for m, (lon, lat) in pts.items():
        args += [lon, lat, m]
    r.geoadd("w", args)
    stored = positions(r, "w", list(pts))
    for w_km, h_km in [(100, 300), (300, 100), (500, 500)]:
        got = {g.decode() for g in raw.cmdp("GEOSEARCH", "w", "FROMLONLAT", 10, 45, "BYBOX",
                                            w_km, h_km, "km")}
        # Redis's box: latitude distance along the centre's meridian, longitude distance along
        # the point's own parallel.
        want = {m for m, (lon, lat) in stored.items()
                if EARTH_RADIUS_M * abs(math.radians(lat - 45)) <= h_km * 500
                and haversine(lon, lat, 10, lat) <= w_km * 500}
        assert got == want and want


def test_geodist_matches_haversine(r):
    rnd = random.Random(9)
    pts = random_points(rnd, 40, 0, 0, 170)
    args = []
    for m, (lon, lat) in pts.items():
        args += [lon, lat, m]
    r.geoadd("w", args)
    stored = positions(r, "w", list(pts))
    names = list(pts)
    for a, b in zip(names, names[1:]):
        for unit, f in UNITS.items():
            got = float(r.geodist("w", a, b, unit))
            assert abs(got - haversine(*stored[a], *stored[b]) / f) <= 0.00011 + 1e-12 * got


# ---- BYPOLYGON (Valkey 9) ---------------------------------------------------------------------

# Redis 7.0 has no BYPOLYGON: these tests do not apply to PAIRDB_TARGET=redis.
valkey_only = pytest.mark.skipif(IS_REDIS, reason="BYPOLYGON is Valkey 9's, not in Redis 7.0")

DOC_POLYGON = ["5", "12.41098696654226", "38.05033923003755", "15.107936245794182",
               "38.00616649901906", "18.148439288534455", "38.63804787603499",
               "17.80831874257693", "39.50316813110968", "12.458468633214036",
               "38.57719533463012"]


@valkey_only
def test_polygon_documented_examples(raw):
    raw.cmd("GEOADD", "Sicily", *SICILY)
    assert sorted(raw.cmdp("GEOSEARCH", "Sicily", "BYPOLYGON", *DOC_POLYGON)) == [
        b"Palermo", b"edge2"]
    # WITHDIST is measured from the vertices' centroid, in metres.
    assert raw.cmd("GEOSEARCH", "Sicily", "BYPOLYGON", *DOC_POLYGON, "ASC", "WITHCOORD",
                   "WITHDIST") == arr(
        arr(bulk("Palermo"), bulk("166482.0159"),
            arr(bulk("13.36138933897018433"), bulk("38.11555639549629859"))),
        arr(bulk("edge2"), bulk("180861.7725"),
            arr(bulk("17.24151045083999634"), bulk("38.78813451624225195"))))
    assert raw.cmd("GEOADD", "S2", "13.361389", "38.115556", "Palermo", "14.733333", "36.933333",
                   "Ragusa", "15.087269", "37.502669", "Catania", "15.287602", "37.070104",
                   "Siracusa", "13.588412", "37.311348", "Agrigento") == b":5\r\n"
    got = raw.cmdp("GEOSEARCH", "S2", "BYPOLYGON", "6", "13.268550", "38.354626",
                            "15.379554", "37.143270", "14.7", "36.6", "14.193438", "37.334376",
                            "12.972021", "38.138380", "13.3", "38.2")
    assert sorted(got) == [b"Palermo", b"Ragusa", b"Siracusa"]


POLY_ERRORS = [
    (["BYPOLYGON", "x", "1", "1", "2", "2", "3", "1"], b"-ERR invalid number of vertices\r\n"),
    (["BYPOLYGON", "99999999999", "1", "1", "2", "2"], b"-ERR invalid number of vertices\r\n"),
    (["BYPOLYGON", "2", "1", "1", "2", "2"],
     b"-ERR GEOSEARCH BYPOLYGON must have at least 3 vertices\r\n"),
    (["BYPOLYGON", "4", "1", "1", "2", "2", "3", "1"],
     b"-ERR GEOSEARCH BYPOLYGON must have at least 3 vertices\r\n"),
    (["BYPOLYGON", "3", "1", "1", "2", "91", "3", "1"],
     b"-ERR invalid longitude,latitude pair 2.000000,91.000000\r\n"),
    (["BYPOLYGON", "3", "1", "1", "2", "x", "3", "1"], b"-ERR value is not a valid float\r\n"),
    (["BYPOLYGON", "3", "1", "1", "2", "2", "3", "1", "FROMLONLAT", "1", "1"], SYNTAX),
    (["FROMLONLAT", "1", "1", "BYPOLYGON", "3", "1", "1", "2", "2", "3", "1"], SYNTAX),
    (["FROMMEMBER", "Palermo", "BYPOLYGON", "3", "1", "1", "2", "2", "3", "1"], SYNTAX),
    (["BYPOLYGON", "3", "1", "1", "2", "2", "3", "1", "BYRADIUS", "1", "km"], SYNTAX),
    (["BYBOX", "1", "1", "km", "BYPOLYGON", "3", "1", "1", "2", "2", "3", "1"], SYNTAX),
    (["BYPOLYGON", "3", "1", "1", "2", "2", "3", "1", "BYPOLYGON", "3", "1", "1", "2", "2", "3",
      "1"], SYNTAX),
    (["BYPOLYGON", "3", "1", "1", "2", "2", "3", "1", "ANY"],
     b"-ERR the ANY argument requires COUNT argument\r\n"),
    (["BYPOLYGON", "3", "1", "1", "2", "2", "3", "1", "extra"], SYNTAX),
]


@valkey_only
@pytest.mark.parametrize("args,want", POLY_ERRORS)
def test_polygon_errors(raw, args, want):
    raw.cmd("GEOADD", "Sicily", *SICILY)
    assert raw.cmd("GEOSEARCH", "Sicily", *args) == want


@valkey_only
def test_polygon_other_commands_and_missing_key(raw):
    raw.cmd("GEOADD", "Sicily", *SICILY)
    assert raw.cmd("GEORADIUS", "Sicily", "15", "37", "1", "km", "BYPOLYGON", "3", "1", "1", "2",
                   "2", "3", "1") == SYNTAX
    assert raw.cmd("GEOSEARCH", "nokey", "BYPOLYGON", *DOC_POLYGON) == b"*0\r\n"
    assert raw.cmd("GEOSEARCHSTORE", "d", "nokey", "BYPOLYGON", *DOC_POLYGON) == b":0\r\n"
    assert raw.cmd("GEOSEARCHSTORE", "d", "Sicily", "BYPOLYGON", *DOC_POLYGON, "STOREDIST") == (
        b":2\r\n")
    assert raw.cmd("ZRANGE", "d", "0", "-1", "WITHSCORES") == arr(
        bulk("Palermo"), bulk("166482.01592381584"), bulk("edge2"), bulk("180861.77251700757"))
    assert raw.cmd("GEOSEARCH", "Sicily", "BYPOLYGON", *DOC_POLYGON, "COUNT", "1", "DESC") == (
        arr(bulk("edge2")))
    assert raw.cmd("GEOSEARCH", "Sicily", "BYPOLYGON", *DOC_POLYGON, "WITHDIST", "STOREDIST") == (
        SYNTAX)


@valkey_only
def test_polygon_edges_and_vertices(r, raw):
    r.geoadd("g", [13.361389, 38.115556, "p"])
    (x, y), = r.geopos("g", "p")
    xs, ys = "%.17f" % x, "%.17f" % y
    assert float(xs) == x and float(ys) == y

    def search(*vertices):
        flat = [str(v) for pair in vertices for v in pair]
        return raw.cmdp("GEOSEARCH", "g", "BYPOLYGON", len(vertices), *flat)

    # The member is a vertex.
    assert search((xs, ys), (x + 1, y), (x, y + 1)) == [b"p"]
    # On a vertical (left) edge, a horizontal (top) edge and a slanted one.
    assert search((xs, y - 1), (x + 1, y - 1), (x + 1, y + 1), (xs, y + 1)) == [b"p"]
    assert search((x - 1, y - 1), (x + 1, y - 1), (x + 1, ys), (x - 1, ys)) == [b"p"]
    assert search((x - 1, y - 1), (x + 1, y + 1), (x - 1, y + 1)) == [b"p"]
    # Just beside the left edge, outside.
    assert search((x + 1e-6, y - 1), (x + 1, y - 1), (x + 1, y + 1), (x + 1e-6, y + 1)) == []
    # Just inside.
    assert search((x - 1e-6, y - 1), (x + 1, y - 1), (x + 1, y + 1), (x - 1e-6, y + 1)) == [b"p"]


@valkey_only
def test_polygon_concave(r, raw):
    # An L from (0,0) to (10,10) without its upper right quarter.
    ring = [(0, 0), (10, 0), (10, 4), (4, 4), (4, 10), (0, 10)]
    r.geoadd("g", [2, 8, "arm_up", 8, 2, "arm_right", 8, 8, "notch", 2, 2, "corner",
                   -1, 5, "west", 5, 4.0001, "above_inner_edge", 5, 3.9999, "below_inner_edge"])
    flat = [str(v) for p in ring for v in p]
    got = raw.cmdp("GEOSEARCH", "g", "BYPOLYGON", len(ring), *flat)
    assert sorted(got) == [b"arm_right", b"arm_up", b"below_inner_edge", b"corner"]
    # A ring given closed (first vertex repeated) selects the same members.
    closed = flat + flat[:2]
    got = raw.cmdp("GEOSEARCH", "g", "BYPOLYGON", len(ring) + 1, *closed)
    assert sorted(got) == [b"arm_right", b"arm_up", b"below_inner_edge", b"corner"]


@valkey_only
def test_polygon_near_the_pole(r, raw):
    r.geoadd("g", [0, 84.9, "north", 90, 84.9, "east", -179, 85.0, "far_west", 0, 80, "south"])
    ring = ["4", "-170", "84", "170", "84", "170", "85.05112878", "-170", "85.05112878"]
    got = raw.cmdp("GEOSEARCH", "g", "BYPOLYGON", *ring, "ASC")
    assert sorted(got) == [b"east", b"north"]


@valkey_only
def test_polygon_across_the_antimeridian_is_the_long_way(r, raw):
    # Edges are straight lines in longitude/latitude: vertices at 170 and -170 span the 340
    # degrees through longitude 0, not the 20 across the antimeridian.
    r.geoadd("g", [0, 0, "greenwich", 179, 0, "dateline", -100, 1, "pacific_east",
                   100, -2, "indian"])
    ring = ["4", "170", "-5", "-170", "-5", "-170", "5", "170", "5"]
    got = raw.cmdp("GEOSEARCH", "g", "BYPOLYGON", *ring)
    assert sorted(got) == [b"greenwich", b"indian", b"pacific_east"]


@valkey_only
def test_polygon_results_match_point_in_polygon(r, raw):
    rnd = random.Random(3)
    pts = random_points(rnd, 400, 10, 50, 5)
    args = []
    for m, (lon, lat) in pts.items():
        args += [lon, lat, m]
    r.geoadd("w", args)
    stored = positions(r, "w", list(pts))
    ring = [(6, 46), (14, 47), (12, 50), (15, 54), (8, 53), (9, 50)]

    def inside(px, py):
        hit = False
        for (ax, ay), (bx, by) in zip(ring, ring[-1:] + ring[:-1]):
            if (ay > py) != (by > py) and px < (bx - ax) * (py - ay) / (by - ay) + ax:
                hit = not hit
        return hit

    flat = [str(v) for p in ring for v in p]
    got = raw.cmdp("GEOSEARCH", "w", "BYPOLYGON", len(ring), *flat, "WITHDIST")
    names = {g[0].decode() for g in got}
    assert names == {m for m, p in stored.items() if inside(*p)}
    assert len(names) > 20
    # Distances from the centroid of the vertices on the sphere.
    vx = sum(math.cos(math.radians(b)) * math.cos(math.radians(a)) for a, b in ring)
    vy = sum(math.cos(math.radians(b)) * math.sin(math.radians(a)) for a, b in ring)
    vz = sum(math.sin(math.radians(b)) for a, b in ring)
    clon = math.degrees(math.atan2(vy, vx))
    clat = math.degrees(math.atan2(vz, math.hypot(vx, vy)))
    for name, dist in got:
        assert abs(float(dist) - haversine(clon, clat, *stored[name.decode()])) < 0.001


# ---- events and the log -----------------------------------------------------------------------

@pytest.fixture
def events(server, raw):
    assert raw.cmd("CONFIG", "SET", "notify-keyspace-events", "KEA") == b"+OK\r\n"
    ev = Events(server)
    yield ev
    ev.close()
    raw.cmd("CONFIG", "SET", "notify-keyspace-events", "")


def test_keyspace_events(raw, events):
    raw.cmd("GEOADD", "k", *SICILY)
    assert events.take() == both(0, "k", "zadd")
    raw.cmd("GEOADD", "k", "NX", *SICILY[:3])
    assert events.take() == []
    raw.cmd("GEOSEARCHSTORE", "d", "k", "FROMLONLAT", "15", "37", "BYRADIUS", "200", "km")
    assert events.take() == both(0, "d", "geosearchstore")
    raw.cmd("GEORADIUS", "k", "15", "37", "200", "km", "STOREDIST", "d")
    assert events.take() == both(0, "d", "georadiusstore")
    raw.cmd("GEORADIUSBYMEMBER", "k", "Palermo", "1", "km", "STORE", "d")
    assert events.take() == both(0, "d", "georadiusstore")
    raw.cmd("GEOSEARCHSTORE", "d", "k", "FROMLONLAT", "0", "0", "BYRADIUS", "1", "km")
    assert events.take() == both(0, "d", "del")
    raw.cmd("GEOSEARCHSTORE", "d", "k", "FROMLONLAT", "0", "0", "BYRADIUS", "1", "km")
    assert events.take() == []
    raw.cmd("GEOSEARCH", "k", "FROMLONLAT", "15", "37", "BYRADIUS", "200", "km")
    assert events.take() == []


@pytest.mark.skipif(IS_REDIS, reason="reads PairDB's own log format")
def test_store_variants_replay_from_the_log(start_server):
    s = start_server("--appendonly", "yes", "--appendfsync", "always")
    c = s.client()
    w = s.raw()
    assert w.cmd("GEOADD", "k", *SICILY) == b":4\r\n"
    assert w.cmd("GEOSEARCHSTORE", "a", "k", "FROMLONLAT", "15", "37", "BYBOX", "400", "400",
                 "km", "STOREDIST", "COUNT", "3", "DESC") == b":3\r\n"
    assert w.cmd("GEORADIUS", "k", "15", "37", "200", "km", "STORE", "b") == b":2\r\n"
    assert w.cmd("GEOSEARCHSTORE", "p", "k", "BYPOLYGON", *DOC_POLYGON) == b":2\r\n"
    w.close()
    before = {key: c.zrange(key, 0, -1, withscores=True) for key in ("a", "b", "p", "k")}
    assert len(before["a"]) == 3 and len(before["b"]) == 2 and len(before["p"]) == 2
    names = [fx[0].upper() for fx in walfile.read_effects(s.dir)]
    assert names == [b"GEOADD", b"GEOSEARCHSTORE", b"GEORADIUS", b"GEOSEARCHSTORE"]
    c.close()
    s.crash_restart()
    c = s.client()
    assert {key: c.zrange(key, 0, -1, withscores=True) for key in before} == before
    c.close()
