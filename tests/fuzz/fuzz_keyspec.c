/*
 * fuzz_keyspec.c - fuzz target for the key spec evaluator.
 *
 * The first two bytes pick an entry of the generated key spec table; the
 * rest is split on spaces into an argv (the command name first, as on the
 * wire). keyspec_find_keys() must return -1 or a count no larger than the
 * room it was given, with every position inside argv and each key carrying
 * the flags of a spec of that entry. Also runs a handful of made-up specs
 * (keyword searches from either end, key counts with steps, limits) so the
 * paths the table does not use are reached.
 *
 * Build with libFuzzer: make fuzz (build-fuzz/fuzz_keyspec), or add
 * -DPAIRDB_FUZZ_STANDALONE for a driver that runs the files named on its
 * command line once each.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "server/keyspec.h"

#define MAX_ARGS 64

static const key_spec extra_specs[] = {
    {KS_RW | KS_ACCESS, KS_KEYWORD("KEYS", -2), KS_RANGE(-1, 1, 0)},
    {KS_RO | KS_ACCESS, KS_KEYWORD("STREAMS", 1), KS_RANGE(-1, 1, 2)},
    {KS_RO, KS_KEYWORD("K", 2), KS_KEYNUM(0, 1, 2)},
    {KS_OW | KS_UPDATE, KS_INDEX(3), KS_KEYNUM(1, 2, 3)},
    {KS_RO, KS_INDEX(1), KS_RANGE(-3, 2, 0)},
};

static void check(const key_spec *specs, int nspecs, int argc, const resp_arg *argv) {
    key_ref out[MAX_ARGS * 8];
    int room = argc * (nspecs > 0 ? nspecs : 1);
    int n = keyspec_find_keys(specs, nspecs, argc, argv, out, room);
    if (n < -1 || n > room) abort();
    for (int i = 0; i < n; i++) {
        if (out[i].pos < 1 || out[i].pos >= argc) abort();
        int known = 0;
        for (int j = 0; j < nspecs; j++) known |= out[i].flags == specs[j].flags;
        if (!known) abort();
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    if (size < 2 || size > 4096) return 0;
    size_t pick = ((size_t)data[0] << 8 | data[1]) % keyspec_table_len;
    char *text = malloc(size - 1);
    if (!text) return 0;
    memcpy(text, data + 2, size - 2);
    text[size - 2] = '\0';
    resp_arg argv[MAX_ARGS];
    int argc = 0;
    argv[argc].ptr = keyspec_table[pick].fullname;
    argv[argc].len = strlen(keyspec_table[pick].fullname);
    argc++;
    size_t start = 0;
    for (size_t i = 0; i <= size - 2 && argc < MAX_ARGS; i++) {
        if (i == size - 2 || text[i] == ' ') {
            argv[argc].ptr = text + start;
            argv[argc].len = i - start;
            argc++;
            start = i + 1;
        }
    }
    check(keyspec_table[pick].specs, keyspec_table[pick].nspecs, argc, argv);
    for (size_t i = 0; i < sizeof extra_specs / sizeof extra_specs[0]; i++)
        check(&extra_specs[i], 1, argc, argv);
    check(extra_specs, (int)(sizeof extra_specs / sizeof extra_specs[0]), argc, argv);
    free(text);
    return 0;
}

#ifdef PAIRDB_FUZZ_STANDALONE
int main(int argc, char **argv) {
    for (int i = 1; i < argc; i++) {
        FILE *f = fopen(argv[i], "rb");
        if (!f) continue;
        static uint8_t buf[4096];
        size_t n = fread(buf, 1, sizeof buf, f);
        fclose(f);
        LLVMFuzzerTestOneInput(buf, n);
    }
    return 0;
}
#endif
