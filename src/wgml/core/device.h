// The device interface: memory plus the execution of one op call. A new backend is one folder
// under devices/ that implements this; nothing above it knows which device runs an op.
#pragma once

#include <cstddef>
#include <memory>
#include <string>
#include <vector>

#include "wgml/core/dtype.h"

namespace wgml {

class Device;
class Tensor;
struct OpCall;

// A block of device memory. Tensors are views into storages.
class Storage {
 public:
  Storage(Device& device, size_t nbytes) : device_(device), nbytes_(nbytes) {}
  virtual ~Storage() = default;
  Storage(const Storage&) = delete;
  Storage& operator=(const Storage&) = delete;

  Device& device() const { return device_; }
  size_t nbytes() const { return nbytes_; }
  // Host address of the memory when the device shares it with the host (the CPU), else nullptr.
  virtual void* host_data() { return nullptr; }

 private:
  Device& device_;
  size_t nbytes_;
};

// What a device recorded of a run's work (see Device::begin_recording); device-specific.
class Recording {
 public:
  virtual ~Recording() = default;
  virtual size_t launches() const = 0;      // kernel launches replayed each time
  virtual size_t buffer_bytes() const = 0;  // device memory the recorded work owns
};

class Device {
 public:
  virtual ~Device() = default;
  virtual std::string name() const = 0;  // "cpu", "webgpu"

  virtual std::shared_ptr<Storage> allocate(size_t nbytes) = 0;
  virtual void write(Storage& dst, size_t offset, const void* src, size_t nbytes) = 0;
  virtual void read(Storage& src, size_t offset, void* dst, size_t nbytes) = 0;

  // Whether this device has a kernel for the call (op, attributes, input dtypes and shapes).
  // Composite ops the device does not support are decomposed by the runtime instead.
  virtual bool supports(const OpCall& call, const std::vector<Tensor>& inputs) const = 0;
  // Runs the call; `outputs` are allocated on this device with the inferred shapes and dtypes.
  virtual void execute(const OpCall& call, const std::vector<Tensor>& inputs,
                       std::vector<Tensor>& outputs) = 0;
  // Whether the kernels of op `op` apply an OpCall's epilogue as they store their output
  // (compiler/fuse_epilogue.h); where false, the compiler never sets one.
  virtual bool takes_epilogue(const std::string& /*op*/) const { return false; }

  // Record and replay, for devices that queue their work (WebGPU). Between begin_recording()
  // and end_recording() every kernel launch runs and is also recorded, and memory allocated
  // meanwhile comes from the recording's own buffers, a freed one reused by a later allocation
  // as the run goes; replay() repeats the launches on the same buffers without any of the host
  // work that made them (op lookup, shape checks, kernel generation, allocation). Data written
  // from the host during the recording (constants) stays in buffers of its own. A recording that
  // read data back to the host cannot be replayed: end_recording() returns nullptr then.
  // begin_recording() is false where the device cannot record, or is recording already.
  virtual bool begin_recording() { return false; }
  virtual std::shared_ptr<Recording> end_recording() { return nullptr; }
  virtual void replay(const Recording&) {}
  // The GPU time of each recorded launch, in order: every launch replayed alone `repeats` times
  // and waited for (what a profiler needs, never a timed test). Empty where the device cannot.
  struct LaunchTime {
    std::string label;  // the kernel and its shapes
    double ms = 0;      // per launch
  };
  virtual std::vector<LaunchTime> profile(const Recording&, int /*repeats*/) { return {}; }
  // What making kernels has cost this process so far, on devices that compile them (WebGPU):
  // pipelines compiled and the host time that took (waiting for compiles that ran in the
  // background included), the rest of execute()'s host time (kernel generation, bind groups,
  // recording), and the compiled blobs found in and added to the disk cache.
  struct CompileStats {
    size_t pipelines = 0;
    double compile_ms = 0;
    double wait_ms = 0;  // the part of compile_ms spent waiting for background compiles
    double execute_ms = 0;
    size_t cache_hits = 0, cache_stores = 0;
  };
  virtual CompileStats compile_stats() const { return {}; }
};

}  // namespace wgml
