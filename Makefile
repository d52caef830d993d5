# SPDX-License-Identifier: MIT
# Thin wrapper over CMake: `make`, `make test`, `make demo`, `make install`.
# Each first makes sure the Debian packages it needs are there.
BUILD ?= build
PREFIX ?= /usr/local
WERROR ?= OFF # ON: compiler warnings are errors (.ci/run)

.PHONY: all deps test demo install bench clean format

all: deps
	@cmake -S . -B $(BUILD) -DCMAKE_INSTALL_PREFIX=$(PREFIX) -DWHYSLOW_WERROR=$(WERROR) >/dev/null
	@cmake --build $(BUILD) -j2 -- --no-print-directory

deps:
	@sh scripts/deps.sh build

test: all
	@sh scripts/deps.sh test
	@cd $(BUILD) && ctest --output-on-failure -j2 --timeout 600

demo: all
	@sh examples/demo.sh $(BUILD)

bench: all
	@sh tests/bench/run.sh $(BUILD)

install: all
	@cmake --install $(BUILD)

format:
	@clang-format -i $$(git ls-files '*.c' '*.h')

clean:
	@rm -rf $(BUILD)
