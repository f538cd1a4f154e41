// The native implementation of gpu::Gpu over Dawn's webgpu.h (loaded by dawn_library.cpp).
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <map>
#include <mutex>
#include <sstream>
#include <unordered_map>

#include "wgml/backends/webgpu/dawn/dawn_blob_cache.h"
#include "wgml/backends/webgpu/dawn/dawn_library.h"
#include "wgml/backends/webgpu/gpu_api.h"
#include "wgml/backends/webgpu/software_adapters.h"
#include "wgml/core/error.h"

namespace wgml::gpu {

namespace {

WGPUStringView view_of(const char* s) {
  return WGPUStringView{s, WGPU_STRLEN};
}
WGPUStringView view_of(const std::string& s) {
  return WGPUStringView{s.data(), s.size()};
}
std::string string_of(WGPUStringView v) {
  if (!v.data) return "";
  return v.length == WGPU_STRLEN ? std::string(v.data) : std::string(v.data, v.length);
}

double ms_since(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start)
      .count();
}

uint64_t timeout_ns() {
  double seconds = 120;
  if (const char* env = std::getenv("WGML_GPU_TIMEOUT_S")) seconds = std::atof(env);
  return static_cast<uint64_t>(seconds * 1e9);
}

void wait_for(const WgpuProcs& p, WGPUInstance instance, WGPUFuture future, const char* what) {
  WGPUFutureWaitInfo info{future, 0};
  const WGPUWaitStatus status = p.instanceWaitAny(instance, 1, &info, timeout_ns());
  if (status == WGPUWaitStatus_TimedOut)
    fail("webgpu: ", what, " did not finish within ", timeout_ns() / 1000000000ull,
         " s (WGML_GPU_TIMEOUT_S raises the limit)");
  WGML_CHECK(status == WGPUWaitStatus_Success, "webgpu: waiting for ", what, " failed (status ",
             int(status), ")");
}

const char* backend_name(WGPUBackendType type) {
  switch (type) {
    case WGPUBackendType_Null:
      return "null";
    case WGPUBackendType_WebGPU:
      return "webgpu";
    case WGPUBackendType_D3D11:
      return "d3d11";
    case WGPUBackendType_D3D12:
      return "d3d12";
    case WGPUBackendType_Metal:
      return "metal";
    case WGPUBackendType_Vulkan:
      return "vulkan";
    case WGPUBackendType_OpenGL:
      return "opengl";
    case WGPUBackendType_OpenGLES:
      return "opengles";
    default:
      return "undefined";
  }
}

const char* adapter_type_name(WGPUAdapterType type) {
  switch (type) {
    case WGPUAdapterType_DiscreteGPU:
      return "discrete";
    case WGPUAdapterType_IntegratedGPU:
      return "integrated";
    case WGPUAdapterType_CPU:
      return "cpu";
    default:
      return "unknown";
  }
}

bool contains(const std::string& haystack, const char* needle) {
  return haystack.find(needle) != std::string::npos;
}

// An adapter found by one request, with what wgml needs to know of it.
struct Found {
  WGPUAdapter adapter = nullptr;
  AdapterInfo info;
  WGPULimits limits{};
  WGPUBackendType backend = WGPUBackendType_Undefined;
};

Found describe(const WgpuProcs& p, WGPUAdapter adapter, WGPUFeatureLevel level) {
  Found found;
  found.adapter = adapter;
  WGPUAdapterInfo raw{};
  WGML_CHECK(p.adapterGetInfo(adapter, &raw) == WGPUStatus_Success, "webgpu: adapter info failed");
  AdapterInfo& info = found.info;
  found.backend = raw.backendType;
  info.backend = backend_name(raw.backendType);
  info.adapter_type = adapter_type_name(raw.adapterType);
  info.vendor = string_of(raw.vendor);
  info.architecture = string_of(raw.architecture);
  info.device = string_of(raw.device);
  info.description = string_of(raw.description);
  info.subgroup_min_size = raw.subgroupMinSize;
  info.subgroup_max_size = raw.subgroupMaxSize;
  p.adapterInfoFreeMembers(raw);
  info.feature_level = level == WGPUFeatureLevel_Core ? "core" : "compatibility";
  const std::string names = info.device + " " + info.description + " " + info.architecture;
  info.software = info.adapter_type == "cpu" || contains(names, "llvmpipe") ||
                  contains(names, "SwiftShader") || contains(names, "lavapipe");
  info.shader_f16 = p.adapterHasFeature(adapter, WGPUFeatureName_ShaderF16);
  info.subgroups = p.adapterHasFeature(adapter, WGPUFeatureName_Subgroups);
  info.timestamp_query = p.adapterHasFeature(adapter, WGPUFeatureName_TimestampQuery);
  WGML_CHECK(p.adapterGetLimits(adapter, &found.limits) == WGPUStatus_Success,
             "webgpu: adapter limits failed");
  found.limits.nextInChain = nullptr;
  const WGPULimits& l = found.limits;
  info.max_storage_buffer_binding_size = l.maxStorageBufferBindingSize;
  info.max_buffer_size = l.maxBufferSize;
  info.max_storage_buffers_per_shader_stage = l.maxStorageBuffersPerShaderStage;
  info.min_storage_buffer_offset_alignment = l.minStorageBufferOffsetAlignment;
  info.max_compute_invocations_per_workgroup = l.maxComputeInvocationsPerWorkgroup;
  info.max_compute_workgroup_storage_size = l.maxComputeWorkgroupStorageSize;
  info.max_compute_workgroup_size = {l.maxComputeWorkgroupSizeX, l.maxComputeWorkgroupSizeY,
                                     l.maxComputeWorkgroupSizeZ};
  info.max_compute_workgroups_per_dimension = l.maxComputeWorkgroupsPerDimension;
  return found;
}

// One adapter request; nullptr-adapter result when there is none. Dawn's Null backend (which
// "runs" every dispatch and reads back zeros) is refused here, whatever was asked.
Found request_adapter(const WgpuProcs& p, WGPUInstance instance, WGPUBackendType backend,
                      WGPUFeatureLevel level) {
  WGPURequestAdapterOptions options{};
  options.featureLevel = level;
  options.powerPreference = WGPUPowerPreference_HighPerformance;
  options.backendType = backend;
  WGPUAdapter adapter = nullptr;
  WGPURequestAdapterCallbackInfo callback{};
  callback.mode = WGPUCallbackMode_WaitAnyOnly;
  callback.callback = [](WGPURequestAdapterStatus status, WGPUAdapter a, WGPUStringView, void* out,
                         void*) {
    if (status == WGPURequestAdapterStatus_Success) *static_cast<WGPUAdapter*>(out) = a;
  };
  callback.userdata1 = &adapter;
  wait_for(p, instance, p.instanceRequestAdapter(instance, &options, callback), "adapter request");
  if (!adapter) return {};
  Found found = describe(p, adapter, level);
  if (found.backend == WGPUBackendType_Null) {
    p.adapterRelease(adapter);
    return {};
  }
  return found;
}

WGPUInstance create_instance(const WgpuProcs& p) {
  WGPUInstanceDescriptor descriptor{};
  descriptor.capabilities.timedWaitAnyEnable = 1;  // futures are awaited with a timeout
  WGPUInstance instance = p.createInstance(&descriptor);
  WGML_CHECK(instance, "webgpu: Dawn could not create an instance");
  return instance;
}

struct Request {
  WGPUBackendType backend;
  WGPUFeatureLevel level;
};

// The requests an adapter choice makes, in order of preference.
std::vector<Request> requests_for(const std::string& adapter) {
  const Request vulkan{WGPUBackendType_Vulkan, WGPUFeatureLevel_Core};
  const Request gles{WGPUBackendType_OpenGLES, WGPUFeatureLevel_Compatibility};
  const Request any{WGPUBackendType_Undefined, WGPUFeatureLevel_Core};
  if (adapter == "vulkan" || adapter == "swiftshader" || adapter == "lavapipe") return {vulkan};
  if (adapter == "opengles") return {gles};
  WGML_CHECK(adapter.empty(), "webgpu: unknown adapter '", adapter,
             "' (expected vulkan, opengles, swiftshader or lavapipe)");
  if (!vulkan_loader_present()) return {gles};  // Linux GPUs need Vulkan; GLES is the software one
  return {any, vulkan, gles};
}

std::string numbered(const std::string& source) {
  std::ostringstream out;
  std::istringstream in(source);
  std::string line;
  for (int n = 1; std::getline(in, line); ++n) {
    char prefix[16];
    std::snprintf(prefix, sizeof(prefix), "%4d | ", n);
    out << prefix << line << "\n";
  }
  return out.str();
}

// Buffers are recycled by size class: shapes repeat from one inference to the next.
uint64_t size_class(uint64_t nbytes) {
  nbytes = std::max<uint64_t>(nbytes, 16);
  if (nbytes <= (1u << 20)) {
    uint64_t c = 16;
    while (c < nbytes)
      c <<= 1;
    return c;
  }
  const uint64_t mib = 1u << 20;
  return (nbytes + mib - 1) / mib * mib;
}

// State shared by the Gpu and every Buffer it handed out: buffers may outlive the Gpu.
struct BufferPool {
  const WgpuProcs* procs = nullptr;
  std::mutex mutex;
  std::multimap<uint64_t, WGPUBuffer> free;
  uint64_t free_bytes = 0;
  static constexpr uint64_t kMaxFreeBytes = 1ull << 30;
  bool closed = false;

