/*
 * pubsub.c - SUBSCRIBE, PSUBSCRIBE, SSUBSCRIBE, their UNSUBSCRIBEs,
 * PUBLISH, SPUBLISH and PUBSUB (see pubsub.h for the tables).
 */
#include "server/pubsub.h"

#include <string.h>

#include "ds/dict.h"
#include "ds/glob.h"
#include "ds/mem.h"
#include "server/handler.h"

/* The three namespaces: plain channels, patterns, shard channels. */
enum { PS_CHANNEL = 0, PS_PATTERN = 1, PS_SHARD = 2, PS_KINDS = 3 };

typedef struct ps_sub ps_sub;

/* A channel (or pattern) with at least one subscriber. */
typedef struct ps_chan {
    dict_node node;         /* in the server-wide table of its kind */
    ps_sub *head, *tail;    /* subscribers, oldest first */
    size_t len;
    char name[];
} ps_chan;

/* One client's subscription to one channel. */
struct ps_sub {
    dict_node node;         /* in the client's table of its kind, keyed by chan->name */
    client *c;
    ps_chan *chan;
    ps_sub *prev, *next;    /* in chan's subscriber list */
};

typedef struct ps_client {
    dict subs[PS_KINDS];
} ps_client;

/* The words of the replies, per kind. */
static const char *const subscribe_word[PS_KINDS] = {"subscribe", "psubscribe", "ssubscribe"};
static const char *const unsubscribe_word[PS_KINDS] = {"unsubscribe", "punsubscribe",
                                                       "sunsubscribe"};

static const char *chan_key(const dict_node *n, size_t *len) {
    const ps_chan *ch = (const ps_chan *)n;
    *len = ch->len;
    return ch->name;
}

static const char *sub_key(const dict_node *n, size_t *len) {
    const ps_sub *s = (const ps_sub *)n;
    *len = s->chan->len;
    return s->chan->name;
}

static const dict_ops chan_ops = {chan_key, 0};
static const dict_ops sub_ops = {sub_key, 0};

static dict channels[PS_KINDS];
static int tables_ready;

static void tables_init(void) {
    if (tables_ready) return;
    for (int k = 0; k < PS_KINDS; k++) dict_init(&channels[k], &chan_ops);
    tables_ready = 1;
}

static ps_client *client_state(client *c, int create) {
    if (!c->pubsub && create) {
        ps_client *pc = mem_alloc(sizeof *pc);
        for (int k = 0; k < PS_KINDS; k++) dict_init(&pc->subs[k], &sub_ops);
        c->pubsub = pc;
    }
    return c->pubsub;
}

static size_t client_kind_count(const client *c, int kind) {
    const ps_client *pc = c->pubsub;
    return pc ? dict_size(&pc->subs[kind]) : 0;
}

size_t pubsub_client_channels(const client *c) {
    return client_kind_count(c, PS_CHANNEL);
}

size_t pubsub_client_patterns(const client *c) {
    return client_kind_count(c, PS_PATTERN);
}

size_t pubsub_client_shard_channels(const client *c) {
    return client_kind_count(c, PS_SHARD);
}

/* The count a (un)subscribe reply carries: shard subscriptions are counted
 * apart from channels and patterns, as in Redis. */
static long long reply_count(const client *c, int kind) {
    if (kind == PS_SHARD) return (long long)client_kind_count(c, PS_SHARD);
    return (long long)(client_kind_count(c, PS_CHANNEL) + client_kind_count(c, PS_PATTERN));
}

static size_t client_total(const client *c) {
    return client_kind_count(c, PS_CHANNEL) + client_kind_count(c, PS_PATTERN) +
           client_kind_count(c, PS_SHARD);
}

/* Leaves subscribed mode, and frees the tables, once nothing is left. */
static void release_if_idle(client *c) {
    ps_client *pc = c->pubsub;
    if (!pc || client_total(c)) return;
    for (int k = 0; k < PS_KINDS; k++) dict_clear(&pc->subs[k], NULL, NULL);
    mem_free(pc);
    c->pubsub = NULL;
    c->flags &= ~CLIENT_PUBSUB;
}

static void reply_subscription(client *c, const char *word, const char *name, size_t len,
                               long long count) {
    reply_push(c, 3);
    reply_bulk_cstr(c, word);
    if (name)
        reply_bulk(c, name, len);
    else
        reply_null(c);
    reply_int(c, count);
}

