// The narrow GPU interface under the WebGPU device: adapters, buffers, compute pipelines and
// dispatches. Only its implementations touch webgpu.h: dawn/ (native, Dawn loaded at run time)
// today, the browser's JS glue later; nothing above this header changes between them.
#pragma once

#include <array>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace wgml::gpu {

struct AdapterInfo {
  std::string backend;       // "vulkan", "opengles", "metal", ...
  std::string adapter_type;  // "discrete", "integrated", "cpu", "unknown"
  std::string vendor, architecture, device, description;
  std::string feature_level;  // "core" or "compatibility"
  bool software = false;      // a CPU rasteriser (llvmpipe, lavapipe, SwiftShader)
  bool shader_f16 = false, subgroups = false, timestamp_query = false;
  uint32_t subgroup_min_size = 0, subgroup_max_size = 0;
  // The limits the device was created with (the adapter's best).
  uint64_t max_storage_buffer_binding_size = 0;
  uint64_t max_buffer_size = 0;
  uint32_t max_storage_buffers_per_shader_stage = 0;
  uint32_t min_storage_buffer_offset_alignment = 0;
  uint32_t max_compute_invocations_per_workgroup = 0;
  uint32_t max_compute_workgroup_storage_size = 0;
  std::array<uint32_t, 3> max_compute_workgroup_size{};
  uint32_t max_compute_workgroups_per_dimension = 0;

  std::string summary() const;  // one line: "vulkan discrete NVIDIA H100 (core, f16, subgroups)"
};

// Which adapter to open. Empty `adapter` picks automatically: a real GPU when there is one,
// else the software adapter this machine has (see software_adapters.h).
struct Options {
  std::string adapter;  // "", "vulkan", "opengles", "swiftshader", "lavapipe"
  std::string library;  // path of the Dawn library; empty: WGML_DAWN_LIBRARY or the build default
};

class Buffer {
 public:
  virtual ~Buffer() = default;
  virtual uint64_t size() const = 0;
};

// A compiled compute pipeline; owned by the Gpu's cache.
class Pipeline {
 public:
  virtual ~Pipeline() = default;
};

// One storage-buffer binding of a dispatch: binding i of the shader is bindings[i].
struct Binding {
  Buffer* buffer = nullptr;
  uint64_t size = 0;  // bytes bound from offset 0 (a multiple of 4)
};

// A dispatch whose bind group was made once, for work replayed many times.
class PreparedDispatch {
 public:
  virtual ~PreparedDispatch() = default;
};

// What pipeline(Program) has cost so far: how many it compiled, the host time spent in the
// calls and waiting for compiles to finish, and how many calls found one already made; blobs of
// compiled work read from and written to the disk cache (io/disk_cache.h).
struct PipelineStats {
  size_t compiled = 0;
  size_t found = 0;
  double compile_ms = 0;  // in pipeline()
  double wait_ms = 0;     // later, until compiles started by pipeline() were done
  size_t disk_hits = 0, disk_stores = 0;
};

struct Program {
  std::string label;            // the op name, for error messages and GPU debuggers
  std::string wgsl;             // entry point `main`
  std::vector<bool> read_only;  // per binding: read-only storage or read-write storage
};

class Gpu {
 public:
  virtual ~Gpu() = default;
  virtual const AdapterInfo& adapter() const = 0;

  // Storage buffers (also copy source and destination), recycled through a pool.
  virtual std::shared_ptr<Buffer> create_buffer(uint64_t nbytes) = 0;
  virtual void write(Buffer& dst, uint64_t offset, const void* src, size_t nbytes) = 0;
  // Waits for the recorded work, then copies back.
  virtual void read(Buffer& src, uint64_t offset, void* dst, size_t nbytes) = 0;

  // Compiles (or finds in the cache, keyed by source and layout) a pipeline; a WGSL error throws
  // wgml::Error naming the label and showing the numbered source.
  virtual const Pipeline* pipeline(const Program& program) = 0;
  virtual PipelineStats pipeline_stats() const = 0;
  // Records a dispatch; work is submitted in batches (flush, read, write submit it).
  virtual void dispatch(const Pipeline* pipeline, const std::vector<Binding>& bindings,
                        std::array<uint32_t, 3> workgroups) = 0;
  // The same dispatch with its bind group made now; dispatch(prepared) then only records it
  // (the buffers must outlive the prepared dispatch).
  virtual std::unique_ptr<PreparedDispatch> prepare(const Pipeline* pipeline,
                                                    const std::vector<Binding>& bindings,
                                                    std::array<uint32_t, 3> workgroups) = 0;
  virtual void dispatch(const PreparedDispatch& prepared) = 0;
  virtual void flush() = 0;   // submits recorded work
  virtual void finish() = 0;  // submits and waits until the GPU is done (benchmarks)
  // Destroys the device now (as a driver reset or an unloading page would); every later call
  // throws wgml::Error saying the device was lost.
  virtual void destroy() = 0;
};

// Opens the adapter and a device with its best limits and the features wgml uses. Throws
// wgml::Error saying why when there is none (and never returns Dawn's Null backend).
std::unique_ptr<Gpu> open_gpu(const Options& options = {});

// Every adapter this process can open, for `wgml devices`.
std::vector<AdapterInfo> list_adapters(const Options& options = {});

}  // namespace wgml::gpu
