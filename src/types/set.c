/*
 * set.c - being written.
 */
#include "types/types.h"

void set_register(void) {
}