static ps_chan *chan_find(int kind, const char *name, size_t len) {
    tables_init();
    dict *d = &channels[kind];
    return (ps_chan *)dict_find(d, name, len, dict_hash_for(d, name, len));
}

static ps_chan *chan_get(int kind, const char *name, size_t len) {
    ps_chan *ch = chan_find(kind, name, len);
    if (ch) return ch;
    ch = mem_alloc(sizeof *ch + len + 1);
    ch->head = ch->tail = NULL;
    ch->len = len;
    memcpy(ch->name, name, len);
    ch->name[len] = '\0';
    dict_insert(&channels[kind], &ch->node, dict_hash_for(&channels[kind], name, len));
    return ch;
}

/* 1 if c was not yet subscribed to name. */
static int subscribe(client *c, int kind, const char *name, size_t len) {
    dict *mine = &client_state(c, 1)->subs[kind];
    uint64_t h = dict_hash_for(mine, name, len);
    if (dict_find(mine, name, len, h)) return 0;
    ps_chan *ch = chan_get(kind, name, len);
    ps_sub *s = mem_alloc(sizeof *s);
    s->c = c;
    s->chan = ch;
    s->next = NULL;
    s->prev = ch->tail;
    if (ch->tail)
        ch->tail->next = s;
    else
        ch->head = s;
    ch->tail = s;
    dict_insert(mine, &s->node, h);
    c->flags |= CLIENT_PUBSUB;
    return 1;
}

/* Removes one subscription; with notify, replies the unsubscribe message
 * while the channel's name still exists. 1 if c was subscribed. */
static int unsubscribe(client *c, int kind, const char *name, size_t len, int notify) {
    ps_client *pc = c->pubsub;
    ps_sub *s = NULL;
    if (pc) {
        dict *mine = &pc->subs[kind];
        s = (ps_sub *)dict_remove(mine, name, len, dict_hash_for(mine, name, len));
    }
    if (!s) {
        if (notify) reply_subscription(c, unsubscribe_word[kind], name, len, reply_count(c, kind));
        return 0;
    }
    ps_chan *ch = s->chan;
    if (s->prev)
        s->prev->next = s->next;
    else
        ch->head = s->next;
    if (s->next)
        s->next->prev = s->prev;
    else
        ch->tail = s->prev;
    if (notify) reply_subscription(c, unsubscribe_word[kind], ch->name, ch->len, reply_count(c, kind));
    if (!ch->head) {
        dict_remove(&channels[kind], ch->name, ch->len, dict_hash_for(&channels[kind], ch->name, ch->len));
        mem_free(ch);
    }
    mem_free(s);
    return 1;
}

/* Leaves every subscription of one kind; with notify, one reply each, or a
 * single one with a null name when there was none. */
static void unsubscribe_kind(client *c, int kind, int notify) {
    ps_client *pc = c->pubsub;
    size_t left = 0;
    if (pc) {
        dict_iter it;
        dict_iter_init(&pc->subs[kind], &it);
        dict_node *n;
        while ((n = dict_iter_next(&it))) {
            ps_sub *s = (ps_sub *)n;
            unsubscribe(c, kind, s->chan->name, s->chan->len, notify);
            left++;
        }
        dict_iter_done(&it);
    }
    if (notify && !left) reply_subscription(c, unsubscribe_word[kind], NULL, 0, reply_count(c, kind));
}

int pubsub_client_any_subscription(client *c,
                                   int (*pred)(const char *name, size_t len, int is_pattern,
                                               void *arg),
                                   void *arg) {
    ps_client *pc = c->pubsub;
    if (!pc) return 0;
    int found = 0;
    for (int k = 0; k < PS_KINDS && !found; k++) {
        dict_iter it;
        dict_iter_init(&pc->subs[k], &it);
        dict_node *n;
        while (!found && (n = dict_iter_next(&it))) {
            const ps_sub *s = (const ps_sub *)n;
            found = pred(s->chan->name, s->chan->len, k == PS_PATTERN, arg);
        }
        dict_iter_done(&it);
    }
    return found;
}

void pubsub_unsubscribe_all(client *c) {
    if (!c->pubsub) return;
    for (int k = 0; k < PS_KINDS; k++) unsubscribe_kind(c, k, 0);
    release_if_idle(c);
}

