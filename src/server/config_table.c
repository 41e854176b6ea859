/*
 * config_table.c - the settings table and the values it describes.
 *
 * One row per setting: name and alias, type (bool, int, memory, enum,
 * string or special), bounds, default as config text, where the value is
 * stored, and what applying it does. Everything else about configuration
 * (config.c: the file parser, the command line, CONFIG GET/SET/REWRITE)
 * works through the index-based functions below, so the table is the one
 * place that knows the shape of a value.
 *
 * Invariants:
 *  - Only this file writes `config`; the rest of the server reads `cfg`.
 *  - Every setting always holds a valid value: a new value is parsed into a
 *    config value first (config__parse) and stored only once it is known to
 *    be good (config__store).
 *  - Defaults are applied by parsing the default text, so a default can
 *    never have a shape the parser would refuse.
 *
 * Callers: config.c only, plus INFO (config_policy_name) and modules reading
 * settings that have no struct field (config_get_int).
 */
#include "server/config.h"

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/resource.h>
#include <unistd.h>

#include "ds/mem.h"
#include "ds/numconv.h"
#include "server/acl.h"
#include "server/client.h"
#include "server/db.h"
#include "server/log.h"
#include "server/server.h"
#include "server/tls.h"
#include "persist/persist.h"

#include "server/config_int.h"

static server_config config;
const server_config *cfg = &config;

/* ---- value representation ------------------------------------------------ */

/* A parsed but not yet stored value. Owns s and list[]. */
typedef struct cval {
    long long n;
    char *s;
    char *list[CONFIG_MAX_BIND];
    int nlist;
    obuf_limit obuf[OBUF_CLASSES];
    int obuf_mask;
} cval;

typedef struct cfg_enum {
    const char *name;
    int val;
} cfg_enum;

/* Special settings supply their own parse / store / format. */
typedef struct cfg_special {
    int (*parse)(int argc, char **argv, cval *v, const char **err);
    void (*store)(int idx, cval *v); /* takes v's allocations */
    char *(*format)(int idx);        /* caller frees */
} cfg_special;

enum { CT_BOOL, CT_INT, CT_MEM, CT_ENUM, CT_STR, CT_SPECIAL };
enum {
    CF_IMMUTABLE = 1 << 0,  /* CONFIG SET refuses it */
    CF_SENSITIVE = 1 << 1,  /* value never logged */
    CF_NOEFFECT = 1 << 2,   /* accepted for compatibility only */
    CF_NULL_EMPTY = 1 << 3, /* string: "" is stored as NULL */
    CF_OCTAL = 1 << 4,      /* int: base 8 */
    CF_PERCENT = 1 << 5,    /* memory: also "N%", stored as -N */
    CF_MULTI = 1 << 6,      /* special: takes any number of arguments */
    CF_PROTECTED = 1 << 7,  /* CONFIG SET refuses it (enable-protected-configs) */
    CF_ALWAYS_REWRITE = 1 << 8,
};

typedef struct cfg_def {
    const char *name, *alias;
    int type;
    int flags;
    long long min, max;
    const char *dflt;
    const cfg_enum *enums;
    long off;  /* offset in server_config, -1: kept in rt[] */
    int width; /* sizeof the field for numeric types */
    const cfg_special *sp;
    int (*apply)(const char **err);
} cfg_def;

/* Storage for settings with no struct field, and per-setting load state. */
typedef struct cfg_rt {
    long long n;
    char *s;
    char *dflt_fmt; /* the default, formatted, for REWRITE */
    int seen;       /* set by the config file or command line */
} cfg_rt;

/* ---- enums ----------------------------------------------------------------- */

static const cfg_enum enum_policy[] = {{"volatile-lru", MAXMEMORY_VOLATILE_LRU},
                                       {"volatile-lfu", MAXMEMORY_VOLATILE_LFU},
                                       {"volatile-random", MAXMEMORY_VOLATILE_RANDOM},
                                       {"volatile-ttl", MAXMEMORY_VOLATILE_TTL},
                                       {"allkeys-lru", MAXMEMORY_ALLKEYS_LRU},
                                       {"allkeys-lfu", MAXMEMORY_ALLKEYS_LFU},
                                       {"allkeys-random", MAXMEMORY_ALLKEYS_RANDOM},
                                       {"noeviction", MAXMEMORY_NOEVICTION},
                                       {NULL, 0}};
static const cfg_enum enum_loglevel[] = {{"debug", LOG_DEBUG},
                                         {"verbose", LOG_VERBOSE},
                                         {"notice", LOG_NOTICE},
                                         {"warning", LOG_WARNING},
                                         {NULL, 0}};
static const cfg_enum enum_log_format[] = {
    {"legacy", LOG_FORMAT_LEGACY}, {"logfmt", LOG_FORMAT_LOGFMT}, {"json", LOG_FORMAT_JSON},
    {"plain", LOG_FORMAT_LEGACY},  {NULL, 0}};
static const cfg_enum enum_log_timestamp[] = {{"legacy", LOG_TIMESTAMP_LEGACY},
                                              {"iso8601", LOG_TIMESTAMP_ISO8601},
                                              {"milliseconds", LOG_TIMESTAMP_MILLISECONDS},
                                              {NULL, 0}};
static const cfg_enum enum_fsync[] = {
    {"everysec", FSYNC_EVERYSEC}, {"always", FSYNC_ALWAYS}, {"no", FSYNC_NO}, {NULL, 0}};
static const cfg_enum enum_protected[] = {{"no", 0}, {"yes", 1}, {"local", 2}, {NULL, 0}};
static const cfg_enum enum_supervised[] = {
    {"upstart", 1}, {"systemd", 2}, {"auto", 3}, {"no", 0}, {NULL, 0}};
static const cfg_enum enum_facility[] = {{"user", 0},   {"local0", 1}, {"local1", 2}, {"local2", 3},
                                         {"local3", 4}, {"local4", 5}, {"local5", 6}, {"local6", 7},
                                         {"local7", 8}, {NULL, 0}};
static const cfg_enum enum_diskless_load[] = {
    {"disabled", 0}, {"on-empty-db", 1}, {"swapdb", 2}, {NULL, 0}};
static const cfg_enum enum_endpoint[] = {
    {"ip", 0}, {"hostname", 1}, {"unknown-endpoint", 2}, {NULL, 0}};
static const cfg_enum enum_propagation[] = {
    {"ignore", 0}, {"panic", 1}, {"panic-on-replicas", 2}, {NULL, 0}};
static const cfg_enum enum_shutdown[] = {{"default", 0}, {"save", 1},  {"nosave", 2},
                                         {"now", 3},     {"force", 4}, {NULL, 0}};
static const cfg_enum enum_oom_adj[] = {
    {"no", 0}, {"yes", 1}, {"relative", 2}, {"absolute", 3}, {NULL, 0}};
static const cfg_enum enum_pubsub_default[] = {{"allchannels", 1}, {"resetchannels", 0}, {NULL, 0}};
static const cfg_enum enum_tls_auth[] = {{"no", 0}, {"yes", 1}, {"optional", 2}, {NULL, 0}};
static const cfg_enum enum_sanitize[] = {{"no", 0}, {"yes", 1}, {"clients", 2}, {NULL, 0}};

/* ---- the table ---------------------------------------------------------------- */

static int apply_hz(const char **err);
static int apply_requirepass(const char **err);
static int apply_acl_pubsub_default(const char **err);
static int apply_appendonly(const char **err);
static int apply_maxclients(const char **err);
static const cfg_special sp_bind, sp_save, sp_obuf, sp_notify, sp_dir, sp_oom_values,
    sp_percentiles, sp_replicaof;

#define FLD(f) (long)offsetof(server_config, f), (int)sizeof(((server_config *)0)->f)
#define RT -1L, 0
#define BOOL(n, a, fl, d, loc)                                                                     \
    { n, a, CT_BOOL, fl, 0, 1, d, NULL, loc, NULL, NULL }
#define BOOLA(n, a, fl, d, loc, ap)                                                                 \
    { n, a, CT_BOOL, fl, 0, 1, d, NULL, loc, NULL, ap }
#define INT(n, a, fl, lo, hi, d, loc, ap)                                                          \
    { n, a, CT_INT, fl, lo, hi, d, NULL, loc, NULL, ap }
#define MEM(n, a, fl, lo, hi, d, loc)                                                              \
    { n, a, CT_MEM, fl, lo, hi, d, NULL, loc, NULL, NULL }