  void give_back(WGPUBuffer buffer, uint64_t size) {
    std::lock_guard<std::mutex> lock(mutex);
    if (closed || free_bytes + size > kMaxFreeBytes) {
      procs->bufferRelease(buffer);
      return;
    }
    free.emplace(size, buffer);
    free_bytes += size;
  }
  WGPUBuffer take(uint64_t size) {
    std::lock_guard<std::mutex> lock(mutex);
    auto it = free.find(size);
    if (it == free.end()) return nullptr;
    WGPUBuffer buffer = it->second;
    free.erase(it);
    free_bytes -= size;
    return buffer;
  }
  void close() {
    std::lock_guard<std::mutex> lock(mutex);
    for (auto& [size, buffer] : free)
      procs->bufferRelease(buffer);
    free.clear();
    free_bytes = 0;
    closed = true;
  }
};

class DawnBuffer : public Buffer {
 public:
  DawnBuffer(std::shared_ptr<BufferPool> pool, WGPUBuffer buffer, uint64_t size)
      : pool_(std::move(pool)), buffer_(buffer), size_(size) {}
  ~DawnBuffer() override { pool_->give_back(buffer_, size_); }
  uint64_t size() const override { return size_; }
  WGPUBuffer handle() const { return buffer_; }

 private:
  std::shared_ptr<BufferPool> pool_;
  WGPUBuffer buffer_;
  uint64_t size_;
};

class DawnPipeline : public Pipeline {
 public:
  WGPUComputePipeline pipeline = nullptr;  // set when the compile is done
  WGPUBindGroupLayout layout = nullptr;
  std::string label;
  std::string wgsl;  // until compiled, for the error message
  WGPUFuture future{};
  bool pending = false;  // compiling: wait on `future`
  std::string error;     // why the compile failed
};

class DawnPrepared : public PreparedDispatch {
 public:
  DawnPrepared(const WgpuProcs& procs, WGPUComputePipeline pipeline_, WGPUBindGroup group_,
               std::array<uint32_t, 3> workgroups_)
      : p(procs), pipeline(pipeline_), group(group_), workgroups(workgroups_) {}
  ~DawnPrepared() override { p.bindGroupRelease(group); }
  DawnPrepared(const DawnPrepared&) = delete;
  DawnPrepared& operator=(const DawnPrepared&) = delete;

