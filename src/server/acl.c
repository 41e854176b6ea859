/*
 * acl.c - users, their rules and the permission check (see acl.h).
 *
 * Rules are compiled eagerly: a command rule sets bits in the selector's
 * bitmap (a category rule sets the bits of every command in it, as Redis
 * does), so checking a command is one bit test. ACL LIST prints the bitmap
 * back as rules with Redis's algorithm: +@all or -@all, then the best
 * fitting categories, then single commands.
 */
#include "server/acl.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "ds/glob.h"
#include "ds/mem.h"
#include "server/client.h"
#include "server/command.h"
#include "server/config.h"
#include "server/handler.h"
#include "server/pubsub.h"
#include "server/reply.h"

extern const char *const acl_category_names[ACL_CATEGORY_COUNT];

#define ACL_CMD_BITS 1024
#define ACL_WORDS (ACL_CMD_BITS / 64)
/* Set only by +@all: the user may also run commands added later. */
#define ACL_FUTURE_BIT (ACL_CMD_BITS - 1)

enum { SEL_ROOT = 1, SEL_ALLKEYS = 2, SEL_ALLCHANNELS = 4, SEL_ALLCOMMANDS = 8 };
enum { PERM_READ = 1, PERM_WRITE = 2, PERM_ALL = 3 };
enum { USER_ON = 1, USER_OFF = 2, USER_NOPASS = 4, USER_SKIP_SANITIZE = 8, USER_SANITIZE = 16 };

/* Why a rule was refused; the texts are Redis's. */
enum {
    RULE_OK = 0,
    RULE_SYNTAX,
    RULE_UNKNOWN,
    RULE_KEYS_AFTER_ALL,
    RULE_CHANNELS_AFTER_ALL,
    RULE_NO_SUCH_PASSWORD,
    RULE_BAD_HASH,
    RULE_SUBCOMMAND_FIRSTARG,
};

static const char *rule_error_text(int code) {
    switch (code) {
    case RULE_UNKNOWN: return "Unknown command or category name in ACL";
    case RULE_KEYS_AFTER_ALL:
        return "Adding a pattern after the * pattern (or the 'allkeys' flag) is not valid and "
               "does not have any effect. Try 'resetkeys' to start with an empty list of patterns";
    case RULE_CHANNELS_AFTER_ALL:
        return "Adding a pattern after the * pattern (or the 'allchannels' flag) is not valid and "
               "does not have any effect. Try 'resetchannels' to start with an empty list of "
               "channels";
    case RULE_NO_SUCH_PASSWORD:
        return "The password you are trying to remove from the user does not exist";
    case RULE_BAD_HASH:
        return "The password hash must be exactly 64 characters and contain only lowercase "
               "hexadecimal characters";
    case RULE_SUBCOMMAND_FIRSTARG: return "Allowing first-arg of a subcommand is not supported";
    default: return "Syntax error";
    }
}

typedef struct acl_str {
    char *p;
    size_t len;
} acl_str;

typedef struct acl_keypat {
    acl_str pat;
    int perm;
} acl_keypat;

/* "+select|0": first arguments allowed for a command whose bit is off. */
typedef struct acl_firstargs {
    int id;
    acl_str *args;
    int n;
} acl_firstargs;

typedef struct acl_selector {
    int flags;
    uint64_t bits[ACL_WORDS];
    acl_keypat *keys;
    int nkeys;
    acl_str *chans;
    int nchans;
    acl_firstargs *fa;
    int nfa;
} acl_selector;

struct acl_user {
    char *name;
    size_t nlen;
    int flags;
    char (*pass)[65];
    int npass;
    acl_selector **sels; /* sels[0]: the root selector */
    int nsels;
    int unrestricted;    /* one selector with every command, key and channel */
};

static int channel_allowed(const acl_selector *s, const resp_arg *ch, int is_pattern);
static acl_user *client_user(const client *c);

static acl_user **users;
static int nusers;
static acl_user *default_user;
static int pubsub_default_all; /* acl-pubsub-default allchannels */
/* Commands by ACL id (top level and subcommands), filled at startup. */
static command **by_id;
static int max_id;

/* ---------------------------------------------------------------------
 * small helpers
 * ------------------------------------------------------------------- */

static acl_str str_dup(const char *p, size_t len) {
    acl_str s = {mem_alloc(len + 1), len};
    memcpy(s.p, p, len);
    s.p[len] = '\0';
    return s;
}

static int str_eq(const acl_str *s, const char *p, size_t len) {
    return s->len == len && memcmp(s->p, p, len) == 0;
}

static int word_is(const char *p, size_t len, const char *kw) {
    return strlen(kw) == len && strncasecmp(p, kw, len) == 0;
}

void acl_sha256_hex(const char *data, size_t len, char out[65]) {
    unsigned char md[32];
    unsigned int mdlen = 0;
    EVP_Digest(data, len, md, &mdlen, EVP_sha256(), NULL);
    static const char hex[] = "0123456789abcdef";
    for (int i = 0; i < 32; i++) {
        out[2 * i] = hex[md[i] >> 4];
        out[2 * i + 1] = hex[md[i] & 15];
    }
    out[64] = '\0';
}

/* A text builder for descriptions. */
typedef struct text {
    char *p;
    size_t len, cap;
} text;

static void text_add(text *t, const char *s, size_t n) {
    if (t->len + n + 1 > t->cap) {
        t->cap = (t->len + n + 1) * 2;
        t->p = mem_realloc(t->p, t->cap);
    }
    memcpy(t->p + t->len, s, n);
    t->len += n;
    t->p[t->len] = '\0';
}

static void text_cat(text *t, const char *s) {
    text_add(t, s, strlen(s));
}

static char *text_take(text *t) {
    if (!t->p) text_add(t, "", 0);
    return t->p;
}

/* ---------------------------------------------------------------------
 * the command table as ACL sees it
 * ------------------------------------------------------------------- */

static void index_one(command *cmd, void *arg) {
    (void)arg;
    if (cmd->acl_id < ACL_FUTURE_BIT) by_id[cmd->acl_id] = cmd;
    if (cmd->acl_id + 1 > max_id) max_id = cmd->acl_id + 1;
    if (cmd->subcommands)
        for (command *s = cmd->subcommands; s->name; s++) index_one(s, NULL);
}

static void index_commands(void) {
    mem_free(by_id);
    by_id = mem_calloc(sizeof(command *) * ACL_CMD_BITS);
    max_id = 0;
    command_foreach(index_one, NULL);
    if (max_id > ACL_FUTURE_BIT) max_id = ACL_FUTURE_BIT;
}

/* "get" or "config|get"; NULL if unknown. */
static command *lookup_rule_command(const char *name, size_t len) {
    const char *bar = memchr(name, '|', len);
    if (!bar) return command_lookup(name, len);
    command *parent = command_lookup(name, (size_t)(bar - name));
    if (!parent || !parent->subcommands) return NULL;
    const char *sub = bar + 1;
    size_t slen = len - (size_t)(sub - name);
    for (command *s = parent->subcommands; s->name; s++)
        if (strlen(s->name) == slen && strncasecmp(s->name, sub, slen) == 0) return s;
    return NULL;
}

