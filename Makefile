# Every target sets the machine up first (scripts/setup.sh is idempotent and quiet when done).
BUILD_DIR ?= build
CMAKE_FLAGS ?= -DCMAKE_BUILD_TYPE=RelWithDebInfo
JOBS ?= $(shell nproc)

.PHONY: all setup configure build test demo bench format clean

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

format:
	clang-format -i $$(git ls-files '*.cpp' '*.h')

clean:
	rm -rf $(BUILD_DIR)
