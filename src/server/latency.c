/*
 * latency.c - the latency monitor and per-command histograms (see
 * latency.h).
 *
 * Histograms are kept here, keyed by the command's address in a small
 * open-addressing table, so the command table stays plain data. They have
 * the shape Redis 7 uses, so that LATENCY HISTOGRAM and INFO latencystats
 * give the same numbers for the same durations: a duration of d
 * microseconds is recorded as d * 1000 ns (clamped to 1 ns .. 1 s) in an
 * HDR-style histogram with two significant decimal digits. Values below
 * 256 are counted exactly; each later power-of-two range [2^m, 2^(m+1))
 * is split into 128 sub-buckets of 2^(m-7) ns. Slot i of the flat counts
 * array is i itself below 256 and (shift * 128 + value >> shift) above,
 * so the ranges follow each other without gaps.
 */
#include "server/latency.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "ds/mem.h"
#include "proto/resp.h"
#include "server/config.h"
#include "server/handler.h"
#include "server/slowlog.h"

/* ---- per-command histograms ------------------------------------------------- */

#define HIST_MIN_NS 1LL
#define HIST_MAX_NS 1000000000LL
#define HIST_HALF 128     /* sub-buckets per range beyond the first */
#define HIST_MAX_SHIFT 22 /* 1e9 ns < 2^30 = 256 << 22 */
#define HIST_SLOTS ((HIST_MAX_SHIFT + 2) * HIST_HALF)

struct latency_hist {
    const command *cmd; /* NULL: free slot */
    long long calls;
    long long sum_us;   /* for the Prometheus histogram's _sum */
    long long *counts; /* HIST_SLOTS, allocated with the first call */
};
typedef struct latency_hist cmd_histogram;

static cmd_histogram *hist_slots;
static size_t hist_cap, hist_used;

static int hist_index(long long ns) {
    if (ns < 2 * HIST_HALF) return (int)ns;
    int shift = 63 - __builtin_clzll((unsigned long long)ns) - 7;
    return shift * HIST_HALF + (int)(ns >> shift);
}

static long long hist_lowest_ns(int index) {
    if (index < 2 * HIST_HALF) return index;
    int shift = index / HIST_HALF - 1;
    return (long long)(index - shift * HIST_HALF) << shift;
}

static long long hist_highest_ns(int index) {
    long long unit = index < 2 * HIST_HALF ? 1 : 1LL << (index / HIST_HALF - 1);
    return hist_lowest_ns(index) + unit - 1;
}

/* The same for any value, also past the last slot (the last level of a
 * log iteration). */
static long long hist_highest_of_ns(long long ns) {
    if (ns < 2 * HIST_HALF) return ns;
    int shift = 63 - __builtin_clzll((unsigned long long)ns) - 7;
    return ((ns >> shift) << shift) + (1LL << shift) - 1;
}

static long long duration_ns(long long us) {
    if (us > HIST_MAX_NS / 1000) return HIST_MAX_NS;
    return us * 1000 < HIST_MIN_NS ? HIST_MIN_NS : us * 1000;
}

long long latency_hist_count_upto_us(const latency_hist *h, long long us) {
    int last = hist_index(duration_ns(us));
    long long n = 0;
    for (int i = 0; i <= last; i++)
        n += h->counts[i];
    return n;
}

long long latency_hist_calls(const latency_hist *h) {
    return h->calls;
}

long long latency_hist_sum_us(const latency_hist *h) {
    return h->sum_us;
}

/* Redis's hdr_value_at_percentile(): the highest value equivalent to the
 * slot where the requested count is reached (the lowest for p0), in ns. */
static long long hist_value_at_percentile(const cmd_histogram *h, double p) {
    long long wanted = (long long)(p / 100.0 * (double)h->calls + 0.5);
    if (wanted < 1) wanted = 1;
    long long seen = 0;
    int i = 0;
    for (; i < HIST_SLOTS - 1; i++) {
        seen += h->counts[i];
        if (seen >= wanted) break;
    }
    return p == 0.0 ? hist_lowest_ns(i) : hist_highest_ns(i);
}

static size_t hist_hash(const command *cmd) {
    unsigned long long x = (unsigned long long)(uintptr_t)cmd;
    x ^= x >> 33;
    x *= 0xff51afd7ed558ccdULL;
    x ^= x >> 33;
    return (size_t)x;
}