#define ENUM(n, a, fl, e, d, loc)                                                                  \
    { n, a, CT_ENUM, fl, 0, 0, d, e, loc, NULL, NULL }
#define STR(n, a, fl, d, loc)                                                                      \
    { n, a, CT_STR, fl, 0, 0, d, NULL, loc, NULL, NULL }
/* Settings whose apply hook is tls_apply_config(): it rebuilds the TLS context. */
#define TLS_STR(n, fl)                                                                             \
    { n, NULL, CT_STR, fl, 0, 0, "", NULL, RT, NULL, tls_apply_config }
#define TLS_BOOL(n, d)                                                                             \
    { n, NULL, CT_BOOL, 0, 0, 1, d, NULL, RT, NULL, tls_apply_config }
#define SPEC(n, a, fl, d, sp)                                                                      \
    { n, a, CT_SPECIAL, fl, 0, 0, d, NULL, RT, sp, NULL }

#define IMM CF_IMMUTABLE
#define NOE CF_NOEFFECT
#define LMAX LLONG_MAX
#define IMAX INT_MAX

static const cfg_def table[] = {
    /* network */
    INT("port", NULL, IMM, 0, 65535, "6379", FLD(port), NULL),
    SPEC("bind", NULL, IMM | CF_MULTI, "127.0.0.1 -::1", &sp_bind),
    STR("unixsocket", NULL, IMM | CF_NULL_EMPTY, "", FLD(unixsocket)),
    INT("unixsocketperm", NULL, IMM | CF_OCTAL, 0, 0777, "0", FLD(unixsocketperm), NULL),
    INT("tcp-backlog", NULL, IMM, 0, IMAX, "511", FLD(tcp_backlog), NULL),
    INT("tcp-keepalive", NULL, 0, 0, IMAX, "300", FLD(tcp_keepalive), NULL),
    INT("timeout", NULL, 0, 0, IMAX, "0", FLD(timeout), NULL),
    INT("maxclients", NULL, 0, 1, IMAX, "10000", FLD(maxclients), apply_maxclients),
    BOOL("protected-mode", NULL, 0, "yes", FLD(protected_mode)),
    INT("admin-port", NULL, IMM, 0, 65535, "9379", FLD(admin_port), NULL),
    STR("admin-bind", NULL, IMM, "127.0.0.1", FLD(admin_bind)),
    BOOL("admin-tls", NULL, IMM, "no", RT), /* the admin port over TLS (tls-* settings) */
    /* general */
    INT("databases", NULL, IMM, 1, DB_MAX_COUNT, "16", FLD(databases), NULL),
    INT("hz", NULL, 0, 0, IMAX, "10", FLD(hz), apply_hz),
    BOOL("daemonize", NULL, IMM, "no", FLD(daemonize)),
    STR("pidfile", NULL, IMM | CF_NULL_EMPTY, "", FLD(pidfile)),
    STR("logfile", NULL, IMM, "", FLD(logfile)),
    ENUM("loglevel", NULL, 0, enum_loglevel, "notice", FLD(loglevel)),
    ENUM("log-format", NULL, 0, enum_log_format, "legacy", FLD(log_format)),
    ENUM("log-timestamp-format", NULL, 0, enum_log_timestamp, "legacy", FLD(log_timestamp_format)),
    BOOL("syslog-enabled", NULL, IMM, "no", FLD(syslog_enabled)),
    ENUM("syslog-facility", NULL, IMM, enum_facility, "local0", FLD(syslog_facility)),
    STR("syslog-ident", NULL, IMM, "redis", FLD(syslog_ident)),
    SPEC("dir", NULL, CF_PROTECTED | CF_ALWAYS_REWRITE, ".", &sp_dir),
    {"requirepass", NULL, CT_STR, CF_SENSITIVE | CF_NULL_EMPTY, 0, 0, "", NULL, FLD(requirepass),
     NULL, apply_requirepass},
    ENUM("enable-debug-command", NULL, IMM, enum_protected, "no", FLD(enable_debug_command)),
    /* limits */
    MEM("proto-max-bulk-len", NULL, 0, 1024 * 1024, LMAX, "512mb", FLD(proto_max_bulk_len)),
    MEM("client-query-buffer-limit", NULL, 0, 1024 * 1024, LMAX, "1gb",
        FLD(client_query_buffer_limit)),
    INT("proto-max-args", NULL, 0, 1, IMAX, "1048576", FLD(proto_max_args), NULL),
    SPEC("client-output-buffer-limit", NULL, CF_MULTI,
         "normal 0 0 0 replica 256mb 64mb 60 pubsub 32mb 8mb 60", &sp_obuf),
    /* rate limits beyond Redis (ratelimit.c); 0 turns each off */
    INT("maxconn-rate-per-ip", NULL, 0, 0, IMAX, "0", FLD(maxconn_rate_per_ip), NULL),
    INT("maxconn-burst-per-ip", NULL, 0, 0, IMAX, "0", FLD(maxconn_burst_per_ip), NULL),
    INT("max-commands-per-second", NULL, 0, 0, IMAX, "0", FLD(max_commands_per_second), NULL),
    INT("max-commands-burst", NULL, 0, 0, IMAX, "0", FLD(max_commands_burst), NULL),
    INT("auth-failures-before-delay", NULL, 0, 0, IMAX, "0", FLD(auth_failures_before_delay), NULL),
    INT("auth-failure-delay-ms", NULL, 0, 1, 86400000, "1000", FLD(auth_failure_delay_ms), NULL),
    INT("auth-failure-max-delay-ms", NULL, 0, 1, 86400000, "60000", FLD(auth_failure_max_delay_ms),
        NULL),
    /* memory */
    MEM("maxmemory", NULL, 0, 0, LMAX, "0", FLD(maxmemory)),
    ENUM("maxmemory-policy", NULL, 0, enum_policy, "noeviction", FLD(maxmemory_policy)),
    INT("maxmemory-samples", NULL, 0, 1, IMAX, "5", FLD(maxmemory_samples), NULL),
    INT("maxmemory-eviction-tenacity", NULL, 0, 0, 100, "10", FLD(maxmemory_eviction_tenacity),
        NULL),
    INT("lfu-log-factor", NULL, 0, 0, IMAX, "10", FLD(lfu_log_factor), NULL),
    INT("lfu-decay-time", NULL, 0, 0, IMAX, "1", FLD(lfu_decay_time), NULL),
    INT("active-expire-effort", NULL, 0, 1, 10, "1", FLD(active_expire_effort), NULL),
    /* persistence */
    BOOLA("appendonly", NULL, 0, "yes", FLD(appendonly), apply_appendonly),
    ENUM("appendfsync", NULL, 0, enum_fsync, "always", FLD(appendfsync)),
    SPEC("save", NULL, CF_MULTI, "", &sp_save),
    MEM("wal-snapshot-size", NULL, 0, 0, LMAX, "256mb", RT),
    MEM("wal-segment-size", NULL, IMM, 1024 * 1024, 1LL << 32, "64mb", FLD(wal_segment_size)),
    /* observability */
    INT("slowlog-log-slower-than", NULL, 0, -1, LMAX, "10000", FLD(slowlog_log_slower_than), NULL),
    INT("slowlog-max-len", NULL, 0, 0, LMAX, "128", FLD(slowlog_max_len), NULL),
    INT("latency-monitor-threshold", NULL, 0, 0, LMAX, "0", FLD(latency_monitor_threshold), NULL),
    BOOL("latency-tracking", NULL, 0, "yes", FLD(latency_tracking)),
    SPEC("latency-tracking-info-percentiles", NULL, CF_MULTI, "50 99 99.9", &sp_percentiles),
    SPEC("notify-keyspace-events", NULL, 0, "", &sp_notify),

    /* Encoding thresholds of the collection types. */
    INT("hash-max-listpack-entries", "hash-max-ziplist-entries", 0, 0, LMAX, "512", FLD(hash_max_listpack_entries), NULL),
    INT("hash-max-listpack-value", "hash-max-ziplist-value", 0, 0, LMAX, "64", FLD(hash_max_listpack_value), NULL),
    INT("list-max-listpack-size", "list-max-ziplist-size", 0, INT_MIN, IMAX, "-2", FLD(list_max_listpack_size), NULL),
    INT("list-compress-depth", NULL, 0, 0, IMAX, "0", FLD(list_compress_depth), NULL),
    INT("set-max-intset-entries", NULL, 0, 0, LMAX, "512", FLD(set_max_intset_entries), NULL),
    INT("set-max-listpack-entries", NULL, 0, 0, LMAX, "128", FLD(set_max_listpack_entries), NULL),
    INT("set-max-listpack-value", NULL, 0, 0, LMAX, "64", FLD(set_max_listpack_value), NULL),
    INT("zset-max-listpack-entries", "zset-max-ziplist-entries", 0, 0, LMAX, "128", FLD(zset_max_listpack_entries), NULL),
    INT("zset-max-listpack-value", "zset-max-ziplist-value", 0, 0, LMAX, "64", FLD(zset_max_listpack_value), NULL),
    INT("hll-sparse-max-bytes", NULL, 0, 0, LMAX, "3000", RT, NULL),
    MEM("stream-node-max-bytes", NULL, 0, 0, LMAX, "4096", FLD(stream_node_max_bytes)),
    INT("stream-node-max-entries", NULL, 0, 0, LMAX, "100", FLD(stream_node_max_entries), NULL),
    INT("busy-reply-threshold", "lua-time-limit", 0, 0, LMAX, "5000", RT, NULL),
    MEM("lua-memory-limit", NULL, 0, 0, LMAX, "1gb", RT), /* per Lua state; 0: none */

    /* Accepted for compatibility; no effect in PairDB. */
    STR("aclfile", NULL, IMM | CF_NULL_EMPTY, "", FLD(aclfile)),
    INT("acllog-max-len", NULL, 0, 0, LMAX, "128", FLD(acllog_max_len), NULL),
    {"acl-pubsub-default", NULL, CT_ENUM, 0, 0, 0, "resetchannels", enum_pubsub_default,
     FLD(acl_pubsub_default), NULL, apply_acl_pubsub_default},
    BOOL("activedefrag", NULL, NOE, "no", RT),
    INT("active-defrag-cycle-max", NULL, NOE, 1, 99, "25", RT, NULL),
    INT("active-defrag-cycle-min", NULL, NOE, 1, 99, "1", RT, NULL),
    MEM("active-defrag-ignore-bytes", NULL, NOE, 1, LMAX, "100mb", RT),
    INT("active-defrag-max-scan-fields", NULL, NOE, 1, LMAX, "1000", RT, NULL),
    INT("active-defrag-threshold-lower", NULL, NOE, 0, 1000, "10", RT, NULL),
    INT("active-defrag-threshold-upper", NULL, NOE, 0, 1000, "100", RT, NULL),
    BOOL("activerehashing", NULL, NOE, "yes", RT),
    BOOL("always-show-logo", NULL, IMM | NOE, "no", RT),
    BOOL("aof-disable-auto-gc", NULL, NOE, "no", RT),
    BOOL("aof-load-truncated", NULL, NOE, "yes", RT),
    BOOL("aof-rewrite-incremental-fsync", NULL, NOE, "yes", RT),
    BOOL("aof-timestamp-enabled", NULL, NOE, "no", RT),
    BOOL("aof-use-rdb-preamble", NULL, NOE, "yes", RT),
    STR("aof_rewrite_cpulist", NULL, IMM | NOE, "", RT),
    STR("appenddirname", NULL, IMM | NOE, "appendonlydir", RT),
    STR("appendfilename", NULL, IMM | NOE, "appendonly.aof", RT),
    MEM("auto-aof-rewrite-min-size", NULL, NOE, 0, LMAX, "64mb", RT),
    INT("auto-aof-rewrite-percentage", NULL, NOE, 0, IMAX, "100", RT, NULL),
    STR("bgsave_cpulist", NULL, IMM | NOE, "", RT),
    STR("bind-source-addr", NULL, NOE, "", RT),
    STR("bio_cpulist", NULL, IMM | NOE, "", RT),
    BOOL("cluster-allow-pubsubshard-when-down", NULL, NOE, "yes", RT),
    BOOL("cluster-allow-reads-when-down", NULL, NOE, "no", RT),
    BOOL("cluster-allow-replica-migration", NULL, NOE, "yes", RT),
    INT("cluster-announce-bus-port", NULL, NOE, 0, 65535, "0", RT, NULL),
    STR("cluster-announce-hostname", NULL, NOE, "", RT),
    STR("cluster-announce-ip", NULL, NOE, "", RT),
    INT("cluster-announce-port", NULL, NOE, 0, 65535, "0", RT, NULL),
    INT("cluster-announce-tls-port", NULL, NOE, 0, 65535, "0", RT, NULL),
    STR("cluster-config-file", NULL, IMM | NOE, "nodes.conf", RT),
    BOOL("cluster-enabled", NULL, IMM | NOE, "no", RT),
    MEM("cluster-link-sendbuf-limit", NULL, NOE, 0, LMAX, "0", RT),
    INT("cluster-migration-barrier", NULL, NOE, 0, IMAX, "1", RT, NULL),
    INT("cluster-node-timeout", NULL, NOE, 0, LMAX, "15000", RT, NULL),
    INT("cluster-port", NULL, IMM | NOE, 0, 65535, "0", RT, NULL),
    ENUM("cluster-preferred-endpoint-type", NULL, NOE, enum_endpoint, "ip", RT),
    BOOL("cluster-replica-no-failover", "cluster-slave-no-failover", NOE, "no", RT),
    INT("cluster-replica-validity-factor", "cluster-slave-validity-factor", NOE, 0, IMAX, "10", RT,
        NULL),
    BOOL("cluster-require-full-coverage", NULL, NOE, "yes", RT),
    BOOL("crash-log-enabled", NULL, NOE, "yes", RT),
    BOOL("crash-memcheck-enabled", NULL, NOE, "yes", RT),
    STR("dbfilename", NULL, CF_PROTECTED | NOE, "dump.rdb", RT),
    BOOL("disable-thp", NULL, IMM | NOE, "yes", RT),
    BOOL("dynamic-hz", NULL, NOE, "yes", RT),
    ENUM("enable-module-command", NULL, IMM | NOE, enum_protected, "no", RT),
    ENUM("enable-protected-configs", NULL, IMM, enum_protected, "no", FLD(enable_protected_configs)),
    STR("ignore-warnings", NULL, NOE, "", RT),
    INT("io-threads", NULL, IMM | NOE, 1, 128, "1", RT, NULL),
    BOOL("io-threads-do-reads", NULL, IMM | NOE, "no", RT),
    BOOL("jemalloc-bg-thread", NULL, NOE, "yes", RT),
    BOOL("lazyfree-lazy-eviction", NULL, NOE, "no", RT),
    BOOL("lazyfree-lazy-expire", NULL, NOE, "no", RT),
    BOOL("lazyfree-lazy-server-del", NULL, NOE, "no", RT),
    BOOL("lazyfree-lazy-user-del", NULL, NOE, "no", RT),
    BOOL("lazyfree-lazy-user-flush", NULL, NOE, "no", RT),
    STR("locale-collate", NULL, NOE, "", RT),
    STR("masterauth", NULL, NOE | CF_SENSITIVE, "", RT),
    STR("masteruser", NULL, NOE, "", RT),
    {"maxmemory-clients", NULL, CT_MEM, NOE | CF_PERCENT, -100, LMAX, "0", NULL, RT, NULL, NULL},
    INT("min-replicas-max-lag", "min-slaves-max-lag", NOE, 0, IMAX, "10", RT, NULL),
    INT("min-replicas-to-write", "min-slaves-to-write", NOE, 0, IMAX, "0", RT, NULL),
    BOOL("no-appendfsync-on-rewrite", NULL, NOE, "no", RT),
    ENUM("oom-score-adj", NULL, NOE, enum_oom_adj, "no", RT),
    SPEC("oom-score-adj-values", NULL, NOE | CF_MULTI, "0 200 800", &sp_oom_values),
    STR("proc-title-template", NULL, NOE, "{title} {listen-addr} {server-mode}", RT),
    ENUM("propagation-error-behavior", NULL, NOE, enum_propagation, "ignore", RT),
    BOOL("rdb-del-sync-files", NULL, NOE, "no", RT),
    BOOL("rdb-save-incremental-fsync", NULL, NOE, "yes", RT),
    BOOL("rdbchecksum", NULL, NOE, "yes", RT),
    BOOL("rdbcompression", NULL, NOE, "yes", RT),
    MEM("repl-backlog-size", NULL, NOE, 1, LMAX, "1mb", RT),
    INT("repl-backlog-ttl", NULL, NOE, 0, IMAX, "3600", RT, NULL),
    BOOL("repl-disable-tcp-nodelay", NULL, NOE, "no", RT),
    ENUM("repl-diskless-load", NULL, NOE, enum_diskless_load, "disabled", RT),
    BOOL("repl-diskless-sync", NULL, NOE, "yes", RT),
    INT("repl-diskless-sync-delay", NULL, NOE, 0, IMAX, "5", RT, NULL),
    INT("repl-diskless-sync-max-replicas", NULL, NOE, 0, IMAX, "0", RT, NULL),
    INT("repl-ping-replica-period", "repl-ping-slave-period", NOE, 1, IMAX, "10", RT, NULL),
    INT("repl-timeout", NULL, NOE, 1, IMAX, "60", RT, NULL),
    STR("replica-announce-ip", "slave-announce-ip", NOE, "", RT),
    INT("replica-announce-port", "slave-announce-port", NOE, 0, 65535, "0", RT, NULL),
    BOOL("replica-announced", NULL, NOE, "yes", RT),
    BOOL("replica-ignore-disk-write-errors", NULL, NOE, "no", RT),
    BOOL("replica-ignore-maxmemory", "slave-ignore-maxmemory", NOE, "yes", RT),
    BOOL("replica-lazy-flush", "slave-lazy-flush", NOE, "no", RT),
    INT("replica-priority", "slave-priority", NOE, 0, IMAX, "100", RT, NULL),
    BOOL("replica-read-only", "slave-read-only", NOE, "yes", RT),
    BOOL("replica-serve-stale-data", "slave-serve-stale-data", NOE, "yes", RT),
    SPEC("replicaof", "slaveof", IMM | NOE | CF_MULTI, "", &sp_replicaof),
    ENUM("sanitize-dump-payload", NULL, NOE, enum_sanitize, "no", RT),
    STR("server_cpulist", NULL, IMM | NOE, "", RT),
    BOOL("set-proc-title", NULL, IMM | NOE, "yes", RT),
    ENUM("shutdown-on-sigint", NULL, NOE, enum_shutdown, "default", RT),
    ENUM("shutdown-on-sigterm", NULL, NOE, enum_shutdown, "default", RT),
    INT("shutdown-timeout", NULL, NOE, 0, IMAX, "10", RT, NULL),
    INT("socket-mark-id", NULL, NOE, 0, UINT_MAX, "0", RT, NULL),
    BOOL("stop-writes-on-bgsave-error", NULL, NOE, "yes", RT),
    ENUM("supervised", NULL, IMM, enum_supervised, "no", RT),
    {"tls-auth-clients", NULL, CT_ENUM, 0, 0, 0, "yes", enum_tls_auth, RT, NULL, tls_apply_config},
    TLS_STR("tls-ca-cert-dir", 0),
    TLS_STR("tls-ca-cert-file", 0),
    TLS_STR("tls-cert-file", 0),
    TLS_STR("tls-ciphers", 0),
    TLS_STR("tls-ciphersuites", 0),
    STR("tls-client-cert-file", NULL, NOE, "", RT),
    STR("tls-client-key-file", NULL, NOE, "", RT),
    STR("tls-client-key-file-pass", NULL, NOE | CF_SENSITIVE, "", RT),
    BOOL("tls-cluster", NULL, NOE, "no", RT),
    STR("tls-dh-params-file", NULL, NOE, "", RT),
    /* PairDB's own: a peer that has not finished the handshake after this
     * many milliseconds is closed (0: never). */
    INT("tls-handshake-timeout", NULL, 0, 0, IMAX, "10000", RT, NULL),
    TLS_STR("tls-key-file", 0),
    TLS_STR("tls-key-file-pass", CF_SENSITIVE),
    /* Listeners open at start-up only, like port. */
    INT("tls-port", NULL, IMM, 0, 65535, "0", RT, NULL),
    TLS_BOOL("tls-prefer-server-ciphers", "no"),
    TLS_STR("tls-protocols", 0),
    BOOL("tls-replication", NULL, NOE, "no", RT),
    INT("tls-session-cache-size", NULL, 0, 0, IMAX, "20480", RT, tls_apply_config),
    INT("tls-session-cache-timeout", NULL, 0, 0, IMAX, "300", RT, tls_apply_config),
    TLS_BOOL("tls-session-caching", "yes"),
    INT("tracking-table-max-keys", NULL, NOE, 0, LMAX, "1000000", RT, NULL),
};