/* ---------------------------------------------------------------------
 * selectors
 * ------------------------------------------------------------------- */

static int bit_get(const acl_selector *s, int id) {
    return (s->bits[id / 64] >> (id % 64)) & 1;
}

static void bit_set(acl_selector *s, int id, int on) {
    if (id < 0 || id >= ACL_CMD_BITS) return;
    if (on) {
        s->bits[id / 64] |= 1ULL << (id % 64);
    } else {
        s->bits[id / 64] &= ~(1ULL << (id % 64));
        s->flags &= ~SEL_ALLCOMMANDS;
    }
}

static void firstargs_clear(acl_firstargs *f) {
    for (int i = 0; i < f->n; i++) mem_free(f->args[i].p);
    mem_free(f->args);
    f->args = NULL;
    f->n = 0;
}

static void firstargs_reset_all(acl_selector *s) {
    for (int i = 0; i < s->nfa; i++) firstargs_clear(&s->fa[i]);
    mem_free(s->fa);
    s->fa = NULL;
    s->nfa = 0;
}

static acl_firstargs *firstargs_of(const acl_selector *s, int id) {
    for (int i = 0; i < s->nfa; i++)
        if (s->fa[i].id == id && s->fa[i].n) return &s->fa[i];
    return NULL;
}

static void firstargs_reset(acl_selector *s, int id) {
    acl_firstargs *f = firstargs_of(s, id);
    if (f) firstargs_clear(f);
}

static void firstargs_add(acl_selector *s, int id, const char *arg, size_t len) {
    acl_firstargs *f = NULL;
    for (int i = 0; i < s->nfa; i++)
        if (s->fa[i].id == id) f = &s->fa[i];
    if (!f) {
        s->fa = mem_realloc(s->fa, sizeof(acl_firstargs) * (size_t)(s->nfa + 1));
        f = &s->fa[s->nfa++];
        f->id = id;
        f->args = NULL;
        f->n = 0;
    }
    for (int i = 0; i < f->n; i++)
        if (f->args[i].len == len && strncasecmp(f->args[i].p, arg, len) == 0) return;
    f->args = mem_realloc(f->args, sizeof(acl_str) * (size_t)(f->n + 1));
    f->args[f->n++] = str_dup(arg, len);
}

/* Allowing or blocking a container applies to its subcommands too. */
static void change_perm(acl_selector *s, const command *cmd, int allow) {
    bit_set(s, cmd->acl_id, allow);
    firstargs_reset(s, cmd->acl_id);
    if (cmd->subcommands)
        for (const command *sub = cmd->subcommands; sub->name; sub++) bit_set(s, sub->acl_id, allow);
}

static void set_category(acl_selector *s, int cat, int allow) {
    for (int id = 0; id < max_id; id++) {
        const command *cmd = by_id[id];
        if (cmd && (cmd->acl & (1u << cat))) change_perm(s, cmd, allow);
    }
}

static void count_category(const acl_selector *s, int cat, unsigned long *on, unsigned long *off) {
    *on = *off = 0;
    for (int id = 0; id < max_id; id++) {
        const command *cmd = by_id[id];
        if (!cmd || !(cmd->acl & (1u << cat))) continue;
        if (bit_get(s, id))
            (*on)++;
        else
            (*off)++;
    }
}

static acl_selector *selector_new(int flags) {
    acl_selector *s = mem_calloc(sizeof *s);
    s->flags = flags;
    if (pubsub_default_all) s->flags |= SEL_ALLCHANNELS;
    return s;
}

static void keys_clear(acl_selector *s) {
    for (int i = 0; i < s->nkeys; i++) mem_free(s->keys[i].pat.p);
    mem_free(s->keys);
    s->keys = NULL;
    s->nkeys = 0;
}

static void chans_clear(acl_selector *s) {
    for (int i = 0; i < s->nchans; i++) mem_free(s->chans[i].p);
    mem_free(s->chans);
    s->chans = NULL;
    s->nchans = 0;
}

static void selector_free(acl_selector *s) {
    if (!s) return;
    keys_clear(s);
    chans_clear(s);
    firstargs_reset_all(s);
    mem_free(s);
}

static acl_selector *selector_copy(const acl_selector *src) {
    acl_selector *s = mem_calloc(sizeof *s);
    s->flags = src->flags;
    memcpy(s->bits, src->bits, sizeof s->bits);
    if (src->nkeys) {
        s->keys = mem_alloc(sizeof(acl_keypat) * (size_t)src->nkeys);
        for (int i = 0; i < src->nkeys; i++) {
            s->keys[i].pat = str_dup(src->keys[i].pat.p, src->keys[i].pat.len);
            s->keys[i].perm = src->keys[i].perm;
        }
        s->nkeys = src->nkeys;
    }
    if (src->nchans) {
        s->chans = mem_alloc(sizeof(acl_str) * (size_t)src->nchans);
        for (int i = 0; i < src->nchans; i++) s->chans[i] = str_dup(src->chans[i].p, src->chans[i].len);
        s->nchans = src->nchans;
    }
    for (int i = 0; i < src->nfa; i++)
        for (int j = 0; j < src->fa[i].n; j++)
            firstargs_add(s, src->fa[i].id, src->fa[i].args[j].p, src->fa[i].args[j].len);
    return s;
}

/* ~pat %R~pat %W~pat %RW~pat */
static int add_key_pattern(acl_selector *s, const char *op, size_t len) {
    if (s->flags & SEL_ALLKEYS) return RULE_KEYS_AFTER_ALL;
    int perm = 0;
    size_t off = 1;
    if (op[0] == '%') {
        for (; off < len; off++) {
            char ch = op[off];
            if ((ch == 'R' || ch == 'r') && !(perm & PERM_READ)) {
                perm |= PERM_READ;
            } else if ((ch == 'W' || ch == 'w') && !(perm & PERM_WRITE)) {
                perm |= PERM_WRITE;
            } else if (ch == '~') {
                off++;
                break;
            } else {
                return RULE_SYNTAX;
            }
        }
    } else {
        perm = PERM_ALL;
    }
    if (!perm) return RULE_SYNTAX;
    const char *pat = op + off;
    size_t plen = len > off ? len - off : 0;
    if (perm == PERM_ALL && plen == 1 && pat[0] == '*') {
        s->flags |= SEL_ALLKEYS;
        keys_clear(s);
        return RULE_OK;
    }
    for (int i = 0; i < s->nkeys; i++) {
        if (str_eq(&s->keys[i].pat, pat, plen)) {
            s->keys[i].perm |= perm;
            return RULE_OK;
        }
    }
    s->keys = mem_realloc(s->keys, sizeof(acl_keypat) * (size_t)(s->nkeys + 1));
    s->keys[s->nkeys].pat = str_dup(pat, plen);
    s->keys[s->nkeys].perm = perm;
    s->nkeys++;
    return RULE_OK;
}

