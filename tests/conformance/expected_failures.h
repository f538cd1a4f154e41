// The list of conformance cases known to fail, one line per case and device:
//   folder/case_name  device|all  reason
// `all` stands for every device. '#' starts a comment line. The runner fails when a case fails
// that the list does not name (a regression) and when a listed case passes (a stale line), so
// the list always says exactly what fails.
#pragma once

#include <map>
#include <string>
#include <utility>
#include <vector>

namespace wgml::conformance {

class ExpectedFailures {
 public:
  // `devices`: the device names `all` expands to.
  explicit ExpectedFailures(std::vector<std::string> devices) : devices_(std::move(devices)) {}

  // Reads the list; a missing file is an empty list. Malformed lines raise naming the line.
  void load(const std::string& path);
  // Writes the list sorted by case, joining a case's lines into one `all` line when every device
  // has the same reason.
  void write(const std::string& path) const;

  const std::string* find(const std::string& case_key, const std::string& device) const;
  void set(const std::string& case_key, const std::string& device, const std::string& reason);
  void erase(const std::string& case_key, const std::string& device);
  // The line as the file spells it, for messages ("node/test_x  cpu  reason").
  static std::string line(const std::string& case_key, const std::string& device,
                          const std::string& reason);

 private:
  std::vector<std::string> devices_;
  std::map<std::pair<std::string, std::string>, std::string> reasons_;  // (case, device)
};

}  // namespace wgml::conformance
