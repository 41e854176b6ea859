/*
 * fuzz_config.c - fuzz target for the config text parser and CONFIG SET.
 *
 * The input is config file text. It is parsed as a whole (every directive,
 * quoting, units, special settings, error paths), then each line is also
 * split and fed to config_set_runtime() as "name value" the way CONFIG SET
 * receives it. Runs sandboxed: no chdir, no include, no rlimit changes, so
 * hostile input cannot touch the machine. Settings go back to defaults after
 * every input.
 *
 * Build with libFuzzer:
 *   clang -g -O1 -fsanitize=fuzzer,address,undefined -D_GNU_SOURCE -Isrc \
 *     src/server/config.c src/server/config_table.c src/ds/mem.c \
 *     tests/fuzz/fuzz_config.c -o build/fuzz_config
 *   build/fuzz_config tests/fuzz/corpus/config
 * Or add -DPAIRDB_FUZZ_STANDALONE (without -fsanitize=fuzzer) for a driver
 * that runs the files named on its command line once each.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ds/mem.h"
#include "server/command.h"
#include "server/config.h"
#include "server/reply.h"
#include "server/config_int.h"


int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    if (size > 1 << 16) return 0;
    config__set_sandbox(1);
    char *text = mem_alloc(size + 1);
    memcpy(text, data, size);
    text[size] = '\0';

    char err[2048];
    (void)config_parse_text(text, err, sizeof(err));

    /* Line by line through the runtime path: name and the rest as the value. */
    char *save = NULL;
    for (char *line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
        char **argv;
        int argc;
        if (config_split_args(line, &argv, &argc) != 0) continue;
        if (argc >= 2) {
            char msg[1024];
            (void)config_set_runtime(argv[0], argv[1], msg, sizeof(msg));
        }
        config_free_args(argv, argc);
    }
    mem_free(text);
    config_free();
    config__ensure_init();
    return 0;
}

#ifdef PAIRDB_FUZZ_STANDALONE
int main(int argc, char **argv) {
    for (int i = 1; i < argc; i++) {
        FILE *f = fopen(argv[i], "rb");
        if (!f) {
            perror(argv[i]);
            return 1;
        }
        static uint8_t buf[1 << 16];
        size_t n = fread(buf, 1, sizeof(buf), f);
        fclose(f);
        LLVMFuzzerTestOneInput(buf, n);
    }
    printf("fuzz_config: %d inputs ran\n", argc - 1);
    return 0;
}
#endif
