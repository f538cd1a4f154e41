// The CPU device: host memory, and the reference kernels of backends/cpu/kernels/.
#pragma once

#include "wgml/core/device.h"

namespace wgml {

// The largest single CPU allocation; a larger request (an absurd shape in a model) raises
// wgml::Error naming the size instead of exhausting memory. Defaults to the machine's physical
// memory; tests and fuzzers lower it.
void set_cpu_allocation_limit(size_t nbytes);
size_t cpu_allocation_limit();

class CpuStorage : public Storage {
 public:
  CpuStorage(Device& device, size_t nbytes);
  ~CpuStorage() override;
  void* host_data() override { return data_; }

 private:
  void* data_ = nullptr;
};

class CpuDevice : public Device {
 public:
  std::string name() const override { return "cpu"; }
  std::shared_ptr<Storage> allocate(size_t nbytes) override;
  void write(Storage& dst, size_t offset, const void* src, size_t nbytes) override;
  void read(Storage& src, size_t offset, void* dst, size_t nbytes) override;
  bool supports(const OpCall& call, const std::vector<Tensor>& inputs) const override;
  void execute(const OpCall& call, const std::vector<Tensor>& inputs,
               std::vector<Tensor>& outputs) override;
};

}  // namespace wgml
