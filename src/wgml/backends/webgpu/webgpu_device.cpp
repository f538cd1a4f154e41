#include "wgml/backends/webgpu/webgpu_device.h"

#include <algorithm>
#include <chrono>

#include "wgml/core/error.h"
#include "wgml/core/tensor.h"
#include "wgml/ops/infer.h"
#include "wgml/ops/op_def.h"

namespace wgml {

WebGpuDevice::WebGpuDevice(std::unique_ptr<gpu::Gpu> gpu) : gpu_(std::move(gpu)) {}

std::shared_ptr<Storage> WebGpuDevice::allocate(size_t nbytes) {
  // WebGPU binds and copies whole 4-byte words; a 0-byte tensor still gets a bindable buffer.
  const size_t words = std::max<size_t>((nbytes + 3) / 4 * 4, 4);
  if (recording_) {
    bool reused = false;
    std::shared_ptr<gpu::Buffer> buffer = recording_->arena->take(words, &reused);
    return std::make_shared<WebGpuStorage>(*this, nbytes, std::move(buffer), recording_->arena,
                                           reused);
  }
  return std::make_shared<WebGpuStorage>(*this, nbytes, gpu_->create_buffer(words));
}

void WebGpuDevice::write(Storage& dst, size_t offset, const void* src, size_t nbytes) {
  WGML_CHECK(offset + nbytes <= dst.nbytes(), "webgpu: write of ", nbytes, " bytes at ", offset,
             " overruns a storage of ", dst.nbytes());
  auto& storage = static_cast<WebGpuStorage&>(dst);
  if (recording_ && recording_->invalid.empty()) {
    // Host data must survive every replay: in a buffer of its own that the recorded launches
    // have not used before and never reuse.
    if (recording_->bound.count(&storage.buffer())) {
      recording_->invalid = "the host wrote into a buffer the recorded launches use";
    } else if (storage.arena() == recording_->arena.get()) {
      if (storage.reused())
        storage.replace_buffer(recording_->arena->fresh(storage.buffer().size()));
      recording_->arena->pin(&storage.buffer());
    }
  }
  gpu_->write(storage.buffer(), offset, src, nbytes);
}

void WebGpuDevice::read(Storage& src, size_t offset, void* dst, size_t nbytes) {
  WGML_CHECK(offset + nbytes <= src.nbytes(), "webgpu: read of ", nbytes, " bytes at ", offset,
             " overruns a storage of ", src.nbytes());
  if (recording_)
    recording_->invalid =
        "the run read data back to the host (a data-dependent size or a "
        "control-flow condition): each run must decide again";
  gpu_->read(static_cast<WebGpuStorage&>(src).buffer(), offset, dst, nbytes);
}

bool WebGpuDevice::begin_recording() {
  if (recording_) return false;
  recording_ = std::make_shared<WebGpuRecording>(*gpu_);
  return true;
}

std::shared_ptr<Recording> WebGpuDevice::end_recording() {
  std::shared_ptr<WebGpuRecording> done = std::move(recording_);
  recording_.reset();
  if (!done || !done->invalid.empty()) return nullptr;
  for (const RecordedLaunch& step : done->steps)
    done->prepared.push_back(gpu_->prepare(step.pipeline, step.bindings, step.workgroups));
  return done;
}

void WebGpuDevice::replay(const Recording& recording) {
  for (const auto& prepared : static_cast<const WebGpuRecording&>(recording).prepared)
    gpu_->dispatch(*prepared);
}

std::vector<Device::LaunchTime> WebGpuDevice::profile(const Recording& recording, int repeats) {
  using Clock = std::chrono::steady_clock;
  const auto& r = static_cast<const WebGpuRecording&>(recording);
  const auto elapsed_ms = [](Clock::time_point since) {
    return std::chrono::duration<double, std::milli>(Clock::now() - since).count();
  };
  gpu_->finish();
  // What a submit and wait cost with no work, taken off each launch's total.
  Clock::time_point start = Clock::now();
  for (int i = 0; i < 5; ++i)
    gpu_->finish();
  const double empty_ms = elapsed_ms(start) / 5;
  std::vector<LaunchTime> times;
  for (size_t i = 0; i < r.prepared.size(); ++i) {
    gpu_->dispatch(*r.prepared[i]);  // warm
    gpu_->finish();
    start = Clock::now();
    for (int k = 0; k < repeats; ++k)
      gpu_->dispatch(*r.prepared[i]);
    gpu_->finish();
    const double ms = std::max(0.0, elapsed_ms(start) - empty_ms) / std::max(repeats, 1);
    times.push_back({r.steps[i].label, ms});
  }
  return times;
}

namespace {

// "conv [1,3,224,224] [64,3,7,7] -> [1,64,112,112]": the launch's tensors, inputs then outputs
// (a buffer bound twice, as the vec4 views of matmul, is named once).
std::string launch_label(const wgsl::Launch& launch) {
  std::string in, out;
  for (size_t i = 0; i < launch.tensors.size(); ++i) {
    const bool read_only = i < launch.program.read_only.size() ? launch.program.read_only[i] : true;
    bool again = false;
    for (size_t j = 0; j < i; ++j)
      again = again || launch.tensors[j].storage() == launch.tensors[i].storage();
    if (again) continue;
    (read_only ? in : out) += " " + shape_str(launch.tensors[i].shape());
  }
  return launch.program.label + in + " ->" + out;
}

// WGSL has no f64: float64 is a storage type on WebGPU (transfers, copy, cast); any other op on
// it is refused rather than computed in f32 behind the caller's back.
bool float64_compute(const OpCall& call, const std::vector<Tensor>& inputs) {
  if (call.name() == "cast" || call.name() == "copy") return false;
  std::vector<DType> in;
  bool any = false;
  for (const Tensor& t : inputs) {
    in.push_back(t.defined() ? t.dtype() : DType::Float32);
    any = any || (t.defined() && t.dtype() == DType::Float64);
  }
  if (any) return true;
  for (DType d : infer_dtypes(call, in)) {
    if (d == DType::Float64) return true;
  }
  return false;
}

}  // namespace

bool WebGpuDevice::supports(const OpCall& call, const std::vector<Tensor>& inputs) const {
  if (float64_compute(call, inputs)) {
    // A composite decomposes into primitives, and the first of them raises below.
    if (call.op->kind == OpKind::Composite) return false;
    fail(call.name(), ": float64 computation is not supported on the webgpu device (WGSL has no ",
         "f64; float64 is stored and cast there only): cast to float32 or use the cpu device");
  }
  switch (call.op->kind) {
    case OpKind::Elementwise:
    case OpKind::Reduce:
      return true;
    case OpKind::Kernel:
    case OpKind::Composite:  // a fused kernel, where kernels/wgsl has one
      return wgsl::find_kernel(call.name()) != nullptr;
    default:
      return false;
  }
}

bool WebGpuDevice::takes_epilogue(const std::string& op) const {
  const wgsl::Kernel* kernel = wgsl::find_kernel(op);
  return kernel != nullptr && kernel->epilogue;
}

void WebGpuDevice::execute(const OpCall& call, const std::vector<Tensor>& inputs,
                           std::vector<Tensor>& outputs) {
  struct Timer {  // adds the call's host time on every way out, a thrown error included
    std::chrono::steady_clock::time_point start;
    double& total;
    ~Timer() {
      total += std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start)
                   .count();
    }
  } timer{std::chrono::steady_clock::now(), execute_ms_};
  switch (call.op->kind) {
    case OpKind::Elementwise:
      wgsl::run_elementwise(call, inputs, outputs[0], *this);
      return;
    case OpKind::Reduce:
      wgsl::run_reduce(call, inputs[0], outputs[0], *this);
      return;
    case OpKind::Kernel:
    case OpKind::Composite: {
      const wgsl::Kernel* kernel = wgsl::find_kernel(call.name());
      WGML_CHECK(kernel != nullptr, call.name(), ": no webgpu kernel");
      WGML_CHECK(call.epilogue == nullptr || kernel->epilogue, call.name(),
                 ": the webgpu kernel takes no epilogue");
      kernel->fn(call, inputs, outputs, *this);
      return;
    }
    default:
      fail(call.name(), ": ", op_kind_name(call.op->kind), " ops have no webgpu kernel");
  }
}