static cmd_histogram *hist_probe(cmd_histogram *slots, size_t cap, const command *cmd) {
    size_t i = hist_hash(cmd) & (cap - 1);
    while (slots[i].cmd && slots[i].cmd != cmd)
        i = (i + 1) & (cap - 1);
    return &slots[i];
}

static void hist_grow(void) {
    size_t cap = hist_cap ? hist_cap * 2 : 256;
    cmd_histogram *slots = mem_calloc(sizeof *slots * cap);
    for (size_t i = 0; i < hist_cap; i++)
        if (hist_slots[i].cmd) *hist_probe(slots, cap, hist_slots[i].cmd) = hist_slots[i];
    mem_free(hist_slots);
    hist_slots = slots;
    hist_cap = cap;
}

static cmd_histogram *hist_find(const command *cmd) {
    if (!hist_cap) return NULL;
    cmd_histogram *h = hist_probe(hist_slots, hist_cap, cmd);
    return h->cmd ? h : NULL;
}

static void hist_record(const command *cmd, long long us) {
    if ((hist_used + 1) * 2 > hist_cap) hist_grow();
    cmd_histogram *h = hist_probe(hist_slots, hist_cap, cmd);
    if (!h->cmd) {
        h->cmd = cmd;
        h->counts = mem_calloc(sizeof(long long) * HIST_SLOTS);
        hist_used++;
    }
    h->calls++;
    h->sum_us += us;
    h->counts[hist_index(duration_ns(us))]++;
}

void latency_foreach_histogram(void (*fn)(const command *cmd, const latency_hist *h, void *arg),
                               void *arg) {
    for (size_t i = 0; i < hist_cap; i++)
        if (hist_slots[i].cmd) fn(hist_slots[i].cmd, &hist_slots[i], arg);
}

/* "%f" without its trailing zeros (and dot): 50 -> "50", 99.9 -> "99.9". */
static void format_percentile(char *out, size_t len, double p) {
    int n = snprintf(out, len, "%f", p);
    if (n <= 0 || (size_t)n >= len || !strchr(out, '.')) return;
    while (n > 0 && out[n - 1] == '0')
        out[--n] = '\0';
    if (n > 0 && out[n - 1] == '.') out[--n] = '\0';
}

#define INFO_PERCENTILES_MAX 64

/* The configured percentiles; the setting was validated when it was set. */
static int info_percentiles(double *out, int max) {
    const char *s = config_get_string("latency-tracking-info-percentiles");
    int n = 0;
    while (s && *s && n < max) {
        char *end;
        double p = strtod(s, &end);
        if (end == s) break;
        out[n++] = p;
        s = end;
    }
    return n;
}

void latency_info_section(resp_buf *b) {
    resp_buf_appendf(b, "# Latencystats\r\n");
    if (!cfg->latency_tracking) return;
    double percentiles[INFO_PERCENTILES_MAX];
    int np = info_percentiles(percentiles, INFO_PERCENTILES_MAX);
    for (size_t i = 0; i < hist_cap; i++) {
        const cmd_histogram *h = &hist_slots[i];
        if (!h->cmd) continue;
        resp_buf_appendf(b, "latency_percentiles_usec_%s:", h->cmd->fullname);
        for (int j = 0; j < np; j++) {
            char name[64];
            format_percentile(name, sizeof name, percentiles[j]);
            resp_buf_appendf(b, "%sp%s=%.3f", j ? "," : "", name,
                             (double)hist_value_at_percentile(h, percentiles[j]) / 1000.0);
        }
        resp_buf_append(b, "\r\n", 2);
    }
}

void latency_reset_histograms(void) {
    for (size_t i = 0; i < hist_cap; i++)
        mem_free(hist_slots[i].counts);
    mem_free(hist_slots);
    hist_slots = NULL;
    hist_cap = hist_used = 0;
}

/* ---- events ------------------------------------------------------------------ */

#define LATENCY_SAMPLES 160
#define LATENCY_MAX_EVENTS 16

typedef struct latency_sample {
    long long time_s, ms;
} latency_sample;

typedef struct latency_event {
    char name[32];
    int used;
    int next;                                /* ring index of the next sample */
    long long max_ms;                        /* all-time maximum */
    latency_sample samples[LATENCY_SAMPLES]; /* time_s 0: empty */
} latency_event;

