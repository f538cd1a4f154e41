#include "cli/progress.h"

#include <unistd.h>

#include <cstdio>
#include <iomanip>
#include <sstream>

namespace wgml::cli {

std::string mebibytes(size_t bytes) {
  std::ostringstream out;
  out << std::fixed << std::setprecision(2) << static_cast<double>(bytes) / (1024.0 * 1024.0);
  return out.str();
}

namespace {

constexpr double kGraceSeconds = 1.0;  // quick steps print nothing
constexpr double kTtyPeriod = 0.1;     // redraws per second on a terminal
constexpr double kPlainPeriod = 10.0;  // lines per stage otherwise: start, every 10 s, end

double seconds(std::chrono::steady_clock::duration d) {
  return std::chrono::duration<double>(d).count();
}

}  // namespace

Progress::Progress() : tty_(isatty(fileno(stderr)) != 0) {}

Progress::~Progress() {
  finish();
}

void Progress::update(const std::string& stage, size_t done, size_t total) {
  const Clock::time_point now = Clock::now();
  if (stage != stage_ || done == 0) {
    finish();
    stage_ = stage;
    stage_start_ = now;
    shown_ = false;
  }
  const double elapsed = seconds(now - stage_start_);
  if (elapsed < kGraceSeconds) return;
  const bool last = total > 0 && done >= total;
  const double since_print = seconds(now - last_print_);
  if (shown_ && !last && since_print < (tty_ ? kTtyPeriod : kPlainPeriod)) return;
  const double percent = total > 0 ? 100.0 * static_cast<double>(done) / total : 0.0;
  if (tty_) {
    std::fprintf(stderr, "\r%s: %zu/%zu (%.0f%%), %.1f s\x1b[K", stage_.c_str(), done, total,
                 percent, elapsed);
    line_open_ = true;
    if (last) finish();
  } else {
    std::fprintf(stderr, "%s: %zu/%zu (%.0f%%), %.1f s\n", stage_.c_str(), done, total, percent,
                 elapsed);
  }
  std::fflush(stderr);
  shown_ = true;
  last_print_ = now;
  if (last) stage_.clear();  // a later update of the same stage starts afresh
}

void Progress::finish() {
  if (line_open_) {
    std::fputc('\n', stderr);
    std::fflush(stderr);
  }
  line_open_ = false;
}

}  // namespace wgml::cli
