// The op-support matrix: which op runs on which device for which dtype, and whether its golden
// cases passed. Written as docs/OPS.md; never edited by hand.
#pragma once

#include <map>
#include <string>
#include <tuple>
#include <vector>

#include "wgml/core/dtype.h"

namespace wgml::harness {

class OpsMatrix {
 public:
  void record(const std::string& op, const std::string& device, DType dtype, bool passed);
  void write_markdown(const std::string& path, const std::vector<std::string>& devices) const;

 private:
  struct Tally {
    int passed = 0, failed = 0;
  };
  std::map<std::tuple<std::string, std::string, DType>, Tally> tallies_;
};

}  // namespace wgml::harness