  const WgpuProcs& p;
  WGPUComputePipeline pipeline;  // owned by the Gpu's cache
  WGPUBindGroup group;
  std::array<uint32_t, 3> workgroups;
};

// Device callbacks write here; it outlives the device (released after the device's last event).
struct DeviceEvents {
  std::mutex mutex;
  std::string lost;    // why the device was lost; empty while it lives
  std::string errors;  // uncaptured errors since the last check
  bool closing = false;
};

class DawnGpu : public Gpu {
 public:
  DawnGpu(const DawnLibrary& lib, WGPUInstance instance, Found found)
      : p_(lib.procs), instance_(instance), adapter_(found.adapter), info_(found.info) {
    std::vector<WGPUFeatureName> features;
    if (info_.shader_f16) features.push_back(WGPUFeatureName_ShaderF16);
    if (info_.subgroups) features.push_back(WGPUFeatureName_Subgroups);
    if (info_.timestamp_query) features.push_back(WGPUFeatureName_TimestampQuery);
    WGPUDeviceDescriptor descriptor{};
    descriptor.label = view_of("wgml");
    descriptor.requiredFeatureCount = features.size();
    descriptor.requiredFeatures = features.data();
    descriptor.requiredLimits = &found.limits;  // the adapter's best, not WebGPU's small defaults
    descriptor.deviceLostCallbackInfo.mode = WGPUCallbackMode_AllowSpontaneous;
    descriptor.deviceLostCallbackInfo.callback = [](WGPUDevice const*, WGPUDeviceLostReason reason,
                                                    WGPUStringView message, void* events, void*) {
      auto* e = static_cast<DeviceEvents*>(events);
      std::lock_guard<std::mutex> lock(e->mutex);
      if (e->closing) return;
      e->lost = str_cat(string_of(message), " (reason ", int(reason), ")");
    };
    descriptor.deviceLostCallbackInfo.userdata1 = events_;
    descriptor.uncapturedErrorCallbackInfo.callback =
        [](WGPUDevice const*, WGPUErrorType type, WGPUStringView message, void* events, void*) {
          auto* e = static_cast<DeviceEvents*>(events);
          std::lock_guard<std::mutex> lock(e->mutex);
          const char* kind = type == WGPUErrorType_OutOfMemory ? "out of memory" : "error";
          e->errors += str_cat(e->errors.empty() ? "" : "\n", kind, ": ", string_of(message));
        };
    descriptor.uncapturedErrorCallbackInfo.userdata1 = events_;
    cache_ =
        std::make_unique<DawnBlobCache>(str_cat("wgml ", info_.summary(), " ", info_.vendor, " ",
                                                info_.architecture, " ", info_.description));
    cache_->chain_into(descriptor);
    struct Result {
      WGPUDevice device = nullptr;
      std::string message;
    } result;
    WGPURequestDeviceCallbackInfo callback{};
    callback.mode = WGPUCallbackMode_WaitAnyOnly;
    callback.callback = [](WGPURequestDeviceStatus status, WGPUDevice device,
                           WGPUStringView message, void* out, void*) {
      auto* r = static_cast<Result*>(out);
      if (status == WGPURequestDeviceStatus_Success) r->device = device;
      r->message = string_of(message);
    };
    callback.userdata1 = &result;
    wait_for(p_, instance_, p_.adapterRequestDevice(adapter_, &descriptor, callback),
             "device request");
    WGML_CHECK(result.device, "webgpu: the adapter (", info_.summary(),
               ") refused a device: ", result.message);
    device_ = result.device;
    queue_ = p_.deviceGetQueue(device_);
    pool_ = std::make_shared<BufferPool>();
    pool_->procs = &p_;
  }