static latency_event events[LATENCY_MAX_EVENTS];

static latency_event *event_find(const char *name, size_t len) {
    for (int i = 0; i < LATENCY_MAX_EVENTS; i++)
        if (events[i].used && strlen(events[i].name) == len &&
            strncasecmp(events[i].name, name, len) == 0)
            return &events[i];
    return NULL;
}

static latency_event *event_create(const char *name) {
    for (int i = 0; i < LATENCY_MAX_EVENTS; i++) {
        if (events[i].used) continue;
        memset(&events[i], 0, sizeof events[i]);
        snprintf(events[i].name, sizeof events[i].name, "%s", name);
        events[i].used = 1;
        return &events[i];
    }
    return NULL; /* internal names only: the table never fills in practice */
}

static const latency_sample *event_latest(const latency_event *e) {
    const latency_sample *s = &e->samples[(e->next + LATENCY_SAMPLES - 1) % LATENCY_SAMPLES];
    return s->time_s ? s : NULL;
}

static void event_add(const char *name, long long ms) {
    latency_event *e = event_find(name, strlen(name));
    if (!e) e = event_create(name);
    if (!e) return;
    long long now = (long long)time(NULL);
    if (ms > e->max_ms) e->max_ms = ms;
    latency_sample *prev = &e->samples[(e->next + LATENCY_SAMPLES - 1) % LATENCY_SAMPLES];
    if (prev->time_s == now) {
        if (ms > prev->ms) prev->ms = ms;
        return;
    }
    e->samples[e->next].time_s = now;
    e->samples[e->next].ms = ms;
    e->next = (e->next + 1) % LATENCY_SAMPLES;
}

void latency_add_sample_if_needed(const char *event, long long ms) {
    if (cfg->latency_monitor_threshold > 0 && ms >= cfg->latency_monitor_threshold)
        event_add(event, ms);
}

void latency_after_call(client *c, const command *cmd, long long duration_us) {
    if (cfg->latency_tracking) hist_record(cmd, duration_us);
    latency_add_sample_if_needed(cmd->flags & CMD_FAST ? "fast-command" : "command",
                                 duration_us / 1000);
    slowlog_record(c, cmd, duration_us);
}

void latency_free_all(void) {
    latency_reset_histograms();
    memset(events, 0, sizeof events);
}

/* Calls fn for each sample of e, oldest first. */
static int event_samples(const latency_event *e, latency_sample *out) {
    int n = 0;
    for (int i = 0; i < LATENCY_SAMPLES; i++) {
        const latency_sample *s = &e->samples[(e->next + i) % LATENCY_SAMPLES];
        if (s->time_s) out[n++] = *s;
    }
    return n;
}

/* ---- LATENCY subcommands ----------------------------------------------------- */

static void latency_latest_command(client *c) {
    int n = 0;
    for (int i = 0; i < LATENCY_MAX_EVENTS; i++)
        if (events[i].used && event_latest(&events[i])) n++;
    reply_array(c, n);
    for (int i = 0; i < LATENCY_MAX_EVENTS; i++) {
        const latency_sample *s = events[i].used ? event_latest(&events[i]) : NULL;
        if (!s) continue;
        reply_array(c, 4);
        reply_bulk_cstr(c, events[i].name);
        reply_int(c, s->time_s);
        reply_int(c, s->ms);
        reply_int(c, events[i].max_ms);
    }
}

static void latency_history_command(client *c) {
    const latency_event *e = event_find(c->argv[2].ptr, c->argv[2].len);
    if (!e) {
        reply_array(c, 0);
        return;
    }
    latency_sample samples[LATENCY_SAMPLES];
    int n = event_samples(e, samples);
    reply_array(c, n);
    for (int i = 0; i < n; i++) {
        reply_array(c, 2);
        reply_int(c, samples[i].time_s);
        reply_int(c, samples[i].ms);
    }
}

static void latency_reset_command(client *c) {
    long long reset = 0;
    if (c->argc == 2) {
        for (int i = 0; i < LATENCY_MAX_EVENTS; i++) {
            if (events[i].used) reset++;
            events[i].used = 0;
        }
    } else {
        for (int j = 2; j < c->argc; j++) {
            latency_event *e = event_find(c->argv[j].ptr, c->argv[j].len);
            if (!e) continue;
            e->used = 0;
            reset++;
        }
    }
    reply_int(c, reset);
}

