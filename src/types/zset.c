/*
 * zset.c - being written.
 */
#include "types/types.h"

void zset_register(void) {
}
