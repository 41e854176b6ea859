/*
 * test_keyspec.c - unit tests for src/server/keyspec.c, the key spec evaluator.
 *
 * Pins index/keyword searches (forward and backward, keyword missing or
 * last), ranges with negative last keys, steps and limits, key counts
 * (valid, zero, negative, huge, not a number, index past argc) and
 * incomplete or unknown specs, and that the generated table is sorted and
 * found by name. Hostile argv must give -1 or in-range positions only.
 */
#include "unit.h"

#include <stdlib.h>

#include "server/keyspec.h"

/* Splits a space-separated line into argv (at most 32 words). */
static int make_argv(char *line, resp_arg *argv) {
    int argc = 0;
    for (char *tok = strtok(line, " "); tok && argc < 32; tok = strtok(NULL, " ")) {
        argv[argc].ptr = tok;
        argv[argc].len = strlen(tok);
        argc++;
    }
    return argc;
}

/* Runs specs over line; writes the key positions as "1,3,5" into out. */
static int eval_line(const key_spec *specs, int n, const char *line, char *out, size_t outlen) {
    char buf[256];
    resp_arg argv[32];
    key_ref keys[64];
    snprintf(buf, sizeof buf, "%s", line);
    int argc = make_argv(buf, argv);
    int found = keyspec_find_keys(specs, n, argc, argv, keys, 64);
    out[0] = '\0';
    for (int i = 0; i < found; i++) {
        if (keys[i].pos < 1 || keys[i].pos >= argc) return -2; /* never allowed */
        size_t used = strlen(out);
        snprintf(out + used, outlen - used, "%s%d", i ? "," : "", keys[i].pos);
    }
    return found;
}

#define CHECK_KEYS(specs, n, line, want_count, want_pos)                                           \
    do {                                                                                           \
        char got_[128];                                                                            \
        CHECK_INT(eval_line(specs, n, line, got_, sizeof got_), want_count);                       \
        CHECK_MEM(got_, strlen(got_), want_pos);                                                   \
    } while (0)

TEST(keyspec_index_range) {
    static const key_spec one[] = {{KS_RO | KS_ACCESS, KS_INDEX(1), KS_RANGE(0, 1, 0)}};
    CHECK_KEYS(one, 1, "get k", 1, "1");
    CHECK_KEYS(one, 1, "get", -1, ""); /* index past argc */
    static const key_spec all[] = {{KS_RM | KS_DELETE, KS_INDEX(1), KS_RANGE(-1, 1, 0)}};
    CHECK_KEYS(all, 1, "del a b c", 3, "1,2,3");
    static const key_spec pairs[] = {{KS_OW | KS_UPDATE, KS_INDEX(1), KS_RANGE(-1, 2, 0)}};
    CHECK_KEYS(pairs, 1, "mset a 1 b 2", 2, "1,3");
    CHECK_KEYS(pairs, 1, "mset a 1 b", 2, "1,3");
    static const key_spec but_last[] = {{KS_RW, KS_INDEX(1), KS_RANGE(-2, 1, 0)}};
    CHECK_KEYS(but_last, 1, "blpop a b 0", 2, "1,2");
    CHECK_KEYS(but_last, 1, "blpop 0", -1, "");
}

TEST(keyspec_keyword_and_limit) {
    /* XREAD-like: keys are the first half of what follows STREAMS. */
    static const key_spec xr[] = {
        {KS_RO | KS_ACCESS, KS_KEYWORD("STREAMS", 1), KS_RANGE(-1, 1, 2)}};
    CHECK_KEYS(xr, 1, "xread count 1 streams a b 0 0", 2, "4,5");
    CHECK_KEYS(xr, 1, "xread STREAMS a 0", 1, "2");
    CHECK_KEYS(xr, 1, "xread streams a", -1, "");  /* half of one is none */
    CHECK_KEYS(xr, 1, "xread count 1", 0, "");     /* keyword missing: no keys */
    CHECK_KEYS(xr, 1, "xread a b streams", 0, ""); /* last argument is never a keyword */
    /* Searching backwards from the end (MIGRATE's KEYS). */
    static const key_spec back[] = {
        {KS_RW | KS_DELETE, KS_KEYWORD("KEYS", -2), KS_RANGE(-1, 1, 0)}};
    CHECK_KEYS(back, 1, "migrate h p x 0 1 keys a b", 2, "7,8");
    CHECK_KEYS(back, 1, "migrate keys a b c", 0, ""); /* argv[1] is not searched */
    CHECK_KEYS(back, 1, "m", 0, "");
    /* startfrom beyond argc. */
    static const key_spec far[] = {{KS_RO, KS_KEYWORD("X", 40), KS_RANGE(0, 1, 0)}};
    CHECK_KEYS(far, 1, "c x k", 0, "");
}