  ~DawnGpu() override {
    pool_->close();
    release_staging();
    for (const Deferred& d : deferred_)
      p_.bindGroupRelease(d.group);
    for (auto& [key, pipeline] : pipelines_) {
      if (pipeline->pending) {  // its callback writes into it: wait for that first
        WGPUFutureWaitInfo info{pipeline->future, 0};
        p_.instanceWaitAny(instance_, 1, &info, timeout_ns());
      }
      if (pipeline->pipeline) p_.computePipelineRelease(pipeline->pipeline);
      p_.bindGroupLayoutRelease(pipeline->layout);
    }
    end_pass();
    if (encoder_) p_.commandEncoderRelease(encoder_);
    {
      std::lock_guard<std::mutex> lock(events_->mutex);
      events_->closing = true;
    }
    p_.queueRelease(queue_);
    p_.deviceDestroy(device_);
    p_.deviceRelease(device_);
    p_.adapterRelease(adapter_);
    p_.instanceProcessEvents(instance_);
    p_.instanceRelease(instance_);
    // events_ is leaked on purpose: Dawn may still deliver a late callback into it.
  }

  const AdapterInfo& adapter() const override { return info_; }

  std::shared_ptr<Buffer> create_buffer(uint64_t nbytes) override {
    check_alive();
    WGML_CHECK(nbytes <= info_.max_buffer_size, "webgpu: a buffer of ", nbytes,
               " bytes exceeds the adapter's maxBufferSize (", info_.max_buffer_size, ")");
    uint64_t size = size_class(nbytes);
    if (size > info_.max_buffer_size) size = (nbytes + 3) / 4 * 4;
    WGPUBuffer buffer = pool_->take(size);
    if (!buffer) {
      WGPUBufferDescriptor descriptor{};
      descriptor.usage =
          WGPUBufferUsage_Storage | WGPUBufferUsage_CopySrc | WGPUBufferUsage_CopyDst;
      descriptor.size = size;
      buffer = p_.deviceCreateBuffer(device_, &descriptor);
      check_errors("creating a buffer");
      WGML_CHECK(buffer, "webgpu: out of memory allocating ", size, " bytes");
    }
    return std::make_shared<DawnBuffer>(pool_, buffer, size);
  }

  void write(Buffer& dst, uint64_t offset, const void* src, size_t nbytes) override {
    check_alive();
    if (nbytes == 0) return;
    // The queue runs writes before work still in the encoder: submit that work first.
    flush();
    const uint64_t begin = offset / 4 * 4, end = (offset + nbytes + 3) / 4 * 4;
    WGML_CHECK(end <= dst.size(), "webgpu: write past the end of a buffer");
    if (begin == offset && end == offset + nbytes) {
      p_.queueWriteBuffer(queue_, handle(dst), offset, src, nbytes);
    } else {  // WebGPU copies whole 4-byte words: merge with the bytes around the range
      std::vector<uint8_t> words(end - begin);
      read(dst, begin, words.data(), words.size());
      std::memcpy(words.data() + (offset - begin), src, nbytes);
      p_.queueWriteBuffer(queue_, handle(dst), begin, words.data(), words.size());
    }
    check_errors("writing a buffer");
  }