#define NCFG ((int)(sizeof(table) / sizeof(table[0])))
static cfg_rt rt[NCFG];

static int initialised;
static int loading;     /* parsing the config file / command line */
static int save_loaded; /* the first "save" line of a load resets the list */
static int sandbox;     /* fuzzing: no chdir, no includes, no rlimit changes */

/* ---- small helpers ------------------------------------------------------------- */

static void *field(const cfg_def *d) {
    return (char *)&config + d->off;
}

static long long get_num(int i) {
    const cfg_def *d = &table[i];
    if (d->off < 0) return rt[i].n;
    if (d->width == (int)sizeof(int)) return *(int *)field(d);
    return *(long long *)field(d);
}

static void set_num(int i, long long v) {
    const cfg_def *d = &table[i];
    if (d->off < 0)
        rt[i].n = v;
    else if (d->width == (int)sizeof(int))
        *(int *)field(d) = (int)v;
    else
        *(long long *)field(d) = v;
}

static char **str_slot(int i) {
    const cfg_def *d = &table[i];
    return d->off < 0 ? &rt[i].s : (char **)field(d);
}

/* Name lookup is on every CONFIG GET/SET argument, so names and aliases are
 * indexed in a small open-addressing table (case-insensitive FNV-1a). */
#define NAME_SLOTS 1024
static short name_index[NAME_SLOTS]; /* entry index + 1, 0 = empty */