/* --- delivery --- */

static void send_message(client *c, const char *word, const ps_chan *pattern, const char *channel,
                         size_t clen, const char *msg, size_t mlen) {
    reply_push(c, pattern ? 4 : 3);
    reply_bulk_cstr(c, word);
    if (pattern) reply_bulk(c, pattern->name, pattern->len);
    reply_bulk(c, channel, clen);
    reply_bulk(c, msg, mlen);
}

static long long deliver(const ps_chan *ch, const char *word, const ps_chan *pattern,
                         const char *channel, size_t clen, const char *msg, size_t mlen) {
    long long n = 0;
    /* Sending never frees a client (over-limit ones are closed later), so
     * the list stays intact while it is walked. */
    for (const ps_sub *s = ch->head; s; s = s->next, n++)
        send_message(s->c, word, pattern, channel, clen, msg, mlen);
    return n;
}

long long pubsub_publish(const char *channel, size_t clen, const char *msg, size_t mlen) {
    long long receivers = 0;
    ps_chan *ch = chan_find(PS_CHANNEL, channel, clen);
    if (ch) receivers += deliver(ch, "message", NULL, channel, clen, msg, mlen);
    if (!dict_size(&channels[PS_PATTERN])) return receivers;
    dict_iter it;
    dict_iter_init(&channels[PS_PATTERN], &it);
    dict_node *n;
    while ((n = dict_iter_next(&it))) {
        const ps_chan *pat = (const ps_chan *)n;
        if (glob_match(pat->name, pat->len, channel, clen, 0))
            receivers += deliver(pat, "pmessage", pat, channel, clen, msg, mlen);
    }
    dict_iter_done(&it);
    return receivers;
}

static long long shard_publish(const char *channel, size_t clen, const char *msg, size_t mlen) {
    ps_chan *ch = chan_find(PS_SHARD, channel, clen);
    return ch ? deliver(ch, "smessage", NULL, channel, clen, msg, mlen) : 0;
}

size_t pubsub_channel_count(void) {
    tables_init();
    return dict_size(&channels[PS_CHANNEL]);
}

size_t pubsub_pattern_count(void) {
    tables_init();
    return dict_size(&channels[PS_PATTERN]);
}

size_t pubsub_shard_channel_count(void) {
    tables_init();
    return dict_size(&channels[PS_SHARD]);
}

int pubsub_context_allows(client *c, const command *cmd) {
    static const char *const allowed[] = {"ping",         "subscribe",   "ssubscribe",
                                          "psubscribe",   "unsubscribe", "sunsubscribe",
                                          "punsubscribe", "quit",        "reset",
                                          NULL};
    if (!(c->flags & CLIENT_PUBSUB) || c->resp != 2) return 1;
    if (!cmd->parent)
        for (int i = 0; allowed[i]; i++)
            if (strcmp(cmd->name, allowed[i]) == 0) return 1;
    reply_errorf(c,
                 "ERR Can't execute '%s': only (P|S)SUBSCRIBE / (P|S)UNSUBSCRIBE / PING / QUIT / "
                 "RESET are allowed in this context",
                 cmd->fullname);
    return 0;
}

/* --- commands --- */

static void subscribe_generic(client *c, int kind) {
    for (int i = 1; i < c->argc; i++) {
        subscribe(c, kind, c->argv[i].ptr, c->argv[i].len);
        reply_subscription(c, subscribe_word[kind], c->argv[i].ptr, c->argv[i].len,
                           reply_count(c, kind));
    }
}

static void unsubscribe_generic(client *c, int kind) {
    if (c->argc == 1)
        unsubscribe_kind(c, kind, 1);
    else
        for (int i = 1; i < c->argc; i++) unsubscribe(c, kind, c->argv[i].ptr, c->argv[i].len, 1);
    release_if_idle(c);
}

static void subscribe_command(client *c) {
    subscribe_generic(c, PS_CHANNEL);
}

static void psubscribe_command(client *c) {
    subscribe_generic(c, PS_PATTERN);
}

static void ssubscribe_command(client *c) {
    subscribe_generic(c, PS_SHARD);
}

static void unsubscribe_command(client *c) {
    unsubscribe_generic(c, PS_CHANNEL);
}

