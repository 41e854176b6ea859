/*
 * pending_stubs.c - placeholders for the write-ahead log and recovery until
 * their modules land: a closed log and an empty start-up. Delete this file
 * when wal.c and recovery.c exist.
 */
#include <string.h>

#include "persist/recovery.h"
#include "persist/wal.h"

int wal_is_open(void) {
    return 0;
}
uint64_t wal_seal(void) {
    return 0;
}
uint64_t wal_last_lsn(void) {
    return 0;
}
void wal_drop_covered(uint64_t lsn) {
    (void)lsn;
}
void wal_get_stats(wal_stats *out) {
    memset(out, 0, sizeof *out);
}
int recovery_loading(void) {
    return 0;
}
uint64_t recovery_lsn(void) {
    return 0;
}
void recovery_get_progress(recovery_progress *out) {
    memset(out, 0, sizeof *out);
}
