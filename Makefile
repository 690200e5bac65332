# podnet: `make test` and `make lab` install what is missing (apt), build, then run.
BUILD ?= build
JOBS ?= $(shell nproc)
CMAKE_FLAGS ?= -DCMAKE_BUILD_TYPE=RelWithDebInfo

.PHONY: all deps build test unit integration bench fuzz format clean

all: build

deps:
	@scripts/install-deps.sh

$(BUILD)/Makefile: CMakeLists.txt
	cmake -S . -B $(BUILD) $(CMAKE_FLAGS)

build: deps $(BUILD)/Makefile
	cmake --build $(BUILD) -j$(JOBS)

unit: build
	cd $(BUILD) && ctest -L unit --output-on-failure -j$(JOBS)

integration: build
	cd $(BUILD) && ctest -L integration --output-on-failure

test: build
	cd $(BUILD) && ctest -L unit --output-on-failure -j$(JOBS)
	cd $(BUILD) && ctest -L integration --output-on-failure

bench: build
	$(BUILD)/bench/bench_cni

fuzz: deps
	scripts/fuzz.sh

format:
	clang-format -i $$(git ls-files '*.cpp' '*.hpp')

clean:
	rm -rf $(BUILD) build-fuzz