static void punsubscribe_command(client *c) {
    unsubscribe_generic(c, PS_PATTERN);
}

static void sunsubscribe_command(client *c) {
    unsubscribe_generic(c, PS_SHARD);
}

static void publish_command(client *c) {
    reply_int(c, pubsub_publish(c->argv[1].ptr, c->argv[1].len, c->argv[2].ptr, c->argv[2].len));
}

static void spublish_command(client *c) {
    reply_int(c, shard_publish(c->argv[1].ptr, c->argv[1].len, c->argv[2].ptr, c->argv[2].len));
}

/* PUBSUB's subcommands answer the syntax error Redis gives for extra
 * arguments after an optional pattern. */
static int pubsub_syntax_ok(client *c, int max_argc) {
    if (c->argc <= max_argc) return 1;
    reply_errorf(c, "ERR unknown subcommand or wrong number of arguments for '%.*s'. Try PUBSUB HELP.",
                 (int)(c->argv[1].len > 128 ? 128 : c->argv[1].len), c->argv[1].ptr);
    return 0;
}

static void list_channels(client *c, int kind) {
    if (!pubsub_syntax_ok(c, 3)) return;
    const resp_arg *pat = c->argc == 3 ? &c->argv[2] : NULL;
    tables_init();
    reply_deferred d = reply_defer(c);
    long n = 0;
    dict_iter it;
    dict_iter_init(&channels[kind], &it);
    dict_node *node;
    while ((node = dict_iter_next(&it))) {
        const ps_chan *ch = (const ps_chan *)node;
        if (pat && !glob_match(pat->ptr, pat->len, ch->name, ch->len, 0)) continue;
        reply_bulk(c, ch->name, ch->len);
        n++;
    }
    dict_iter_done(&it);
    reply_defer_array(c, d, n);
}

static void count_subscribers(client *c, int kind) {
    reply_array(c, (long)(c->argc - 2) * 2);
    for (int i = 2; i < c->argc; i++) {
        const ps_chan *ch = chan_find(kind, c->argv[i].ptr, c->argv[i].len);
        long long n = 0;
        for (const ps_sub *s = ch ? ch->head : NULL; s; s = s->next) n++;
        reply_bulk(c, c->argv[i].ptr, c->argv[i].len);
        reply_int(c, n);
    }
}

static void pubsub_channels_command(client *c) {
    list_channels(c, PS_CHANNEL);
}

static void pubsub_shardchannels_command(client *c) {
    list_channels(c, PS_SHARD);
}

static void pubsub_numsub_command(client *c) {
    count_subscribers(c, PS_CHANNEL);
}

static void pubsub_shardnumsub_command(client *c) {
    count_subscribers(c, PS_SHARD);
}

static void pubsub_numpat_command(client *c) {
    reply_int(c, (long long)pubsub_pattern_count());
}

static void pubsub_help_command(client *c) {
    static const char *const lines[] = {
        "CHANNELS [<pattern>]",
        "    Return the currently active channels matching a <pattern> (default: '*').",
        "NUMPAT",
        "    Return number of subscriptions to patterns.",
        "NUMSUB [<channel> ...]",
        "    Return the number of subscribers for the specified channels, excluding",
        "    pattern subscriptions(default: no channels).",
        "SHARDCHANNELS [<pattern>]",
        "    Return the currently active shard level channels matching a <pattern> (default: '*').",
        "SHARDNUMSUB [<shardchannel> ...]",
        "    Return the number of subscribers for the specified shard level channel(s)",
        NULL,
    };
    reply_help(c, lines);
}

static void pubsub_container(client *c) {
    reply_error_arity(c);
}

#define PS_FLAGS (CMD_PUBSUB | CMD_LOADING | CMD_STALE)

