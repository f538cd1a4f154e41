// `wgml run MODEL.onnx`: imports the model, runs it on one device with inputs from .npy files or
// seeded random ones, writes the outputs as .npy and reports end-to-end latency.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <iostream>
#include <map>

#include "cli/commands.h"
#include "cli/progress.h"
#include "cli/run_inputs.h"
#include "wgml/backends/webgpu/webgpu_device.h"
#include "wgml/compiler/graph_executor.h"
#include "wgml/frontends/onnx/onnx_importer.h"
#include "wgml/io/npy.h"

namespace wgml::cli {

namespace {

const char* kRunUsage =
    "usage: wgml run MODEL.onnx [options]\n"
    "  --device webgpu|cpu     where the graph runs (default webgpu)\n"
    "  --input NAME=FILE.npy   the model input NAME (repeatable); inputs not given are random,\n"
    "                          seeded: floats normal(0, 1), integers in [0, 10), bools 50/50\n"
    "  --dim SYMBOL=SIZE       the size of a dynamic dimension of random inputs (default 1)\n"
    "  --seed S                seed of the random inputs (default 0)\n"
    "  --output-dir DIR        write each output to DIR/NAME.npy (characters other than\n"
    "                          A-Z a-z 0-9 . _ - in NAME become _); without it nothing is written\n"
    "  --repeat N              timed runs after the first (default 10; 0 allowed)\n"
    "  --eager                 run node by node every time (by default the first run records\n"
    "                          its kernel launches and later runs replay them)\n"
    "  --profile               after the timed runs, time each recorded kernel launch alone\n"
    "                          (replayed 20 times, waited for) and list the kernels by GPU time\n"
    "The first run's time includes compiling the device's kernels (the 'compiling:' line says\n"
    "how many and how long); compiled kernels are kept on disk for later processes, in\n"
    "$WGML_CACHE_DIR, else ~/.cache/wgml (WGML_CACHE_DIR=off: no cache). Every time covers\n"
    "reading the outputs back to the host.\n";

struct RunOptions {
  std::string model;
  std::string device = "webgpu";
  std::string output_dir;
  int repeat = 10;
  bool eager = false;
  bool profile = false;
  InputOptions inputs;
};

[[noreturn]] void usage_error(const std::string& message) {
  fail(message, " (wgml run --help lists the options)");
}

std::pair<std::string, std::string> split_assignment(const std::string& flag,
                                                     const std::string& text) {
  const size_t eq = text.find('=');
  if (eq == std::string::npos || eq == 0 || eq + 1 == text.size())
    usage_error(flag + " " + text + ": expected NAME=VALUE");
  return {text.substr(0, eq), text.substr(eq + 1)};
}

int64_t parse_int(const std::string& flag, const std::string& text, int64_t min_value) {
  size_t used = 0;
  int64_t value = 0;
  try {
    value = std::stoll(text, &used);
  } catch (const std::exception&) {
    used = 0;
  }
  if (used == 0 || used != text.size() || value < min_value)
    usage_error(flag + " " + text + ": expected an integer >= " + std::to_string(min_value));
  return value;
}

RunOptions parse_run_options(const std::vector<std::string>& args) {
  RunOptions o;
  for (size_t i = 0; i < args.size(); ++i) {
    std::string flag = args[i];
    std::string value;
    const size_t eq = flag.find('=');
    const bool is_flag = flag.rfind("--", 0) == 0;
    if (is_flag && eq != std::string::npos) {  // --flag=value
      value = flag.substr(eq + 1);
      flag = flag.substr(0, eq);
    } else if (is_flag && flag != "--help" && flag != "--eager" && flag != "--profile") {
      if (i + 1 >= args.size()) usage_error(flag + " needs a value");
      value = args[++i];
    }
    if (flag == "--help") {
      std::cout << kRunUsage;
      std::exit(0);
    } else if (flag == "--eager") {
      o.eager = true;
    } else if (flag == "--profile") {
      o.profile = true;
    } else if (flag == "--device") {
      if (value != "webgpu" && value != "cpu") usage_error("--device " + value + ": webgpu or cpu");
      o.device = value;
    } else if (flag == "--input") {
      const auto [name, file] = split_assignment(flag, value);
      WGML_CHECK(o.inputs.files.emplace(name, file).second, "--input ", name, " is given twice");
    } else if (flag == "--dim") {
      const auto [name, size] = split_assignment(flag, value);
      WGML_CHECK(o.inputs.dims.emplace(name, parse_int(flag, size, 0)).second, "--dim ", name,
                 " is given twice");
    } else if (flag == "--seed") {
      o.inputs.seed = static_cast<uint64_t>(parse_int(flag, value, 0));
    } else if (flag == "--output-dir") {
      o.output_dir = value;
    } else if (flag == "--repeat") {
      o.repeat = static_cast<int>(parse_int(flag, value, 0));
    } else if (is_flag) {
      usage_error("unknown option " + flag);
    } else if (o.model.empty()) {
      o.model = flag;
    } else {
      usage_error("more than one model: " + o.model + " and " + flag);
    }
  }
  if (o.model.empty()) usage_error("no model given");
  return o;
}

// An output name as a file name: every character outside [A-Za-z0-9._-] becomes '_', and
// names that collide or are empty get the output's index.
std::vector<std::string> output_file_names(const std::vector<std::string>& names) {
  std::vector<std::string> files;
  for (size_t i = 0; i < names.size(); ++i) {
    std::string file = names[i];
    for (char& c : file) {
      const bool keep = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
                        (c >= '0' && c <= '9') || c == '.' || c == '_' || c == '-';
      if (!keep) c = '_';
    }
    if (file.empty() || file == "." || file == ".." ||
        std::find(files.begin(), files.end(), file + ".npy") != files.end())
      file += "_" + std::to_string(i);
    files.push_back(file + ".npy");
  }
  return files;
}

using Clock = std::chrono::steady_clock;

double ms_since(Clock::time_point start) {
  return std::chrono::duration<double, std::milli>(Clock::now() - start).count();
}

// Three significant digits or more: "1234 ms", "56.7 ms", "0.123 ms".
std::string format_ms(double ms) {
  char text[32];
  std::snprintf(text, sizeof text, "%.*f ms", ms >= 100 ? 0 : ms >= 10 ? 1 : ms >= 1 ? 2 : 3, ms);
  return text;
}

// The recorded launches by GPU time, those of one label (kernel and shapes) together.
void print_profile(const std::vector<Device::LaunchTime>& times) {
  if (times.empty()) return;
  struct Row {
    int count = 0;
    double ms = 0;
  };
  std::map<std::string, Row> rows;
  double total = 0;
  for (const auto& t : times) {
    rows[t.label].count += 1;
    rows[t.label].ms += t.ms;
    total += t.ms;
  }
  std::vector<std::pair<std::string, Row>> sorted(rows.begin(), rows.end());
  std::sort(sorted.begin(), sorted.end(),
            [](const auto& a, const auto& b) { return a.second.ms > b.second.ms; });
  std::cout << "profile: " << times.size() << " launches, each timed alone: " << format_ms(total)
            << " in all\n";
  const size_t shown = std::min<size_t>(sorted.size(), 30);
  for (size_t i = 0; i < shown; ++i) {
    const Row& row = sorted[i].second;
    std::cout << "  " << format_ms(row.ms) << " " << row.count << "x  "
              << static_cast<int>(100 * row.ms / std::max(total, 1e-9)) << "%  " << sorted[i].first
              << "\n";
  }
  if (shown < sorted.size())
    std::cout << "  (" << sorted.size() - shown << " more kinds of launch)\n";
}

double median(std::vector<double> values) {
  std::sort(values.begin(), values.end());
  const size_t n = values.size();
  return n % 2 ? values[n / 2] : (values[n / 2 - 1] + values[n / 2]) / 2;
}

// One end-to-end run: host inputs in, host bytes of every output out. `host_ms`: the time until
// the run's work was handed to the device (inputs written, kernels recorded), before the wait
// for the results: the host's own cost.
std::vector<Tensor> run_once(GraphExecutor& executor, const std::vector<Tensor>& inputs,
                             double* host_ms = nullptr) {
  std::vector<Tensor> host;
  const Clock::time_point start = Clock::now();
  const std::vector<Tensor> outputs = executor.run(inputs);
  if (host_ms) *host_ms = ms_since(start);
  for (const Tensor& out : outputs) {
    const std::vector<uint8_t> bytes = out.to_bytes();
    host.push_back(Tensor::from_bytes(bytes.data(), out.shape(), out.dtype()));
  }
  return host;
}

Device& device_named(const std::string& name) {
  if (name == "cpu") return cpu_device();
  try {
    return webgpu_device();
  } catch (const Error& e) {
    fail("--device webgpu: ", e.what(), " (--device cpu runs on the CPU)");
  }
}

std::string device_description(Device& device) {
  if (device.name() == "cpu") return "cpu (the reference backend)";
  return "webgpu, " + webgpu_device().adapter().summary();
}

}  // namespace

int run_command(const std::vector<std::string>& args) {
  const RunOptions o = parse_run_options(args);
  Progress progress;

  Clock::time_point start = Clock::now();
  const onnx::ImportedModel model =
      onnx::import_model(o.model, [&](const std::string& stage, size_t done, size_t total) {
        progress.update(stage, done, total);
      });
  progress.finish();
  const double load_ms = ms_since(start);
  const graph::Graph& graph = model.graph;
  std::cout << "model: " << o.model << " (" << graph.nodes.size() << " nodes, imported in "
            << static_cast<int64_t>(load_ms) << " ms)\n";

  const std::vector<Tensor> inputs = prepare_inputs(graph, o.inputs, std::cout);
  Device& device = device_named(o.device);
  std::cout << "device: " << device_description(device) << std::endl;  // before the progress

  const Device::CompileStats before = device.compile_stats();
  start = Clock::now();
  std::string stage = "uploading weights to " + device.name();
  GraphExecutor executor(graph, device,
                         [&](size_t done, size_t total) { progress.update(stage, done, total); });
  executor.set_replay(!o.eager);
  stage = "first run on " + device.name() + (device.name() == "cpu" ? "" : " (compiling kernels)");
  std::vector<Tensor> outputs = run_once(executor, inputs);
  progress.finish();
  const double first_ms = ms_since(start);
  const Device::CompileStats after = device.compile_stats();

  std::vector<double> times, host_times;
  for (int i = 0; i < o.repeat; ++i) {
    start = Clock::now();
    double host_ms = 0;
    outputs = run_once(executor, inputs, &host_ms);
    times.push_back(ms_since(start));
    host_times.push_back(host_ms);
  }

  const std::vector<std::string> files = output_file_names(graph.output_names);
  if (!o.output_dir.empty()) std::filesystem::create_directories(o.output_dir);
  for (size_t i = 0; i < outputs.size(); ++i) {
    std::cout << "output '" << graph.output_names.at(i) << "': " << outputs[i].dtype() << " "
              << shape_str(outputs[i].shape());
    if (!o.output_dir.empty()) {
      const std::string path = (std::filesystem::path(o.output_dir) / files[i]).string();
      save_npy(path, outputs[i]);
      std::cout << " -> " << path;
    }
    std::cout << "\n";
  }
  if (o.output_dir.empty()) std::cout << "outputs not written (--output-dir DIR writes them)\n";

  std::cout << "first run " << format_ms(first_ms) << " (compilation included)";
  if (!times.empty())
    std::cout << ", median " << format_ms(median(times)) << " of " << times.size() << " runs (min "
              << format_ms(*std::min_element(times.begin(), times.end())) << ", max "
              << format_ms(*std::max_element(times.begin(), times.end())) << ")";
  std::cout << "; inputs uploaded and outputs read back each time\n";
  if (after.pipelines > 0)
    std::cout << "compiling: " << after.pipelines - before.pipelines << " pipelines in "
              << format_ms(after.compile_ms - before.compile_ms) << " ("
              << format_ms(after.wait_ms - before.wait_ms)
              << " of it waiting for background compiles; compiled blobs: "
              << after.cache_hits - before.cache_hits << " read from the disk cache, "
              << after.cache_stores - before.cache_stores
              << " written); kernel generation and recording "
              << format_ms(after.execute_ms - before.execute_ms) << "\n";
  if (!host_times.empty())
    std::cout << "host time per run (inputs written, work recorded, before waiting): median "
              << format_ms(median(host_times)) << "\n";
  if (const Recording* r = executor.recording_for(inputs)) {
    std::cout << "replayed: " << r->launches() << " kernel launches recorded by the first run, "
              << mebibytes(r->buffer_bytes()) << " MiB of intermediate buffers\n";
    if (o.profile) print_profile(device.profile(*r, 20));
  } else if (device.name() != "cpu") {
    std::cout << "ran node by node"
              << (o.eager ? " (--eager)"
                          : " (the run reads data back: control flow or a data-dependent size)")
              << "\n";
  }
  return 0;
}

}  // namespace wgml::cli
