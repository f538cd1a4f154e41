# Every target sets the machine up first (scripts/setup.sh is idempotent and quiet when done).
BUILD_DIR ?= build
CMAKE_FLAGS ?= -DCMAKE_BUILD_TYPE=RelWithDebInfo
JOBS ?= $(shell nproc)

.PHONY: all setup configure build test demo bench bench-device format clean

all: build

setup:
	@bash scripts/setup.sh

$(BUILD_DIR)/build.ninja:
	@$(MAKE) --no-print-directory setup
	cmake -S . -B $(BUILD_DIR) -G Ninja $(CMAKE_FLAGS)

configure: setup $(BUILD_DIR)/build.ninja

build: configure
	cmake --build $(BUILD_DIR) -j $(JOBS)

test: build
	ctest --test-dir $(BUILD_DIR) --output-on-failure -j $(JOBS)

demo: build
	@bash scripts/demo.sh $(BUILD_DIR)

# Every exported test model on WebGPU (replayed and node by node) and the CPU beside
# onnxruntime-node with 1 and 2 threads: one Markdown table (bench/models_table.py).
bench: build
	/usr/bin/python3 tests/models/export_models.py --opsets 17 --link $(BUILD_DIR)/models
	/usr/bin/python3 bench/models_table.py $(BUILD_DIR)

# What a lent GPU machine needs (device tool): the binaries built with a static libstdc++ in
# build-device, the Vulkan loader packages and the yardstick beside them; prints the device call.
bench-device: setup
	cmake -S . -B build-device -G Ninja -DCMAKE_BUILD_TYPE=Release \
	  -DCMAKE_EXE_LINKER_FLAGS="-static-libstdc++ -static-libgcc"
	cmake --build build-device -j $(JOBS) --target wgml_cli wgml_op_tests wgml_onnx_conformance
	bash bench/prepare_device.sh

format:
	clang-format -i $$(git ls-files '*.cpp' '*.h')

clean:
	rm -rf $(BUILD_DIR)
