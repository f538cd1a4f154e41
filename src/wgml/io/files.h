// Opening files that users name: a clear error for paths that are missing, unreadable, or not a
// regular file (a directory "opens" as a stream of absurd size on Linux).
#pragma once

#include <cstdint>
#include <string>

namespace wgml {

// The size of the regular file at `path`; raises naming `what` (the role of the file) otherwise.
uint64_t regular_file_size(const std::string& path, const std::string& what);
// The whole regular file at `path`.
std::string read_regular_file(const std::string& path, const std::string& what);

}  // namespace wgml
