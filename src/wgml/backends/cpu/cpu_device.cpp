#include "wgml/backends/cpu/cpu_device.h"

#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cstdlib>
#include <cstring>
#include <limits>
#include <new>

#include "wgml/core/error.h"
#include "wgml/core/tensor.h"
#include "wgml/backends/cpu/kernels/cpu_kernel.h"
#include "wgml/ops/op_def.h"

namespace wgml {

namespace {
constexpr size_t kAlignment = 64;  // a cache line; SIMD paths of a later issue rely on it

size_t physical_memory() {
  const long pages = sysconf(_SC_PHYS_PAGES);
  const long page_size = sysconf(_SC_PAGE_SIZE);
  const uint64_t bytes = static_cast<uint64_t>(pages) * static_cast<uint64_t>(page_size);
  if (pages <= 0 || page_size <= 0 || bytes > std::numeric_limits<size_t>::max())
    return std::numeric_limits<size_t>::max();
  return static_cast<size_t>(bytes);
}

std::atomic<size_t>& allocation_limit() {
  static std::atomic<size_t> limit{physical_memory()};
  return limit;
}
}  // namespace

void set_cpu_allocation_limit(size_t nbytes) {
  allocation_limit() = nbytes;
}

size_t cpu_allocation_limit() {
  return allocation_limit();
}

CpuStorage::CpuStorage(Device& device, size_t nbytes) : Storage(device, nbytes) {
  const size_t limit = allocation_limit();
  WGML_CHECK(nbytes <= limit, "cpu: cannot allocate ", nbytes, " bytes, more than the limit of ",
             limit, " bytes (the machine's memory unless set_cpu_allocation_limit lowered it)");
  const size_t rounded = (std::max<size_t>(nbytes, 1) + kAlignment - 1) / kAlignment * kAlignment;
  data_ = std::aligned_alloc(kAlignment, rounded);
  WGML_CHECK(data_ != nullptr, "cpu: out of memory allocating ", nbytes, " bytes");
}

CpuStorage::~CpuStorage() {
  std::free(data_);
}

std::shared_ptr<Storage> CpuDevice::allocate(size_t nbytes) {
  return std::make_shared<CpuStorage>(*this, nbytes);
}

void CpuDevice::write(Storage& dst, size_t offset, const void* src, size_t nbytes) {
  WGML_CHECK(offset + nbytes <= dst.nbytes(), "cpu: write of ", nbytes, " bytes at ", offset,
             " overruns a storage of ", dst.nbytes());
  std::memcpy(static_cast<uint8_t*>(dst.host_data()) + offset, src, nbytes);
}

void CpuDevice::read(Storage& src, size_t offset, void* dst, size_t nbytes) {
  WGML_CHECK(offset + nbytes <= src.nbytes(), "cpu: read of ", nbytes, " bytes at ", offset,
             " overruns a storage of ", src.nbytes());
  std::memcpy(dst, static_cast<const uint8_t*>(src.host_data()) + offset, nbytes);
}

bool CpuDevice::supports(const OpCall& call, const std::vector<Tensor>& inputs) const {
  (void)inputs;  // the reference backend runs every dtype the table allows
  switch (call.op->kind) {
    case OpKind::Elementwise:
    case OpKind::Reduce:
      return true;
    case OpKind::Kernel:
      return find_cpu_kernel(call.name()) != nullptr;
    default:
      return false;
  }
}

void CpuDevice::execute(const OpCall& call, const std::vector<Tensor>& inputs,
                        std::vector<Tensor>& outputs) {
  switch (call.op->kind) {
    case OpKind::Elementwise:
      cpu_eval_expression(call.op->forward, call.attrs, inputs, outputs[0], inputs.size());
      return;
    case OpKind::Reduce:
      cpu_reduce(call, inputs[0], outputs[0]);
      return;
    case OpKind::Kernel: {
      const CpuKernelFn fn = find_cpu_kernel(call.name());
      WGML_CHECK(fn != nullptr, call.name(), ": no cpu kernel");
      fn(call, inputs, outputs);
      return;
    }
    default:
      fail(call.name(), ": ", op_kind_name(call.op->kind), " ops have no cpu kernel");
  }
}

Device& cpu_device() {
  static CpuDevice device;
  return device;
}

}  // namespace wgml