/* Four rows of columns, one per sample, the height scaled between the
 * lowest and the highest sample, then each sample's age written downwards
 * ("15s", "3m"), so the text reads like a small bar chart. */
#define GRAPH_ROWS 4

static void graph_append_bars(resp_buf *b, const latency_sample *s, int n, long long lo,
                              long long hi) {
    for (int row = GRAPH_ROWS; row >= 1; row--) {
        for (int i = 0; i < n; i++) {
            long long h = hi == lo ? GRAPH_ROWS : 1 + (s[i].ms - lo) * (GRAPH_ROWS - 1) / (hi - lo);
            resp_buf_append(b, h >= row ? "#" : (row == 1 ? "_" : " "), 1);
        }
        resp_buf_append(b, "\n", 1);
    }
}

static void graph_append_ages(resp_buf *b, const latency_sample *s, int n, long long now) {
    char labels[LATENCY_SAMPLES][8];
    size_t longest = 0;
    for (int i = 0; i < n; i++) {
        long long age = now - s[i].time_s;
        if (age < 0) age = 0;
        if (age < 60)
            snprintf(labels[i], sizeof labels[i], "%llds", age);
        else if (age < 3600)
            snprintf(labels[i], sizeof labels[i], "%lldm", age / 60);
        else
            snprintf(labels[i], sizeof labels[i], "%lldh", age / 3600 > 999 ? 999 : age / 3600);
        if (strlen(labels[i]) > longest) longest = strlen(labels[i]);
    }
    for (size_t row = 0; row < longest; row++) {
        for (int i = 0; i < n; i++)
            resp_buf_append(b, row < strlen(labels[i]) ? &labels[i][row] : " ", 1);
        resp_buf_append(b, "\n", 1);
    }
}

static void latency_graph_command(client *c) {
    const latency_event *e = event_find(c->argv[2].ptr, c->argv[2].len);
    latency_sample samples[LATENCY_SAMPLES];
    int n = e ? event_samples(e, samples) : 0;
    if (n == 0) {
        int len = c->argv[2].len > 128 ? 128 : (int)c->argv[2].len;
        reply_errorf(c, "ERR No samples available for event '%.*s'", len, c->argv[2].ptr);
        return;
    }
    long long lo = samples[0].ms, hi = samples[0].ms;
    for (int i = 1; i < n; i++) {
        if (samples[i].ms < lo) lo = samples[i].ms;
        if (samples[i].ms > hi) hi = samples[i].ms;
    }
    resp_buf b = {0};
    resp_buf_appendf(&b, "%s - high %lld ms, low %lld ms (all time high %lld ms)\n", e->name, hi,
                     lo, e->max_ms);
    for (int i = 0; i < 80; i++)
        resp_buf_append(&b, "-", 1);
    resp_buf_append(&b, "\n", 1);
    graph_append_bars(&b, samples, n, lo, hi);
    graph_append_ages(&b, samples, n, (long long)time(NULL));
    reply_verbatim(c, b.data, b.len, "txt");
    resp_buf_free(&b);
}

static void doctor_event(resp_buf *b, int nth, const latency_event *e) {
    latency_sample s[LATENCY_SAMPLES];
    int n = event_samples(e, s);
    if (n == 0) return;
    long long sum = 0;
    for (int i = 0; i < n; i++)
        sum += s[i].ms;
    double avg = (double)sum / n, dev = 0;
    for (int i = 0; i < n; i++)
        dev += s[i].ms > avg ? s[i].ms - avg : avg - s[i].ms;
    dev /= n;
    double period = n > 1 ? (double)(s[n - 1].time_s - s[0].time_s) / (n - 1) : 0;
    resp_buf_appendf(b,
                     "%d. %s: %d latency spikes (average %.0fms, mean deviation %.0fms, "
                     "period %.2f sec). Worst all time event %lldms.\n",
                     nth, e->name, n, avg, dev, period, e->max_ms);
}

