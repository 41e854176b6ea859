/*
 * expire_cmds.c - key expiry commands: EXPIRE PEXPIRE EXPIREAT PEXPIREAT,
 * TTL PTTL EXPIRETIME PEXPIRETIME, PERSIST.
 *
 * All four setters share expire_generic(): the time is turned into an
 * absolute unix time in ms (overflow in the unit conversion or the addition
 * is an error, never a wrap), the NX/XX/GT/LT conditions are checked against
 * the current expire (none counts as an infinite TTL), and a time at or
 * before now deletes the key at once, reported as "del" as Redis does.
 * All times come from clock_cmd_ms(), so a command sees one instant.
 *
 * Called by: the dispatcher; registered by key_register() (key.c) through
 * key__expire_register().
 */
#include <limits.h>
#include <string.h>

#include "server/effects.h"
#include "server/handler.h"

void key__expire_register(void);

enum { EXP_NX = 1, EXP_XX = 2, EXP_GT = 4, EXP_LT = 8 };

/* Parses the condition flags from argv[3]; replies and returns -1 on error. */
static int parse_expire_flags(client *c, int *flags) {
    static const struct {
        const char *name;
        int flag;
    } opts[] = {{"nx", EXP_NX}, {"xx", EXP_XX}, {"gt", EXP_GT}, {"lt", EXP_LT}};
    *flags = 0;
    for (int j = 3; j < c->argc; j++) {
        size_t k = 0;
        while (k < 4 && !arg_is(&c->argv[j], opts[k].name)) k++;
        if (k == 4) {
            /* Redis prints the option as a C string: it ends at a NUL byte. */
            const resp_arg *a = &c->argv[j];
            size_t n = strnlen(a->ptr, a->len);
            reply_errorf(c, "ERR Unsupported option %.*s", (int)(n > 1024 ? 1024 : n), a->ptr);
            return -1;
        }
        *flags |= opts[k].flag;
    }
    if ((*flags & EXP_NX) && (*flags & (EXP_XX | EXP_GT | EXP_LT))) {
        reply_error(c, "ERR NX and XX, GT or LT options at the same time are not compatible");
        return -1;
    }
    if ((*flags & EXP_GT) && (*flags & EXP_LT)) {
        reply_error(c, "ERR GT and LT options at the same time are not compatible");
        return -1;
    }
    return 0;
}

static void reply_bad_time(client *c) {
    reply_errorf(c, "ERR invalid expire time in '%s' command", c->cmd ? c->cmd->name : "expire");
}

/* basetime: 0 for the absolute forms, now for the relative ones;
 * seconds: the argument counts seconds rather than ms. */
static void expire_generic(client *c, long long basetime, int seconds) {
    const resp_arg *key = &c->argv[1];
    int flags;
    long long when;
    if (parse_expire_flags(c, &flags) < 0) return;
    if (arg_ll(c, &c->argv[2], &when) < 0) return;
    if (seconds) {
        if (when > LLONG_MAX / 1000 || when < LLONG_MIN / 1000) {
            reply_bad_time(c);
            return;
        }
        when *= 1000;
    }
    if (when > LLONG_MAX - basetime) {
        reply_bad_time(c);
        return;
    }
    when += basetime;

    kv *e = lookup_write(c, key);
    if (!e) {
        reply_int(c, 0);
        return;
    }
    if (flags) {
        long long cur = db_get_expire(c->db, e);
        if ((flags & EXP_NX) && cur != -1) goto not_set;
        if ((flags & EXP_XX) && cur == -1) goto not_set;
        /* No expire is an infinite TTL: never less than, always greater than. */
        if ((flags & EXP_GT) && (cur == -1 || when <= cur)) goto not_set;
        if ((flags & EXP_LT) && cur != -1 && when >= cur) goto not_set;
    }
    if (when <= clock_cmd_ms()) {
        db_delete(c->db, key->ptr, key->len);
        key_modified(c, key->ptr, key->len);
        db_notify(NOTIFY_GENERIC, "del", c->db, key->ptr, key->len);
        effect_log_del(c->dbid, key);
        reply_int(c, 1);
        return;
    }
    db_set_expire(c->db, e, when);
    key_modified(c, key->ptr, key->len);
    db_notify(NOTIFY_GENERIC, "expire", c->db, key->ptr, key->len);
    /* Every form is logged absolute: a relative time would restart on
     * replay, and NX/XX/GT/LT were decided against the state of now. */
    effect_log_pexpireat(c->dbid, key, when);
    reply_int(c, 1);
    return;
not_set:
    reply_int(c, 0);
}

static void expire_command(client *c) {
    expire_generic(c, clock_cmd_ms(), 1);
}

static void pexpire_command(client *c) {
    expire_generic(c, clock_cmd_ms(), 0);
}

