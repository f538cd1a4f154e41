// The WebGPU device: tensors live in GPU buffers; each op call is generated as WGSL
// (backends/webgpu/wgsl/), compiled once per specialisation and dispatched through gpu::Gpu.
#pragma once

#include <memory>

#include "wgml/backends/webgpu/gpu_api.h"
#include "wgml/backends/webgpu/webgpu_recording.h"
#include "wgml/backends/webgpu/wgsl/wgsl_kernel.h"
#include "wgml/core/device.h"

namespace wgml {

class WebGpuStorage : public Storage {
 public:
  // `arena`: the recording whose pool the buffer came from (it goes back there when the
  // storage dies); `reused`: an earlier storage of that recording had the buffer.
  WebGpuStorage(Device& device, size_t nbytes, std::shared_ptr<gpu::Buffer> buffer,
                std::shared_ptr<RecordingArena> arena = nullptr, bool reused = false)
      : Storage(device, nbytes),
        buffer_(std::move(buffer)),
        arena_(std::move(arena)),
        reused_(reused) {}
  ~WebGpuStorage() override {
    if (arena_) arena_->give_back(buffer_);
  }
  gpu::Buffer& buffer() const { return *buffer_; }
  const std::shared_ptr<gpu::Buffer>& shared_buffer() const { return buffer_; }
  const RecordingArena* arena() const { return arena_.get(); }
  bool reused() const { return reused_; }
  // Swaps in a buffer nobody used before (the device does this before the host writes into a
  // reused one during a recording).
  void replace_buffer(std::shared_ptr<gpu::Buffer> fresh) {
    if (arena_) arena_->give_back(buffer_);
    buffer_ = std::move(fresh);
    reused_ = false;
  }

 private:
  std::shared_ptr<gpu::Buffer> buffer_;
  std::shared_ptr<RecordingArena> arena_;
  bool reused_ = false;
};

class WebGpuDevice : public Device, private wgsl::Recorder {
 public:
  explicit WebGpuDevice(std::unique_ptr<gpu::Gpu> gpu);

  std::string name() const override { return "webgpu"; }
  std::shared_ptr<Storage> allocate(size_t nbytes) override;
  void write(Storage& dst, size_t offset, const void* src, size_t nbytes) override;
  void read(Storage& src, size_t offset, void* dst, size_t nbytes) override;
  bool supports(const OpCall& call, const std::vector<Tensor>& inputs) const override;
  void execute(const OpCall& call, const std::vector<Tensor>& inputs,
               std::vector<Tensor>& outputs) override;

  bool begin_recording() override;
  std::shared_ptr<Recording> end_recording() override;
  void replay(const Recording& recording) override;
  bool takes_epilogue(const std::string& op) const override;
  std::vector<LaunchTime> profile(const Recording& recording, int repeats) override;
  CompileStats compile_stats() const override;

  gpu::Gpu& gpu() { return *gpu_; }
  const gpu::AdapterInfo& adapter() const override { return gpu_->adapter(); }

 private:
  Tensor scratch(const Shape& shape, DType dtype) override;
  void run(const wgsl::Launch& launch) override;

  std::unique_ptr<gpu::Gpu> gpu_;
  std::shared_ptr<WebGpuRecording> recording_;  // while recording
  double execute_ms_ = 0;                       // host time in execute(), compiling included
};

// The process's WebGPU device on the automatically chosen adapter (see gpu::open_gpu), opened
// on first use; throws wgml::Error saying why when there is no usable adapter.
WebGpuDevice& webgpu_device();

}  // namespace wgml