static int add_channel_pattern(acl_selector *s, const char *pat, size_t plen) {
    if (s->flags & SEL_ALLCHANNELS) return RULE_CHANNELS_AFTER_ALL;
    for (int i = 0; i < s->nchans; i++)
        if (str_eq(&s->chans[i], pat, plen)) return RULE_OK;
    s->chans = mem_realloc(s->chans, sizeof(acl_str) * (size_t)(s->nchans + 1));
    s->chans[s->nchans++] = str_dup(pat, plen);
    return RULE_OK;
}

/* +cmd, +cmd|sub (a subcommand, or a first argument of a plain command). */
static int allow_command(acl_selector *s, const char *name, size_t len) {
    const char *bar = NULL;
    for (size_t i = len; i > 0; i--)
        if (name[i - 1] == '|') {
            bar = name + i - 1;
            break;
        }
    if (!bar) {
        command *cmd = lookup_rule_command(name, len);
        if (!cmd) return RULE_UNKNOWN;
        change_perm(s, cmd, 1);
        return RULE_OK;
    }
    command *cmd = lookup_rule_command(name, (size_t)(bar - name));
    if (!cmd) return RULE_UNKNOWN;
    if (cmd->parent) return RULE_SUBCOMMAND_FIRSTARG;
    const char *sub = bar + 1;
    size_t slen = len - (size_t)(sub - name);
    if (slen == 0) return RULE_SYNTAX;
    if (cmd->subcommands) {
        command *subcmd = lookup_rule_command(name, len);
        if (!subcmd) return RULE_UNKNOWN;
        change_perm(s, subcmd, 1);
    } else {
        firstargs_add(s, cmd->acl_id, sub, slen);
    }
    return RULE_OK;
}

static void set_all_commands(acl_selector *s, int on) {
    memset(s->bits, on ? 0xff : 0, sizeof s->bits);
    if (on)
        s->flags |= SEL_ALLCOMMANDS;
    else
        s->flags &= ~SEL_ALLCOMMANDS;
    firstargs_reset_all(s);
}

/* One rule that a selector owns (keys, channels, commands). */
static int selector_apply(acl_selector *s, const char *op, size_t len) {
    if (len == 0) return RULE_SYNTAX;
    if (word_is(op, len, "allkeys") || (len == 2 && op[0] == '~' && op[1] == '*')) {
        s->flags |= SEL_ALLKEYS;
        keys_clear(s);
    } else if (word_is(op, len, "resetkeys")) {
        s->flags &= ~SEL_ALLKEYS;
        keys_clear(s);
    } else if (word_is(op, len, "allchannels") || (len == 2 && op[0] == '&' && op[1] == '*')) {
        s->flags |= SEL_ALLCHANNELS;
        chans_clear(s);
    } else if (word_is(op, len, "resetchannels")) {
        s->flags &= ~SEL_ALLCHANNELS;
        chans_clear(s);
    } else if (word_is(op, len, "allcommands") || word_is(op, len, "+@all")) {
        set_all_commands(s, 1);
    } else if (word_is(op, len, "nocommands") || word_is(op, len, "-@all")) {
        set_all_commands(s, 0);
    } else if (op[0] == '~' || op[0] == '%') {
        return add_key_pattern(s, op, len);
    } else if (op[0] == '&') {
        return add_channel_pattern(s, op + 1, len - 1);
    } else if ((op[0] == '+' || op[0] == '-') && len > 1 && op[1] == '@') {
        int cat = acl_category_by_name(op + 2, len - 2);
        if (cat < 0) return RULE_UNKNOWN;
        set_category(s, cat, op[0] == '+');
    } else if (op[0] == '+') {
        return allow_command(s, op + 1, len - 1);
    } else if (op[0] == '-') {
        command *cmd = lookup_rule_command(op + 1, len - 1);
        if (!cmd) return RULE_UNKNOWN;
        change_perm(s, cmd, 0);
    } else {
        return RULE_SYNTAX;
    }
    return RULE_OK;
}

/* ---------------------------------------------------------------------
 * users
 * ------------------------------------------------------------------- */

static acl_user *user_new(const char *name, size_t nlen) {
    acl_user *u = mem_calloc(sizeof *u);
    u->name = str_dup(name, nlen).p;
    u->nlen = nlen;
    u->flags = USER_OFF;
    u->sels = mem_alloc(sizeof(acl_selector *));
    u->sels[0] = selector_new(SEL_ROOT);
    u->nsels = 1;
    return u;
}

void acl_user_free(acl_user *u) {
    if (!u) return;
    for (int i = 0; i < u->nsels; i++) selector_free(u->sels[i]);
    mem_free(u->sels);
    mem_free(u->pass);
    mem_free(u->name);
    mem_free(u);
}

static acl_user *user_copy(const acl_user *src) {
    acl_user *u = mem_calloc(sizeof *u);
    u->name = str_dup(src->name, src->nlen).p;
    u->nlen = src->nlen;
    u->flags = src->flags;
    if (src->npass) {
        u->pass = mem_alloc(sizeof(*u->pass) * (size_t)src->npass);
        memcpy(u->pass, src->pass, sizeof(*u->pass) * (size_t)src->npass);
        u->npass = src->npass;
    }
    u->sels = mem_alloc(sizeof(acl_selector *) * (size_t)src->nsels);
    for (int i = 0; i < src->nsels; i++) u->sels[i] = selector_copy(src->sels[i]);
    u->nsels = src->nsels;
    return u;
}

static void update_unrestricted(acl_user *u) {
    int all = SEL_ALLCOMMANDS | SEL_ALLKEYS | SEL_ALLCHANNELS;
    u->unrestricted = u->nsels == 1 && (u->sels[0]->flags & all) == all;
}

static void clear_selectors(acl_user *u) {
    for (int i = 1; i < u->nsels; i++) selector_free(u->sels[i]);
    u->nsels = 1;
}

static void password_add(acl_user *u, const char hash[65]) {
    for (int i = 0; i < u->npass; i++)
        if (!memcmp(u->pass[i], hash, 64)) return;
    u->pass = mem_realloc(u->pass, sizeof(*u->pass) * (size_t)(u->npass + 1));
    memcpy(u->pass[u->npass++], hash, 65);
}

static int password_remove(acl_user *u, const char hash[65]) {
    for (int i = 0; i < u->npass; i++) {
        if (memcmp(u->pass[i], hash, 64)) continue;
        memmove(u->pass[i], u->pass[i + 1], sizeof(*u->pass) * (size_t)(u->npass - i - 1));
        u->npass--;
        return RULE_OK;
    }
    return RULE_NO_SUCH_PASSWORD;
}

static int valid_hash(const char *p, size_t len) {
    if (len != 64) return 0;
    for (size_t i = 0; i < len; i++)
        if (!((p[i] >= '0' && p[i] <= '9') || (p[i] >= 'a' && p[i] <= 'f'))) return 0;
    return 1;
}

static int user_apply(acl_user *u, const char *op, size_t len);

