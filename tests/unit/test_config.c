/*
 * test_config.c - unit tests for the settings table and the config parsers.
 *
 * Covers what needs no running server: argument splitting, memory units,
 * the command-line-to-config-text conversion, config text parsing with its
 * exact error texts, runtime sets (all or nothing) and the INFO helpers.
 * CONFIG GET/SET/REWRITE over the wire are covered by the integration suite.
 *
 * Every test runs sandboxed (no chdir, no includes, no rlimit changes) and
 * leaves the settings back at their defaults.
 */
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "ds/mem.h"
#include "server/client.h"
#include "server/command.h"
#include "server/config.h"
#include "server/db.h"
#include "server/reply.h"
#include "server/config_int.h"
#include "unit.h"

static void cfg_reset(void) {
    config_free();
    config__ensure_init();
    config__set_sandbox(1);
}

/* Leaves the settings as other modules' tests expect them. */
static void cfg_done(void) {
    config_free();
    config__ensure_init();
    config__set_sandbox(0);
}

/* Parses text; returns 0/-1 and leaves the error block in err. */
static char err[2048];
static int parse(const char *text) {
    return config_parse_text(text, err, sizeof(err));
}

static char sets_err[512];
static int rset(const char *name, const char *value) {
    return config_set_runtime(name, value, sets_err, sizeof(sets_err));
}

TEST(config_defaults) {
    cfg_reset();
    CHECK_INT(cfg->port, 6379);
    CHECK_INT(cfg->bind_count, 2);
    CHECK_STR(cfg->bind[0], "127.0.0.1");
    CHECK_STR(cfg->bind[1], "-::1");
    CHECK_INT(cfg->tcp_backlog, 511);
    CHECK_INT(cfg->timeout, 0);
    CHECK_INT(cfg->tcp_keepalive, 300);
    CHECK_INT(cfg->maxclients, 10000);
    CHECK_INT(cfg->databases, 16);
    CHECK_INT(cfg->hz, 10);
    CHECK_INT(cfg->loglevel, LOG_NOTICE);
    CHECK_STR(cfg->dir, ".");
    CHECK_INT(cfg->proto_max_bulk_len, 512LL * 1024 * 1024);
    CHECK_INT(cfg->client_query_buffer_limit, 1024LL * 1024 * 1024);
    CHECK_INT(cfg->proto_max_args, 1048576);
    CHECK_INT(cfg->obuf[OBUF_NORMAL].hard, 0);
    CHECK_INT(cfg->obuf[OBUF_REPLICA].hard, 256LL << 20);
    CHECK_INT(cfg->obuf[OBUF_REPLICA].soft, 64LL << 20);
    CHECK_INT(cfg->obuf[OBUF_PUBSUB].soft_seconds, 60);
    CHECK_INT(cfg->maxmemory, 0);
    CHECK_INT(cfg->maxmemory_policy, MAXMEMORY_NOEVICTION);
    CHECK_INT(cfg->maxmemory_samples, 5);
    CHECK_INT(cfg->maxmemory_eviction_tenacity, 10);
    CHECK_INT(cfg->lfu_log_factor, 10);
    CHECK_INT(cfg->lfu_decay_time, 1);
    CHECK_INT(cfg->active_expire_effort, 1);
    CHECK_INT(cfg->appendonly, 1);
    CHECK_INT(cfg->appendfsync, FSYNC_ALWAYS);
    CHECK_STR(cfg->save, "");
    CHECK_INT(cfg->slowlog_log_slower_than, 10000);
    CHECK_INT(cfg->slowlog_max_len, 128);
    CHECK_INT(cfg->latency_monitor_threshold, 0);
    CHECK_INT(cfg->notify_keyspace_events, 0);
    CHECK_STR(cfg->notify_keyspace_events_str, "");
    CHECK_INT(cfg->enable_debug_command, 0); /* "no", as Redis 7 */
    CHECK_INT(cfg->protected_mode, 1);
    CHECK_INT(cfg->unixsocketperm, 0);
    CHECK(cfg->requirepass == NULL);
    CHECK(cfg->pidfile == NULL);
    CHECK(cfg->unixsocket == NULL);
    CHECK_STR(cfg->logfile, "");
    CHECK_INT(cfg->daemonize, 0);
    CHECK(cfg->config_file == NULL);
    CHECK_INT(config_get_int("hash-max-listpack-entries"), 512);
    CHECK_INT(config_get_int("hash-max-ziplist-value"), 64);
    CHECK_INT(config_get_int("list-max-listpack-size"), -2);
    CHECK_INT(config_get_int("set-max-intset-entries"), 512);
    CHECK_INT(config_get_int("zset-max-listpack-entries"), 128);
    CHECK_INT(config_get_int("stream-node-max-bytes"), 4096);
    CHECK_INT(config_get_int("no-such-setting"), -1);
    cfg_done();
}

