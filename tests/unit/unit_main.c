/*
 * unit_main.c - runs every test registered through unit.h.
 *
 * Usage: unit-tests [substring]. Each test runs in this process, in
 * registration order; the first failed check of a test ends that test.
 */
#include "unit.h"

#include <stdarg.h>
#include <stdlib.h>

static unit_test *tests_head, **tests_tail = &tests_head;
static int current_failed;

void unit_register(unit_test *t) {
    *tests_tail = t;
    tests_tail = &t->next;
}

void unit_fail(const char *file, int line, const char *fmt, ...) {
    va_list ap;
    fprintf(stderr, "  FAIL %s:%d: ", file, line);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
    current_failed = 1;
}

int main(int argc, char **argv) {
    const char *filter = argc > 1 ? argv[1] : NULL;
    int passed = 0, failed = 0;
    for (unit_test *t = tests_head; t; t = t->next) {
        if (filter && !strstr(t->name, filter)) continue;
        current_failed = 0;
        t->fn();
        if (current_failed) {
            failed++;
            fprintf(stderr, "not ok %s\n", t->name);
        } else {
            passed++;
            printf("ok %s\n", t->name);
        }
    }
    printf("unit: %d passed, %d failed\n", passed, failed);
    return failed ? 1 : 0;
}