/* "(rule rule ...)": a new selector built from the rules inside. */
static int add_selector(acl_user *u, const char *op, size_t len) {
    if (len < 2 || op[len - 1] != ')') return RULE_SYNTAX;
    acl_selector *s = selector_new(0);
    const char *p = op + 1, *end = op + len - 1;
    while (p < end) {
        while (p < end && (*p == ' ' || *p == '\t')) p++;
        const char *w = p;
        while (p < end && *p != ' ' && *p != '\t') p++;
        if (p == w) break;
        int rc = selector_apply(s, w, (size_t)(p - w));
        if (rc != RULE_OK) {
            selector_free(s);
            return rc;
        }
    }
    u->sels = mem_realloc(u->sels, sizeof(acl_selector *) * (size_t)(u->nsels + 1));
    u->sels[u->nsels++] = s;
    return RULE_OK;
}

static void user_reset(acl_user *u) {
    u->npass = 0;
    u->flags = USER_OFF | USER_SANITIZE;
    clear_selectors(u);
    acl_selector *root = u->sels[0];
    keys_clear(root);
    chans_clear(root);
    root->flags = SEL_ROOT | (pubsub_default_all ? SEL_ALLCHANNELS : 0);
    set_all_commands(root, 0);
}

static int user_apply(acl_user *u, const char *op, size_t len) {
    char hash[65];
    if (word_is(op, len, "on")) {
        u->flags = (u->flags & ~USER_OFF) | USER_ON;
    } else if (word_is(op, len, "off")) {
        u->flags = (u->flags & ~USER_ON) | USER_OFF;
    } else if (word_is(op, len, "skip-sanitize-payload")) {
        u->flags = (u->flags & ~USER_SANITIZE) | USER_SKIP_SANITIZE;
    } else if (word_is(op, len, "sanitize-payload")) {
        u->flags = (u->flags & ~USER_SKIP_SANITIZE) | USER_SANITIZE;
    } else if (word_is(op, len, "nopass")) {
        u->flags |= USER_NOPASS;
        u->npass = 0;
    } else if (word_is(op, len, "resetpass")) {
        u->flags &= ~USER_NOPASS;
        u->npass = 0;
    } else if (word_is(op, len, "reset")) {
        user_reset(u);
    } else if (word_is(op, len, "clearselectors")) {
        clear_selectors(u);
    } else if (len && (op[0] == '>' || op[0] == '<')) {
        acl_sha256_hex(op + 1, len - 1, hash);
        if (op[0] == '<') return password_remove(u, hash);
        password_add(u, hash);
        u->flags &= ~USER_NOPASS;
    } else if (len && (op[0] == '#' || op[0] == '!')) {
        if (!valid_hash(op + 1, len - 1)) return RULE_BAD_HASH;
        memcpy(hash, op + 1, 64);
        hash[64] = '\0';
        if (op[0] == '!') return password_remove(u, hash);
        password_add(u, hash);
        u->flags &= ~USER_NOPASS;
    } else if (len && op[0] == '(') {
        return add_selector(u, op, len);
    } else {
        return selector_apply(u->sels[0], op, len);
    }
    return RULE_OK;
}

static char *format_error(const char *fmt, const char *a, size_t alen, const char *b) {
    size_t n = strlen(fmt) + alen + (b ? strlen(b) : 0) + 1;
    char *msg = mem_alloc(n);
    snprintf(msg, n, fmt, (int)alen, a, b ? b : "");
    return msg;
}

/* Joins "(a" "b)" arguments into one "(a b)" rule, as Redis does; NULL and
 * *err when a parenthesis is not closed. */
static resp_arg *merge_selector_args(int argc, const resp_arg *argv, int *outc, char ***owned,
                                     char **err) {
    resp_arg *out = mem_alloc(sizeof(resp_arg) * (size_t)(argc ? argc : 1));
    *owned = mem_calloc(sizeof(char *) * (size_t)(argc ? argc : 1));
    int n = 0, nowned = 0;
    for (int i = 0; i < argc; i++) {
        const resp_arg *a = &argv[i];
        if (!(a->len && a->ptr[0] == '(' && a->ptr[a->len - 1] != ')')) {
            out[n++] = *a;
            continue;
        }
        text t = {0};
        text_add(&t, a->ptr, a->len);
        int j = i + 1;
        int closed = 0;
        for (; j < argc; j++) {
            text_add(&t, " ", 1);
            text_add(&t, argv[j].ptr, argv[j].len);
            if (argv[j].len && argv[j].ptr[argv[j].len - 1] == ')') {
                closed = 1;
                break;
            }
        }
        if (!closed) {
            mem_free(t.p);
            *err = format_error("ERR Unmatched parenthesis in acl selector starting at '%.*s'.%s",
                                a->ptr, a->len > 128 ? 128 : a->len, NULL);
            for (int k = 0; k < nowned; k++) mem_free((*owned)[k]);
            mem_free(*owned);
            *owned = NULL;
            mem_free(out);
            return NULL;
        }
        (*owned)[nowned++] = t.p;
        out[n].ptr = t.p;
        out[n].len = t.len;
        n++;
        i = j;
    }
    *outc = n;
    return out;
}

acl_user *acl_user_build(const char *name, size_t nlen, acl_user *base, int argc,
                         const resp_arg *argv, char **err) {
    *err = NULL;
    int n;
    char **owned;
    resp_arg *rules = merge_selector_args(argc, argv, &n, &owned, err);
    if (!rules) return NULL;
    acl_user *u = base ? user_copy(base) : user_new(name, nlen);
    for (int i = 0; i < n; i++) {
        int rc = user_apply(u, rules[i].ptr, rules[i].len);
        if (rc == RULE_OK) continue;
        *err = format_error("ERR Error in ACL SETUSER modifier '%.*s': %s", rules[i].ptr,
                            rules[i].len > 256 ? 256 : rules[i].len, rule_error_text(rc));
        acl_user_free(u);
        u = NULL;
        break;
    }
    for (int i = 0; i < argc && owned[i]; i++) mem_free(owned[i]);
    mem_free(owned);
    mem_free(rules);
    if (u) update_unrestricted(u);
    return u;
}