static void doctor_advice(resp_buf *b, const char *event) {
    if (strcmp(event, "command") == 0)
        resp_buf_appendf(b, "- Slow commands ran: SLOWLOG GET lists them with their arguments. "
                            "Commands over big values (KEYS, SORT, SMEMBERS, LRANGE 0 -1...) "
                            "are the usual cause; SCAN and its siblings walk a keyspace in "
                            "small steps.\n");
    else if (strcmp(event, "fast-command") == 0)
        resp_buf_appendf(b, "- O(1) commands took milliseconds: the host is probably overloaded, "
                            "swapping, or the process is starved of CPU (check steal time and "
                            "other processes on the machine).\n");
    else if (strcmp(event, "expire-cycle") == 0)
        resp_buf_appendf(b, "- Expiring keys took long: many keys expiring at the same moment, or "
                            "very large values expiring. Spreading TTLs helps.\n");
    else if (strcmp(event, "wal-fsync") == 0)
        resp_buf_appendf(b, "- Syncing the write-ahead log to disk was slow: the disk is busy, "
                            "slow or shared. Under appendfsync always every write waits for "
                            "it; appendfsync everysec trades up to a second of writes on power "
                            "loss for not waiting.\n");
    else if (strcmp(event, "eviction-cycle") == 0)
        resp_buf_appendf(b, "- Evicting keys for maxmemory took long: raise maxmemory or lower "
                            "the write rate; large values are costly to evict.\n");
    else
        resp_buf_appendf(b, "- %s: see docs/OPERATIONS.md.\n", event);
}

static void latency_doctor_command(client *c) {
    resp_buf b = {0};
    int nth = 0;
    if (cfg->latency_monitor_threshold == 0) {
        resp_buf_appendf(&b, "The latency monitor is off in this server. Turn it on with CONFIG "
                             "SET latency-monitor-threshold <milliseconds> and ask again once "
                             "the workload has run for a while.\n");
    } else {
        for (int i = 0; i < LATENCY_MAX_EVENTS; i++)
            if (events[i].used && event_latest(&events[i])) nth++;
        if (nth == 0) {
            resp_buf_appendf(&b,
                             "No event reached the latency threshold (%lld ms) since the "
                             "server started or the last LATENCY RESET.\n",
                             cfg->latency_monitor_threshold);
        } else {
            resp_buf_appendf(&b, "Latency spikes were recorded (threshold %lld ms):\n\n",
                             cfg->latency_monitor_threshold);
            nth = 0;
            for (int i = 0; i < LATENCY_MAX_EVENTS; i++)
                if (events[i].used && event_latest(&events[i])) doctor_event(&b, ++nth, &events[i]);
            resp_buf_appendf(&b, "\nAdvice:\n\n");
            for (int i = 0; i < LATENCY_MAX_EVENTS; i++)
                if (events[i].used && event_latest(&events[i])) doctor_advice(&b, events[i].name);
        }
    }
    reply_verbatim(c, b.data, b.len, "txt");
    resp_buf_free(&b);
}

/* Redis's log iteration (first level 1024 ns, ratio 2): at each level the
 * cumulative count up to the level's slot, labelled with the slot's highest
 * value in whole microseconds; a level is shown when its count grew. */
static void reply_histogram(client *c, const cmd_histogram *h) {
    reply_map(c, 2);
    reply_bulk_cstr(c, "calls");
    reply_int(c, h->calls);
    reply_bulk_cstr(c, "histogram_usec");
    reply_deferred d = reply_defer(c);
    long shown = 0;
    long long cumulative = 0, previous = 0;
    int next = 0;
    for (long long level = 1024; previous < h->calls && level <= 2 * HIST_MAX_NS; level *= 2) {
        int upto = hist_index(level);
        if (upto > HIST_SLOTS - 1) upto = HIST_SLOTS - 1;
        for (; next <= upto; next++)
            cumulative += h->counts[next];
        if (cumulative > previous) {
            reply_int(c, hist_highest_of_ns(level) / 1000);
            reply_int(c, cumulative);
            shown++;
        }
        previous = cumulative;
    }
    reply_defer_map(c, d, shown);
}

/* "name" or "container|sub", as COMMAND INFO and Redis's LATENCY HISTOGRAM
 * accept them. */
