# podnet: `make test` and `make lab` install what is missing (apt), build, then run.
BUILD ?= build
JOBS ?= $(shell nproc)
CMAKE_FLAGS ?= -DCMAKE_BUILD_TYPE=RelWithDebInfo
PREFIX ?= /usr/local
CNI_BIN_DIR ?= /opt/cni/bin

.PHONY: all deps build test unit integration bench fuzz format clean lab lab-down install

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

# Skipped tests are listed at the end (scripts/test-skips.sh); under CI=true an integration
# test that skipped fails the run.
test: build
	@rm -f $(BUILD)/skipped-tests.txt
	cd $(BUILD) && ctest -L unit --output-on-failure -j$(JOBS); rc=$$?; \
	  cd $(CURDIR) && scripts/test-skips.sh collect $(BUILD) unit; exit $$rc
	cd $(BUILD) && ctest -L integration --output-on-failure; rc=$$?; \
	  cd $(CURDIR) && scripts/test-skips.sh collect $(BUILD) integration; exit $$rc
	@scripts/test-skips.sh report $(BUILD)

# The lab needs only the binaries: podnetctl finds podnetd and the plugins in the build tree.
lab: deps $(BUILD)/Makefile
	cmake --build $(BUILD) -j$(JOBS) --target podnetctl podnetd podnet podnet-ipam
	BUILD=$(BUILD) scripts/lab.sh up

# make install [PREFIX=/usr/local] [CNI_BIN_DIR=/opt/cni/bin] [DESTDIR=]: podnetctl and podnetd
# to $(PREFIX)/bin, the CNI plugins podnet and podnet-ipam to $(CNI_BIN_DIR) (CMake's install
# rules in apps/CMakeLists.txt; an installed podnetctl's lab finds the plugins there).
install: deps $(BUILD)/Makefile
	cmake -S . -B $(BUILD) -DPODNET_CNI_BIN_DIR=$(CNI_BIN_DIR) >/dev/null
	cmake --build $(BUILD) -j$(JOBS) --target podnetctl podnetd podnet podnet-ipam
	DESTDIR=$(DESTDIR) cmake --install $(BUILD) --prefix $(PREFIX)

lab-down:
	BUILD=$(BUILD) scripts/lab.sh down

bench: build
	$(BUILD)/bench/bench_cni
	$(BUILD)/bench/bench_dataplane
	$(BUILD)/bench/bench_converge
	$(BUILD)/bench/bench_services

fuzz: deps
	scripts/fuzz.sh

format:
	clang-format -i $$(git ls-files '*.cpp' '*.hpp')

clean:
	rm -rf $(BUILD) build-fuzz
