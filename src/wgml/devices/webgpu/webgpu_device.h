// The WebGPU device: tensors live in GPU buffers; each op call is generated as WGSL
// (kernels/wgsl/), compiled once per specialisation and dispatched through gpu::Gpu.
#pragma once

#include <memory>

#include "wgml/devices/device.h"
#include "wgml/devices/webgpu/gpu_api.h"
#include "wgml/kernels/wgsl/wgsl_kernel.h"

namespace wgml {

class WebGpuStorage : public Storage {
 public:
  WebGpuStorage(Device& device, size_t nbytes, std::shared_ptr<gpu::Buffer> buffer)
      : Storage(device, nbytes), buffer_(std::move(buffer)) {}
  gpu::Buffer& buffer() const { return *buffer_; }

 private:
  std::shared_ptr<gpu::Buffer> buffer_;
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

  gpu::Gpu& gpu() { return *gpu_; }
  const gpu::AdapterInfo& adapter() const override { return gpu_->adapter(); }

 private:
  Tensor scratch(const Shape& shape, DType dtype) override;
  void run(const wgsl::Launch& launch) override;

  std::unique_ptr<gpu::Gpu> gpu_;
};

// The process's WebGPU device on the automatically chosen adapter (see gpu::open_gpu), opened
// on first use; throws wgml::Error saying why when there is no usable adapter.
WebGpuDevice& webgpu_device();

}  // namespace wgml