TEST(config_split_args_quoting) {
    char **argv;
    int argc;
    CHECK_INT(config_split_args("  set  a\tb  ", &argv, &argc), 0);
    CHECK_INT(argc, 3);
    CHECK_STR(argv[0], "set");
    CHECK_STR(argv[2], "b");
    config_free_args(argv, argc);

    CHECK_INT(config_split_args("x \"a b\\n\\x41\\\"\" 'it\\'s' \"\"", &argv, &argc), 0);
    CHECK_INT(argc, 4);
    CHECK_STR(argv[1], "a b\nA\"");
    CHECK_STR(argv[2], "it's");
    CHECK_STR(argv[3], "");
    config_free_args(argv, argc);

    CHECK_INT(config_split_args("", &argv, &argc), 0);
    CHECK_INT(argc, 0);
    config_free_args(argv, argc);

    CHECK_INT(config_split_args("a \"unterminated", &argv, &argc), -1);
    CHECK_INT(config_split_args("a 'unterminated", &argv, &argc), -1);
    CHECK_INT(config_split_args("a \"x\"y", &argv, &argc), -1);
    CHECK_INT(config_split_args("a 'x'y", &argv, &argc), -1);
    CHECK_INT(config_split_args("a \"x\\", &argv, &argc), -1);
}

TEST(config_memory_units) {
    int e;
    CHECK_INT(config_parse_memory("123", &e), 123);
    CHECK_INT(e, 0);
    CHECK_INT(config_parse_memory("1b", &e), 1);
    CHECK_INT(config_parse_memory("1k", &e), 1000);
    CHECK_INT(config_parse_memory("1K", &e), 1000);
    CHECK_INT(config_parse_memory("1kb", &e), 1024);
    CHECK_INT(config_parse_memory("1KB", &e), 1024);
    CHECK_INT(config_parse_memory("2m", &e), 2000000);
    CHECK_INT(config_parse_memory("2mb", &e), 2 * 1024 * 1024);
    CHECK_INT(config_parse_memory("3g", &e), 3000000000LL);
    CHECK_INT(config_parse_memory("3Gb", &e), 3LL << 30);
    CHECK_INT(e, 0);
    config_parse_memory("-1", &e);
    CHECK_INT(e, 1);
    config_parse_memory("10xb", &e);
    CHECK_INT(e, 1);
    config_parse_memory("1.5mb", &e);
    CHECK_INT(e, 1);
    config_parse_memory("99999999999999999999", &e);
    CHECK_INT(e, 1);
    config_parse_memory("9999999999gb", &e);
    CHECK_INT(e, 1);
    config_parse_memory("1 mb", &e);
    CHECK_INT(e, 1);
}

static char *to_text(int argc, char **argv, const char **file, int *from_stdin) {
    char *text;
    config_args_to_text(argc, argv, &text, file, from_stdin);
    return text;
}

