# Thin wrapper around CMake. Targets: all (build), demo, test, bench, install,
# clean; the analyses of .ci/analysis.sh: lint, tsan, valgrind, analysis;
# fuzz (.ci/fuzz.sh); torture (the long crash-torture run).
#   make test SANITIZE=1     ASan+UBSan build in build-asan/
#   make install PREFIX=/usr/local DESTDIR=/tmp/stage
PREFIX   ?= /usr/local
SANITIZE ?= 0
JOBS     ?= $(shell nproc 2>/dev/null || echo 2)
TRIALS   ?= 10000

ifeq ($(SANITIZE),1)
BUILD ?= build-asan
CMAKE_FLAGS += -DMMIPC_SANITIZE=ON
else
BUILD ?= build
endif

.PHONY: all configure demo test bench install clean lint tsan valgrind analysis fuzz torture

all: configure
	cmake --build $(BUILD) -j $(JOBS)

configure:
	@test -f $(BUILD)/CMakeCache.txt || \
	  cmake -S . -B $(BUILD) -DCMAKE_INSTALL_PREFIX=$(PREFIX) $(CMAKE_FLAGS)

demo: all
	$(BUILD)/bin/mmipc demo

# make bench                      the default run (under 10 minutes)
# make bench BENCH_ARGS=--quick   under a minute
bench: all
	$(BUILD)/bin/mmipc bench $(BENCH_ARGS)

test: all
	cd $(BUILD) && ctest --output-on-failure -j $(JOBS) --timeout 300

# Reconfigure first: the prefix is compiled in (where `mmipc demo` looks for
# the example programs), so the build must see the PREFIX it installs to.
install: configure
	cmake -S . -B $(BUILD) -DCMAKE_INSTALL_PREFIX=$(PREFIX)
	cmake --build $(BUILD) -j $(JOBS)
	DESTDIR=$(DESTDIR) cmake --install $(BUILD)

# cppcheck + clang-tidy; the TSan thread tests; the suite's valgrind subset
lint tsan valgrind:
	.ci/analysis.sh $@

analysis:
	.ci/analysis.sh

# the libFuzzer targets of fuzz/ for a fixed count (~2 min, as CI does);
# FUZZ_TIME=3600 make fuzz: an hour per target (needs clang)
fuzz:
	.ci/fuzz.sh

# make torture [TRIALS=N]: the long crash-torture run (10,000 trials: about
# 20 minutes); make test runs 200
torture: all
	$(BUILD)/tests/mmipc-torture --trials $(TRIALS)

clean:
	rm -rf build build-asan build-tsan build-vg build-fuzz
