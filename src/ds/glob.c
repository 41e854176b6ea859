/*
 * glob.c - glob matching with Redis's stringmatchlen semantics (see glob.h).
 *
 * Every token except '*' consumes exactly one byte of the subject, so the
 * classic greedy algorithm is complete: on a mismatch, only the most recent
 * '*' needs to swallow one more byte; earlier stars never need revisiting,
 * because anything a longer match of an earlier star could reach, the latest
 * star can reach too. That bounds the work by plen * slen and removes the
 * recursion that made hostile patterns ("*a*a*a...b") exponential.
 *
 * All reads are bounded by plen/slen: the pattern is untrusted input and is
 * not NUL-terminated.
 */
#include "glob.h"

#include <stdint.h>

/* Redis stops recursing after this many nested '*' (see glob.h). */
#define GLOB_MAX_STARS 1000

static inline int ascii_lower(int c) {
    return (c >= 'A' && c <= 'Z') ? c + ('a' - 'A') : c;
}

/* Matches the single-byte token at pat[*pi] (not '*') against c and moves
 * *pi past the token. The pattern is parsed the same way whether or not the
 * byte matches, so callers can also use it to skip tokens. */
static int token_match(const char *pat, size_t plen, size_t *pi, char c, int nocase) {
    size_t i = *pi;
    char t = pat[i];

    if (t == '?') {
        *pi = i + 1;
        return 1;
    }
    if (t == '\\' && i + 1 < plen) {
        t = pat[++i];
    } else if (t == '[') {
        int neg = 0, match = 0;
        i++;
        if (i < plen && pat[i] == '^') {
            neg = 1;
            i++;
        }
        for (;;) {
            if (i >= plen) break; /* unterminated: the set is the rest */
            if (pat[i] == '\\' && i + 1 < plen) {
                /* Redis compares escaped set members case-sensitively. */
                if (pat[i + 1] == c) match = 1;
                i += 2;
            } else if (pat[i] == ']') {
                i++;
                break;
            } else if (i + 2 < plen && pat[i + 1] == '-') {
                /* Bounds are plain (signed) chars, as in Redis. */
                int lo = (signed char)pat[i], hi = (signed char)pat[i + 2];
                int v = (signed char)c;
                if (lo > hi) {
                    int tmp = lo;
                    lo = hi;
                    hi = tmp;
                }
                if (nocase) {
                    lo = ascii_lower(lo);
                    hi = ascii_lower(hi);
                    v = ascii_lower(v);
                }
                if (v >= lo && v <= hi) match = 1;
                i += 3;
            } else {
                if (nocase ? ascii_lower((unsigned char)pat[i]) == ascii_lower((unsigned char)c)
                           : pat[i] == c)
                    match = 1;
                i++;
            }
        }
        *pi = i;
        return neg ? !match : match;
    }
    *pi = i + 1;
    if (nocase) return ascii_lower((unsigned char)t) == ascii_lower((unsigned char)c);
    return t == c;
}

/* Number of '*' runs followed by another token: each costs Redis one level of
 * recursion on the way to a match. */
static size_t inner_star_groups(const char *pat, size_t plen) {
    size_t groups = 0, i = 0;
    int in_star = 0;
    while (i < plen) {
        if (pat[i] == '*') {
            in_star = 1;
            i++;
            continue;
        }
        if (in_star) groups++;
        in_star = 0;
        token_match(pat, plen, &i, 0, 0);
    }
    return groups;
}

int glob_match(const char *pat, size_t plen, const char *str, size_t slen, int nocase) {
    /* Redis only consumes the pattern while bytes remain, so "" matches
     * nothing but "". */
    if (slen == 0) return plen == 0;

    size_t p = 0, s = 0;
    size_t star_p = SIZE_MAX, star_s = 0; /* resume point after the last '*' */
    while (s < slen) {
        if (p < plen && pat[p] == '*') {
            while (p < plen && pat[p] == '*')
                p++;
            if (p == plen) goto matched; /* trailing '*' takes the rest */
            star_p = p;
            star_s = s;
            continue;
        }
        if (p < plen) {
            size_t np = p;
            if (token_match(pat, plen, &np, str[s], nocase)) {
                p = np;
                s++;
                continue;
            }
        }
        if (star_p == SIZE_MAX) return 0;
        p = star_p;
        s = ++star_s;
    }
    while (p < plen && pat[p] == '*')
        p++;
    if (p != plen) return 0;
matched:
    return inner_star_groups(pat, plen) <= GLOB_MAX_STARS;
}
