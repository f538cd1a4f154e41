#include "wgml/backends/webgpu/webgpu_recording.h"

namespace wgml {

std::shared_ptr<gpu::Buffer> RecordingArena::take(uint64_t nbytes, bool* reused) {
  // The smallest free buffer that fits and wastes at most half of itself.
  const auto it = free_.lower_bound(nbytes);
  if (it != free_.end() && it->first <= 2 * nbytes) {
    std::shared_ptr<gpu::Buffer> buffer = it->second;
    free_.erase(it);
    *reused = true;
    return buffer;
  }
  *reused = false;
  return fresh(nbytes);
}

std::shared_ptr<gpu::Buffer> RecordingArena::fresh(uint64_t nbytes) {
  std::shared_ptr<gpu::Buffer> buffer = gpu_.create_buffer(nbytes);
  owned_.push_back(buffer);
  bytes_ += buffer->size();
  return buffer;
}

void RecordingArena::give_back(const std::shared_ptr<gpu::Buffer>& buffer) {
  if (pinned_.count(buffer.get())) return;
  free_.emplace(buffer->size(), buffer);
}

}  // namespace wgml
