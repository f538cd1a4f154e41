// The ONNX conformance runner: every case of ONNX's backend test data on every device.
//   wgml_onnx_conformance [--data DIR] [--device cpu|webgpu|all] [--filter SUBSTR]
//                         [--expected FILE] [--write-expected] [--md FILE] [-v]
// Each case folder (model.onnx, test_data_set_*/input_N.pb, output_N.pb) under node/,
// pytorch-converted/, pytorch-operator/ and simple/ is imported once and run on each device; its
// outputs are compared as ONNX's backend test runner compares them. The run fails when a case
// fails that --expected does not list (a regression) or a listed case passes (a stale line, to
// delete); --write-expected rewrites the list instead. --md writes docs/CONFORMANCE.md.
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <csignal>
#include <cstring>
#include <iostream>

#include "conformance_case.h"
#include "conformance_report.h"
#include "expected_failures.h"
#include "failure_category.h"
#include "wgml/core/error.h"
#ifndef __EMSCRIPTEN__
#include "wgml/backends/webgpu/webgpu_device.h"
#endif

namespace wgml::conformance {
namespace {

const std::vector<std::string> kFolders = {"node", "pytorch-converted", "pytorch-operator",
                                           "simple"};
const std::vector<std::string> kDeviceNames = {"cpu", "webgpu"};

struct Options {
  std::string data = "/usr/share/libonnx-testdata/data";
  std::string device = "all";  // the WebGPU device is required: no silent skip
  std::string filter;
  std::string expected;
  std::string md;
  bool write_expected = false;
  bool verbose = false;
};

Options parse_args(int argc, char** argv) {
  Options o;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    auto next = [&]() -> std::string {
      WGML_CHECK(i + 1 < argc, "missing value after ", a);
      return argv[++i];
    };
    if (a == "--data")
      o.data = next();
    else if (a == "--device")
      o.device = next();
    else if (a == "--filter")
      o.filter = next();
    else if (a == "--expected")
      o.expected = next();
    else if (a == "--write-expected")
      o.write_expected = true;
    else if (a == "--md")
      o.md = next();
    else if (a == "-v")
      o.verbose = true;
    else
      fail("unknown argument '", a, "' (see the usage at the top of conformance_runner.cpp)");
  }
  WGML_CHECK(!o.write_expected || !o.expected.empty(), "--write-expected needs --expected FILE");
  return o;
}

// A crash must not happen; when one does, say in which case before the process dies.
char g_current_case[512] = "";

void report_crash(int signal_number) {
  const char* prefix = "\nwgml_onnx_conformance crashed (a bug) in ";
  (void)!write(STDERR_FILENO, prefix, strlen(prefix));
  (void)!write(STDERR_FILENO, g_current_case, strlen(g_current_case));
  (void)!write(STDERR_FILENO, "\n", 1);
  std::signal(signal_number, SIG_DFL);
  std::raise(signal_number);
}

void set_current_case(const std::string& what) {
  std::strncpy(g_current_case, what.c_str(), sizeof(g_current_case) - 1);
}

std::vector<Device*> open_devices(const std::string& which) {
  std::vector<Device*> devices;
  if (which == "all" || which == "cpu") devices.push_back(&cpu_device());
  if (which == "all" || which == "webgpu") {
#ifdef __EMSCRIPTEN__
    fail("the WebAssembly build has no WebGPU device yet (the browser issue adds it)");
#else
    WebGpuDevice& webgpu = webgpu_device();  // raises saying why when there is no adapter
    std::cout << "webgpu adapter: " << webgpu.adapter().summary() << "\n";
    devices.push_back(&webgpu);
#endif
  }
  WGML_CHECK(!devices.empty(), "unknown --device '", which, "' (cpu, webgpu or all)");
  return devices;
}

struct DeviceTotals {
  int passed = 0, expected_failures = 0, regressions = 0, stale = 0;
  double seconds = 0;
  std::vector<std::pair<double, std::string>> timings;  // seconds, case
};

int run(const Options& opt) {
  const std::vector<Device*> devices = open_devices(opt.device);
  ExpectedFailures expected(kDeviceNames);
  if (!opt.expected.empty()) expected.load(opt.expected);
  const std::vector<CaseId> cases = discover_cases(opt.data, kFolders, opt.filter);
  std::vector<CaseRecord> records;
  std::vector<DeviceTotals> totals(devices.size());
  std::vector<std::string> stale_lines;
  for (const CaseId& id : cases) {
    set_current_case(id.key() + " (import)");
    const auto import_start = std::chrono::steady_clock::now();
    const PreparedCase prepared = prepare_case(id);
    const double import_seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - import_start).count();
    std::string category;  // derived once per case, when a failure needs it
    for (size_t d = 0; d < devices.size(); ++d) {
      const std::string device = devices[d]->name();
      set_current_case(id.key() + " on " + device);
      const auto start = std::chrono::steady_clock::now();
      const std::string problem = run_case(prepared, *devices[d]);
      const double seconds =
          import_seconds +
          std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
      DeviceTotals& t = totals[d];
      t.seconds += seconds;
      t.timings.emplace_back(seconds, id.key());
      const std::string* listed = expected.find(id.key(), device);
      CaseRecord record{id.folder, id.key(), device, problem.empty(), ""};
      if (problem.empty()) {
        ++t.passed;
        if (listed) {
          ++t.stale;
          stale_lines.push_back(ExpectedFailures::line(id.key(), device, *listed));
          std::cout << "PASSES (listed as failing) " << device << " " << id.key() << "\n";
          if (opt.write_expected) expected.erase(id.key(), device);
        } else if (opt.verbose) {
          std::cout << "ok    " << device << " " << id.key() << " " << seconds << " s\n";
        }
      } else {
        if (!listed && category.empty()) category = failure_category(id, problem);
        record.reason = listed ? *listed : category;
        if (listed) {
          ++t.expected_failures;
          if (opt.verbose)
            std::cout << "xfail " << device << " " << id.key() << ": " << problem << "\n";
        } else {
          ++t.regressions;
          std::cout << "FAIL  " << device << " " << id.key() << ": " << problem << "\n";
          if (opt.write_expected) expected.set(id.key(), device, category);
        }
      }
      records.push_back(record);
    }
  }
  set_current_case("the summary");