TEST(config_command_line_to_text) {
    const char *file;
    int in;
    char *a1[] = {"pairdb-server", "--port",    "7000", "--save", "",
                  "--bind",        "127.0.0.1", "::1",  NULL};
    char *t = to_text(8, a1, &file, &in);
    CHECK_STR(t, "port \"7000\" \nsave \"\" \nbind \"127.0.0.1\" \"::1\" ");
    CHECK(file == NULL);
    CHECK_INT(in, 0);
    mem_free(t);

    char *a2[] = {"pairdb-server", "/etc/p.conf", "--loglevel", "verbose", "-", NULL};
    t = to_text(5, a2, &file, &in);
    CHECK_STR(t, "loglevel \"verbose\" ");
    CHECK_STR(file, "/etc/p.conf");
    CHECK_INT(in, 1);
    mem_free(t);

    /* --save with no value, before another option or at the end. */
    char *a3[] = {"pairdb-server", "--save", "--port", "1", "--save", NULL};
    t = to_text(5, a3, &file, &in);
    CHECK_STR(t, "save \"\"\nport \"1\" \nsave \"\"");
    mem_free(t);

    /* A value may itself start with "--" right after the option name. */
    char *a4[] = {"pairdb-server", "--requirepass", "--x--", "--port 5", NULL};
    t = to_text(4, a4, &file, &in);
    CHECK_STR(t, "requirepass \"--x--\" \nport 5 ");
    mem_free(t);

    char *a5[] = {"pairdb-server", "--requirepass", "a\"b\n", NULL};
    t = to_text(3, a5, &file, &in);
    CHECK_STR(t, "requirepass \"a\\\"b\\n\" ");
    mem_free(t);

    /* The generated text parses back to the same values. */
    cfg_reset();
    char *a6[] = {"pairdb-server", "--port", "7001",          "--bind", "1.2.3.4", "::1",
                  "--save",        "",       "--requirepass", "p w\"x", NULL};
    t = to_text(10, a6, &file, &in);
    CHECK_INT(parse(t), 0);
    mem_free(t);
    CHECK_INT(cfg->port, 7001);
    CHECK_INT(cfg->bind_count, 2);
    CHECK_STR(cfg->bind[0], "1.2.3.4");
    CHECK_STR(cfg->requirepass, "p w\"x");
    cfg_done();
}

TEST(config_load_args_version_help) {
    char *a1[] = {"pairdb-server", "--test-memory", "10", NULL};
    CHECK_INT(config_load_args(3, a1), -1);
    cfg_reset();
    char *a2[] = {"pairdb-server", "--port", "7002", "--appendonly", "no", "--save", NULL};
    CHECK_INT(config_load_args(6, a2), 0);
    CHECK_INT(cfg->port, 7002);
    CHECK_INT(cfg->appendonly, 0);
    CHECK_STR(cfg->save, "");
    cfg_reset();
    char *a3[] = {"pairdb-server", "/nonexistent/pairdb.conf", NULL};
    CHECK_INT(config_load_args(2, a3), -1);
    char *a4[] = {"pairdb-server", "--nosuchoption", "1", NULL};
    CHECK_INT(config_load_args(3, a4), -1);
    cfg_done();
}

TEST(config_parse_values) {
    cfg_reset();
    CHECK_INT(parse("# comment\n\n  port 7003  \r\nmaxmemory 1gb\nMAXMEMORY-POLICY allkeys-LFU\n"
                    "appendonly no\nappendfsync everysec\ntimeout 30\n"
                    "hash-max-ziplist-entries 99\nlist-max-listpack-size -5\n"
                    "unixsocketperm 700\nlogfile \"/tmp/x y.log\"\n"
                    "requirepass secret\nslowlog-log-slower-than -1\n"),
              0);
    CHECK_INT(cfg->port, 7003);
    CHECK_INT(cfg->maxmemory, 1LL << 30);
    CHECK_INT(cfg->maxmemory_policy, MAXMEMORY_ALLKEYS_LFU);
    CHECK_INT(cfg->appendonly, 0);
    CHECK_INT(cfg->appendfsync, FSYNC_EVERYSEC);
    CHECK_INT(cfg->timeout, 30);
    CHECK_INT(config_get_int("hash-max-listpack-entries"), 99);
    CHECK_INT(config_get_int("list-max-listpack-size"), -5);
    CHECK_INT(cfg->unixsocketperm, 0700);
    CHECK_STR(cfg->logfile, "/tmp/x y.log");
    CHECK_STR(cfg->requirepass, "secret");
    CHECK_INT(cfg->slowlog_log_slower_than, -1);
    /* An empty password means none. */
    CHECK_INT(parse("requirepass \"\"\n"), 0);
    CHECK(cfg->requirepass == NULL);
    /* hz is clamped to 1..500 like Redis. */
    CHECK_INT(parse("hz 0"), 0);
    CHECK_INT(cfg->hz, 1);
    CHECK_INT(parse("hz 100000"), 0);
    CHECK_INT(cfg->hz, 500);
    /* Compatibility-only options are accepted and kept. */
    CHECK_INT(parse("supervised systemd\nrdbcompression no\nslave-read-only no\n"
                    "lazyfree-lazy-user-flush yes\nio-threads 4\nlist-max-ziplist-entries 5\n"
                    "maxmemory-clients 10%\nreplicaof 127.0.0.1 6380\n"),
              0);
    CHECK_INT(config_get_int("replica-read-only"), 0);
    CHECK_INT(config_get_int("io-threads"), 4);
    CHECK_INT(config_get_int("maxmemory-clients"), -10);
    cfg_done();
}

