#include "wgml/io/files.h"

#include <sys/stat.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <limits>

#include "wgml/core/error.h"

namespace wgml {

uint64_t regular_file_size(const std::string& path, const std::string& what) {
  struct stat info {};
  WGML_CHECK(stat(path.c_str(), &info) == 0, what, " ", path, ": cannot open (",
             std::strerror(errno), ")");
  WGML_CHECK(S_ISREG(info.st_mode), what, " ", path, ": not a regular file");
  return static_cast<uint64_t>(info.st_size);
}

std::string read_regular_file(const std::string& path, const std::string& what) {
  const uint64_t size = regular_file_size(path, what);
  WGML_CHECK(size <= std::numeric_limits<size_t>::max() / 2, what, " ", path, ": ", size,
             " bytes do not fit in this build's memory");
  std::ifstream in(path, std::ios::binary);
  WGML_CHECK(in.good(), what, " ", path, ": cannot open");
  std::string bytes(static_cast<size_t>(size), '\0');
  in.read(bytes.data(), static_cast<std::streamsize>(size));
  WGML_CHECK(static_cast<uint64_t>(in.gcount()) == size, what, " ", path, ": read ", in.gcount(),
             " of ", size, " bytes");
  return bytes;
}

}  // namespace wgml
