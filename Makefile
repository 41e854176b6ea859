# PairDB build. GNU Make; no configure step.
#
#   make              build build/pairdb-server (and the unit-test binary)
#   make run          install missing Debian packages, build, start the server
#                     on 127.0.0.1:6379 with data in ./data
#   make test         install test tools, build, run every test; closes with
#                     "N passed, N failed"
#   make SANITIZE=address,undefined test    the same under ASan/UBSan (build-san/)
#   make fuzz         build the libFuzzer targets (clang)
#   make format       clang-format every source file in place

CC ?= cc
SANITIZE ?=
OPT ?= -O2
ifeq ($(SANITIZE),)
BUILD := build
SANFLAGS :=
else
BUILD := build-san
SANFLAGS := -fsanitize=$(SANITIZE) -fno-omit-frame-pointer -fno-sanitize-recover=all
OPT := -O1
endif

WARN := -Wall -Wextra -Werror -Wno-missing-field-initializers
CFLAGS := -std=c11 -D_GNU_SOURCE $(OPT) -g $(WARN) $(SANFLAGS) -Isrc -MMD -MP
LDFLAGS := $(SANFLAGS)
LUA_CFLAGS := $(shell pkg-config --cflags lua5.1 2>/dev/null)
LUA_LIBS := $(shell pkg-config --libs lua5.1-cjson lua5.1-bitop lua5.1 2>/dev/null)
CFLAGS += $(LUA_CFLAGS)
# OpenSSL 3: libcrypto (ACL password hashing) and libssl (the TLS port,
# src/server/tls.c, and libpairdb's rediss://).
SSL_LIBS := $(shell pkg-config --libs libssl libcrypto 2>/dev/null || echo -lssl -lcrypto)
LDLIBS := $(LUA_LIBS) $(SSL_LIBS) -lpthread -lm

