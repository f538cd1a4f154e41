#include "expected_failures.h"

#include <algorithm>
#include <fstream>
#include <sstream>

#include "wgml/core/error.h"

namespace wgml::conformance {

void ExpectedFailures::load(const std::string& path) {
  std::ifstream in(path);
  if (!in.good()) return;
  std::string text;
  for (int number = 1; std::getline(in, text); ++number) {
    const size_t start = text.find_first_not_of(" \t");
    if (start == std::string::npos || text[start] == '#') continue;
    std::istringstream fields(text);
    std::string case_key, device, reason;
    fields >> case_key >> device;
    std::getline(fields >> std::ws, reason);
    WGML_CHECK(!reason.empty(), path, ":", number,
               ": expected 'folder/case_name  device|all  reason', got '", text, "'");
    WGML_CHECK(case_key.find('/') != std::string::npos, path, ":", number, ": case '", case_key,
               "' is not folder/case_name");
    if (device == "all") {
      for (const std::string& d : devices_)
        set(case_key, d, reason);
    } else {
      WGML_CHECK(std::find(devices_.begin(), devices_.end(), device) != devices_.end(), path, ":",
                 number, ": unknown device '", device, "' (", str_cat(devices_), " or all)");
      set(case_key, device, reason);
    }
  }
}

void ExpectedFailures::write(const std::string& path) const {
  std::ofstream out(path);
  WGML_CHECK(out.good(), path, ": cannot open for writing");
  out << "# ONNX conformance cases known to fail: folder/case_name  device|all  reason\n"
      << "# Checked by wgml_onnx_conformance (ctest onnx_conformance): a failure not listed here\n"
      << "# and a listed case that passes both fail the test. `--write-expected` rewrites this\n"
      << "# file, keeping the reasons written here and deriving new ones from the errors.\n";
  auto it = reasons_.begin();
  while (it != reasons_.end()) {
    const std::string& case_key = it->first.first;
    std::vector<std::pair<std::string, std::string>> lines;  // device, reason
    for (; it != reasons_.end() && it->first.first == case_key; ++it)
      lines.emplace_back(it->first.second, it->second);
    const bool same = lines.size() == devices_.size() &&
                      std::all_of(lines.begin(), lines.end(),
                                  [&](const auto& l) { return l.second == lines[0].second; });
    if (same) {
      out << line(case_key, "all", lines[0].second) << "\n";
      continue;
    }
    for (const auto& [device, reason] : lines)
      out << line(case_key, device, reason) << "\n";
  }
}

const std::string* ExpectedFailures::find(const std::string& case_key,
                                          const std::string& device) const {
  auto it = reasons_.find({case_key, device});
  return it == reasons_.end() ? nullptr : &it->second;
}

void ExpectedFailures::set(const std::string& case_key, const std::string& device,
                           const std::string& reason) {
  reasons_[{case_key, device}] = reason;
}

void ExpectedFailures::erase(const std::string& case_key, const std::string& device) {
  reasons_.erase({case_key, device});
}

std::string ExpectedFailures::line(const std::string& case_key, const std::string& device,
                                   const std::string& reason) {
  std::string padded_case = case_key, padded_device = device;
  padded_case.resize(std::max<size_t>(case_key.size() + 2, 64), ' ');
  padded_device.resize(std::max<size_t>(device.size() + 2, 8), ' ');
  return padded_case + padded_device + reason;
}

}  // namespace wgml::conformance