static const command *lookup_fullname(const resp_arg *a) {
    const char *bar = memchr(a->ptr, '|', a->len);
    if (!bar) return command_lookup(a->ptr, a->len);
    const command *parent = command_lookup(a->ptr, (size_t)(bar - a->ptr));
    if (!parent || !parent->subcommands) return NULL;
    size_t sublen = a->len - (size_t)(bar - a->ptr) - 1;
    for (const command *s = parent->subcommands; s->name; s++)
        if (strlen(s->name) == sublen && strncasecmp(s->name, bar + 1, sublen) == 0) return s;
    return NULL;
}

static void latency_histogram_command(client *c) {
    if (c->argc == 2) {
        reply_map(c, (long)hist_used);
        for (size_t i = 0; i < hist_cap; i++) {
            if (!hist_slots[i].cmd) continue;
            reply_bulk_cstr(c, hist_slots[i].cmd->fullname);
            reply_histogram(c, &hist_slots[i]);
        }
        return;
    }
    reply_deferred d = reply_defer(c);
    long found = 0;
    for (int j = 2; j < c->argc; j++) {
        const command *cmd = lookup_fullname(&c->argv[j]);
        const cmd_histogram *h = cmd ? hist_find(cmd) : NULL;
        if (!h) continue;
        reply_bulk_cstr(c, cmd->fullname);
        reply_histogram(c, h);
        found++;
    }
    reply_defer_map(c, d, found);
}

static void latency_help_command(client *c) {
    static const char *const help[] = {
        "DOCTOR",
        "    Return a human readable latency analysis report.",
        "GRAPH <event>",
        "    Return an ASCII latency graph for the <event> class.",
        "HISTORY <event>",
        "    Return time-latency samples for the <event> class.",
        "LATEST",
        "    Return the latest latency samples for all events.",
        "RESET [<event> ...]",
        "    Reset latency data of one or more <event> classes.",
        "    (default: reset all data for all event classes)",
        "HISTOGRAM [COMMAND ...]",
        "    Return a cumulative distribution of latencies in the format of a histogram for the "
        "specified command names.",
        "    If no commands are specified then all histograms are replied.",
        NULL,
    };
    reply_help(c, help);
}

#define LATENCY_FLAGS (CMD_ADMIN | CMD_NOSCRIPT | CMD_LOADING | CMD_STALE)

static command latency_subcommands[] = {
    {"doctor", latency_doctor_command, 2, LATENCY_FLAGS, 0, 0, 0, 0,
     .summary = "Explain the recorded latency spikes in plain text", .since = "2.8.13",
     .group = "server", .complexity = "O(1)"},
    {"graph", latency_graph_command, 3, LATENCY_FLAGS, 0, 0, 0, 0,
     .summary = "Draw recent latency samples of one event as ASCII art", .since = "2.8.13",
     .group = "server", .complexity = "O(1)"},
    {"histogram", latency_histogram_command, -2, LATENCY_FLAGS, 0, 0, 0, 0,
     .summary = "Give per-command latency distributions, for all commands or those named",
     .since = "7.0.0", .group = "server", .complexity = "O(N) in the commands reported."},
    {"history", latency_history_command, 3, LATENCY_FLAGS, 0, 0, 0, 0,
     .summary = "List the recorded latency samples of one event", .since = "2.8.13",
     .group = "server", .complexity = "O(1)"},
    {"latest", latency_latest_command, 2, LATENCY_FLAGS, 0, 0, 0, 0,
     .summary = "Show the most recent latency sample of each event", .since = "2.8.13",
     .group = "server", .complexity = "O(1)"},
    {"reset", latency_reset_command, -2, LATENCY_FLAGS, 0, 0, 0, 0,
     .summary = "Forget the latency samples of some or all events", .since = "2.8.13",
     .group = "server", .complexity = "O(1)"},
    {"help", latency_help_command, 2, CMD_LOADING | CMD_STALE, 0, 0, 0, 0,
     .summary = "Describe the LATENCY subcommands", .since = "2.8.13", .group = "server",
     .complexity = "O(1)"},
    {0},
};

static void latency_container(client *c) {
    reply_error_arity(c);
}

static command latency_commands[] = {
    {"latency", latency_container, -2, 0, 0, 0, 0, 0,
     .summary = "Container for the latency monitor subcommands", .since = "2.8.13",
     .group = "server", .complexity = "Set by the subcommand.", .subcommands = latency_subcommands},
    {0},
};

void latency_register(void) {
    command_register(latency_commands);
}