  void read(Buffer& src, uint64_t offset, void* dst, size_t nbytes) override {
    check_alive();
    if (nbytes == 0) return;
    const uint64_t begin = offset / 4 * 4, end = (offset + nbytes + 3) / 4 * 4;
    WGML_CHECK(end <= src.size(), "webgpu: read past the end of a buffer");
    WGPUBuffer staging = staging_buffer(end - begin);
    settle();
    end_pass();
    p_.commandEncoderCopyBufferToBuffer(encoder(), handle(src), begin, staging, 0, end - begin);
    flush();
    struct Result {
      WGPUMapAsyncStatus status = WGPUMapAsyncStatus_Error;
      std::string message;
    } result;
    WGPUBufferMapCallbackInfo callback{};
    callback.mode = WGPUCallbackMode_WaitAnyOnly;
    callback.callback = [](WGPUMapAsyncStatus status, WGPUStringView message, void* out, void*) {
      static_cast<Result*>(out)->status = status;
      static_cast<Result*>(out)->message = string_of(message);
    };
    callback.userdata1 = &result;
    wait_for(p_, instance_, p_.bufferMapAsync(staging, WGPUMapMode_Read, 0, end - begin, callback),
             "reading back a result");
    check_alive();
    check_errors("reading a buffer");
    if (result.status != WGPUMapAsyncStatus_Success) {
      release_staging();
      fail("webgpu: mapping a result for reading failed: ", result.message);
    }
    const void* mapped = p_.bufferGetConstMappedRange(staging, 0, end - begin);
    std::memcpy(dst, static_cast<const uint8_t*>(mapped) + (offset - begin), nbytes);
    p_.bufferUnmap(staging);
    if (staging_size_ > kMaxStagingBytes) release_staging();
  }

  // The shader is parsed and validated now (a WGSL error throws here, naming the op); the
  // backend's compile (Tint's translation, the driver's) runs on Dawn's worker threads where the
  // backend allows (Vulkan), and a dispatch of the pipeline waits for it only when recorded
  // work is submitted: the kernels of a first run compile in parallel.
  const Pipeline* pipeline(const Program& program) override {
    check_alive();
    std::string key = program.wgsl;
    for (bool ro : program.read_only)
      key += ro ? 'r' : 'w';
    auto it = pipelines_.find(key);
    if (it != pipelines_.end()) {
      ++stats_.found;
      DawnPipeline& found = *it->second;
      if (!found.pending && !found.pipeline) fail_compile(found, found.error);  // failed before
      return &found;
    }
    const auto start = std::chrono::steady_clock::now();
    if (std::getenv("WGML_DUMP_WGSL"))
      std::fprintf(stderr, "// wgml: WGSL of %s\n%s\n", program.label.c_str(),
                   program.wgsl.c_str());
    WGML_CHECK(program.read_only.size() <= info_.max_storage_buffers_per_shader_stage,
               "webgpu: op ", program.label, " needs ", program.read_only.size(),
               " storage buffers; the adapter allows maxStorageBuffersPerShaderStage = ",
               info_.max_storage_buffers_per_shader_stage);
    auto pipeline = std::make_unique<DawnPipeline>();
    pipeline->label = program.label;
    pipeline->wgsl = program.wgsl;
    p_.devicePushErrorScope(device_, WGPUErrorFilter_Validation);
    WGPUShaderSourceWGSL wgsl{};
    wgsl.chain.sType = WGPUSType_ShaderSourceWGSL;
    wgsl.code = view_of(program.wgsl);
    WGPUShaderModuleDescriptor module_descriptor{};
    module_descriptor.nextInChain = &wgsl.chain;
    module_descriptor.label = view_of(program.label);
    WGPUShaderModule module = p_.deviceCreateShaderModule(device_, &module_descriptor);
    pipeline->layout = bind_group_layout(program.read_only);
    const std::string error = pop_error_scope("shader compilation");
    if (!error.empty()) {
      p_.shaderModuleRelease(module);
      p_.bindGroupLayoutRelease(pipeline->layout);
      fail_compile(*pipeline, error);
    }
    WGPUPipelineLayoutDescriptor pipeline_layout_descriptor{};
    pipeline_layout_descriptor.bindGroupLayoutCount = 1;
    pipeline_layout_descriptor.bindGroupLayouts = &pipeline->layout;
    WGPUPipelineLayout pipeline_layout =
        p_.deviceCreatePipelineLayout(device_, &pipeline_layout_descriptor);
    WGPUComputePipelineDescriptor descriptor{};
    descriptor.label = view_of(program.label);
    descriptor.layout = pipeline_layout;
    descriptor.compute.module = module;
    descriptor.compute.entryPoint = view_of("main");
    WGPUCreateComputePipelineAsyncCallbackInfo callback{};
    callback.mode = WGPUCallbackMode_WaitAnyOnly;
    callback.callback = [](WGPUCreatePipelineAsyncStatus status, WGPUComputePipeline made,
                           WGPUStringView message, void* out, void*) {
      auto* pending = static_cast<DawnPipeline*>(out);
      pending->pipeline = status == WGPUCreatePipelineAsyncStatus_Success ? made : nullptr;
      pending->error = status == WGPUCreatePipelineAsyncStatus_Success ? "" : string_of(message);
      if (status != WGPUCreatePipelineAsyncStatus_Success && made)
        pending->error += " (a pipeline came back anyway)";
    };
    callback.userdata1 = pipeline.get();
    pipeline->future = p_.deviceCreateComputePipelineAsync(device_, &descriptor, callback);
    pipeline->pending = true;
    p_.pipelineLayoutRelease(pipeline_layout);
    p_.shaderModuleRelease(module);
    const Pipeline* result = pipeline.get();
    pipelines_.emplace(std::move(key), std::move(pipeline));
    ++stats_.compiled;
    stats_.compile_ms += ms_since(start);
    return result;
  }
  PipelineStats pipeline_stats() const override {
    PipelineStats stats = stats_;
    stats.disk_hits = cache_->hits();
    stats.disk_stores = cache_->stores();
    return stats;
  }