TEST(config_parse_special_values) {
    cfg_reset();
    /* save lines of one load add up; the first replaces the default. */
    CHECK_INT(parse("save 3600 1\nsave 300 100\nsave 60 10000\n"), 0);
    CHECK_STR(cfg->save, "3600 1 300 100 60 10000");
    CHECK_INT(parse("save 900 1\n"), 0);
    CHECK_STR(cfg->save, "900 1");
    CHECK_INT(parse("save 900 1\nsave \"\"\n"), 0);
    CHECK_STR(cfg->save, "");
    CHECK_INT(parse("save \"100 1 200 2\"\n"), 0);
    CHECK_STR(cfg->save, "100 1 200 2");

    CHECK_INT(parse("bind 10.0.0.1 10.0.0.2 ::1\n"), 0);
    CHECK_INT(cfg->bind_count, 3);
    CHECK_STR(cfg->bind[2], "::1");
    CHECK_INT(parse("bind \"\"\n"), 0);
    CHECK_INT(cfg->bind_count, 0);

    CHECK_INT(parse("client-output-buffer-limit normal 1mb 2mb 3\n"
                    "client-output-buffer-limit pubsub 1 2 3 slave 4 5 6\n"),
              0);
    CHECK_INT(cfg->obuf[OBUF_NORMAL].hard, 1 << 20);
    CHECK_INT(cfg->obuf[OBUF_NORMAL].soft, 2 << 20);
    CHECK_INT(cfg->obuf[OBUF_NORMAL].soft_seconds, 3);
    CHECK_INT(cfg->obuf[OBUF_PUBSUB].hard, 1);
    CHECK_INT(cfg->obuf[OBUF_REPLICA].soft_seconds, 6);

    CHECK_INT(parse("notify-keyspace-events KEA\n"), 0);
    CHECK_STR(cfg->notify_keyspace_events_str, "AKE");
    CHECK(cfg->notify_keyspace_events & NOTIFY_KEYSPACE);
    CHECK(cfg->notify_keyspace_events & NOTIFY_STREAM);
    CHECK(!(cfg->notify_keyspace_events & NOTIFY_KEY_MISS));
    CHECK_INT(parse("notify-keyspace-events Kgx$\n"), 0);
    CHECK_STR(cfg->notify_keyspace_events_str, "g$xK");
    CHECK_INT(parse("notify-keyspace-events Am$KEn\n"), 0);
    CHECK_STR(cfg->notify_keyspace_events_str, "AKEm");
    CHECK(cfg->notify_keyspace_events & NOTIFY_NEW);
    CHECK_INT(parse("notify-keyspace-events \"\"\n"), 0);
    CHECK_INT(cfg->notify_keyspace_events, 0);
    cfg_done();
}