static int user_index(const char *name, size_t len, int *found) {
    int lo = 0, hi = nusers;
    while (lo < hi) {
        int mid = (lo + hi) / 2;
        const acl_user *u = users[mid];
        size_t m = u->nlen < len ? u->nlen : len;
        int c = memcmp(u->name, name, m);
        if (c == 0) c = u->nlen < len ? -1 : (u->nlen > len ? 1 : 0);
        if (c == 0) {
            *found = 1;
            return mid;
        }
        if (c < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    *found = 0;
    return lo;
}

acl_user *acl_user_find(const char *name, size_t len) {
    int found;
    int i = user_index(name, len, &found);
    return found ? users[i] : NULL;
}

const char *acl_user_name(const acl_user *u) {
    return u->name;
}

int acl_user_count(void) {
    return nusers;
}

acl_user *acl_user_at(int i) {
    return i >= 0 && i < nusers ? users[i] : NULL;
}

/* Moves built's contents into target, keeping target's address. */
static void swap_into(acl_user *target, acl_user *built) {
    acl_user tmp = *target;
    *target = *built;
    *built = tmp;
    acl_user_free(built);
}

static int user_channel_allowed(const acl_user *u, const char *name, size_t len, int is_pattern) {
    resp_arg ch = {name, len};
    for (int i = 0; i < u->nsels; i++)
        if ((u->sels[i]->flags & SEL_ALLCHANNELS) || channel_allowed(u->sels[i], &ch, is_pattern))
            return 1;
    return 0;
}

static int subscription_denied(const char *name, size_t len, int is_pattern, void *arg) {
    return !user_channel_allowed(arg, name, len, is_pattern);
}

/* A user's subscribers that lost the right to one of their channels are
 * disconnected, as Redis does when channel rules change. */
static void close_if_subscription_denied(client *c, void *arg) {
    acl_user *u = arg;
    if (client_user(c) != u || !c->pubsub || (c->flags & CLIENT_CLOSE_ASAP)) return;
    if (!pubsub_client_any_subscription(c, subscription_denied, u)) return;
    if (c->flags & CLIENT_IN_CALL)
        c->flags |= CLIENT_CLOSE_AFTER_REPLY;
    else
        client_close_async(c);
}

void acl_user_install(acl_user *built) {
    int found;
    int i = user_index(built->name, built->nlen, &found);
    if (found) {
        swap_into(users[i], built);
        update_unrestricted(users[i]);
        if (!users[i]->unrestricted) client_foreach(close_if_subscription_denied, users[i]);
        return;
    }
    users = mem_realloc(users, sizeof(acl_user *) * (size_t)(nusers + 1));
    memmove(users + i + 1, users + i, sizeof(acl_user *) * (size_t)(nusers - i));
    users[i] = built;
    nusers++;
    update_unrestricted(built);
}

static void default_initial_rules(void);

struct kill_arg {
    acl_user *user;   /* close clients of this user; NULL: of any user but default */
};

static void close_user_client(client *c, void *arg) {
    struct kill_arg *k = arg;
    acl_user *cu = c->user;
    if (!cu) return;
    if (k->user ? cu != k->user : cu == default_user) return;
    if (c->flags & CLIENT_IN_CALL)
        c->flags |= CLIENT_CLOSE_AFTER_REPLY;
    else
        client_close_async(c);
    /* The user object goes away now: the client must not use it. */
    c->user = default_user;
    c->authenticated = 0;
}

int acl_user_delete(const char *name, size_t len) {
    int found;
    int i = user_index(name, len, &found);
    if (!found) return 0;
    acl_user *u = users[i];
    struct kill_arg k = {u};
    client_foreach(close_user_client, &k);
    memmove(users + i, users + i + 1, sizeof(acl_user *) * (size_t)(nusers - i - 1));
    nusers--;
    acl_user_free(u);
    return 1;
}

void acl_users_replace(acl_user **list, int n) {
    struct kill_arg k = {NULL};
    client_foreach(close_user_client, &k);
    for (int i = 0; i < nusers; i++)
        if (users[i] != default_user) acl_user_free(users[i]);
    nusers = 0;
    acl_user *new_default = NULL;
    for (int i = 0; i < n; i++) {
        if (list[i]->nlen == 7 && !memcmp(list[i]->name, "default", 7))
            new_default = list[i];
        else
            acl_user_install(list[i]);
    }
    if (new_default)
        swap_into(default_user, new_default);
    else
        default_initial_rules();
    acl_user_install(default_user);
}

/* ---------------------------------------------------------------------
 * describing users (ACL LIST, GETUSER, SAVE)
 * ------------------------------------------------------------------- */

static void describe_key(text *t, const acl_keypat *k) {
    if (k->perm == PERM_ALL) {
        text_add(t, "~", 1);
    } else {
        text_add(t, "%", 1);
        if (k->perm & PERM_READ) text_add(t, "R", 1);
        if (k->perm & PERM_WRITE) text_add(t, "W", 1);
        text_add(t, "~", 1);
    }
    text_add(t, k->pat.p, k->pat.len);
}

static void describe_singles(const acl_selector *s, acl_selector *fake, text *t, const command *cmd) {
    int id = cmd->acl_id;
    int userbit = bit_get(s, id), fakebit = bit_get(fake, id);
    if (userbit != fakebit) {
        text_add(t, userbit ? "+" : "-", 1);
        text_cat(t, cmd->fullname);
        text_add(t, " ", 1);
        change_perm(fake, cmd, userbit);
    }
    if (cmd->subcommands)
        for (const command *sub = cmd->subcommands; sub->name; sub++) describe_singles(s, fake, t, sub);
    acl_firstargs *f = userbit ? NULL : firstargs_of(s, id);
    for (int i = 0; f && i < f->n; i++) {
        text_add(t, "+", 1);
        text_cat(t, cmd->fullname);
        text_add(t, "|", 1);
        text_add(t, f->args[i].p, f->args[i].len);
        text_add(t, " ", 1);
    }
}

struct singles_arg {
    const acl_selector *s;
    acl_selector *fake;
    text *t;
};

static void describe_singles_top(command *cmd, void *arg) {
    struct singles_arg *a = arg;
    describe_singles(a->s, a->fake, a->t, cmd);
}

/* Redis's algorithm: start from +@all or -@all, apply the category that
 * fits best while one fits better than it misfits, then fix single
 * commands. */
static void describe_commands(const acl_selector *s, text *t) {
    acl_selector fake = {0}, temp = {0};
    int additive = !bit_get(s, ACL_FUTURE_BIT);
    text_cat(t, additive ? "-@all " : "+@all ");
    set_all_commands(&fake, !additive);
    memcpy(temp.bits, s->bits, sizeof temp.bits);
    char applied[ACL_CATEGORY_COUNT] = {0};
    for (;;) {
        int best = -1;
        unsigned long mindiff = (unsigned long)-1, maxsame = 0;
        for (int j = 0; j < ACL_CATEGORY_COUNT; j++) {
            if (applied[j]) continue;
            unsigned long on, off;
            count_category(&temp, j, &on, &off);
            unsigned long diff = additive ? off : on, same = additive ? on : off;
            if (same > diff && (diff < mindiff || (diff == mindiff && same > maxsame))) {
                best = j;
                mindiff = diff;
                maxsame = same;
            }
        }
        if (best < 0) break;
        set_category(&fake, best, additive);
        set_category(&temp, best, !additive);
        text_cat(t, additive ? "+@" : "-@");
        text_cat(t, acl_category_names[best]);
        text_add(t, " ", 1);
        applied[best] = 1;
    }
    struct singles_arg a = {s, &fake, t};
    command_foreach(describe_singles_top, &a);
    firstargs_reset_all(&fake);
    firstargs_reset_all(&temp);
    t->p[--t->len] = '\0'; /* the last space */
}

static void describe_selector(const acl_selector *s, text *t) {
    if (s->flags & SEL_ALLKEYS) {
        text_cat(t, "~* ");
    } else {
        for (int i = 0; i < s->nkeys; i++) {
            describe_key(t, &s->keys[i]);
            text_add(t, " ", 1);
        }
    }
    if (s->flags & SEL_ALLCHANNELS) {
        text_cat(t, "&* ");
    } else {
        text_cat(t, "resetchannels ");
        for (int i = 0; i < s->nchans; i++) {
            text_add(t, "&", 1);
            text_add(t, s->chans[i].p, s->chans[i].len);
            text_add(t, " ", 1);
        }
    }
    describe_commands(s, t);
}

static const struct {
    int flag;
    const char *name;
} user_flag_names[] = {
    {USER_ON, "on"},
    {USER_OFF, "off"},
    {USER_NOPASS, "nopass"},
    {USER_SKIP_SANITIZE, "skip-sanitize-payload"},
    {USER_SANITIZE, "sanitize-payload"},
};

char *acl_user_describe(const acl_user *u) {
    text t = {0};
    text_cat(&t, "user ");
    text_add(&t, u->name, u->nlen);
    text_add(&t, " ", 1);
    for (size_t i = 0; i < sizeof user_flag_names / sizeof user_flag_names[0]; i++) {
        if (!(u->flags & user_flag_names[i].flag)) continue;
        text_cat(&t, user_flag_names[i].name);
        text_add(&t, " ", 1);
    }
    for (int i = 0; i < u->npass; i++) {
        text_add(&t, "#", 1);
        text_add(&t, u->pass[i], 64);
        text_add(&t, " ", 1);
    }
    describe_selector(u->sels[0], &t);
    for (int i = 1; i < u->nsels; i++) {
        text_cat(&t, " (");
        describe_selector(u->sels[i], &t);
        text_add(&t, ")", 1);
    }
    return text_take(&t);
}

static void reply_selector_fields(client *c, const acl_selector *s) {
    text t = {0};
    describe_commands(s, &t);
    reply_bulk_cstr(c, "commands");
    reply_bulk(c, t.p, t.len);
    mem_free(t.p);
    text k = {0};
    if (s->flags & SEL_ALLKEYS) {
        text_cat(&k, "~*");
    } else {
        for (int i = 0; i < s->nkeys; i++) {
            if (i) text_add(&k, " ", 1);
            describe_key(&k, &s->keys[i]);
        }
    }
    reply_bulk_cstr(c, "keys");
    reply_bulk(c, k.p ? k.p : "", k.len);
    mem_free(k.p);
    text ch = {0};
    if (s->flags & SEL_ALLCHANNELS) {
        text_cat(&ch, "&*");
    } else {
        for (int i = 0; i < s->nchans; i++) {
            if (i) text_add(&ch, " ", 1);
            text_add(&ch, "&", 1);
            text_add(&ch, s->chans[i].p, s->chans[i].len);
        }
    }
    reply_bulk_cstr(c, "channels");
    reply_bulk(c, ch.p ? ch.p : "", ch.len);
    mem_free(ch.p);
}

void acl_reply_getuser(client *c, const acl_user *u) {
    reply_map(c, 6);
    reply_bulk_cstr(c, "flags");
    int nflags = 0;
    for (size_t i = 0; i < sizeof user_flag_names / sizeof user_flag_names[0]; i++)
        nflags += (u->flags & user_flag_names[i].flag) != 0;
    reply_set(c, nflags);
    for (size_t i = 0; i < sizeof user_flag_names / sizeof user_flag_names[0]; i++)
        if (u->flags & user_flag_names[i].flag) reply_bulk_cstr(c, user_flag_names[i].name);
    reply_bulk_cstr(c, "passwords");
    reply_array(c, u->npass);
    for (int i = 0; i < u->npass; i++) reply_bulk(c, u->pass[i], 64);
    reply_selector_fields(c, u->sels[0]);
    reply_bulk_cstr(c, "selectors");
    reply_array(c, u->nsels - 1);
    for (int i = 1; i < u->nsels; i++) {
        reply_map(c, 3);
        reply_selector_fields(c, u->sels[i]);
    }
}

int acl_category_by_name(const char *name, size_t len) {
    for (int i = 0; i < ACL_CATEGORY_COUNT; i++)
        if (word_is(name, len, acl_category_names[i])) return i;
    return -1;
}

const char *acl_category_name(int i) {
    return acl_category_names[i];
}

struct cat_arg {
    client *c;
    int cat;
    long n;
};

static void cat_one(command *cmd, void *arg) {
    struct cat_arg *a = arg;
    if (cmd->acl & (1u << a->cat)) {
        reply_bulk_cstr(a->c, cmd->fullname);
        a->n++;
    }
    if (cmd->subcommands)
        for (command *s = cmd->subcommands; s->name; s++) cat_one(s, arg);
}

void acl_reply_category_commands(client *c, int cat) {
    reply_deferred d = reply_defer(c);
    struct cat_arg a = {c, cat, 0};
    command_foreach(cat_one, &a);
    reply_defer_array(c, d, a.n);
}

/* ---------------------------------------------------------------------
 * the permission check
 * ------------------------------------------------------------------- */

/* What a key's spec flags ask of a pattern, as Redis 7 reads them: access
 * (reading the value) needs R; insert, delete and update need W. A key with
 * none of them (found by a command's own finder, which knows positions only)
 * needs just a pattern that matches it, whatever its permissions. */
static int key_perm(uint32_t flags) {
    int perm = 0;
    if (flags & KS_ACCESS) perm |= PERM_READ;
    if (flags & (KS_INSERT | KS_DELETE | KS_UPDATE)) perm |= PERM_WRITE;
    return perm;
}

static int key_allowed(const acl_selector *s, const resp_arg *key, int perm) {
    for (int i = 0; i < s->nkeys; i++) {
        const acl_keypat *k = &s->keys[i];
        if ((k->perm & perm) != perm) continue;
        if (glob_match(k->pat.p, k->pat.len, key->ptr, key->len, 0)) return 1;
    }
    return 0;
}

/* Every key of the call, each with the permission its flags need. */
static int keys_check(const acl_selector *s, const command *cmd, int argc, const resp_arg *argv,
                      int *errpos) {
    key_ref small[16];
    int max = keyspec_max_keys(cmd, argc);
    key_ref *keys = max <= 16 ? small : mem_alloc(sizeof(key_ref) * (size_t)max);
    int n = keyspec_command_keys(cmd, argc, argv, keys, max <= 16 ? 16 : max);
    int rc = ACL_OK;
    for (int i = 0; i < n; i++) {
        if (!key_allowed(s, &argv[keys[i].pos], key_perm(keys[i].flags))) {
            *errpos = keys[i].pos;
            rc = ACL_DENIED_KEY;
            break;
        }
    }
    if (keys != small) mem_free(keys);
    return rc;
}

static int channel_allowed(const acl_selector *s, const resp_arg *ch, int is_pattern) {
    for (int i = 0; i < s->nchans; i++) {
        const acl_str *p = &s->chans[i];
        if (is_pattern ? str_eq(p, ch->ptr, ch->len) : glob_match(p->p, p->len, ch->ptr, ch->len, 0))
            return 1;
    }
    return 0;
}

/* Channel arguments: PUBLISH/SPUBLISH name one, the subscribe commands all
 * of theirs (PSUBSCRIBE's are patterns). UNSUBSCRIBE is always allowed. */
static int channel_args(const command *cmd, int argc, int *first, int *last, int *is_pattern) {
    const char *n = cmd->fullname;
    *is_pattern = 0;
    *first = 1;
    if (!strcmp(n, "publish") || !strcmp(n, "spublish")) {
        *last = 1;
        return argc > 1;
    }
    if (!strcmp(n, "subscribe") || !strcmp(n, "ssubscribe") || !strcmp(n, "psubscribe")) {
        *is_pattern = n[0] == 'p';
        *last = argc - 1;
        return argc > 1;
    }
    return 0;
}

static int selector_check(const acl_selector *s, const command *cmd, int argc, const resp_arg *argv,
                          int *errpos) {
    if (!(s->flags & SEL_ALLCOMMANDS) && !(cmd->flags & CMD_NO_AUTH) && !bit_get(s, cmd->acl_id)) {
        acl_firstargs *f = firstargs_of(s, cmd->acl_id);
        int idx = cmd->parent ? 2 : 1;
        if (!f || argc <= idx) return ACL_DENIED_CMD;
        int ok = 0;
        for (int i = 0; i < f->n && !ok; i++)
            ok = f->args[i].len == argv[idx].len &&
                 strncasecmp(f->args[i].p, argv[idx].ptr, argv[idx].len) == 0;
        if (!ok) return ACL_DENIED_CMD;
    }
    if (!(s->flags & SEL_ALLKEYS) && keyspec_has_keys(cmd)) {
        int rc = keys_check(s, cmd, argc, argv, errpos);
        if (rc != ACL_OK) return rc;
    }
    int first, last, is_pattern;
    if (!(s->flags & SEL_ALLCHANNELS) && (cmd->flags & CMD_PUBSUB) &&
        channel_args(cmd, argc, &first, &last, &is_pattern)) {
        for (int i = first; i <= last; i++) {
            if (!channel_allowed(s, &argv[i], is_pattern)) {
                *errpos = i;
                return ACL_DENIED_CHANNEL;
            }
        }
    }
    return ACL_OK;
}

int acl_check_user(acl_user *u, const command *cmd, int argc, const resp_arg *argv, int *errpos) {
    *errpos = 0;
    if (!u || u->unrestricted) return ACL_OK;
    /* No selector allows it: report the most relevant denial, the last
     * argument no selector could match. */
    int relevant = ACL_DENIED_CMD, last = 0;
    for (int i = 0; i < u->nsels; i++) {
        int pos = 0;
        int rc = selector_check(u->sels[i], cmd, argc, argv, &pos);
        if (rc == ACL_OK) return ACL_OK;
        if (rc > relevant || (rc == relevant && pos > last)) {
            relevant = rc;
            last = pos;
        }
    }
    *errpos = last;
    return relevant;
}

static acl_user *client_user(const client *c) {
    return c->user ? c->user : default_user;
}

void acl_denial_text(char *buf, size_t len, int res, const command *cmd, int capital) {
    const char *this = capital ? "This" : "this";
    if (res == ACL_DENIED_KEY)
        snprintf(buf, len, "%s user has no permissions to access one of the keys used as arguments",
                 this);
    else if (res == ACL_DENIED_CHANNEL)
        snprintf(buf, len,
                 "%s user has no permissions to access one of the channels used as arguments", this);
    else
        snprintf(buf, len, "%s user has no permissions to run the '%s' command", this,
                 cmd->fullname);
}

static void log_denial(client *c, acl_user *u, int res, int ctx, const command *cmd, int argc,
                       const resp_arg *argv, int pos) {
    const char *obj = cmd->fullname;
    size_t olen = strlen(obj);
    if ((res == ACL_DENIED_KEY || res == ACL_DENIED_CHANNEL) && pos > 0 && pos < argc) {
        obj = argv[pos].ptr;
        olen = argv[pos].len;
    }
    acl_log_add(c, res, ctx, obj, olen, u->name, u->nlen);
}

/* Kept out of line so the unrestricted path stays a few instructions. */
static __attribute__((noinline)) const char *check_client_slow(client *c, acl_user *u,
                                                               const command *cmd) {
    int pos;
    int res = acl_check_user(u, cmd, c->argc, c->argv, &pos);
    if (res == ACL_OK) return NULL;
    log_denial(c, u, res, (c->flags & CLIENT_MULTI) ? ACL_CTX_MULTI : ACL_CTX_TOPLEVEL, cmd,
               c->argc, c->argv, pos);
    static char err[320];
    memcpy(err, "NOPERM ", 7);
    acl_denial_text(err + 7, sizeof err - 7, res, cmd, 0);
    return err;
}

const char *acl_check_client(client *c, const command *cmd) {
    acl_user *u = client_user(c);
    return u->unrestricted ? NULL : check_client_slow(c, u, cmd);
}

int acl_client_reads_any_key(client *c) {
    acl_user *u = client_user(c);
    if (u->unrestricted || !c->cmd) return 1;
    for (int i = 0; i < u->nsels; i++) {
        const acl_selector *s = u->sels[i];
        int pos, any = (s->flags & SEL_ALLKEYS) != 0;
        for (int k = 0; k < s->nkeys && !any; k++)
            any = (s->keys[k].perm & PERM_READ) && s->keys[k].pat.len == 1 &&
                  s->keys[k].pat.p[0] == '*';
        if (any && selector_check(s, c->cmd, c->argc, c->argv, &pos) == ACL_OK) return 1;
    }
    return 0;
}

const char *acl_check_exec(client *c, const command *cmd) {
    acl_user *u = client_user(c);
    if (u->unrestricted) return NULL;
    int pos;
    int res = acl_check_user(u, cmd, c->argc, c->argv, &pos);
    if (res == ACL_OK) return NULL;
    log_denial(c, u, res, ACL_CTX_MULTI, cmd, c->argc, c->argv, pos);
    const char *why = res == ACL_DENIED_KEY       ? "no permission to touch the specified keys"
                      : res == ACL_DENIED_CHANNEL ? "no permission to access one of the channels "
                                                    "used as arguments"
                                                  : "no permission to execute the command or "
                                                    "subcommand";
    static char err[300];
    snprintf(err, sizeof err,
             "NOPERM ACLs rules changed between the moment the transaction was accumulated and "
             "the EXEC call. This command is no longer allowed for the following reason: %s",
             why);
    return err;
}

const char *acl_check_script(client *caller, const command *cmd, int argc, const resp_arg *argv) {
    if (!caller) return NULL;
    acl_user *u = client_user(caller);
    if (u->unrestricted) return NULL;
    int pos;
    int res = acl_check_user(u, cmd, argc, argv, &pos);
    if (res == ACL_OK) return NULL;
    log_denial(caller, u, res, ACL_CTX_LUA, cmd, argc, argv, pos);
    switch (res) {
    case ACL_DENIED_KEY:
        return "ERR The user executing the script can't access at least one of the keys mentioned "
               "in the command arguments";
    case ACL_DENIED_CHANNEL:
        return "ERR The user executing the script can't publish to the channel mentioned in the "
               "command";
    default: return "ERR The user executing the script can't run this command or subcommand";
    }
}

/* ---------------------------------------------------------------------
 * authentication
 * ------------------------------------------------------------------- */

static int credentials_ok(const acl_user *u, const resp_arg *pass) {
    if (!u || !(u->flags & USER_ON)) return 0;
    if (u->flags & USER_NOPASS) return 1;
    char hash[65];
    acl_sha256_hex(pass->ptr, pass->len, hash);
    int ok = 0;
    /* Every stored hash is compared, in constant time. */
    for (int i = 0; i < u->npass; i++) ok |= CRYPTO_memcmp(hash, u->pass[i], 64) == 0;
    return ok;
}

int acl_authenticate(client *c, const resp_arg *user, const resp_arg *pass) {
    acl_user *u = user ? acl_user_find(user->ptr, user->len) : default_user;
    if (credentials_ok(u, pass)) {
        c->user = u;
        c->authenticated = 1;
        return 1;
    }
    const char *name = user ? user->ptr : "default";
    size_t nlen = user ? user->len : 7;
    acl_log_add(c, ACL_DENIED_AUTH, (c->flags & CLIENT_MULTI) ? ACL_CTX_MULTI : ACL_CTX_TOPLEVEL,
                "AUTH", 4, name, nlen);
    return 0;
}

static void ensure_default(void);

int acl_default_autoauth(void) {
    ensure_default();
    return (default_user->flags & USER_NOPASS) && (default_user->flags & USER_ON);
}

int acl_default_has_password(void) {
    ensure_default();
    return !(default_user->flags & USER_NOPASS);
}

const char *acl_client_username(const client *c) {
    ensure_default();
    return client_user(c)->name;
}

/* ---------------------------------------------------------------------
 * start-up and configuration
 * ------------------------------------------------------------------- */

static char ***config_users;      /* "user" lines of the config file */
static int *config_user_argc;
static int nconfig_users;

static void default_apply(const char *rule) {
    user_apply(default_user, rule, strlen(rule));
}

static void apply_requirepass(const char *pass) {
    default_apply("resetpass");
    if (pass && *pass) {
        char hash[65];
        acl_sha256_hex(pass, strlen(pass), hash);
        password_add(default_user, hash);
    } else {
        default_apply("nopass");
    }
}

/* on, nopass (or requirepass), every permission. */
static void default_initial_rules(void) {
    user_reset(default_user);
    default_user->flags = USER_ON;
    default_apply("nopass");
    default_apply("~*");
    default_apply("&*");
    default_apply("+@all");
    if (cfg->requirepass) apply_requirepass(cfg->requirepass);
    update_unrestricted(default_user);
}

/* The default user exists from the first use. */
static void ensure_default(void) {
    if (default_user) return;
    default_user = user_new("default", 7);
    default_initial_rules();
    acl_user_install(default_user);
}

/* Before the default user exists, it reads cfg->requirepass when created. */
void acl_set_requirepass(const char *pass) {
    if (default_user) apply_requirepass(pass);
}

void acl_set_pubsub_default(int allchannels) {
    pubsub_default_all = allchannels;
}

void acl_config_user(int argc, char **argv) {
    config_users = mem_realloc(config_users, sizeof(char **) * (size_t)(nconfig_users + 1));
    config_user_argc = mem_realloc(config_user_argc, sizeof(int) * (size_t)(nconfig_users + 1));
    char **copy = mem_alloc(sizeof(char *) * (size_t)(argc ? argc : 1));
    for (int i = 0; i < argc; i++) copy[i] = mem_strdup(argv[i]);
    config_users[nconfig_users] = copy;
    config_user_argc[nconfig_users++] = argc;
}

static void free_config_users(void) {
    for (int i = 0; i < nconfig_users; i++) {
        for (int j = 0; j < config_user_argc[i]; j++) mem_free(config_users[i][j]);
        mem_free(config_users[i]);
    }
    mem_free(config_users);
    mem_free(config_user_argc);
    config_users = NULL;
    config_user_argc = NULL;
    nconfig_users = 0;
}

acl_user *acl_user_from_words(int argc, const resp_arg *argv, int reset_default, char **err) {
    *err = NULL;
    if (argc < 1) {
        *err = mem_strdup("ERR Syntax error");
        return NULL;
    }
    if (memchr(argv[0].ptr, ' ', argv[0].len) || memchr(argv[0].ptr, '\0', argv[0].len)) {
        *err = mem_strdup("ERR Usernames can't contain spaces or null characters");
        return NULL;
    }
    acl_user *base = NULL;
    if (reset_default && argv[0].len == 7 && !memcmp(argv[0].ptr, "default", 7)) {
        base = user_new("default", 7);
        user_reset(base);
    }
    acl_user *u = acl_user_build(argv[0].ptr, argv[0].len, base, argc - 1, argv + 1, err);
    acl_user_free(base);
    return u;
}

static int load_config_users(void) {
    for (int i = 0; i < nconfig_users; i++) {
        int argc = config_user_argc[i];
        resp_arg *args = mem_alloc(sizeof(resp_arg) * (size_t)argc);
        for (int j = 0; j < argc; j++) {
            args[j].ptr = config_users[i][j];
            args[j].len = strlen(config_users[i][j]);
        }
        char *err;
        acl_user *u = acl_user_from_words(argc, args, 1, &err);
        mem_free(args);
        if (!u) {
            fprintf(stderr, "Error in user declaration '%s': %s\n", config_users[i][0],
                    err + 4);
            mem_free(err);
            return -1;
        }
        if (acl_user_find(u->name, u->nlen) && u->nlen != 7) {
            fprintf(stderr, "Duplicate user '%s' found in the configuration file\n", u->name);
            acl_user_free(u);
            return -1;
        }
        acl_user_install(u);
    }
    return 0;
}

int acl_startup(void) {
    index_commands();
    ensure_default();
    int rc = 0;
    if (nconfig_users && acl_file_configured()) {
        fprintf(stderr,
                "Configuring Redis with users defined in redis.conf and at the same setting an ACL "
                "file path is invalid. This setup is very likely to lead to configuration errors "
                "and security holes, please define either an ACL file or declare users directly "
                "in your redis.conf, but not both.\n");
        rc = -1;
    } else if (nconfig_users) {
        rc = load_config_users();
    } else if (acl_file_configured() && acl_file_load_startup() < 0) {
        rc = -1;
    }
    free_config_users();
    return rc;
}

void acl_free_all(void) {
    for (int i = 0; i < nusers; i++) acl_user_free(users[i]);
    mem_free(users);
    users = NULL;
    nusers = 0;
    default_user = NULL;
    mem_free(by_id);
    by_id = NULL;
    free_config_users();
    acl_log_free();
}