static command pubsub_subs[] = {
    {"channels", pubsub_channels_command, -2, PS_FLAGS, 0, 0, 0, 0,
     .summary = "Name the channels that have subscribers", .since = "2.8.0", .group = "pubsub",
     .complexity = "O(N) in the channels with subscribers, for short names and patterns"},
    {"help", pubsub_help_command, 2, CMD_LOADING | CMD_STALE, 0, 0, 0, 0,
     .summary = "Describe the PUBSUB subcommands", .since = "6.2.0", .group = "pubsub",
     .complexity = "O(1)"},
    {"numpat", pubsub_numpat_command, 2, PS_FLAGS, 0, 0, 0, 0,
     .summary = "Count the pattern subscriptions of all clients", .since = "2.8.0",
     .group = "pubsub", .complexity = "O(1)"},
    {"numsub", pubsub_numsub_command, -2, PS_FLAGS, 0, 0, 0, 0,
     .summary = "Count the subscribers of each named channel", .since = "2.8.0", .group = "pubsub",
     .complexity = "O(N) in the channels named"},
    {"shardchannels", pubsub_shardchannels_command, -2, PS_FLAGS, 0, 0, 0, 0,
     .summary = "Name the shard channels that have subscribers", .since = "7.0.0",
     .group = "pubsub",
     .complexity = "O(N) in the shard channels with subscribers, for short names and patterns."},
    {"shardnumsub", pubsub_shardnumsub_command, -2, PS_FLAGS, 0, 0, 0, 0,
     .summary = "Count the subscribers of each named shard channel", .since = "7.0.0",
     .group = "pubsub", .complexity = "O(N) in the shard channels named"},
    {0},
};

static command pubsub_commands[] = {
    {"subscribe", subscribe_command, -2, PS_FLAGS | CMD_NOSCRIPT, 0, 0, 0, 0,
     .summary = "Receive the messages sent to the named channels", .since = "2.0.0",
     .group = "pubsub", .complexity = "O(N) in the channels named."},
    {"unsubscribe", unsubscribe_command, -1, PS_FLAGS | CMD_NOSCRIPT, 0, 0, 0, 0,
     .summary = "Drop channel subscriptions, all of them when none is named", .since = "2.0.0",
     .group = "pubsub", .complexity = "O(N) in the clients subscribed to a channel."},
    {"psubscribe", psubscribe_command, -2, PS_FLAGS | CMD_NOSCRIPT, 0, 0, 0, 0,
     .summary = "Receive the messages of every channel whose name matches a pattern",
     .since = "2.0.0", .group = "pubsub",
     .complexity = "O(N) in the client's pattern subscriptions."},
    {"punsubscribe", punsubscribe_command, -1, PS_FLAGS | CMD_NOSCRIPT, 0, 0, 0, 0,
     .summary = "Drop pattern subscriptions, all of them when none is named", .since = "2.0.0",
     .group = "pubsub",
     .complexity = "O(N+M): N pattern subscriptions of this client, M of all clients."},
    {"publish", publish_command, 3, PS_FLAGS | CMD_FAST, 0, 0, 0, 0,
     .summary = "Send a message to a channel's subscribers", .since = "2.0.0", .group = "pubsub",
     .complexity = "O(N+M): N subscribers of the channel, M pattern subscriptions of all clients."},
    {"ssubscribe", ssubscribe_command, -2, PS_FLAGS | CMD_NOSCRIPT, 0, 1, -1, 1,
     .summary = "Receive the messages sent to the named shard channels", .since = "7.0.0",
     .group = "pubsub", .complexity = "O(N) in the shard channels named."},
    {"sunsubscribe", sunsubscribe_command, -1, PS_FLAGS | CMD_NOSCRIPT, 0, 1, -1, 1,
     .summary = "Drop shard channel subscriptions, all of them when none is named",
     .since = "7.0.0", .group = "pubsub",
     .complexity = "O(N) in the clients subscribed to a shard channel."},
    {"spublish", spublish_command, 3, PS_FLAGS | CMD_FAST, 0, 1, 1, 1,
     .summary = "Send a message to a shard channel's subscribers", .since = "7.0.0",
     .group = "pubsub", .complexity = "O(N) in the subscribers of the shard channel."},
    {"pubsub", pubsub_container, -2, 0, 0, 0, 0, 0,
     .summary = "Container for subcommands that inspect publish/subscribe state", .since = "2.8.0",
     .group = "pubsub", .complexity = "Set by the subcommand.", .subcommands = pubsub_subs},
    {0},
};

void pubsub_register(void) {
    tables_init();
    command_register(pubsub_commands);
}

static void free_chan(dict_node *n, void *arg) {
    (void)arg;
    mem_free(n);
}

void pubsub_free_all(void) {
    if (!tables_ready) return;
    for (int k = 0; k < PS_KINDS; k++) dict_clear(&channels[k], free_chan, NULL);
    tables_ready = 0;
}
