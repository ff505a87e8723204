# Switchboard build.  GNU make.
#
#   make            build build/switchboard and the test programs
#   make run        install missing packages, build, run
#   make check      install missing packages, build, run every test suite
#   make asan       the same tests under AddressSanitizer + UBSan
#   make bench      build and run the benchmarks
#   make fuzz       run the fuzzers for a long time (FUZZ_SECONDS, default 600)
#   make format     clang-format every C file

CC      ?= cc
BUILD   ?= build
CSTD    := -std=c11 -D_GNU_SOURCE
WARN    := -Wall -Wextra -Werror -Wshadow -Wstrict-prototypes -Wno-unused-parameter
# -O3 with link-time optimisation: the core calls base's small functions
# (waiting queues, maps, heaps, slabs) across files on every event;
# inlining them gained 4-13 % routed/s, -O3 over -O2 another 8-14 %
# (bench/README.md, paired runs).  Debian's ar loads GCC's LTO plugin by
# itself.
OPT     ?= -O3 -g -flto=auto
CFLAGS  += $(CSTD) $(WARN) $(OPT) -Isrc -Itests -MMD -MP
LDLIBS  += -lsodium -ljansson -lsqlite3 -luv -lwslay -lssl -lcrypto -lpthread -lm
# The server's allocator: mimalloc replaces malloc for the whole process
# (first on the link line, so its symbols win, for SQLite and jansson too):
# glibc's spent 14 % of the loop per request on ~40 allocations (see
# bench/README.md).  Not for sanitizer builds, whose runtime owns malloc.
SERVER_MALLOC ?= -lmimalloc

