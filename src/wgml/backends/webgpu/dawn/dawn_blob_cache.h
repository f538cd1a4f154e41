// Dawn's cache of what it compiles (WGSL translated for the backend, the driver's pipeline
// blobs), kept on disk through DawnCacheDeviceDescriptor's load and store hooks: a second
// process on the same adapter skips that work. Dawn's keys already cover the shader, the
// adapter, the driver and Dawn's own version; the isolation key separates adapters further.
#pragma once

#include <atomic>
#include <cstddef>
#include <mutex>
#include <string>

#include "wgml/backends/webgpu/webgpu_abi.h"
#include "wgml/io/disk_cache.h"

namespace wgml::gpu {

class DawnBlobCache {
 public:
  // Blobs in DiskCache::folder_for("dawn"); no cache where that is empty (WGML_CACHE_DIR=off).
  explicit DawnBlobCache(std::string isolation_key);
  // Chains the cache into a device descriptor (nothing when off); this object must outlive the
  // device, whose compile threads call it.
  void chain_into(WGPUDeviceDescriptor& descriptor);

  size_t hits() const { return hits_; }
  size_t stores() const { return stores_; }

 private:
  static size_t load(const void* key, size_t key_size, void* value, size_t value_size, void* self);
  static void store(const void* key, size_t key_size, const void* value, size_t value_size,
                    void* self);

  std::string isolation_key_;
  DiskCache disk_;
  WGPUDawnCacheDeviceDescriptor descriptor_{};
  // Dawn asks for a blob's size, then for the blob: the blob read by the first call is kept
  // for the second, so a file is read once.
  std::mutex last_mutex_;
  std::string last_key_, last_value_;
  std::atomic<size_t> hits_{0}, stores_{0};
};

}  // namespace wgml::gpu
