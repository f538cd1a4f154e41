#include "wgml/io/disk_cache.h"

#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <system_error>
#include <vector>

namespace fs = std::filesystem;

namespace wgml {

namespace {

// Every blob starts with this, then the key's length (8 bytes, little endian) and the key: a
// file of another format, or whose name collides, is never taken for the blob asked for.
constexpr char kMagic[8] = {'w', 'g', 'm', 'l', 'b', 'l', 'o', '1'};

uint64_t fnv1a(const std::string& bytes) {
  uint64_t h = 1469598103934665603ull;
  for (unsigned char c : bytes)
    h = (h ^ c) * 1099511628211ull;
  return h;
}

std::string header_for(const std::string& key) {
  std::string header(kMagic, sizeof kMagic);
  for (int i = 0; i < 8; ++i)
    header += static_cast<char>((uint64_t(key.size()) >> (8 * i)) & 0xff);
  return header + key;
}

}  // namespace

DiskCache::DiskCache(std::string dir, uint64_t max_bytes) : dir_(std::move(dir)) {
  if (dir_.empty()) return;
  std::error_code error;
  fs::create_directories(dir_, error);
  if (error) {
    disable("cannot create " + dir_ + ": " + error.message());
    return;
  }
  trim(max_bytes);
}

std::string DiskCache::folder_for(const std::string& what) {
  if (const char* env = std::getenv("WGML_CACHE_DIR")) {
    const std::string dir = env;
    if (dir == "off" || dir.empty()) return "";
    return (fs::path(dir) / what).string();
  }
  if (const char* xdg = std::getenv("XDG_CACHE_HOME"); xdg && *xdg)
    return (fs::path(xdg) / "wgml" / what).string();
  if (const char* home = std::getenv("HOME"); home && *home)
    return (fs::path(home) / ".cache" / "wgml" / what).string();
  return "";
}

std::string DiskCache::path_of(const std::string& key) const {
  char name[32];
  std::snprintf(name, sizeof name, "%016llx.blob", static_cast<unsigned long long>(fnv1a(key)));
  return (fs::path(dir_) / name).string();
}

std::optional<std::string> DiskCache::load(const std::string& key) {
  std::lock_guard<std::mutex> lock(mutex_);
  if (dir_.empty()) return std::nullopt;
  const std::string path = path_of(key);
  std::ifstream in(path, std::ios::binary);
  if (!in) return std::nullopt;
  std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  const std::string header = header_for(key);
  if (bytes.compare(0, header.size(), header) != 0) return std::nullopt;
  std::error_code ignored;  // the file's time is its last use, for trim()
  fs::last_write_time(path, fs::file_time_type::clock::now(), ignored);
  return bytes.substr(header.size());
}

void DiskCache::store(const std::string& key, const std::string& value) {
  std::lock_guard<std::mutex> lock(mutex_);
  if (dir_.empty()) return;
  const std::string path = path_of(key);
  // Written aside and renamed: a reader in another process sees the old blob or the new one.
  const std::string temporary = path + ".tmp" + std::to_string(::getpid());
  {
    std::ofstream out(temporary, std::ios::binary | std::ios::trunc);
    const std::string header = header_for(key);
    out.write(header.data(), static_cast<std::streamsize>(header.size()));
    out.write(value.data(), static_cast<std::streamsize>(value.size()));
    if (!out) {
      std::error_code ignored;
      fs::remove(temporary, ignored);
      disable("cannot write " + temporary);
      return;
    }
  }
  std::error_code error;
  fs::rename(temporary, path, error);
  if (error) disable("cannot rename " + temporary + ": " + error.message());
}

void DiskCache::trim(uint64_t max_bytes) {
  struct Entry {
    fs::file_time_type used;
    uint64_t bytes;
    fs::path path;
  };
  std::vector<Entry> entries;
  uint64_t total = 0;
  std::error_code error;
  for (const auto& file : fs::directory_iterator(dir_, error)) {
    std::error_code e1, e2;
    const uint64_t bytes = file.file_size(e1);
    const fs::file_time_type used = file.last_write_time(e2);
    if (e1 || e2 || !file.is_regular_file()) continue;
    entries.push_back({used, bytes, file.path()});
    total += bytes;
  }
  if (total <= max_bytes) return;
  std::sort(entries.begin(), entries.end(),
            [](const Entry& a, const Entry& b) { return a.used < b.used; });
  for (const Entry& entry : entries) {
    if (total <= max_bytes / 2) break;
    std::error_code ignored;
    if (fs::remove(entry.path, ignored)) total -= entry.bytes;
  }
}

void DiskCache::disable(const std::string& why) {
  std::fprintf(stderr, "wgml: warning: the cache in %s is off for this process: %s\n", dir_.c_str(),
               why.c_str());
  dir_.clear();
}

}  // namespace wgml
