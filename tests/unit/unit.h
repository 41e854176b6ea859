/*
 * unit.h - a tiny self-registering unit test harness.
 *
 * A test is written as TEST(name) { ... } in any tests/unit/test_*.c file;
 * a constructor registers it, so nothing is listed by hand. Assertions
 * record the first failure with file:line and return from the test.
 * unit_main.c runs every registered test (or those whose name contains
 * argv[1]) and closes with the line "N passed, N failed".
 */
#ifndef PAIRDB_UNIT_H
#define PAIRDB_UNIT_H

#include <stdio.h>
#include <string.h>

typedef struct unit_test {
    const char *name;
    void (*fn)(void);
    struct unit_test *next;
} unit_test;

void unit_register(unit_test *t);
/* Records a failure for the running test; returns nothing, callers return. */
void unit_fail(const char *file, int line, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

#define TEST(name)                                                         \
    static void name(void);                                                \
    static unit_test unit_##name = {#name, name, NULL};                    \
    __attribute__((constructor)) static void unit_reg_##name(void) {       \
        unit_register(&unit_##name);                                       \
    }                                                                      \
    static void name(void)

#define CHECK(cond)                                                        \
    do {                                                                   \
        if (!(cond)) {                                                     \
            unit_fail(__FILE__, __LINE__, "CHECK(%s)", #cond);             \
            return;                                                        \
        }                                                                  \
    } while (0)

#define CHECK_INT(a, b)                                                    \
    do {                                                                   \
        long long a_ = (long long)(a), b_ = (long long)(b);                \
        if (a_ != b_) {                                                    \
            unit_fail(__FILE__, __LINE__, "%s == %lld, expected %s == %lld", \
                      #a, a_, #b, b_);                                     \
            return;                                                        \
        }                                                                  \
    } while (0)

#define CHECK_MEM(p, n, s)                                                 \
    do {                                                                   \
        size_t n_ = (size_t)(n);                                           \
        if (n_ != strlen(s) || memcmp((p), (s), n_) != 0) {                \
            unit_fail(__FILE__, __LINE__, "%s is \"%.*s\", expected \"%s\"", \
                      #p, (int)n_, (const char *)(p), (s));                \
            return;                                                        \
        }                                                                  \
    } while (0)

#define CHECK_STR(a, b)                                                    \
    do {                                                                   \
        const char *a_ = (a), *b_ = (b);                                   \
        if (strcmp(a_, b_) != 0) {                                         \
            unit_fail(__FILE__, __LINE__, "%s is \"%s\", expected \"%s\"", \
                      #a, a_, b_);                                         \
            return;                                                        \
        }                                                                  \
    } while (0)

#endif