# Layers, in dependency order.  core depends on base only.
BASE_SRC := $(wildcard src/base/*.c)
CORE_SRC := $(wildcard src/core/*.c)
STATS_SRC := $(wildcard src/stats/*.c)
APP_SRC  := $(wildcard src/app/*.c)
CONFIG_SRC := $(wildcard src/config/*.c)
SIM_SRC  := $(wildcard src/sim/*.c)
STORE_SRC := $(wildcard src/store/*.c)
NET_SRC  := $(wildcard src/net/*.c)
API_SRC  := $(wildcard src/api/*.c)
LIB_SRC  := $(BASE_SRC) $(CORE_SRC) $(STATS_SRC) $(CONFIG_SRC) $(SIM_SRC) $(STORE_SRC) $(NET_SRC) $(API_SRC)
UNIT_SRC := $(wildcard tests/unit/*.c tests/unit/*/*.c tests/scenario/*.c)

LIB_OBJ  := $(LIB_SRC:%.c=$(BUILD)/%.o)

# llhttp: Debian's node-llhttp ships its C sources; they are built here.
LLHTTP_DIR := /usr/share/llhttp
LLHTTP_INC := -I/usr/share/include/llhttp
LLHTTP_SRC := $(wildcard $(LLHTTP_DIR)/*.c)
LLHTTP_OBJ := $(patsubst $(LLHTTP_DIR)/%.c,$(BUILD)/llhttp/%.o,$(LLHTTP_SRC))
APP_OBJ  := $(APP_SRC:%.c=$(BUILD)/%.o)
UNIT_OBJ := $(UNIT_SRC:%.c=$(BUILD)/%.o)

all: $(BUILD)/switchboard web $(BUILD)/unit $(BUILD)/validate-sim $(BUILD)/bench-route $(BUILD)/bench-ws-fanout

$(BUILD)/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -c $< -o $@

$(BUILD)/src/net/%.o $(BUILD)/src/api/%.o $(BUILD)/src/app/%.o: CFLAGS += $(LLHTTP_INC)
$(BUILD)/tests/unit/net/%.o: CFLAGS += $(LLHTTP_INC)

$(BUILD)/llhttp/%.o: $(LLHTTP_DIR)/%.c
	@mkdir -p $(dir $@)
	$(CC) $(CSTD) $(WARN) $(OPT) $(LLHTTP_INC) -c $< -o $@

# Profile-guided optimisation of the routing core (src/base, src/core),
# which every server event runs through: those files are built once
# instrumented into $(BUILD)/pgo, the routing benchmark linked from them
# runs a training center (seed 2, not the seed it reports on), and they
# are built again with the branch and call counts it recorded: 14 % fewer
# instructions per routed interaction, 3-13 % more routed/s at backlogs 0
# and 10,000, about 5 % at 100,000 (bench/README.md, paired runs).  Other
# layers are not trained; a path the training never ran is optimised as
# without a profile (-fprofile-partial-training).  PGO=0 builds without
# it (the sanitizer build does): a core edit then rebuilds in a third of
# the time.
PGO ?= 1
ifeq ($(PGO),1)
PGO_DIR   := $(BUILD)/pgo
PGO_SRC   := $(BASE_SRC) $(CORE_SRC)
PGO_STAMP := $(PGO_DIR)/profile.stamp
PGO_TRAIN := --seed 2 --routed 50000 --rounds 1 --no-pin
# Both builds of a file name it alike (-dumpbase): GCC keys a static
# function's counts and the counts file by that name, not the object's.
PGO_NAME   = -dumpdir $(PGO_DIR)/ -dumpbase $(subst /,.,$<)
PGO_PROF  := $(abspath $(PGO_DIR)/prof)
$(PGO_DIR)/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -fprofile-generate=$(PGO_PROF) $(PGO_NAME) -c $< -o $@
$(PGO_DIR)/bench-route: $(PGO_DIR)/bench/route.o $(PGO_DIR)/bench/memprobe.o $(PGO_SRC:%.c=$(PGO_DIR)/%.o)
	$(CC) $(CFLAGS) -fprofile-generate=$(PGO_PROF) $(LDFLAGS) -o $@ $^ $(SERVER_MALLOC) $(LDLIBS)
$(PGO_STAMP): $(PGO_DIR)/bench-route
	@rm -rf $(PGO_PROF)
	$(PGO_DIR)/bench-route $(PGO_TRAIN) > $(PGO_DIR)/train.out
	@touch $@
PGO_USE = -fprofile-use=$(PGO_PROF) -fprofile-partial-training -Wno-missing-profile $(PGO_NAME)
$(PGO_SRC:%.c=$(BUILD)/%.o): $(BUILD)/%.o: %.c $(PGO_STAMP)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(PGO_USE) -c $< -o $@
endif

$(BUILD)/libsb.a: $(LIB_OBJ) $(LLHTTP_OBJ)
	@rm -f $@
	ar rcs $@ $^

# docs/openapi.json is served by the binary: built in as a byte array.
$(BUILD)/gen/openapi.c: docs/openapi.json
	@mkdir -p $(dir $@)
	@{ echo '/* generated from docs/openapi.json */'; \
	   echo 'const char sb_openapi_json[] = {'; \
	   od -An -v -tx1 $< | sed 's/ *\([0-9a-f][0-9a-f]\)/0x\1,/g'; \
	   echo '0};'; \
	   echo "const unsigned long sb_openapi_json_len = $$(wc -c < $<);"; } > $@

$(BUILD)/gen/openapi.o: $(BUILD)/gen/openapi.c
	$(CC) $(CSTD) $(OPT) -c $< -o $@

$(BUILD)/switchboard: $(APP_OBJ) $(BUILD)/gen/openapi.o $(BUILD)/libsb.a
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $^ $(SERVER_MALLOC) $(LDLIBS)

$(BUILD)/unit: $(UNIT_OBJ) $(BUILD)/libsb.a
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $^ -lcmocka $(LDLIBS)

$(BUILD)/validate-sim: $(BUILD)/tests/validate/main.o $(BUILD)/libsb.a
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $^ $(LDLIBS)

# The routing benchmark measures the core with the server's allocator.
$(BUILD)/bench-route: $(BUILD)/bench/route.o $(BUILD)/bench/memprobe.o $(BUILD)/libsb.a
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $^ $(SERVER_MALLOC) $(LDLIBS)

# libFuzzer targets need clang; they live in their own build folder.
# The library is compiled once for them (fuzzer-no-link: coverage without
# a main), each target links it.
FUZZ_FLAGS  := $(CSTD) $(WARN) -g -O1 -Isrc $(LLHTTP_INC) -DSB_DEBUG
FUZZ_SAN    := address,undefined
FUZZ_TARGETS := $(patsubst tests/fuzz/%.c,$(BUILD)/fuzz/%,$(wildcard tests/fuzz/fuzz_*.c))
FUZZ_LIB_OBJ := $(LIB_SRC:%.c=$(BUILD)/fuzz/obj/%.o) $(patsubst $(LLHTTP_DIR)/%.c,$(BUILD)/fuzz/obj/llhttp/%.o,$(LLHTTP_SRC))
$(BUILD)/fuzz/obj/%.o: %.c
	@mkdir -p $(dir $@)
	clang $(FUZZ_FLAGS) -fsanitize=fuzzer-no-link,$(FUZZ_SAN) -MMD -MP -c $< -o $@
$(BUILD)/fuzz/obj/llhttp/%.o: $(LLHTTP_DIR)/%.c
	@mkdir -p $(dir $@)
	clang $(FUZZ_FLAGS) -fsanitize=fuzzer-no-link,$(FUZZ_SAN) -c $< -o $@
$(BUILD)/fuzz/libsb-fuzz.a: $(FUZZ_LIB_OBJ)
	@rm -f $@
	ar rcs $@ $^
$(BUILD)/fuzz/%: tests/fuzz/%.c tests/fuzz/fuzz_loop.h $(BUILD)/fuzz/libsb-fuzz.a
	clang $(FUZZ_FLAGS) -fsanitize=fuzzer,$(FUZZ_SAN) -o $@ $< $(BUILD)/fuzz/libsb-fuzz.a $(LDLIBS)
fuzzers: $(FUZZ_TARGETS)

deps:
	@scripts/deps

# The browser pages: web/ as it is, plus uPlot from node_modules (npm,
# package-lock.json).  The server serves build/web (beside the binary).
WEB_SRC := $(shell find web -type f 2>/dev/null)
WEB_OUT := $(WEB_SRC:%=$(BUILD)/%)
WEB_VENDOR := $(BUILD)/web/vendor/uPlot.esm.js $(BUILD)/web/vendor/uPlot.min.css
$(BUILD)/web/%: web/%
	@mkdir -p $(dir $@)
	cp $< $@
# (npm gives package files an old fixed time: the lockfile dates the copy)
$(BUILD)/web/vendor/%: node_modules/uplot/dist/% package-lock.json
	@mkdir -p $(dir $@)
	cp $< $@
node_modules/uplot/dist/%:
	@scripts/deps
# npm's files, not make's: never deleted as intermediates
.PRECIOUS: node_modules/uplot/dist/%
web: $(WEB_OUT) $(WEB_VENDOR)

# The server on ./data with the demo tenant (scripts/demo-tenant.json);
# SB_PORT / SB_LISTEN choose where it listens.
run: deps all
	$(BUILD)/switchboard serve --data ./data --seed scripts/demo-tenant.json

# make check: the normal build's tests, the same under ASan + UBSan, and
# each fuzzer for a few seconds; one "N passed, N failed" line at the end.
check: deps all fuzzers asan-build
	@scripts/check $(BUILD) build/asan

ASAN_OPT := -O1 -g -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all -DSB_DEBUG
ASAN_LD  := -fsanitize=address,undefined
asan-build:
	$(MAKE) BUILD=build/asan OPT="$(ASAN_OPT)" PGO=0 LDFLAGS="$(ASAN_LD)" SERVER_MALLOC= build/asan/unit build/asan/switchboard
asan: deps asan-build
	@scripts/check build/asan

$(BUILD)/bench-ws-fanout: $(BUILD)/bench/ws-fanout.o
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $^ -luv -lm

# The routing core; the server (bench/README.md): creation against health
# with wrk, WebSocket fan-out, restart with a large store.
bench: $(BUILD)/bench-route
	$(BUILD)/bench-route
bench-http: $(BUILD)/switchboard
	bench/http.sh
bench-ws: $(BUILD)/switchboard $(BUILD)/bench-ws-fanout
	bench/ws.sh
bench-restart: $(BUILD)/switchboard
	bench/restart.sh
.PHONY: bench bench-http bench-ws bench-restart

FUZZ_SECONDS ?= 600
fuzz: fuzzers
	@for f in $(FUZZ_TARGETS); do n=$$(basename $$f); \
	  mkdir -p $(BUILD)/fuzz/$$n.corpus; \
	  $$f -max_total_time=$(FUZZ_SECONDS) $(BUILD)/fuzz/$$n.corpus tests/fuzz/corpus/$${n#fuzz_} || exit 1; done

format:
	clang-format -i $$(git ls-files '*.c' '*.h')

clean:
	rm -rf build

.PHONY: all web deps run check asan asan-build bench fuzz fuzzers format clean
-include $(shell find $(BUILD) -name '*.d' 2>/dev/null)
