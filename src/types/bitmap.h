/*
 * bitmap.h - what the bitmap commands share with the HyperLogLog commands:
 * both edit string values in place, as raw byte arrays.
 */
#ifndef PAIRDB_BITMAP_H
#define PAIRDB_BITMAP_H

#include <stddef.h>

#include "ds/dstr.h"
#include "server/handler.h"

/* Makes the string value of entry e (a live TYPE_STRING entry of key) a raw
 * dstr that the caller may edit in place, at least minlen bytes long
 * (zero-filled when it grows). Integer and embedded encodings are turned
 * into a raw one; the TTL stays. Returns the live dstr; *entry is updated
 * to the live kv (the conversion replaces it). */
dstr *bits_make_raw(client *c, const resp_arg *key, kv **entry, size_t minlen);

/* Stores s (whose address may have changed after a grow) back into e. */
static inline void bits_store(kv *e, dstr *s) {
    if (kv_ptr(e) != s) kv_set_ptr(e, s);
}

#endif