static unsigned name_hash(const char *s) {
    unsigned h = 2166136261u;
    for (; *s; s++) {
        h ^= (unsigned char)tolower((unsigned char)*s);
        h *= 16777619u;
    }
    return h;
}

static void name_index_add(const char *name, int i) {
    unsigned h = name_hash(name) % NAME_SLOTS;
    while (name_index[h])
        h = (h + 1) % NAME_SLOTS;
    name_index[h] = (short)(i + 1);
}

static void name_index_build(void) {
    _Static_assert(NCFG * 2 < NAME_SLOTS / 2, "name index too small");
    memset(name_index, 0, sizeof(name_index));
    for (int i = 0; i < NCFG; i++) {
        name_index_add(table[i].name, i);
        if (table[i].alias) name_index_add(table[i].alias, i);
    }
}

static int find_cfg(const char *name) {
    for (unsigned h = name_hash(name) % NAME_SLOTS; name_index[h]; h = (h + 1) % NAME_SLOTS) {
        int i = name_index[h] - 1;
        if (!strcasecmp(table[i].name, name) ||
            (table[i].alias && !strcasecmp(table[i].alias, name)))
            return i;
    }
    return -1;
}

static void cval_free(cval *v) {
    mem_free(v->s);
    for (int i = 0; i < v->nlist; i++)
        mem_free(v->list[i]);
    memset(v, 0, sizeof(*v));
}

char *xprintf(const char *fmt, ...) {
    va_list ap;
    if (!fmt) return mem_strdup(""); /* unreachable; keeps gcc's -Wformat quiet under UBSan */
    va_start(ap, fmt);
    char probe[1];
    int n = vsnprintf(probe, sizeof(probe), fmt, ap);
    va_end(ap);
    char *s = mem_alloc((size_t)n + 1);
    va_start(ap, fmt);
    vsnprintf(s, (size_t)n + 1, fmt, ap);
    va_end(ap);
    return s;
}

void sb_cat_len(sbuf *b, const char *s, size_t n) {
    if (b->len + n + 1 > b->cap) {
        size_t cap = b->cap ? b->cap : 64;
        while (cap < b->len + n + 1)
            cap *= 2;
        b->p = mem_realloc(b->p, cap);
        b->cap = cap;
    }
    memcpy(b->p + b->len, s, n);
    b->len += n;
    b->p[b->len] = '\0';
}

void sb_cat(sbuf *b, const char *s) {
    sb_cat_len(b, s, strlen(s));
}

