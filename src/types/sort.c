/*
 * sort.c - being written.
 */
#include "types/types.h"

void sort_register(void) {
}