  void dispatch(const Pipeline* pipeline, const std::vector<Binding>& bindings,
                std::array<uint32_t, 3> workgroups) override {
    check_alive();
    auto* dawn = const_cast<DawnPipeline*>(static_cast<const DawnPipeline*>(pipeline));
    WGPUBindGroup group = bind_group(*dawn, bindings);
    // Behind a pipeline still compiling, work waits its turn in order (see settle()).
    if (dawn->pending || !deferred_.empty()) {
      deferred_.push_back({dawn, group, workgroups});
      return;
    }
    record(dawn->pipeline, group, workgroups);
    p_.bindGroupRelease(group);
  }

  std::unique_ptr<PreparedDispatch> prepare(const Pipeline* pipeline,
                                            const std::vector<Binding>& bindings,
                                            std::array<uint32_t, 3> workgroups) override {
    check_alive();
    auto* dawn = const_cast<DawnPipeline*>(static_cast<const DawnPipeline*>(pipeline));
    ready(*dawn);
    return std::make_unique<DawnPrepared>(p_, dawn->pipeline, bind_group(*dawn, bindings),
                                          workgroups);
  }

  void dispatch(const PreparedDispatch& prepared) override {
    check_alive();
    const auto& d = static_cast<const DawnPrepared&>(prepared);
    settle();
    record(d.pipeline, d.group, d.workgroups);
  }

  void flush() override {
    settle();
    end_pass();
    if (!encoder_) return;
    WGPUCommandBuffer commands = p_.commandEncoderFinish(encoder_, nullptr);
    p_.commandEncoderRelease(encoder_);
    encoder_ = nullptr;
    recorded_ = 0;
    p_.queueSubmit(queue_, 1, &commands);
    p_.commandBufferRelease(commands);
    check_errors("running recorded work");
  }

  void destroy() override { p_.deviceDestroy(device_); }

  void finish() override {
    flush();
    WGPUQueueWorkDoneCallbackInfo callback{};
    callback.mode = WGPUCallbackMode_WaitAnyOnly;
    callback.callback = [](WGPUQueueWorkDoneStatus, void*, void*) {};
    wait_for(p_, instance_, p_.queueOnSubmittedWorkDone(queue_, callback), "GPU work");
    check_alive();
  }

 private:
  static constexpr int kMaxRecorded = 256;  // dispatches per submit: keeps the GPU fed

  static WGPUBuffer handle(Buffer& b) { return static_cast<DawnBuffer&>(b).handle(); }

  // Reads go through one mappable buffer, kept between reads up to this size: a run's output
  // read then costs no buffer creation.
  static constexpr uint64_t kMaxStagingBytes = 64ull << 20;
  WGPUBuffer staging_buffer(uint64_t nbytes) {
    if (staging_ && staging_size_ >= nbytes) return staging_;
    release_staging();
    WGPUBufferDescriptor descriptor{};
    descriptor.usage = WGPUBufferUsage_MapRead | WGPUBufferUsage_CopyDst;
    descriptor.size = size_class(nbytes);
    if (descriptor.size > info_.max_buffer_size) descriptor.size = nbytes;
    staging_ = p_.deviceCreateBuffer(device_, &descriptor);
    WGML_CHECK(staging_, "webgpu: out of memory allocating a ", descriptor.size,
               "-byte buffer to read results through");
    staging_size_ = descriptor.size;
    return staging_;
  }
  void release_staging() {
    if (staging_) p_.bufferRelease(staging_);
    staging_ = nullptr;
    staging_size_ = 0;
  }

  WGPUBindGroup bind_group(const DawnPipeline& dawn, const std::vector<Binding>& bindings) {
    std::vector<WGPUBindGroupEntry> entries(bindings.size());
    for (size_t i = 0; i < bindings.size(); ++i) {
      WGML_CHECK(bindings[i].size <= info_.max_storage_buffer_binding_size, "webgpu: op ",
                 dawn.label, " binds ", bindings[i].size,
                 " bytes; the adapter's maxStorageBufferBindingSize is ",
                 info_.max_storage_buffer_binding_size);
      entries[i].binding = static_cast<uint32_t>(i);
      entries[i].buffer = handle(*bindings[i].buffer);
      entries[i].offset = 0;
      entries[i].size = std::max<uint64_t>(4, (bindings[i].size + 3) / 4 * 4);
    }
    WGPUBindGroupDescriptor descriptor{};
    descriptor.label = view_of(dawn.label);
    descriptor.layout = dawn.layout;
    descriptor.entryCount = entries.size();
    descriptor.entries = entries.data();
    return p_.deviceCreateBindGroup(device_, &descriptor);
  }

