/*
 * scan.h - argument parsing shared by SCAN, HSCAN, SSCAN and ZSCAN.
 *
 * Both functions reply Redis's error themselves and return -1 on failure.
 */
#ifndef PAIRDB_SCAN_H
#define PAIRDB_SCAN_H

#include <stdint.h>

#include "server/handler.h"

/* A cursor as Redis reads it (strtoull rules: optional sign, decimal
 * digits, no overflow, the text ends at the first NUL, empty means 0). */
int scan_parse_cursor(client *c, const resp_arg *a, uint64_t *out);
/* [MATCH pattern] [COUNT n] from argv[first] on. COUNT below 1 is a syntax
 * error; MATCH "*" is returned as NULL (matches everything). */
int scan_parse_options(client *c, int first, long long *count, const resp_arg **pat);

#endif