Device::CompileStats WebGpuDevice::compile_stats() const {
  const gpu::PipelineStats p = gpu_->pipeline_stats();
  return {p.compiled,  p.compile_ms + p.wait_ms,
          p.wait_ms,   std::max(0.0, execute_ms_ - p.compile_ms),
          p.disk_hits, p.disk_stores};
}

Tensor WebGpuDevice::scratch(const Shape& shape, DType dtype) {
  return Tensor::empty(shape, dtype, *this);
}

void WebGpuDevice::run(const wgsl::Launch& launch) {
  std::vector<gpu::Binding> bindings;
  for (const Tensor& t : launch.tensors) {
    WGML_CHECK(&t.device() == this, launch.program.label,
               ": a tensor bound to the shader lives on ", t.device().name());
    auto& storage = static_cast<WebGpuStorage&>(*t.storage());
    bindings.push_back({&storage.buffer(), std::max<uint64_t>(storage.nbytes(), 4)});
    if (recording_) {
      recording_->bound.insert(&storage.buffer());
      if (storage.arena() != recording_->arena.get())
        recording_->kept.push_back(storage.shared_buffer());
    }
  }
  const gpu::Pipeline* pipeline = gpu_->pipeline(launch.program);
  gpu_->dispatch(pipeline, bindings, launch.workgroups);
  if (recording_)
    recording_->steps.push_back({pipeline, bindings, launch.workgroups, launch_label(launch)});
}

WebGpuDevice& webgpu_device() {
  // Never destroyed: tensors held in statics may outlive any destruction order we could pick.
  static WebGpuDevice* device = new WebGpuDevice(gpu::open_gpu());
  return *device;
}

}  // namespace wgml
