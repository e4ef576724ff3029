# Bulwark: `make serve` runs the registry, `make test` runs every suite (README.md).
BUILD ?= build
JOBS ?= $(shell nproc)
DATA ?= ./data
LISTEN ?= 127.0.0.1:4873

.PHONY: deps configure build serve test unit e2e fuzz bench clean

deps:
	@bash scripts/install-deps.sh

configure: deps
	@if [ ! -f $(BUILD)/build.ninja ]; then \
	  cmake -S . -B $(BUILD) -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo; fi

build: configure
	@cmake --build $(BUILD) -j $(JOBS)

serve: build
	$(BUILD)/bulwark serve --listen $(LISTEN) --data $(DATA)

test: build
	@bash scripts/fuzz.sh --smoke
	@cd $(BUILD) && ctest --output-on-failure -j $(JOBS) --timeout 900

unit: build
	@cd $(BUILD) && ctest --output-on-failure -j $(JOBS) -E '^e2e_'

e2e: build
	@cd $(BUILD) && ctest --output-on-failure -R '^e2e_'

fuzz: deps
	@bash scripts/fuzz.sh

bench: build
	@bash bench/run.sh
	@bash bench/typosquat/run.sh
	@bash bench/passwords/run.sh
	@bash bench/scan/run.sh
	@bash bench/advisories/run.sh

clean:
	rm -rf $(BUILD) build-fuzz
