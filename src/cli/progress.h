// Progress of long loads and compilations on stderr: one updating line on a terminal, a few plain
// lines otherwise, and nothing at all for steps that finish within a second.
#pragma once

#include <chrono>
#include <cstddef>
#include <string>

namespace wgml::cli {

// `bytes` in MiB with two decimals, as the commands print memory.
std::string mebibytes(size_t bytes);

class Progress {
 public:
  Progress();
  ~Progress();  // ends an open line
  Progress(const Progress&) = delete;
  Progress& operator=(const Progress&) = delete;

  // `done` of `total` units of `stage` ("reading", "converting", "compiling"). A new stage, or
  // done == 0, restarts the one-second grace period.
  void update(const std::string& stage, size_t done, size_t total);
  void finish();  // ends an open line; later updates start afresh

 private:
  using Clock = std::chrono::steady_clock;
  bool tty_;
  std::string stage_;
  Clock::time_point stage_start_;
  Clock::time_point last_print_;
  bool shown_ = false;      // something of this stage was printed
  bool line_open_ = false;  // a terminal line awaits its newline
};

}  // namespace wgml::cli