SERVER_SRC := $(wildcard src/ds/*.c src/proto/*.c src/server/*.c src/types/*.c src/persist/*.c src/script/*.c)
SERVER_SRC += $(wildcard src/admin/*.c src/app/*.c)
SERVER_OBJ := $(SERVER_SRC:%.c=$(BUILD)/%.o)
# Everything but main() goes into the library the unit tests link against.
LIB_OBJ := $(filter-out $(BUILD)/src/app/main.o,$(SERVER_OBJ))
UNIT_SRC := $(wildcard tests/unit/*.c)
UNIT_OBJ := $(UNIT_SRC:%.c=$(BUILD)/%.o)
FUZZ_SRC := $(wildcard tests/fuzz/fuzz_*.c)
FUZZ_BIN := $(FUZZ_SRC:tests/fuzz/%.c=build-fuzz/%)
FUZZ_LIB_SRC := $(filter-out src/app/main.c,$(SERVER_SRC))

.PHONY: all run test deps deps-test fuzz clean format bench
# pairdb-check: verifies and describes snapshot and log files.
TOOL_BIN := $(if $(wildcard src/tools/pairdb_check.c),$(BUILD)/pairdb-check)
all: $(BUILD)/pairdb-server $(BUILD)/unit-tests $(TOOL_BIN) client $(BUILD)/pairdb-cli

# ---- libpairdb: the C client library ------------------------------------
# Position-independent objects: the client sources plus the parts of the
# protocol and allocator code they use (not the server). They are linked into
# one relocatable object whose only global symbols are pdb_*, so neither the
# archive nor the shared library leaks internal names into a program.
CLIENT_SRC := $(wildcard src/client/*.c) src/proto/resp_reader.c src/proto/resp_write.c src/ds/mem.c src/ds/crc16.c
CLIENT_PIC := $(CLIENT_SRC:%.c=$(BUILD)/pic/%.o)
CLIENT_TEST_SRC := $(wildcard tests/client/*.c)
EXAMPLE_SRC := $(wildcard examples/*.c)
EXAMPLE_BIN := $(EXAMPLE_SRC:examples/%.c=$(BUILD)/examples/%)
PDB_VERSION := 0.1.0
PREFIX ?= /usr/local
.PHONY: client client-test
client: $(BUILD)/libpairdb.a $(BUILD)/libpairdb.so $(BUILD)/client-tests $(EXAMPLE_BIN) $(BUILD)/pairdb.pc

$(BUILD)/pic/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -fPIC -fvisibility=default -c $< -o $@

$(BUILD)/libpairdb.o: $(CLIENT_PIC)
	$(LD) -r -o $@.tmp $^
	objcopy -w --keep-global-symbol='pdb_*' $@.tmp $@
	rm -f $@.tmp

$(BUILD)/libpairdb.a: $(BUILD)/libpairdb.o
	rm -f $@ && ar rcs $@ $^

$(BUILD)/libpairdb.so.0: $(BUILD)/libpairdb.o
	$(CC) $(LDFLAGS) -shared -Wl,-soname,libpairdb.so.0 -o $@ $^ $(SSL_LIBS)

$(BUILD)/libpairdb.so: $(BUILD)/libpairdb.so.0
	ln -sf libpairdb.so.0 $@

$(BUILD)/pairdb.pc: pairdb.pc.in
	sed -e 's|@PREFIX@|$(PREFIX)|g' -e 's|@VERSION@|$(PDB_VERSION)|g' $< > $@

# The async tests drive the libevent and libuv adapters (header-only, not
# linked into the library) when pkg-config finds those libraries.
LOOP_PKGS := $(foreach p,libevent libuv,$(if $(shell pkg-config --exists $(p) && echo y),$(p)))
LOOP_CFLAGS := $(if $(filter libevent,$(LOOP_PKGS)),-DPDB_TEST_LIBEVENT) $(if $(filter libuv,$(LOOP_PKGS)),-DPDB_TEST_LIBUV) $(if $(LOOP_PKGS),$(shell pkg-config --cflags $(LOOP_PKGS)))
LOOP_LIBS := $(if $(LOOP_PKGS),$(shell pkg-config --libs $(LOOP_PKGS)))
$(BUILD)/tests/client/test_async.o $(BUILD)/tests/client/test_async_link.o: CFLAGS += $(LOOP_CFLAGS) -Iinclude

$(BUILD)/client-tests: $(CLIENT_TEST_SRC:%.c=$(BUILD)/%.o) $(BUILD)/libpairdb.a
	$(CC) $(LDFLAGS) -o $@ $^ $(SSL_LIBS) -lpthread $(LOOP_LIBS)

$(BUILD)/examples/%: examples/%.c $(BUILD)/libpairdb.a
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -Iinclude -o $@ $< $(BUILD)/libpairdb.a $(SSL_LIBS)

# Runs the client tests against build/pairdb-server and /usr/bin/redis-server.
client-test: all
	PAIRDB_SERVER=$(BUILD)/pairdb-server $(BUILD)/client-tests

# pairdb-cli: the command-line client, on libpairdb and libedit (libedit-dev).
CLI_SRC := $(wildcard src/cli/*.c)
EDIT_CFLAGS := $(shell pkg-config --cflags libedit 2>/dev/null)
EDIT_LIBS := $(shell pkg-config --libs libedit 2>/dev/null || echo -ledit)
$(BUILD)/src/cli/%.o: src/cli/%.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(EDIT_CFLAGS) -c $< -o $@

CLI_OBJ := $(CLI_SRC:%.c=$(BUILD)/%.o)
-include $(CLI_OBJ:.o=.d)
$(BUILD)/pairdb-cli: $(CLI_OBJ) $(BUILD)/libpairdb.a
	$(CC) $(LDFLAGS) -o $@ $^ $(EDIT_LIBS) $(SSL_LIBS)

$(BUILD)/pairdb-check: $(BUILD)/src/tools/pairdb_check.o $(BUILD)/libpairdb-core.a
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

$(BUILD)/pairdb-server: $(SERVER_OBJ)
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

$(BUILD)/libpairdb-core.a: $(LIB_OBJ)
	rm -f $@ && ar rcs $@ $^

$(BUILD)/unit-tests: $(UNIT_OBJ) $(BUILD)/libpairdb-core.a
	$(CC) $(LDFLAGS) -o $@ $(UNIT_OBJ) $(BUILD)/libpairdb-core.a $(LDLIBS)

$(BUILD)/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -Itests/unit -c $< -o $@

# libFuzzer targets: the library is compiled once with clang's fuzzer
# instrumentation (plus ASan/UBSan), then each target links against it.
FUZZ_CFLAGS := -std=c11 -D_GNU_SOURCE -g -O1 -fsanitize=fuzzer-no-link,address,undefined \
    -Isrc $(LUA_CFLAGS) $(WARN)
FUZZ_OBJ := $(FUZZ_LIB_SRC:%.c=build-fuzz/%.o)
build-fuzz/%.o: %.c
	@mkdir -p $(dir $@)
	clang $(FUZZ_CFLAGS) -MMD -MP -c $< -o $@
build-fuzz/libfuzzcore.a: $(FUZZ_OBJ)
	rm -f $@ && ar rcs $@ $^
build-fuzz/%: tests/fuzz/%.c build-fuzz/libfuzzcore.a
	clang $(FUZZ_CFLAGS) -fsanitize=fuzzer -o $@ $< build-fuzz/libfuzzcore.a $(LDLIBS)
fuzz: $(FUZZ_BIN)

deps:
	scripts/deps.sh build

deps-test:
	scripts/deps.sh test

run: deps
	$(MAKE) $(BUILD)/pairdb-server $(TOOL_BIN)
	scripts/run.sh $(BUILD)/pairdb-server

# The whole suite on the normal build, plus the unit tests and the
# hostile-input and data-path integration tests on an ASan/UBSan build.
test: deps-test
	$(MAKE) all fuzz
	$(MAKE) SANITIZE=address,undefined all
	SAN_BUILD=build-san tests/run.sh $(BUILD)

bench: all
	bench/bench.sh quick

format:
	clang-format -i $(wildcard src/*/*.c src/*/*.h tests/unit/*.c tests/unit/*.h tests/fuzz/*.c \
	    include/*.h tests/client/*.c tests/client/*.h examples/*.c)

clean:
	rm -rf build build-san build-fuzz

-include $(SERVER_OBJ:.o=.d) $(UNIT_OBJ:.o=.d) $(FUZZ_OBJ:.o=.d) $(CLIENT_PIC:.o=.d) \
    $(CLIENT_TEST_SRC:%.c=$(BUILD)/%.d)