/* Appends s as a double-quoted string with escapes, as config files quote. */
void sb_cat_repr(sbuf *b, const char *s, size_t n) {
    sb_cat_len(b, "\"", 1);
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        char tmp[8];
        switch (c) {
        case '\\':
            sb_cat(b, "\\\\");
            break;
        case '"':
            sb_cat(b, "\\\"");
            break;
        case '\n':
            sb_cat(b, "\\n");
            break;
        case '\r':
            sb_cat(b, "\\r");
            break;
        case '\t':
            sb_cat(b, "\\t");
            break;
        case '\a':
            sb_cat(b, "\\a");
            break;
        case '\b':
            sb_cat(b, "\\b");
            break;
        default:
            if (isprint(c)) {
                sb_cat_len(b, (const char *)&c, 1);
            } else {
                snprintf(tmp, sizeof(tmp), "\\x%02x", c);
                sb_cat(b, tmp);
            }
        }
    }
    sb_cat_len(b, "\"", 1);
}

/* ---- scalar parsers ------------------------------------------------------------ */

/* Strict decimal integer: optional '-', no '+', no leading zeros, no spaces. */
static int parse_ll_strict(const char *s, long long *out) {
    return numconv_str2ll(s, strlen(s), out) ? 0 : -1;
}

/* Memory value: digits then an optional unit b, k, kb, m, mb, g, gb (any case);
 * k/m/g are powers of 1000, kb/mb/gb powers of 1024. As in Redis, no digits
 * at all reads as 0. Sets *err on failure. */
long long config_parse_memory(const char *s, int *err) {
    static const struct {
        const char *u;
        long long mul;
    } units[] = {{"", 1},
                 {"b", 1},
                 {"k", 1000},
                 {"kb", 1024},
                 {"m", 1000 * 1000},
                 {"mb", 1024 * 1024},
                 {"g", 1000LL * 1000 * 1000},
                 {"gb", 1024LL * 1024 * 1024}};
    const char *u = s;
    *err = 0;
    while (*u >= '0' && *u <= '9')
        u++;
    long long mul = 0;
    for (size_t i = 0; i < sizeof(units) / sizeof(units[0]); i++) {
        if (!strcasecmp(u, units[i].u)) {
            mul = units[i].mul;
            break;
        }
    }
    if (mul == 0 || u - s > 40) {
        *err = 1;
        return 0;
    }
    unsigned long long v = 0;
    for (const char *p = s; p < u; p++) {
        unsigned d = (unsigned)(*p - '0');
        if (v > (ULLONG_MAX - d) / 10) {
            *err = 1;
            return 0;
        }
        v = v * 10 + d;
    }
    if (v > (unsigned long long)LLONG_MAX / (unsigned long long)mul) {
        *err = 1;
        return 0;
    }
    return (long long)v * mul;
}

static int parse_bool(const char *s) {
    if (!strcasecmp(s, "yes")) return 1;
    if (!strcasecmp(s, "no")) return 0;
    return -1;
}

/* Error texts must outlive the call: Redis's fixed texts are literals and
 * the few formatted ones go to this buffer. */
static char errbuf[512];

static int parse_enum(const cfg_def *d, const char *s, long long *out, const char **err) {
    for (const cfg_enum *e = d->enums; e->name; e++) {
        if (!strcasecmp(e->name, s)) {
            *out = e->val;
            return 0;
        }
    }
    size_t n =
        (size_t)snprintf(errbuf, sizeof(errbuf), "argument(s) must be one of the following: ");
    for (const cfg_enum *e = d->enums; e->name && n < sizeof(errbuf); e++)
        n += (size_t)snprintf(errbuf + n, sizeof(errbuf) - n, "%s%s", e->name,
                              e[1].name ? ", " : "");
    *err = errbuf;
    return -1;
}

static const char *enum_name(const cfg_def *d, long long v) {
    for (const cfg_enum *e = d->enums; e->name; e++)
        if (e->val == v) return e->name;
    return "";
}

static int parse_number(const cfg_def *d, const char *s, long long *out, const char **err) {
    long long v = 0;
    int ok = 0;
    if (d->type == CT_MEM) {
        int merr;
        v = config_parse_memory(s, &merr);
        ok = !merr;
        size_t len = strlen(s);
        if (!ok && (d->flags & CF_PERCENT) && len > 1 && s[len - 1] == '%') {
            char tmp[32];
            if (len < sizeof(tmp)) {
                memcpy(tmp, s, len - 1);
                tmp[len - 1] = '\0';
                if (parse_ll_strict(tmp, &v) == 0 && v >= 0) {
                    v = -v;
                    ok = 1;
                }
            }
        }
        if (!ok) {
            *err = (d->flags & CF_PERCENT) ? "argument must be a memory or percent value"
                                           : "argument must be a memory value";
            return -1;
        }
    } else if (d->flags & CF_OCTAL) {
        char *end;
        errno = 0;
        v = strtoll(s, &end, 8);
        ok = *s && errno == 0 && *end == '\0';
    } else {
        ok = parse_ll_strict(s, &v) == 0;
    }
    if (!ok) {
        *err = "argument couldn't be parsed into an integer";
        return -1;
    }
    if (v < d->min || v > d->max) {
        if ((d->flags & CF_PERCENT) && v < 0)
            snprintf(errbuf, sizeof(errbuf),
                     "percent argument must be between 0 and %lld"
                     " inclusive",
                     -d->min);
        else
            snprintf(errbuf, sizeof(errbuf), "argument must be between %lld and %lld inclusive",
                     d->min, d->max);
        *err = errbuf;
        return -1;
    }
    *out = v;
    return 0;
}

/* ---- generic parse / store / format ------------------------------------------ */

/* Parses argv (the arguments after the name) into v. 0 or -1 with *err. */
static int cfg_parse(int i, int argc, char **argv, cval *v, const char **err) {
    const cfg_def *d = &table[i];
    memset(v, 0, sizeof(*v));
    if (d->type == CT_SPECIAL) return d->sp->parse(argc, argv, v, err);
    if (argc != 1) {
        *err = "wrong number of arguments";
        return -1;
    }
    switch (d->type) {
    case CT_BOOL: {
        int b = parse_bool(argv[0]);
        if (b < 0) {
            *err = "argument must be 'yes' or 'no'";
            return -1;
        }
        v->n = b;
        return 0;
    }
    case CT_INT:
    case CT_MEM:
        return parse_number(d, argv[0], &v->n, err);
    case CT_ENUM:
        return parse_enum(d, argv[0], &v->n, err);
    case CT_STR:
        v->s = mem_strdup(argv[0]);
        return 0;
    }
    *err = "internal error";
    return -1;
}

static void cfg_store(int i, cval *v) {
    const cfg_def *d = &table[i];
    if (d->type == CT_SPECIAL) {
        d->sp->store(i, v);
    } else if (d->type == CT_STR) {
        char **slot = str_slot(i);
        mem_free(*slot);
        if ((d->flags & CF_NULL_EMPTY) && v->s[0] == '\0') {
            mem_free(v->s);
            *slot = NULL;
        } else {
            *slot = v->s;
        }
        v->s = NULL;
    } else {
        set_num(i, v->n);
    }
    cval_free(v);
}

/* The value as CONFIG GET shows it; caller frees. */
static char *cfg_format(int i) {
    const cfg_def *d = &table[i];
    long long n;
    switch (d->type) {
    case CT_BOOL:
        return mem_strdup(get_num(i) ? "yes" : "no");
    case CT_INT:
        n = get_num(i);
        return (d->flags & CF_OCTAL) ? xprintf("%llo", (unsigned long long)n) : xprintf("%lld", n);
    case CT_MEM:
        n = get_num(i);
        return n < 0 ? xprintf("%lld%%", -n) : xprintf("%lld", n);
    case CT_ENUM:
        return mem_strdup(enum_name(d, get_num(i)));
    case CT_STR: {
        char *s = *str_slot(i);
        return mem_strdup(s ? s : "");
    }
    case CT_SPECIAL:
        return d->sp->format(i);
    }
    return mem_strdup("");
}

/* ---- apply hooks ------------------------------------------------------------------ */

/* At start-up recovery opens the log; at run time the persistence layer
 * switches it (a snapshot first when it comes on). */
static int apply_appendonly(const char **err) {
    if (!server_loop()) return 0;
    return persist_set_appendonly(config.appendonly, err);
}

