/*
 * hash.c - being written.
 */
#include "types/types.h"

void hash_register(void) {
}
