#include "wgml/backends/webgpu/dawn/dawn_blob_cache.h"

#include <cstring>

namespace wgml::gpu {

namespace {
// Past this the least recently used blobs go (an efficientnet's kernels take about 1 MiB).
constexpr uint64_t kMaxCacheBytes = 512ull << 20;
}  // namespace

DawnBlobCache::DawnBlobCache(std::string isolation_key)
    : isolation_key_(std::move(isolation_key)),
      disk_(DiskCache::folder_for("dawn"), kMaxCacheBytes) {}

void DawnBlobCache::chain_into(WGPUDeviceDescriptor& descriptor) {
  if (!disk_.enabled()) return;
  descriptor_.chain.sType = WGPUSType_DawnCacheDeviceDescriptor;
  descriptor_.chain.next = descriptor.nextInChain;
  descriptor_.isolationKey = WGPUStringView{isolation_key_.data(), isolation_key_.size()};
  descriptor_.loadDataFunction = &DawnBlobCache::load;
  descriptor_.storeDataFunction = &DawnBlobCache::store;
  descriptor_.functionUserdata = this;
  descriptor.nextInChain = &descriptor_.chain;
}

size_t DawnBlobCache::load(const void* key, size_t key_size, void* value, size_t value_size,
                           void* self) {
  auto* cache = static_cast<DawnBlobCache*>(self);
  const std::string k(static_cast<const char*>(key), key_size);
  std::lock_guard<std::mutex> lock(cache->last_mutex_);
  if (cache->last_key_ != k || cache->last_value_.empty()) {
    cache->last_key_ = k;
    cache->last_value_ = cache->disk_.load(k).value_or("");
  }
  const std::string& blob = cache->last_value_;
  if (blob.empty() || value == nullptr) return blob.size();
  if (value_size < blob.size()) return 0;
  std::memcpy(value, blob.data(), blob.size());
  ++cache->hits_;
  cache->last_key_.clear();
  cache->last_value_.clear();
  return blob.size();
}

void DawnBlobCache::store(const void* key, size_t key_size, const void* value, size_t value_size,
                          void* self) {
  auto* cache = static_cast<DawnBlobCache*>(self);
  cache->disk_.store(std::string(static_cast<const char*>(key), key_size),
                     std::string(static_cast<const char*>(value), value_size));
  ++cache->stores_;
}

}  // namespace wgml::gpu