static void expireat_command(client *c) {
    expire_generic(c, 0, 1);
}

static void pexpireat_command(client *c) {
    expire_generic(c, 0, 0);
}

/* -2 missing key, -1 no expire; otherwise the remaining time (relative) or
 * the expire time (absolute), never below 0, seconds rounded to nearest. */
static void ttl_generic(client *c, int ms, int absolute) {
    kv *e = db_lookup(c->db, c->argv[1].ptr, c->argv[1].len, LOOKUP_NOTOUCH);
    if (!e) {
        reply_int(c, -2);
        return;
    }
    long long when = db_get_expire(c->db, e);
    if (when == -1) {
        reply_int(c, -1);
        return;
    }
    long long t = absolute ? when : when - clock_cmd_ms();
    if (t < 0) t = 0;
    reply_int(c, ms ? t : (t + 500) / 1000);
}

static void ttl_command(client *c) {
    ttl_generic(c, 0, 0);
}

static void pttl_command(client *c) {
    ttl_generic(c, 1, 0);
}

static void expiretime_command(client *c) {
    ttl_generic(c, 0, 1);
}

static void pexpiretime_command(client *c) {
    ttl_generic(c, 1, 1);
}

static void persist_command(client *c) {
    const resp_arg *key = &c->argv[1];
    kv *e = lookup_write(c, key);
    if (!e || !db_persist(c->db, e)) {
        reply_int(c, 0);
        return;
    }
    key_modified(c, key->ptr, key->len);
    db_notify(NOTIFY_GENERIC, "persist", c->db, key->ptr, key->len);
    reply_int(c, 1);
}

#define KEY1 .first_key = 1, .last_key = 1, .key_step = 1

static command expire_commands[] = {
    {.name = "expire", .proc = expire_command, .arity = -3, .flags = CMD_WRITE | CMD_FAST,
     .acl = ACL_KEYSPACE, KEY1, .summary = "Makes a key expire after N seconds.",
     .since = "1.0.0", .group = "generic", .complexity = "O(1)"},
    {.name = "pexpire", .proc = pexpire_command, .arity = -3, .flags = CMD_WRITE | CMD_FAST,
     .acl = ACL_KEYSPACE, KEY1, .summary = "Makes a key expire after N milliseconds.",
     .since = "2.6.0", .group = "generic", .complexity = "O(1)"},
    {.name = "expireat", .proc = expireat_command, .arity = -3, .flags = CMD_WRITE | CMD_FAST,
     .acl = ACL_KEYSPACE, KEY1, .summary = "Sets a key's expiry to a unix time in seconds.",
     .since = "1.2.0", .group = "generic", .complexity = "O(1)"},
    {.name = "pexpireat", .proc = pexpireat_command, .arity = -3, .flags = CMD_WRITE | CMD_FAST,
     .acl = ACL_KEYSPACE, KEY1,
     .summary = "Sets a key's expiry to a unix time in milliseconds.", .since = "2.6.0",
     .group = "generic", .complexity = "O(1)"},
    {.name = "ttl", .proc = ttl_command, .arity = 2, .flags = CMD_READONLY | CMD_FAST,
     .acl = ACL_KEYSPACE, KEY1, .summary = "Returns a key's remaining time to live in seconds.",
     .since = "1.0.0", .group = "generic", .complexity = "O(1)"},
    {.name = "pttl", .proc = pttl_command, .arity = 2, .flags = CMD_READONLY | CMD_FAST,
     .acl = ACL_KEYSPACE, KEY1,
     .summary = "Returns a key's remaining time to live in milliseconds.", .since = "2.6.0",
     .group = "generic", .complexity = "O(1)"},
    {.name = "expiretime", .proc = expiretime_command, .arity = 2,
     .flags = CMD_READONLY | CMD_FAST, .acl = ACL_KEYSPACE, KEY1,
     .summary = "Returns a key's expiry as a unix time in seconds.", .since = "7.0.0",
     .group = "generic", .complexity = "O(1)"},
    {.name = "pexpiretime", .proc = pexpiretime_command, .arity = 2,
     .flags = CMD_READONLY | CMD_FAST, .acl = ACL_KEYSPACE, KEY1,
     .summary = "Returns a key's expiry as a unix time in milliseconds.", .since = "7.0.0",
     .group = "generic", .complexity = "O(1)"},
    {.name = "persist", .proc = persist_command, .arity = 2, .flags = CMD_WRITE | CMD_FAST,
     .acl = ACL_KEYSPACE, KEY1, .summary = "Removes a key's expiry.", .since = "2.2.0",
     .group = "generic", .complexity = "O(1)"},
    {.name = NULL},
};

void key__expire_register(void) {
    command_register(expire_commands);
}
