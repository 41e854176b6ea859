/*
 * config.h - server settings: redis.conf-style file, command line, CONFIG.
 *
 * Settings live in one struct that only config.c writes; everyone else
 * reads it through `cfg` (a const pointer). Each setting is described once
 * in config.c's table (name, type, bounds, default, what applying it does),
 * and that table drives the file parser, the command line, CONFIG GET/SET
 * and CONFIG REWRITE alike.
 */
#ifndef PAIRDB_CONFIG_H
#define PAIRDB_CONFIG_H

#include <stddef.h>

enum {
    MAXMEMORY_NOEVICTION = 0,
    MAXMEMORY_ALLKEYS_LRU,
    MAXMEMORY_ALLKEYS_LFU,
    MAXMEMORY_ALLKEYS_RANDOM,
    MAXMEMORY_VOLATILE_LRU,
    MAXMEMORY_VOLATILE_LFU,
    MAXMEMORY_VOLATILE_RANDOM,
    MAXMEMORY_VOLATILE_TTL,
};
#define MAXMEMORY_IS_LFU(p) ((p) == MAXMEMORY_ALLKEYS_LFU || (p) == MAXMEMORY_VOLATILE_LFU)

enum { LOG_DEBUG = 0, LOG_VERBOSE, LOG_NOTICE, LOG_WARNING };
enum { LOG_FORMAT_LEGACY = 0, LOG_FORMAT_LOGFMT, LOG_FORMAT_JSON };
enum { LOG_TIMESTAMP_LEGACY = 0, LOG_TIMESTAMP_ISO8601, LOG_TIMESTAMP_MILLISECONDS };
enum { FSYNC_ALWAYS = 0, FSYNC_EVERYSEC, FSYNC_NO };

#define CONFIG_MAX_BIND 16

typedef struct obuf_limit {
    long long hard, soft, soft_seconds;
} obuf_limit;

typedef struct server_config {
    /* network */
    int port;
    char *bind[CONFIG_MAX_BIND];
    int bind_count;
    char *unixsocket;
    int unixsocketperm;
    int tcp_backlog;
    int tcp_keepalive;
    int timeout;                  /* idle seconds, 0 = never */
    int maxclients;
    int protected_mode;
    int admin_port;               /* HTTP /metrics /health /ready; 0 = off */
    char *admin_bind;
    /* general */
    int databases;
    int hz;
    int daemonize;
    char *pidfile;
    char *logfile;
    int loglevel;
    int log_format;               /* LOG_FORMAT_* */
    int log_timestamp_format;     /* LOG_TIMESTAMP_* */
    int syslog_enabled;
    int syslog_facility;          /* 0 user, 1..8 local0..local7 */
    char *syslog_ident;
    char *dir;
    char *requirepass;            /* NULL = no password; the default user's password */
    char *aclfile;                /* NULL = users come from the config file */
    long long acllog_max_len;
    int acl_pubsub_default;       /* 1: new users get allchannels */
    char *config_file;            /* absolute path, NULL if none */
    /* limits */
    long long proto_max_bulk_len;
    long long client_query_buffer_limit;
    long long proto_max_args;
    obuf_limit obuf[3];           /* OBUF_NORMAL, OBUF_REPLICA, OBUF_PUBSUB */
    /* rate limits (ratelimit.c), 0 = off */
    long long maxconn_rate_per_ip, maxconn_burst_per_ip;
    long long max_commands_per_second, max_commands_burst;
    long long auth_failures_before_delay, auth_failure_delay_ms, auth_failure_max_delay_ms;
    /* memory */
    long long maxmemory;
    int maxmemory_policy;
    int maxmemory_samples;
    int maxmemory_eviction_tenacity;
    int lfu_log_factor;
    int lfu_decay_time;
    int active_expire_effort;
    /* compact-encoding thresholds of the collection types */
    long long hash_max_listpack_entries;
    long long hash_max_listpack_value;
    long long list_max_listpack_size;   /* < 0: -1..-5 = 4..64 KB per node; > 0: entries */
    long long list_compress_depth;
    long long set_max_intset_entries;
    long long set_max_listpack_entries;
    long long set_max_listpack_value;
    long long zset_max_listpack_entries;
    long long zset_max_listpack_value;
    long long stream_node_max_bytes;
    long long stream_node_max_entries;
    /* persistence (applied by the persistence layer) */
    int appendonly;
    int appendfsync;
    char *save;                   /* "" = no snapshots */
    long long wal_segment_size;
    /* observability */
    long long slowlog_log_slower_than;
    long long slowlog_max_len;
    long long latency_monitor_threshold;
    int latency_tracking;         /* per-command histograms (LATENCY HISTOGRAM, INFO latencystats) */
    char *notify_keyspace_events_str;
    int notify_keyspace_events;   /* NOTIFY_* bits */
    int enable_debug_command;     /* 0 no, 1 yes, 2 local */
    int enable_protected_configs; /* 0 no, 1 yes, 2 local: CONFIG SET of dir and the like */
} server_config;

extern const server_config *cfg;

/* Parses argv as redis-server does: [config-file] [--name value ...].
 * On error prints Redis-style "FATAL CONFIG FILE ERROR" text to stderr and
 * returns -1. Handles --help and --version (returns 1: exit 0). */
int config_load_args(int argc, char **argv);
/* CONFIG command family registration. */
void config_register_commands(void);
void config_free(void);
/* Human-readable memory ("1.50M") as INFO prints. */
void config_bytes_human(char *buf, size_t len, unsigned long long n);
const char *config_policy_name(int policy);
int config_set_runtime(const char *name, const char *value, char *err, size_t errlen);
/* What CONFIG SET appendonly does at run time (the persistence layer
 * switches the log): 0, or -1 with *err. Set once at start-up; without it
 * the setting only changes its value. */
void config_set_appendonly_hook(int (*apply)(int on, const char **err));
/* Integer settings without a struct field yet (encoding thresholds...);
 * -1 for an unknown name. */
long long config_get_int(const char *name);
/* String settings, and special ones kept as their text (e.g.
 * latency-tracking-info-percentiles); NULL for others or when unset. */
const char *config_get_string(const char *name);

#endif
