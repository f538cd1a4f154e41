// The WebGPU device's recordings (Device::begin_recording): the launches of one run, replayed
// on the same buffers, and the pool those buffers come from while recording.
#pragma once

#include <array>
#include <cstdint>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "wgml/backends/webgpu/gpu_api.h"
#include "wgml/core/device.h"

namespace wgml {

// The buffers of a recording. A storage freed during the recording gives its buffer back here
// and a later allocation of the recording takes it again, so the replayed launches share memory
// as the recorded run did (a freed buffer is only reused after the launches that used it). A
// buffer the host wrote is pinned: its data must outlive every replay, so it is never reused.
class RecordingArena {
 public:
  explicit RecordingArena(gpu::Gpu& gpu) : gpu_(gpu) {}
  // A buffer of at least `nbytes`; `reused` says whether an earlier storage had it.
  std::shared_ptr<gpu::Buffer> take(uint64_t nbytes, bool* reused);
  std::shared_ptr<gpu::Buffer> fresh(uint64_t nbytes);  // one no storage had before
  void give_back(const std::shared_ptr<gpu::Buffer>& buffer);
  void pin(const gpu::Buffer* buffer) { pinned_.insert(buffer); }
  uint64_t bytes() const { return bytes_; }

 private:
  gpu::Gpu& gpu_;
  std::vector<std::shared_ptr<gpu::Buffer>> owned_;  // every buffer handed out, kept to the end
  std::multimap<uint64_t, std::shared_ptr<gpu::Buffer>> free_;  // by size
  std::set<const gpu::Buffer*> pinned_;
  uint64_t bytes_ = 0;
};

struct RecordedLaunch {
  const gpu::Pipeline* pipeline = nullptr;
  std::vector<gpu::Binding> bindings;
  std::array<uint32_t, 3> workgroups{1, 1, 1};
  std::string label;  // the kernel and its tensors' shapes, for profiles
};

class WebGpuRecording final : public Recording {
 public:
  explicit WebGpuRecording(gpu::Gpu& gpu) : arena(std::make_shared<RecordingArena>(gpu)) {}
  size_t launches() const override { return steps.size(); }
  size_t buffer_bytes() const override { return static_cast<size_t>(arena->bytes()); }

  std::shared_ptr<RecordingArena> arena;
  std::vector<RecordedLaunch> steps;
  // The steps with their bind groups made once the recording ends: what replay records.
  std::vector<std::unique_ptr<gpu::PreparedDispatch>> prepared;
  // Buffers bound by the launches that the arena does not own (weights, inputs), kept alive.
  std::vector<std::shared_ptr<gpu::Buffer>> kept;
  std::set<const gpu::Buffer*> bound;  // every buffer a launch bound so far
  std::string invalid;                 // why it cannot be replayed; empty when it can
};

}  // namespace wgml
