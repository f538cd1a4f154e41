// Runs a graph IR on one device: constants are uploaded once when the executor is made; each run
// binds the inputs (checking dtypes and shapes against the graph's, symbols consistently), runs
// Host nodes on the CPU and every other node on the device, and frees each value after its last
// use. A failing op raises naming the node it came from.
#pragma once

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
  std::vector<Tensor> run(const std::vector<Tensor>& inputs);
  Device& device() const { return device_; }

 private:
  void check_inputs(const std::vector<Tensor>& inputs) const;
  Tensor fetch(graph::ValueId id, bool on_host, std::vector<Tensor>& values);
  void free_inputs_after(const graph::Node& node, size_t n, std::vector<Tensor>& values) const;
  std::vector<Tensor> run_loop(size_t n, std::vector<Tensor>& values);
  std::vector<Tensor> run_if(size_t n, std::vector<Tensor>& values);
  GraphExecutor& body_executor(size_t n, size_t which);
  const graph::Graph& graph_;
  Device& device_;
  ProgressFn progress_;
  bool first_run_ = true;
  std::vector<Tensor> device_constants_;  // per value id; uploaded lazily
  std::vector<int> last_use_;             // per value id: the last node reading it
  // Per control-flow node and body (Loop: its body; If: then, else): the body's executor, made
  // when first needed and kept, so its constants upload once.
  std::map<std::pair<size_t, size_t>, std::unique_ptr<GraphExecutor>> bodies_;
};

// The most iterations a Loop node, with the loops nested in its body, may run before it raises
// (default 2^20): a hostile or broken model must not loop for ever. The fuzz target lowers it.
void set_max_loop_iterations(int64_t n);

// What `device` cannot run in the graph: one line per op-table op (with dtype and the nodes
// using it) that has no kernel there, even after composites are decomposed. Empty when it runs
// everything; checked on storage-less tensors, so nothing is computed.
std::vector<std::string> unsupported_on(const graph::Graph& graph, Device& device);

}  // namespace wgml
