/*
 * recovery.h - bringing the dataset back at start-up.
 *
 * The newest valid snapshot is loaded, then every log frame after its LSN
 * is replayed through the command table (effects are deterministic, see
 * propagate.h). Loading runs as a loop task in slices, so clients can
 * connect and get -LOADING and INFO shows the progress meanwhile. When it
 * ends the log is opened for appending after the last replayed frame.
 *
 * A torn tail (a crash during a write) is cut off and logged; corruption
 * anywhere else stops the server with the file and offset, unless it was
 * started with --repair, which keeps what comes before the damage.
 */
#ifndef PAIRDB_RECOVERY_H
#define PAIRDB_RECOVERY_H

#include <stdint.h>

/* Starts loading from cfg->dir. -1 with a message logged when the data
 * cannot be loaded (the server must exit). */
int recovery_start(int repair);
/* 1 while loading (the core's server_loading(), which recovery sets). */
int recovery_loading(void);
/* The LSN the dataset is at (the last frame or snapshot applied). */
uint64_t recovery_lsn(void);

typedef struct recovery_progress {
    int loading;
    long long start_time;            /* unix seconds */
    long long total_bytes, loaded_bytes;
    long long keys_loaded, frames_replayed, commands_replayed;
    double perc;
    long long eta_seconds;
    long long last_load_ms;          /* how long the last completed load took */
} recovery_progress;
void recovery_get_progress(recovery_progress *out);

#endif