static int apply_hz(const char **err) {
    (void)err;
    if (config.hz < 1) config.hz = 1;
    if (config.hz > 500) config.hz = 500;
    return 0;
}

/* requirepass is the default user's only password (or nopass when empty). */
static int apply_requirepass(const char **err) {
    (void)err;
    acl_set_requirepass(config.requirepass);
    return 0;
}

static int apply_acl_pubsub_default(const char **err) {
    (void)err;
    acl_set_pubsub_default(config.acl_pubsub_default);
    return 0;
}

/* Each client needs a descriptor; keep room for listeners, logs and files. */
#define CONFIG_RESERVED_FDS 32

static int apply_maxclients(const char **err) {
    /* At startup main() fits the limit (or maxclients) itself. */
    if (sandbox || loading) return 0;
    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl) != 0) return 0;
    rlim_t want = (rlim_t)config.maxclients + CONFIG_RESERVED_FDS;
    if (rl.rlim_cur != RLIM_INFINITY && rl.rlim_cur < want) {
        struct rlimit nl = rl;
        nl.rlim_cur = want;
        if (rl.rlim_max != RLIM_INFINITY && nl.rlim_cur > rl.rlim_max) nl.rlim_cur = rl.rlim_max;
        if (setrlimit(RLIMIT_NOFILE, &nl) == 0) rl = nl;
        if (rl.rlim_cur < want) {
            long long room = (long long)rl.rlim_cur - CONFIG_RESERVED_FDS;
            if (room < 1) room = 1;
            snprintf(errbuf, sizeof(errbuf),
                     "The operating system is not able to handle the specified number of "
                     "clients, try with %lld",
                     room);
            *err = errbuf;
            return -1;
        }
    }
    return 0;
}

/* ---- special settings ------------------------------------------------------------ */

/* bind: up to CONFIG_MAX_BIND addresses; a single "" means none. */
static int bind_parse(int argc, char **argv, cval *v, const char **err) {
    if (argc == 1 && argv[0][0] == '\0') argc = 0;
    if (argc > CONFIG_MAX_BIND) {
        *err = "Too many bind addresses specified.";
        return -1;
    }
    for (int j = 0; j < argc; j++)
        v->list[v->nlist++] = mem_strdup(argv[j]);
    return 0;
}

static void bind_store(int idx, cval *v) {
    (void)idx;
    for (int j = 0; j < config.bind_count; j++)
        mem_free(config.bind[j]);
    for (int j = 0; j < v->nlist; j++)
        config.bind[j] = v->list[j];
    config.bind_count = v->nlist;
    v->nlist = 0;
}

static char *bind_format(int idx) {
    (void)idx;
    sbuf b = {0};
    sb_cat(&b, "");
    for (int j = 0; j < config.bind_count; j++) {
        if (j) sb_cat(&b, " ");
        sb_cat(&b, config.bind[j]);
    }
    return b.p;
}

/* save: "<seconds> <changes>" pairs, normalised; "" turns snapshots off. */
static int save_parse(int argc, char **argv, cval *v, const char **err) {
    if (argc == 1 && argv[0][0] == '\0') argc = 0;
    if (argc & 1) {
        *err = "Invalid save parameters";
        return -1;
    }
    sbuf b = {0};
    sb_cat(&b, "");
    for (int j = 0; j < argc; j++) {
        long long n;
        if (parse_ll_strict(argv[j], &n) != 0 || (!(j & 1) && n < 1) || ((j & 1) && n < 0) ||
            n > INT_MAX) {
            mem_free(b.p);
            *err = "Invalid save parameters";
            return -1;
        }
        char tmp[32];
        snprintf(tmp, sizeof(tmp), "%s%lld", j ? " " : "", n);
        sb_cat(&b, tmp);
    }
    v->s = b.p;
    v->n = argc; /* "save ''" has no pairs and always resets */
    return 0;
}

static void save_store(int idx, cval *v) {
    (void)idx;
    /* In a config file, successive save lines add to the list; the first one
     * of the load replaces the default, and an empty one clears it. */
    if (loading && save_loaded && v->n > 0 && config.save && config.save[0]) {
        char *joined = xprintf("%s %s", config.save, v->s);
        mem_free(config.save);
        config.save = joined;
    } else {
        mem_free(config.save);
        config.save = v->s;
        v->s = NULL;
    }
    if (loading) save_loaded = 1;
}

static char *save_format(int idx) {
    (void)idx;
    return mem_strdup(config.save ? config.save : "");
}

/* client-output-buffer-limit: <class> <hard> <soft> <soft-seconds> groups. */
static int obuf_class(const char *s) {
    if (!strcasecmp(s, "normal")) return OBUF_NORMAL;
    if (!strcasecmp(s, "replica") || !strcasecmp(s, "slave")) return OBUF_REPLICA;
    if (!strcasecmp(s, "pubsub")) return OBUF_PUBSUB;
    return -1;
}

static int obuf_parse(int argc, char **argv, cval *v, const char **err) {
    if (argc == 1 && argv[0][0] == '\0') argc = 0;
    if (argc % 4) {
        *err = "Wrong number of arguments in buffer limit configuration.";
        return -1;
    }
    for (int j = 0; j < argc; j += 4) {
        int cls = obuf_class(argv[j]);
        if (cls < 0) {
            *err = "Invalid client class specified in buffer limit configuration.";
            return -1;
        }
        int e1, e2;
        long long hard = config_parse_memory(argv[j + 1], &e1);
        long long soft = config_parse_memory(argv[j + 2], &e2);
        long long secs;
        if (e1 || e2 || parse_ll_strict(argv[j + 3], &secs) != 0 || secs < 0) {
            *err = "Error in hard, soft or soft_seconds setting in buffer limit configuration.";
            return -1;
        }
        v->obuf[cls].hard = hard;
        v->obuf[cls].soft = soft;
        v->obuf[cls].soft_seconds = secs;
        v->obuf_mask |= 1 << cls;
    }
    return 0;
}

static void obuf_store(int idx, cval *v) {
    (void)idx;
    for (int k = 0; k < OBUF_CLASSES; k++)
        if (v->obuf_mask & (1 << k)) config.obuf[k] = v->obuf[k];
}

static const char *const obuf_names[OBUF_CLASSES] = {"normal", "slave", "pubsub"};

static char *obuf_format(int idx) {
    (void)idx;
    const obuf_limit *o = config.obuf;
    return xprintf("%s %lld %lld %lld %s %lld %lld %lld %s %lld %lld %lld", obuf_names[0],
                   o[0].hard, o[0].soft, o[0].soft_seconds, obuf_names[1], o[1].hard, o[1].soft,
                   o[1].soft_seconds, obuf_names[2], o[2].hard, o[2].soft, o[2].soft_seconds);
}

/* notify-keyspace-events: class letters. */
#define NOTIFY_ALL_CLASSES                                                                         \
    (NOTIFY_GENERIC | NOTIFY_STRING | NOTIFY_LIST | NOTIFY_SET | NOTIFY_HASH | NOTIFY_ZSET |       \
     NOTIFY_EXPIRED | NOTIFY_EVICTED | NOTIFY_STREAM | NOTIFY_MODULE)

static int notify_parse_flags(const char *s) {
    int flags = 0;
    for (; *s; s++) {
        switch (*s) {
        case 'A':
            flags |= NOTIFY_ALL_CLASSES;
            break;
        case 'g':
            flags |= NOTIFY_GENERIC;
            break;
        case '$':
            flags |= NOTIFY_STRING;
            break;
        case 'l':
            flags |= NOTIFY_LIST;
            break;
        case 's':
            flags |= NOTIFY_SET;
            break;
        case 'h':
            flags |= NOTIFY_HASH;
            break;
        case 'z':
            flags |= NOTIFY_ZSET;
            break;
        case 'x':
            flags |= NOTIFY_EXPIRED;
            break;
        case 'e':
            flags |= NOTIFY_EVICTED;
            break;
        case 'K':
            flags |= NOTIFY_KEYSPACE;
            break;
        case 'E':
            flags |= NOTIFY_KEYEVENT;
            break;
        case 't':
            flags |= NOTIFY_STREAM;
            break;
        case 'm':
            flags |= NOTIFY_KEY_MISS;
            break;
        case 'd':
            flags |= NOTIFY_MODULE;
            break;
        case 'n':
            flags |= NOTIFY_NEW;
            break;
        default:
            return -1;
        }
    }
    return flags;
}

