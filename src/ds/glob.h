/*
 * glob.h - Redis-compatible glob-style pattern matching (KEYS, SCAN MATCH,
 * PSUBSCRIBE, CONFIG GET, ACL key patterns, ...).
 *
 * Syntax: '*' any run of bytes, '?' one byte, '[abc]' a set, '[^abc]' its
 * complement, '[a-z]' an inclusive range (a reversed range such as [z-a] is
 * the same range), '\x' the byte x literally, inside or outside brackets.
 * The corner cases follow Redis's stringmatchlen exactly:
 *   - an unterminated '[' takes the rest of the pattern as its set;
 *   - the empty string matches only the empty pattern (not even "*");
 *   - escaped bytes inside brackets compare case-sensitively even in nocase
 *     mode, and range bounds compare as signed chars;
 *   - a pattern that needs more than 1000 '*' groups followed by something
 *     never matches (Redis's recursion guard).
 * Matching is iterative with a single backtrack point: O(plen * slen) time in
 * the worst case, O(1) space, whatever the pattern.
 */
#ifndef PAIRDB_GLOB_H
#define PAIRDB_GLOB_H

#include <stddef.h>

/* 1 if str[0..slen) matches pat[0..plen), else 0. nocase folds ASCII A-Z. */
int glob_match(const char *pat, size_t plen, const char *str, size_t slen, int nocase);

#endif
