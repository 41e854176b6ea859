/*
 * fuzz_listpack.c - libFuzzer target for lp_validate and intset_validate.
 *
 * RESTORE hands the collection types raw listpack and intset blobs from the
 * network; they are only used after the validators accept them. Checked
 * here: the validators never read out of bounds, and whatever they accept
 * can be walked in both directions, searched, read and edited without
 * faulting, and stays valid after the edits.
 *
 * Build with libFuzzer:
 *   clang -g -O1 -fsanitize=fuzzer,address,undefined -D_GNU_SOURCE -Isrc \
 *     src/ds/listpack.c src/ds/intset.c src/ds/numconv.c src/ds/mem.c \
 *     tests/fuzz/fuzz_listpack.c -o build/fuzz_listpack
 *   build/fuzz_listpack tests/fuzz/corpus/listpack
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ds/intset.h"
#include "ds/listpack.h"
#include "ds/mem.h"

static void check_intset(const uint8_t *data, size_t size) {
    intset *is = intset_from_blob(data, size);
    if (!is) return;
    uint32_t n = intset_len(is);
    int64_t v, prev = 0;
    for (uint32_t i = 0; i < n; i++) {
        if (!intset_get(is, i, &v)) abort();
        if (i > 0 && v <= prev) abort();
        if (!intset_find(is, v)) abort();
        prev = v;
    }
    is = intset_add(is, 12345, NULL);
    is = intset_remove(is, prev, NULL);
    if (!intset_validate(intset_blob(is), intset_blob_len(is))) abort();
    intset_free(is);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    check_intset(data, size);
    if (!lp_validate(data, size, -1)) return 0;
    /* Work on an owned copy: the edits below reallocate it. */
    listpack *lp = mem_memdup(data, size);
    uint32_t count = lp_count(lp), fwd = 0, back = 0;
    char buf[LP_INTBUF];
    size_t len;
    for (unsigned char *p = lp_first(lp); p; p = lp_next(lp, p)) {
        const char *s = lp_get_str(p, &len, buf);
        if (!lp_eq(p, s, len)) abort();
        if (!lp_find(lp, lp_first(lp), s, len, 0)) abort();
        fwd++;
    }
    for (unsigned char *p = lp_last(lp); p; p = lp_prev(lp, p)) back++;
    if (fwd != count || back != count) abort();
    if (count) {
        unsigned char *p = lp_seek(lp, (long)(size % count));
        if (!p) abort();
        const char *s = lp_get_str(p, &len, buf);
        char *copy = mem_memdup(s, len ? len : 1);
        lp = lp_append(lp, copy, len);
        p = lp_seek(lp, -1);
        lp = lp_replace(lp, &p, "x", 1);
        lp = lp_delete(lp, &p);
        lp = lp_delete_range(lp, 0, 1);
        mem_free(copy);
    }
    lp = lp_append_int(lp, (long long)size);
    if (!lp_validate(lp, lp_bytes(lp), (long)lp_count(lp))) abort();
    lp_free(lp);
    return 0;
}
