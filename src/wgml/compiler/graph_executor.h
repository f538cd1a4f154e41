// Runs a graph IR on one device, compiled first (elementwise trees fused into one kernel each,
// and into the matmul or conv they finish where the device takes epilogues):
// constants are uploaded once when the executor is made; each run binds the inputs (checking dtypes
// and shapes against the graph's, symbols consistently), runs Host nodes on the CPU and every other
// node on the device, and frees each value after its last use. A failing op raises naming the node
// it came from.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "wgml/graph/graph.h"

namespace wgml {

class GraphExecutor {
 public:
  using ProgressFn = std::function<void(size_t done, size_t total)>;
  GraphExecutor(const graph::Graph& graph, Device& device, const ProgressFn& progress = {});

  // `inputs` in the order of graph.inputs, on any device; outputs on the executor's device.
  // On a device that records (WebGPU), the first run of host inputs of given shapes records its
  // launches and later runs of those shapes replay them (Device::begin_recording), unless the
  // run read data back (control flow, data-dependent sizes): then every run goes node by node.
  // The 8 most recently used shapes stay recorded (each holds its intermediate buffers).
  std::vector<Tensor> run(const std::vector<Tensor>& inputs);
  Device& device() const { return device_; }
  // Whether runs may record and replay (default true); false runs node by node every time.
  void set_replay(bool enabled) { replay_enabled_ = enabled; }
  // The recording for inputs of these shapes, or nullptr (not recorded, or not replayable).
  const Recording* recording_for(const std::vector<Tensor>& inputs) const;

 private:
  struct Replay {
    std::shared_ptr<Recording> recording;
    std::vector<Tensor> inputs;   // where the recorded launches read the inputs
    std::vector<Tensor> outputs;  // where they leave the outputs
    uint64_t last_used = 0;
  };
  static constexpr size_t kMaxRecordings = 8;  // input signatures kept recorded
  std::vector<Tensor> run_nodes(const std::vector<Tensor>& inputs);
  std::vector<Tensor> replay(const Replay& r, const std::vector<Tensor>& inputs);
  std::vector<Tensor> copy_outputs(const std::vector<Tensor>& recorded);
  void check_inputs(const std::vector<Tensor>& inputs) const;
  Tensor fetch(graph::ValueId id, bool on_host, std::vector<Tensor>& values);
  Shape shape_of_value(graph::ValueId id, const std::vector<Tensor>& values) const;
  Tensor run_fused(const graph::Node& node, std::vector<Tensor>& values);
  void free_inputs_after(const graph::Node& node, size_t n, std::vector<Tensor>& values) const;
  std::vector<Tensor> run_loop(size_t n, std::vector<Tensor>& values);
  std::vector<Tensor> run_if(size_t n, std::vector<Tensor>& values);
  GraphExecutor& body_executor(size_t n, size_t which);
  graph::Graph compiled_;  // the graph after the compiler's passes (fuse_elementwise)
  const graph::Graph& graph_;
  Device& device_;
  ProgressFn progress_;
  bool first_run_ = true;
  std::vector<Tensor> device_constants_;          // per value id; uploaded lazily
  std::vector<int> last_use_;                     // per value id: the last node reading it
  std::map<std::string, int64_t> bound_symbols_;  // this run's input symbols ("batch" = 4)
  // Per control-flow node and body (Loop: its body; If: then, else): the body's executor, made
  // when first needed and kept, so its constants upload once.
  std::map<std::pair<size_t, size_t>, std::unique_ptr<GraphExecutor>> bodies_;
  bool replay_enabled_ = true;
  std::map<std::string, Replay> replays_;  // by the inputs' dtypes and shapes
  uint64_t runs_ = 0;
};

// The most iterations a Loop node, with the loops nested in its body, may run before it raises
// (default 2^20): a hostile or broken model must not loop for ever. The fuzz target lowers it.
void set_max_loop_iterations(int64_t n);

// What `device` cannot run in the graph: one line per op-table op (with dtype and the nodes
// using it) that has no kernel there, even after composites are decomposed. Empty when it runs
// everything; checked on storage-less tensors, so nothing is computed.
std::vector<std::string> unsupported_on(const graph::Graph& graph, Device& device);

}  // namespace wgml