TEST(config_parse_errors) {
    cfg_reset();
    CHECK_INT(parse("port 7000\nfoo bar\n"), -1);
    CHECK_STR(err, "\n*** FATAL CONFIG FILE ERROR (PairDB 0.1.0) ***\n"
                   "Reading the configuration file, at line 2\n"
                   ">>> 'foo bar'\n"
                   "Bad directive or wrong number of arguments\n");
    CHECK_INT(parse("port abc"), -1);
    CHECK(strstr(err, ">>> 'port abc'\nargument couldn't be parsed into an integer\n"));
    CHECK_INT(parse("port 70000"), -1);
    CHECK(strstr(err, "argument must be between 0 and 65535 inclusive\n"));
    CHECK_INT(parse("appendonly maybe"), -1);
    CHECK(strstr(err, "argument must be 'yes' or 'no'\n"));
    CHECK_INT(parse("maxmemory 10xb"), -1);
    CHECK(strstr(err, "argument must be a memory value\n"));
    CHECK_INT(parse("maxmemory-policy lru"), -1);
    CHECK(strstr(err, "argument(s) must be one of the following: volatile-lru, volatile-lfu, "
                      "volatile-random, volatile-ttl, allkeys-lru, allkeys-lfu, "
                      "allkeys-random, noeviction\n"));
    CHECK_INT(parse("appendfsync sometimes"), -1);
    CHECK(strstr(err, "one of the following: everysec, always, no\n"));
    CHECK_INT(parse("port 1 2"), -1);
    CHECK(strstr(err, "\nwrong number of arguments\n"));
    CHECK_INT(parse("port"), -1);
    CHECK_INT(parse("\n\nport \"6379"), -1);
    CHECK(strstr(err, "at line 3\n>>> 'port \"6379'\nUnbalanced quotes in configuration line\n"));
    CHECK_INT(parse("save 0 1"), -1);
    CHECK(strstr(err, "Invalid save parameters\n"));
    CHECK_INT(parse("save 10"), -1);
    CHECK_INT(parse("bind 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17"), -1);
    CHECK(strstr(err, "Too many bind addresses specified.\n"));
    CHECK_INT(parse("client-output-buffer-limit master 1 2 3"), -1);
    CHECK(strstr(err, "Invalid client class specified in buffer limit configuration.\n"));
    CHECK_INT(parse("client-output-buffer-limit normal 1 2"), -1);
    CHECK(strstr(err, "Wrong number of arguments in buffer limit configuration.\n"));
    CHECK_INT(parse("client-output-buffer-limit normal 1 2 -3"), -1);
    CHECK(strstr(err, "Error in hard, soft or soft_seconds setting"));
    CHECK_INT(parse("notify-keyspace-events KZ"), -1);
    CHECK(strstr(err, "Invalid event class character. Use 'Ag$lshzxeKEtmdn'.\n"));
    CHECK_INT(parse("include /etc/passwd"), -1);
    CHECK_INT(parse("rename-command FLUSHALL \"\""), 0);
    CHECK_INT(parse("rename-command FLUSHALL"), -1);
    CHECK(strstr(err, "Bad directive or wrong number of arguments\n"));
    CHECK_INT(parse("loadmodule /x.so"), -1);
    CHECK(strstr(err, "'loadmodule' is not supported by PairDB\n"));
    CHECK_INT(parse("databases 65"), -1);
    CHECK_INT(parse("maxmemory-samples 0"), -1);
    CHECK(strstr(err, "argument must be between 1 and 2147483647 inclusive\n"));
    /* A failed load stops at the bad line: earlier lines applied, later not. */
    cfg_reset();
    CHECK_INT(parse("timeout 5\nbogus\ntimeout 6\n"), -1);
    CHECK_INT(cfg->timeout, 5);
    cfg_done();
}