  bool ok = true;
  for (size_t d = 0; d < devices.size(); ++d) {
    const DeviceTotals& t = totals[d];
    std::cout << devices[d]->name() << ": " << t.passed << " of " << cases.size() << " cases pass, "
              << t.expected_failures << " expected failures, " << t.regressions
              << " unexpected failures, " << t.stale << " listed cases that pass; " << t.seconds
              << " s\n";
    if (opt.verbose) {
      std::vector<std::pair<double, std::string>> slowest = t.timings;
      std::sort(slowest.rbegin(), slowest.rend());
      slowest.resize(std::min<size_t>(slowest.size(), 5));
      for (const auto& [seconds, key] : slowest)
        std::cout << "  slow: " << key << " " << seconds << " s\n";
    }
    ok = ok && t.regressions == 0 && t.stale == 0;
  }
  if (!stale_lines.empty() && !opt.write_expected) {
    std::cout << "These cases of " << opt.expected
              << " now pass: delete their lines (narrow an `all` line to the devices where the "
                 "case still fails), or run with --write-expected:\n";
    for (const std::string& line : stale_lines)
      std::cout << "  " << line << "\n";
  }
  if (!opt.md.empty()) {
    std::vector<std::string> names;
    for (Device* d : devices)
      names.push_back(d->name());
    write_conformance_markdown(opt.md, records, kFolders, names);
  }
  if (opt.write_expected) {
    expected.write(opt.expected);
    std::cout << "wrote " << opt.expected << "\n";
    return 0;
  }
  return ok ? 0 : 1;
}

}  // namespace
}  // namespace wgml::conformance

int main(int argc, char** argv) {
  for (int s : {SIGSEGV, SIGBUS, SIGFPE, SIGILL, SIGABRT})
    std::signal(s, wgml::conformance::report_crash);
  try {
    return wgml::conformance::run(wgml::conformance::parse_args(argc, argv));
  } catch (const std::exception& e) {
    std::cerr << "wgml_onnx_conformance: " << e.what() << "\n";
    return 2;
  }
}
