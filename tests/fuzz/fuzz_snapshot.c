/*
 * fuzz_snapshot.c - libFuzzer target for snapshot files.
 *
 * A snapshot is read back from disk, which may hold anything: the loader
 * and the verifier must refuse a malformed file with an error, never read
 * out of bounds, leak or allocate beyond the file's size. The input is put
 * in a memory file; it is verified, then loaded into the databases (and
 * function libraries), which are emptied again. Invariant checked: the verifier and the loader agree.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>

#include "persist/snapshot.h"
#include "script/script.h"
#include "server/config_int.h"
#include "server/db.h"
#include "types/types.h"

int LLVMFuzzerInitialize(int *argc, char ***argv) {
    (void)argc;
    (void)argv;
    config__ensure_init();
    db_init_all(16);
    list_register();
    hash_register();
    set_register();
    zset_register();
    stream_register();
    return 0;
}

static int load(const char *path) {
    char err[512];
    snapshot_loader *l = snapshot_load_open(path, err, sizeof err);
    if (!l) return -1;
    int rc;
    while ((rc = snapshot_load_step(l, 0, err, sizeof err)) == 1) {
    }
    snapshot_load_close(l);
    return rc;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    int fd = memfd_create("snapshot", 0);
    if (fd < 0) abort();
    if (size && write(fd, data, size) != (ssize_t)size) abort();
    char path[64], err[512];
    snprintf(path, sizeof path, "/proc/self/fd/%d", fd);
    int verified = snapshot_verify(path, NULL, NULL, err, sizeof err);
    int loaded = load(path);
    for (int i = 0; i < db_count(); i++) db_empty(db_get(i));
    function_free_all(); /* libraries a file loaded */
    close(fd);
    /* The verifier accepts up to 64 databases, the loader only the
     * server's 16; otherwise they must agree. */
    if (loaded == 0 && verified != 0) abort();
    return 0;
}