TEST(config_runtime_set) {
    cfg_reset();
    CHECK_INT(rset("maxmemory", "10mb"), 0);
    CHECK_INT(cfg->maxmemory, 10 << 20);
    CHECK_INT(rset("MAXMEMORY", "2k"), 0);
    CHECK_INT(cfg->maxmemory, 2000);
    CHECK_INT(rset("maxmemory", "abc"), -1);
    CHECK_STR(sets_err, "ERR CONFIG SET failed (possibly related to argument 'maxmemory') - "
                        "argument must be a memory value");
    CHECK_INT(rset("MaxMemory", "-1"), -1);
    CHECK_STR(sets_err, "ERR CONFIG SET failed (possibly related to argument 'maxmemory') - "
                        "argument must be a memory value");
    CHECK_INT(cfg->maxmemory, 2000);
    CHECK_INT(rset("timeout", "-1"), -1);
    CHECK_STR(sets_err, "ERR CONFIG SET failed (possibly related to argument 'timeout') - "
                        "argument must be between 0 and 2147483647 inclusive");
    CHECK_INT(rset("databases", "3"), -1);
    CHECK_STR(sets_err, "ERR CONFIG SET failed (possibly related to argument 'databases') - "
                        "can't set immutable config");
    CHECK_INT(rset("Port", "1"), -1);
    CHECK_STR(sets_err, "ERR CONFIG SET failed (possibly related to argument 'Port') - "
                        "can't set immutable config");
    CHECK_INT(rset("dir", "/"), -1);
    CHECK_STR(sets_err, "ERR CONFIG SET failed (possibly related to argument 'dir') - "
                        "can't set protected config");
    CHECK_INT(rset("foo", "bar"), -1);
    CHECK_STR(sets_err, "ERR Unknown option or number of arguments for CONFIG SET - 'foo'");
    CHECK_INT(rset("hz", "0"), 0);
    CHECK_INT(cfg->hz, 1);
    CHECK_INT(rset("save", "3600 1 300 100"), 0);
    CHECK_STR(cfg->save, "3600 1 300 100");
    CHECK_INT(rset("save", ""), 0);
    CHECK_STR(cfg->save, "");
    CHECK_INT(rset("save", "1 2 3"), -1);
    CHECK_STR(sets_err, "ERR CONFIG SET failed (possibly related to argument 'save') - "
                        "Invalid save parameters");
    CHECK_INT(rset("client-output-buffer-limit", "normal 1mb 2mb 3"), 0);
    CHECK_INT(cfg->obuf[OBUF_NORMAL].soft, 2 << 20);
    CHECK_INT(cfg->obuf[OBUF_REPLICA].hard, 256 << 20);
    CHECK_INT(rset("notify-keyspace-events", "Ex"), 0);
    CHECK_INT(cfg->notify_keyspace_events, NOTIFY_KEYEVENT | NOTIFY_EXPIRED);
    CHECK_INT(rset("slave-read-only", "no"), 0);
    CHECK_INT(config_get_int("replica-read-only"), 0);
    CHECK_INT(rset("lua-time-limit", "10"), 0);
    CHECK_INT(config_get_int("busy-reply-threshold"), 10);
    CHECK_INT(rset("maxmemory-policy", "ALLKEYS-LRU"), 0);
    CHECK_INT(cfg->maxmemory_policy, MAXMEMORY_ALLKEYS_LRU);
    CHECK_INT(rset("requirepass", "pw"), 0);
    CHECK_STR(cfg->requirepass, "pw");
    CHECK_INT(rset("requirepass", ""), 0);
    CHECK(cfg->requirepass == NULL);
    CHECK_INT(rset("latency-tracking-info-percentiles", "50 101"), -1);
    CHECK_INT(rset("oom-score-adj-values", "1 2"), -1);
    CHECK_INT(rset("slaveof", "no one"), -1);
    CHECK_STR(sets_err, "ERR CONFIG SET failed (possibly related to argument 'slaveof') - "
                        "can't set immutable config");
    cfg_done();
}

TEST(config_info_helpers) {
    char buf[32];
    config_bytes_human(buf, sizeof(buf), 0);
    CHECK_STR(buf, "0B");
    config_bytes_human(buf, sizeof(buf), 123);
    CHECK_STR(buf, "123B");
    config_bytes_human(buf, sizeof(buf), 1024);
    CHECK_STR(buf, "1.00K");
    config_bytes_human(buf, sizeof(buf), 1536 * 1024);
    CHECK_STR(buf, "1.50M");
    config_bytes_human(buf, sizeof(buf), 2ULL << 30);
    CHECK_STR(buf, "2.00G");
    config_bytes_human(buf, sizeof(buf), 3ULL << 40);
    CHECK_STR(buf, "3.00T");
    CHECK_STR(config_policy_name(MAXMEMORY_NOEVICTION), "noeviction");
    CHECK_STR(config_policy_name(MAXMEMORY_VOLATILE_TTL), "volatile-ttl");
    CHECK_STR(config_policy_name(MAXMEMORY_ALLKEYS_LFU), "allkeys-lfu");
}