  WGPUBindGroupLayout bind_group_layout(const std::vector<bool>& read_only) {
    std::vector<WGPUBindGroupLayoutEntry> entries(read_only.size());
    for (size_t i = 0; i < entries.size(); ++i) {
      entries[i].binding = static_cast<uint32_t>(i);
      entries[i].visibility = WGPUShaderStage_Compute;
      entries[i].buffer.type =
          read_only[i] ? WGPUBufferBindingType_ReadOnlyStorage : WGPUBufferBindingType_Storage;
    }
    WGPUBindGroupLayoutDescriptor descriptor{};
    descriptor.entryCount = entries.size();
    descriptor.entries = entries.data();
    return p_.deviceCreateBindGroupLayout(device_, &descriptor);
  }

  // The validation errors since the matching push, as text (empty: none).
  std::string pop_error_scope(const char* what) {
    struct ScopeResult {
      WGPUErrorType type = WGPUErrorType_NoError;
      std::string message;
    } scope;
    WGPUPopErrorScopeCallbackInfo callback{};
    callback.mode = WGPUCallbackMode_WaitAnyOnly;
    callback.callback = [](WGPUPopErrorScopeStatus, WGPUErrorType type, WGPUStringView message,
                           void* out, void*) {
      static_cast<ScopeResult*>(out)->type = type;
      static_cast<ScopeResult*>(out)->message = string_of(message);
    };
    callback.userdata1 = &scope;
    wait_for(p_, instance_, p_.devicePopErrorScope(device_, callback), what);
    if (scope.type == WGPUErrorType_NoError) return "";
    return scope.message.empty() ? "an error without a message" : scope.message;
  }

  [[noreturn]] void fail_compile(const DawnPipeline& pipeline, const std::string& error) {
    fail("webgpu: the WGSL generated for op ", pipeline.label, " does not compile on ",
         info_.summary(), ":\n", error, "\n--- generated WGSL ---\n", numbered(pipeline.wgsl));
  }

  // Waits for the pipeline's compile when it is still running; its error throws here.
  void ready(DawnPipeline& pipeline) {
    if (pipeline.pending) {
      const auto start = std::chrono::steady_clock::now();
      wait_for(p_, instance_, pipeline.future, "compiling a pipeline");
      pipeline.pending = false;
      stats_.wait_ms += ms_since(start);
      check_alive();
      if (pipeline.pipeline) pipeline.wgsl.clear();  // kept for the error message only
    }
    if (!pipeline.pipeline)
      fail_compile(pipeline, pipeline.error.empty() ? "no pipeline came back" : pipeline.error);
  }

  // Records the dispatches that waited for their pipelines, in order. Their bind groups are
  // released even when a compile failed (the error then throws).
  void settle() {
    std::vector<Deferred> waiting;
    waiting.swap(deferred_);
    size_t i = 0;
    try {
      for (; i < waiting.size(); ++i) {
        ready(*waiting[i].pipeline);
        record(waiting[i].pipeline->pipeline, waiting[i].group, waiting[i].workgroups);
        p_.bindGroupRelease(waiting[i].group);
      }
    } catch (...) {
      for (; i < waiting.size(); ++i)
        p_.bindGroupRelease(waiting[i].group);
      throw;
    }
  }

  // Records one dispatch into the open compute pass; work goes out in batches.
  void record(WGPUComputePipeline pipeline, WGPUBindGroup group,
              std::array<uint32_t, 3> workgroups) {
    if (!pass_) {
      WGPUComputePassDescriptor pass_descriptor{};
      pass_ = p_.commandEncoderBeginComputePass(encoder(), &pass_descriptor);
    }
    p_.computePassEncoderSetPipeline(pass_, pipeline);
    p_.computePassEncoderSetBindGroup(pass_, 0, group, 0, nullptr);
    p_.computePassEncoderDispatchWorkgroups(pass_, workgroups[0], workgroups[1], workgroups[2]);
    if (++recorded_ >= kMaxRecorded) flush();
  }

