// A folder of blobs keyed by bytes, shared by the processes of one user: what a device compiled
// (Dawn's shader and pipeline blobs) survives the process, so a second run skips the compiling.
// Best effort by design: a cache that cannot be read or written costs speed, never a result, so
// its failures print one warning and turn it off instead of raising.
#pragma once

#include <cstdint>
#include <mutex>
#include <optional>
#include <string>

namespace wgml {

class DiskCache {
 public:
  // Blobs under `dir` (created when missing). When the folder holds more than `max_bytes`, the
  // least recently used blobs go until it is under half of that.
  DiskCache(std::string dir, uint64_t max_bytes);

  // The folder wgml caches `what` in ("dawn"): $WGML_CACHE_DIR/what, else
  // $XDG_CACHE_HOME/wgml/what, else ~/.cache/wgml/what. Empty when WGML_CACHE_DIR is "off" or
  // no home folder is known: no cache.
  static std::string folder_for(const std::string& what);

  std::optional<std::string> load(const std::string& key);
  void store(const std::string& key, const std::string& value);
  const std::string& dir() const { return dir_; }
  bool enabled() const { return !dir_.empty(); }

 private:
  std::string path_of(const std::string& key) const;
  void trim(uint64_t max_bytes);
  void disable(const std::string& why);

  std::string dir_;   // empty once disabled
  std::mutex mutex_;  // Dawn calls from its compile threads
};

}  // namespace wgml
