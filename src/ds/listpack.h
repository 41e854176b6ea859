/*
 * listpack.h - a compact sequence of strings and integers in one buffer.
 *
 * The small encoding of lists, hashes, sets and sorted sets ("listpack" in
 * OBJECT ENCODING, as Redis names it). One contiguous allocation:
 *
 *   [total bytes u32][count u32][entry]...[0xFF]
 *
 * Each entry holds an integer (when the string is the canonical decimal
 * form of a 64-bit integer) or a string, followed by its own length
 * written backwards, so the buffer can be walked in both directions.
 * Hashes store field,value,field,value...; sorted sets member,score,...
 *
 * Positions are pointers into the buffer (unsigned char *). Every call
 * that changes the listpack may move it: it returns the new buffer and
 * all positions taken before are invalid, except those the call hands
 * back through an out-parameter.
 *
 * Invariants: count equals the number of entries; total bytes equals the
 * allocation's used size; the last byte is 0xFF.
 */
#ifndef PAIRDB_LISTPACK_H
#define PAIRDB_LISTPACK_H

#include <stddef.h>
#include <stdint.h>

typedef unsigned char listpack;

/* Buffer for lp_get's integer-as-text form. */
#define LP_INTBUF 21

enum { LP_BEFORE = 0, LP_AFTER = 1 };

listpack *lp_new(void);
void lp_free(listpack *lp);
listpack *lp_dup(const listpack *lp);
size_t lp_bytes(const listpack *lp);
uint32_t lp_count(const listpack *lp);

/* Walking. NULL when there is no such element. */
unsigned char *lp_first(listpack *lp);
unsigned char *lp_last(listpack *lp);
unsigned char *lp_next(listpack *lp, unsigned char *p);
unsigned char *lp_prev(listpack *lp, unsigned char *p);
/* Element at index (negative counts from the end: -1 is the last). */
unsigned char *lp_seek(listpack *lp, long index);

/* Reading an element. lp_get returns the string bytes, or NULL for an
 * integer element with the value in *ival. lp_get_str always gives text
 * (integers formatted into buf). */
const char *lp_get(const unsigned char *p, size_t *len, long long *ival);
const char *lp_get_str(const unsigned char *p, size_t *len, char buf[LP_INTBUF]);
/* 1 when the element equals s (integers compare by their text). */
int lp_eq(const unsigned char *p, const char *s, size_t len);

/* Writing. Strings that are canonical integers are stored as integers. */
listpack *lp_append(listpack *lp, const char *s, size_t len);
listpack *lp_prepend(listpack *lp, const char *s, size_t len);
listpack *lp_append_int(listpack *lp, long long v);
/* Inserts before/after the element at *p; *p becomes the new element. */
listpack *lp_insert(listpack *lp, unsigned char **p, int where, const char *s, size_t len);
/* Replaces the element at *p; *p becomes the new element. */
listpack *lp_replace(listpack *lp, unsigned char **p, const char *s, size_t len);
/* Deletes the element at *p; *p becomes the element that followed (or NULL). */
listpack *lp_delete(listpack *lp, unsigned char **p);
/* Deletes num elements starting at index (negative from the end). */
listpack *lp_delete_range(listpack *lp, long index, unsigned long num);

/* Finds the first element equal to s, starting at p and then checking
 * every (skip+1)-th element (skip=1 looks only at hash fields / zset
 * members). NULL when absent. */
unsigned char *lp_find(listpack *lp, unsigned char *p, const char *s, size_t len,
                       unsigned skip);

/* Checks a listpack from an untrusted source (RESTORE): every length and
 * the terminator; with expected_count >= 0 also the count. 1 if valid. */
int lp_validate(const unsigned char *buf, size_t size, long expected_count);

/* 1 when add more bytes keep the listpack under its 4 GiB size limit
 * (growing past it aborts: callers switch to the big encoding first). */
int lp_safe_to_add(const listpack *lp, size_t add);

#endif