TEST(keyspec_keynum_hostile) {
    static const key_spec zs[] = {{KS_OW | KS_UPDATE, KS_INDEX(1), KS_RANGE(0, 1, 0)},
                                  {KS_RO | KS_ACCESS, KS_INDEX(2), KS_KEYNUM(0, 1, 1)}};
    CHECK_KEYS(zs, 2, "zunionstore d 2 a b weights 1 2", 3, "1,3,4");
    CHECK_KEYS(zs, 2, "zunionstore d 0 a", -1, "");
    CHECK_KEYS(zs, 2, "zunionstore d -1 a", -1, "");
    CHECK_KEYS(zs, 2, "zunionstore d 3 a b", -1, "");
    CHECK_KEYS(zs, 2, "zunionstore d 2147483648 a", -1, "");
    CHECK_KEYS(zs, 2, "zunionstore d 4294967297 a", -1, ""); /* would wrap to 1 as an int */
    CHECK_KEYS(zs, 2, "zunionstore d 99999999999999999999999 a", -1, "");
    CHECK_KEYS(zs, 2, "zunionstore d 1x a", -1, "");
    CHECK_KEYS(zs, 2, "zunionstore d +1 a", -1, "");
    CHECK_KEYS(zs, 2, "zunionstore d - a", -1, "");
    CHECK_KEYS(zs, 2, "zunionstore d", -1, ""); /* count past argc */
    /* A count right after a keyword. With a step the count still spans that many
     * arguments (the reference's reading), so every other one of them is a key. */
    static const key_spec kw[] = {{KS_RO, KS_KEYWORD("K", 1), KS_KEYNUM(0, 1, 2)}};
    CHECK_KEYS(kw, 1, "c K 2 a x b y", 1, "3");
    CHECK_KEYS(kw, 1, "c K 4 a x b y", 2, "3,5");
    CHECK_KEYS(kw, 1, "c K 5 a x b y", -1, "");
    CHECK_KEYS(kw, 1, "c K", 0, ""); /* keyword last: not a keyword */
}

TEST(keyspec_unknown_incomplete_not_key) {
    static const key_spec sort[] = {{KS_RO | KS_ACCESS, KS_INDEX(1), KS_RANGE(0, 1, 0)},
                                    {KS_OW | KS_UPDATE, KS_BS_UNKNOWN_, KS_FK_UNKNOWN_}};
    CHECK_KEYS(sort, 2, "sort k store d", -1, "");
    static const key_spec inc[] = {{KS_RW | KS_INCOMPLETE, KS_INDEX(1), KS_RANGE(0, 1, 0)}};
    CHECK_KEYS(inc, 1, "c k", -1, "");
    static const key_spec ch[] = {{KS_NOT_KEY, KS_INDEX(1), KS_RANGE(0, 1, 0)}};
    CHECK_KEYS(ch, 1, "spublish ch m", 0, "");
    /* A zero step in data must not loop. */
    static const key_spec bad[] = {{KS_RO, KS_INDEX(1), KS_RANGE(-1, 0, 0)}};
    CHECK_KEYS(bad, 1, "c a b", -1, "");
}

TEST(keyspec_flags_and_capacity) {
    static const key_spec copy[] = {{KS_RO | KS_ACCESS, KS_INDEX(1), KS_RANGE(0, 1, 0)},
                                    {KS_OW | KS_UPDATE, KS_INDEX(2), KS_RANGE(0, 1, 0)}};
    char line[] = "copy a b";
    resp_arg argv[4];
    key_ref keys[2];
    int argc = make_argv(line, argv);
    CHECK_INT(keyspec_find_keys(copy, 2, argc, argv, keys, 2), 2);
    CHECK_INT(keys[0].flags, KS_RO | KS_ACCESS);
    CHECK_INT(keys[1].flags, KS_OW | KS_UPDATE);
    /* Never more than max written. */
    CHECK_INT(keyspec_find_keys(copy, 2, argc, argv, keys, 1), 1);
    CHECK_INT(keys[0].pos, 1);
}

TEST(keyspec_table_sorted_and_found) {
    for (size_t i = 1; i < keyspec_table_len; i++)
        CHECK(strcmp(keyspec_table[i - 1].fullname, keyspec_table[i].fullname) < 0);
    const keyspec_entry *e = keyspec_table_find("copy");
    CHECK(e != NULL);
    CHECK_INT(e->nspecs, 2);
    CHECK_INT(e->specs[1].flags, KS_OW | KS_UPDATE);
    e = keyspec_table_find("object|encoding");
    CHECK(e != NULL && e->tips != NULL);
    CHECK_MEM(e->tips[0], strlen(e->tips[0]), "nondeterministic_output");
    CHECK(keyspec_table_find("nosuchcommand") == NULL);
    for (size_t i = 0; i < keyspec_table_len; i++)
        for (int j = 0; j < keyspec_table[i].nspecs; j++) {
            const key_spec *s = &keyspec_table[i].specs[j];
            CHECK(s->bs_type != KS_BS_KEYWORD || s->keyword != NULL);
            CHECK(s->fk_type != KS_FK_RANGE || s->fk[1] >= 1);
        }
}
