/*
 * fuzz_hll.c - libFuzzer target for HyperLogLog string bodies.
 *
 * Any string value reaches the HLL code through PFCOUNT / PFADD / PFMERGE
 * once its header looks right (SET, RESTORE and APPEND can write any
 * bytes), so the sparse run-length decoder must refuse a corrupt body
 * without reading or writing out of bounds. Checked here: counting,
 * merging, promotion to dense and adding to an arbitrary body never fault,
 * and the three agree on whether the body is corrupt.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ds/dstr.h"
#include "types/hll.h"

/* The fuzzer's input may lack the magic; give half the inputs a valid
 * header so the body decoders are reached. */
static dstr *body_from(const uint8_t *data, size_t size) {
    if (size > 0 && (data[0] & 1)) {
        dstr *s = dstr_new("HYLL", 4);
        s = dstr_append(s, (const char *)data, size);
        return s;
    }
    return dstr_new((const char *)data, size);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    dstr *s = body_from(data, size);
    const unsigned char *p = (const unsigned char *)s->buf;
    if (!hll_is_valid(p, s->len)) {
        dstr_free(s);
        return 0;
    }
    int invalid = 0;
    uint64_t n = hll_count(p, s->len, &invalid);
    (void)n;
    static uint8_t max[HLL_REGISTERS];
    memset(max, 0, sizeof max);
    int merge_bad = hll_merge(max, p, s->len) < 0;
    if (merge_bad != (invalid != 0)) abort();
    for (size_t i = 0; i < HLL_REGISTERS; i++)
        if (max[i] > 63) abort();

    dstr *dense = dstr_new(s->buf, s->len);
    if (p[4] == HLL_ENC_SPARSE && hll_to_dense(&dense) == 0) {
        if (dense->len != HLL_DENSE_SIZE) abort();
        if (!hll_is_valid((const unsigned char *)dense->buf, dense->len)) abort();
    }
    dstr_free(dense);

    if (hll_add(&s, (const unsigned char *)"x", 1, 3000) >= 0)
        if (!hll_is_valid((const unsigned char *)s->buf, s->len)) abort();
    dstr_free(s);
    return 0;
}
