/*
 * list.c - being written.
 */
#include "types/types.h"

void list_register(void) {
}