static char *notify_flags_string(int flags) {
    static const struct {
        int bit;
        char c;
    } order[] = {{NOTIFY_GENERIC, 'g'}, {NOTIFY_STRING, '$'},  {NOTIFY_LIST, 'l'},
                 {NOTIFY_SET, 's'},     {NOTIFY_HASH, 'h'},    {NOTIFY_ZSET, 'z'},
                 {NOTIFY_EXPIRED, 'x'}, {NOTIFY_EVICTED, 'e'}, {NOTIFY_STREAM, 't'},
                 {NOTIFY_MODULE, 'd'},  {NOTIFY_NEW, 'n'}};
    char buf[32];
    size_t n = 0;
    if ((flags & NOTIFY_ALL_CLASSES) == NOTIFY_ALL_CLASSES) {
        buf[n++] = 'A';
    } else {
        for (size_t k = 0; k < sizeof(order) / sizeof(order[0]); k++)
            if (flags & order[k].bit) buf[n++] = order[k].c;
    }
    if (flags & NOTIFY_KEYSPACE) buf[n++] = 'K';
    if (flags & NOTIFY_KEYEVENT) buf[n++] = 'E';
    if (flags & NOTIFY_KEY_MISS) buf[n++] = 'm';
    buf[n] = '\0';
    return mem_strdup(buf);
}

static int notify_parse(int argc, char **argv, cval *v, const char **err) {
    if (argc != 1) {
        *err = "wrong number of arguments";
        return -1;
    }
    int flags = notify_parse_flags(argv[0]);
    if (flags < 0) {
        *err = "Invalid event class character. Use 'Ag$lshzxeKEtmdn'.";
        return -1;
    }
    v->n = flags;
    return 0;
}

static void notify_store(int idx, cval *v) {
    (void)idx;
    config.notify_keyspace_events = (int)v->n;
    mem_free(config.notify_keyspace_events_str);
    config.notify_keyspace_events_str = notify_flags_string((int)v->n);
}

static char *notify_format(int idx) {
    (void)idx;
    return notify_flags_string(config.notify_keyspace_events);
}

/* dir: changes the working directory when stored; GET shows the real cwd. */
static int dir_parse(int argc, char **argv, cval *v, const char **err) {
    if (argc != 1) {
        *err = "wrong number of arguments";
        return -1;
    }
    if (!sandbox && chdir(argv[0]) != 0) {
        snprintf(errbuf, sizeof(errbuf), "%s", strerror(errno));
        *err = errbuf;
        return -1;
    }
    v->s = mem_strdup(argv[0]);
    return 0;
}

static void dir_store(int idx, cval *v) {
    (void)idx;
    char cwd[PATH_MAX];
    mem_free(config.dir);
    if (!sandbox && getcwd(cwd, sizeof(cwd))) {
        config.dir = mem_strdup(cwd);
    } else {
        config.dir = v->s;
        v->s = NULL;
    }
}

static char *dir_format(int idx) {
    (void)idx;
    char cwd[PATH_MAX];
    if (!sandbox && getcwd(cwd, sizeof(cwd))) return mem_strdup(cwd);
    return mem_strdup(config.dir ? config.dir : "");
}

/* Compatibility-only multi-argument settings keep a normalised string. */
static void rt_string_store(int idx, cval *v) {
    mem_free(rt[idx].s);
    rt[idx].s = v->s;
    v->s = NULL;
}

static char *rt_string_format(int idx) {
    return mem_strdup(rt[idx].s ? rt[idx].s : "");
}

static char *join_args(int argc, char **argv) {
    sbuf b = {0};
    sb_cat(&b, "");
    for (int j = 0; j < argc; j++) {
        if (j) sb_cat(&b, " ");
        sb_cat(&b, argv[j]);
    }
    return b.p;
}

static int oom_values_parse(int argc, char **argv, cval *v, const char **err) {
    if (argc != 3) {
        *err = "wrong number of arguments";
        return -1;
    }
    for (int j = 0; j < 3; j++) {
        long long n;
        if (parse_ll_strict(argv[j], &n) != 0 || n < -2000 || n > 2000) {
            *err = "Invalid oom-score-adj-values, elements must be between -2000 and 2000.";
            return -1;
        }
    }
    v->s = join_args(argc, argv);
    return 0;
}

static int percentiles_parse(int argc, char **argv, cval *v, const char **err) {
    if (argc == 1 && argv[0][0] == '\0') argc = 0;
    for (int j = 0; j < argc; j++) {
        char *end;
        errno = 0;
        double p = strtod(argv[j], &end);
        if (!argv[j][0] || *end || errno) {
            *err = "latency-tracking-info-percentiles parameters should be a list of numbers";
            return -1;
        }
        if (!(p >= 0.0 && p <= 100.0)) {
            *err = "latency-tracking-info-percentiles parameters should sit between [0.0,100.0]";
            return -1;
        }
    }
    v->s = join_args(argc, argv);
    return 0;
}

static int replicaof_parse(int argc, char **argv, cval *v, const char **err) {
    if (argc == 1 && argv[0][0] == '\0') argc = 0;
    if (argc == 2 && !strcasecmp(argv[0], "no") && !strcasecmp(argv[1], "one")) argc = 0;
    if (argc != 0 && argc != 2) {
        *err = "wrong number of arguments";
        return -1;
    }
    if (argc == 2) {
        long long port;
        if (parse_ll_strict(argv[1], &port) != 0 || port < 0 || port > 65535) {
            *err = "Invalid master port";
            return -1;
        }
    }
    v->s = join_args(argc, argv);
    return 0;
}

static const cfg_special sp_bind = {bind_parse, bind_store, bind_format};
static const cfg_special sp_save = {save_parse, save_store, save_format};
static const cfg_special sp_obuf = {obuf_parse, obuf_store, obuf_format};
static const cfg_special sp_notify = {notify_parse, notify_store, notify_format};
static const cfg_special sp_dir = {dir_parse, dir_store, dir_format};
static const cfg_special sp_oom_values = {oom_values_parse, rt_string_store, rt_string_format};
static const cfg_special sp_percentiles = {percentiles_parse, rt_string_store, rt_string_format};
static const cfg_special sp_replicaof = {replicaof_parse, rt_string_store, rt_string_format};

/* Splits on single spaces, as CONFIG SET does for multi-argument values;
 * "" gives no arguments. */
void config__split_spaces(const char *s, char ***argv_out, int *argc_out) {
    int argc = 0, cap = 4;
    char **argv = mem_alloc(sizeof(char *) * (size_t)cap);
    if (*s) {
        const char *p = s;
        for (;;) {
            const char *sp = strchr(p, ' ');
            size_t n = sp ? (size_t)(sp - p) : strlen(p);
            if (argc + 1 >= cap) {
                cap *= 2;
                argv = mem_realloc(argv, sizeof(char *) * (size_t)cap);
            }
            char *a = mem_alloc(n + 1);
            memcpy(a, p, n);
            a[n] = '\0';
            argv[argc++] = a;
            if (!sp) break;
            p = sp + 1;
        }
    }
    argv[argc] = NULL;
    *argv_out = argv;
    *argc_out = argc;
}

/* ---- defaults -------------------------------------------------------------------- */

static void set_defaults(void) {
    int saved_sandbox = sandbox;
    name_index_build();
    sandbox = 1; /* defaults never chdir or touch limits */
    for (int i = 0; i < NCFG; i++) {
        char **argv;
        int argc;
        const char *err = NULL;
        cval v;
        if (table[i].type == CT_SPECIAL && (table[i].flags & CF_MULTI))
            config__split_spaces(table[i].dflt, &argv, &argc);
        else {
            argv = mem_alloc(sizeof(char *) * 2);
            argv[0] = mem_strdup(table[i].dflt);
            argv[1] = NULL;
            argc = 1;
        }
        if (cfg_parse(i, argc, argv, &v, &err) != 0) {
            fprintf(stderr, "bad built-in default for '%s': %s\n", table[i].name, err);
            abort();
        }
        cfg_store(i, &v);
        config_free_args(argv, argc);
        rt[i].seen = 0;
    }
    for (int i = 0; i < NCFG; i++) {
        mem_free(rt[i].dflt_fmt);
        rt[i].dflt_fmt = cfg_format(i);
    }
    sandbox = saved_sandbox;
    initialised = 1;
}