  WGPUCommandEncoder encoder() {
    if (!encoder_) encoder_ = p_.deviceCreateCommandEncoder(device_, nullptr);
    return encoder_;
  }
  void end_pass() {
    if (!pass_) return;
    p_.computePassEncoderEnd(pass_);
    p_.computePassEncoderRelease(pass_);
    pass_ = nullptr;
  }
  void check_alive() {
    std::lock_guard<std::mutex> lock(events_->mutex);
    if (!events_->lost.empty())
      fail("webgpu: the device (", info_.summary(), ") was lost: ", events_->lost);
  }
  void check_errors(const char* what) {
    std::string errors;
    {
      std::lock_guard<std::mutex> lock(events_->mutex);
      errors.swap(events_->errors);
    }
    if (!errors.empty()) fail("webgpu: ", what, " failed: ", errors);
    check_alive();
  }

  const WgpuProcs& p_;
  WGPUInstance instance_;
  WGPUAdapter adapter_;
  AdapterInfo info_;
  WGPUDevice device_ = nullptr;
  WGPUQueue queue_ = nullptr;
  WGPUCommandEncoder encoder_ = nullptr;
  WGPUComputePassEncoder pass_ = nullptr;
  int recorded_ = 0;
  DeviceEvents* events_ = new DeviceEvents;
  std::shared_ptr<BufferPool> pool_;
  std::unordered_map<std::string, std::unique_ptr<DawnPipeline>> pipelines_;
  struct Deferred {
    DawnPipeline* pipeline;
    WGPUBindGroup group;
    std::array<uint32_t, 3> workgroups;
  };
  std::vector<Deferred> deferred_;  // dispatches behind a pipeline still compiling
  WGPUBuffer staging_ = nullptr;    // see staging_buffer()
  uint64_t staging_size_ = 0;
  PipelineStats stats_;
  std::unique_ptr<DawnBlobCache> cache_;  // after the device in destruction: Dawn may call it
};

std::string requested_adapter(const Options& options) {
  if (!options.adapter.empty()) return options.adapter;
  const char* env = std::getenv("WGML_WEBGPU_ADAPTER");
  return env ? env : "";
}

}  // namespace

std::string AdapterInfo::summary() const {
  std::string s = str_cat(backend, " ", adapter_type, " ", device.empty() ? description : device,
                          " (", feature_level);
  if (software) s += ", software";
  if (shader_f16) s += ", shader-f16";
  if (subgroups) s += ", subgroups";
  if (timestamp_query) s += ", timestamps";
  return s + ")";
}

std::unique_ptr<Gpu> open_gpu(const Options& options) {
  const std::string choice = requested_adapter(options);
  prepare_adapter_environment(choice);
  const DawnLibrary& lib = load_dawn(options.library);
  const WgpuProcs& p = lib.procs;
  WGPUInstance instance = create_instance(p);
  Found software;
  std::string tried;
  for (const Request& request : requests_for(choice)) {
    Found found = request_adapter(p, instance, request.backend, request.level);
    tried += str_cat(tried.empty() ? "" : ", ", backend_name(request.backend), "/",
                     request.level == WGPUFeatureLevel_Core ? "core" : "compatibility");
    if (!found.adapter) continue;
    // Automatic choice: a real GPU at once; a software one only when nothing better turns up.
    if (!choice.empty() || !found.info.software) {
      if (software.adapter) p.adapterRelease(software.adapter);
      return std::make_unique<DawnGpu>(lib, instance, found);
    }
    // Among software adapters prefer OpenGL ES llvmpipe: the fastest on a CPU, measured.
    if (!software.adapter || found.backend == WGPUBackendType_OpenGLES) {
      if (software.adapter) p.adapterRelease(software.adapter);
      software = found;
    } else {
      p.adapterRelease(found.adapter);
    }
  }
  if (software.adapter) return std::make_unique<DawnGpu>(lib, instance, software);
  p.instanceRelease(instance);
  fail("webgpu: no usable adapter (tried ", tried, choice.empty() ? "" : " for '" + choice + "'",
       "). Dawn's Null backend is refused: it reads back zeros. Run `make setup` for the "
       "software adapters, or check the GPU's Vulkan driver.");
}

std::vector<AdapterInfo> list_adapters(const Options& options) {
  const std::string choice = requested_adapter(options);
  prepare_adapter_environment(choice);
  const DawnLibrary& lib = load_dawn(options.library);
  const WgpuProcs& p = lib.procs;
  WGPUInstance instance = create_instance(p);
  std::vector<AdapterInfo> adapters;
  std::vector<Request> requests = {{WGPUBackendType_OpenGLES, WGPUFeatureLevel_Compatibility}};
  if (vulkan_loader_present())
    requests.insert(requests.begin(), {WGPUBackendType_Vulkan, WGPUFeatureLevel_Core});
  for (const Request& request : requests) {
    Found found = request_adapter(p, instance, request.backend, request.level);
    if (!found.adapter) continue;
    adapters.push_back(found.info);
    p.adapterRelease(found.adapter);
  }
  p.instanceRelease(instance);
  return adapters;
}

}  // namespace wgml::gpu