static void ensure_init(void) {
    if (!initialised) set_defaults();
}

void config_free(void) {
    if (!initialised) return;
    for (int j = 0; j < config.bind_count; j++)
        mem_free(config.bind[j]);
    mem_free(config.unixsocket);
    mem_free(config.admin_bind);
    mem_free(config.pidfile);
    mem_free(config.logfile);
    mem_free(config.syslog_ident);
    mem_free(config.dir);
    mem_free(config.requirepass);
    mem_free(config.aclfile);
    mem_free(config.config_file);
    mem_free(config.save);
    mem_free(config.notify_keyspace_events_str);
    for (int i = 0; i < NCFG; i++) {
        mem_free(rt[i].s);
        mem_free(rt[i].dflt_fmt);
    }
    memset(&config, 0, sizeof(config));
    memset(rt, 0, sizeof(rt));
    initialised = 0;
}

void config__set_sandbox(int on) {
    sandbox = on;
}

long long config_get_int(const char *name) {
    ensure_init();
    int i = find_cfg(name);
    if (i < 0) return -1;
    int t = table[i].type;
    if (t == CT_BOOL || t == CT_INT || t == CT_MEM || t == CT_ENUM) return get_num(i);
    return -1;
}

const char *config_get_string(const char *name) {
    ensure_init();
    int i = find_cfg(name);
    if (i < 0) return NULL;
    if (table[i].type == CT_STR) return *str_slot(i);
    if (table[i].type == CT_SPECIAL && table[i].off < 0) return rt[i].s;
    return NULL;
}

/* ---- INFO helpers ------------------------------------------------------------------ */

const char *config_policy_name(int policy) {
    for (const cfg_enum *e = enum_policy; e->name; e++)
        if (e->val == policy) return e->name;
    return "unknown";
}

/* ---- CONFIG REWRITE ---------------------------------------------------------------- */

static void format_memory_unit(char *buf, size_t len, long long v) {
    const long long gb = 1024LL * 1024 * 1024, mb = 1024 * 1024, kb = 1024;
    if (v > 0 && v % gb == 0)
        snprintf(buf, len, "%lldgb", v / gb);
    else if (v > 0 && v % mb == 0)
        snprintf(buf, len, "%lldmb", v / mb);
    else if (v > 0 && v % kb == 0)
        snprintf(buf, len, "%lldkb", v / kb);
    else
        snprintf(buf, len, "%lld", v);
}

static const obuf_limit obuf_defaults[OBUF_CLASSES] = {
    {0, 0, 0}, {256LL << 20, 64LL << 20, 60}, {32LL << 20, 8LL << 20, 60}};

/* The config-file line(s) for setting i, appended to b (each ends with \n).
 * all: also lines equal to the default (for obuf classes). */
static void rewrite_lines(int i, sbuf *b, int all) {
    const cfg_def *d = &table[i];
    char num[64];
    sb_cat(b, d->name);
    sb_cat(b, " ");
    if (d->type == CT_STR || (d->type == CT_SPECIAL && (d->sp == &sp_dir || d->sp == &sp_notify))) {
        char *s = cfg_format(i);
        sb_cat_repr(b, s, strlen(s));
        mem_free(s);
    } else if (d->type == CT_MEM) {
        long long v = get_num(i);
        if (v < 0)
            snprintf(num, sizeof(num), "%lld%%", -v);
        else
            format_memory_unit(num, sizeof(num), v);
        sb_cat(b, num);
    } else if (d->type == CT_SPECIAL && d->sp == &sp_save) {
        if (!config.save || !config.save[0]) {
            sb_cat(b, "\"\"");
        } else {
            /* One "save <secs> <changes>" line per pair. */
            char **argv;
            int argc;
            config__split_spaces(config.save, &argv, &argc);
            for (int j = 0; j + 1 < argc; j += 2) {
                if (j) sb_cat(b, "\nsave ");
                sb_cat(b, argv[j]);
                sb_cat(b, " ");
                sb_cat(b, argv[j + 1]);
            }
            config_free_args(argv, argc);
        }
    } else if (d->type == CT_SPECIAL && d->sp == &sp_obuf) {
        b->len -= strlen(d->name) + 1;
        b->p[b->len] = '\0';
        for (int k = 0; k < OBUF_CLASSES; k++) {
            const obuf_limit *o = &config.obuf[k], *df = &obuf_defaults[k];
            if (!all && o->hard == df->hard && o->soft == df->soft &&
                o->soft_seconds == df->soft_seconds)
                continue;
            char h[32], s[32];
            format_memory_unit(h, sizeof(h), o->hard);
            format_memory_unit(s, sizeof(s), o->soft);
            snprintf(num, sizeof(num), " %lld\n", o->soft_seconds);
            sb_cat(b, d->name);
            sb_cat(b, " ");
            sb_cat(b, obuf_names[k]);
            sb_cat(b, " ");
            sb_cat(b, h);
            sb_cat(b, " ");
            sb_cat(b, s);
            sb_cat(b, num);
        }
        return;
    } else {
        char *s = cfg_format(i);
        if (d->type == CT_SPECIAL && !s[0])
            sb_cat(b, "\"\"");
        else
            sb_cat(b, s);
        mem_free(s);
    }
    sb_cat(b, "\n");
}

static int differs_from_default(int i) {
    if (table[i].flags & CF_ALWAYS_REWRITE) return 1;
    char *s = cfg_format(i);
    int diff = strcmp(s, rt[i].dflt_fmt) != 0;
    mem_free(s);
    return diff;
}

/* ---- the interface config.c works through ----------------------------------------- */

void config_free_args(char **argv, int argc) {
    if (!argv) return;
    for (int j = 0; j < argc; j++)
        mem_free(argv[j]);
    mem_free(argv);
}

int config__count(void) {
    return NCFG;
}

int config__find(const char *name) {
    ensure_init();
    return find_cfg(name);
}

int config__is_sensitive(int i) {
    return (table[i].flags & CF_SENSITIVE) != 0;
}

const char *config__name(int i) {
    return table[i].name;
}

const char *config__alias(int i) {
    return table[i].alias;
}

const char *config__set_refusal(int i, int local) {
    if (table[i].flags & CF_IMMUTABLE) return "can't set immutable config";
    int allowed = config.enable_protected_configs == 1 || (config.enable_protected_configs == 2 && local);
    if ((table[i].flags & CF_PROTECTED) && !allowed) return "can't set protected config";
    return NULL;
}

int config__is_multi(int i) {
    return (table[i].flags & CF_MULTI) != 0;
}

int config__parse(int i, int argc, char **argv, struct cval **out, const char **err) {
    cval *v = mem_calloc(sizeof(*v));
    if (cfg_parse(i, argc, argv, v, err) != 0) {
        cval_free(v);
        mem_free(v);
        *out = NULL;
        return -1;
    }
    *out = v;
    return 0;
}

void config__store(int i, struct cval *v) {
    cfg_store(i, v);
    mem_free(v);
}

void config__value_free(struct cval *v) {
    if (!v) return;
    cval_free(v);
    mem_free(v);
}

int config__apply(int i, const char **err) {
    return table[i].apply ? table[i].apply(err) : 0;
}

char *config__format(int i) {
    return cfg_format(i);
}

char *config__rewrite_lines(int i, int all) {
    sbuf b = {0};
    sb_cat(&b, "");
    rewrite_lines(i, &b, all);
    return b.p;
}

int config__differs_from_default(int i) {
    return differs_from_default(i);
}

void config__mark_seen(int i) {
    rt[i].seen = 1;
}

void config__log_noeffect(void) {
    for (int i = 0; i < NCFG; i++)
        if ((table[i].flags & CF_NOEFFECT) && rt[i].seen)
            log_msg(LOG_NOTICE, "Option '%s' is accepted for compatibility and has no effect",
                    table[i].name);
}

void config__set_loading(int on) {
    loading = on;
    save_loaded = 0;
}

int config__sandboxed(void) {
    return sandbox;
}

void config__set_config_file(char *path) {
    mem_free(config.config_file);
    config.config_file = path;
}

void config__ensure_init(void) {
    ensure_init();
}

/* Defaults hold from the start, so modules read sane values even before
 * config_load_args() runs (unit tests, tools). */
__attribute__((constructor)) static void config_init_defaults(void) {
    ensure_init();
}
