#include "cli/run_inputs.h"

#include <random>
#include <set>

#include "wgml/io/npy.h"

namespace wgml::cli {

namespace {

constexpr int64_t kDefaultDim = 1;
constexpr int64_t kRandomIntEnd = 10;
// Random inputs are made on the host in doubles first: 2^28 elements is 2 GiB there.
constexpr int64_t kMaxRandomElements =
    int64_t{1} << 28;  // random integers are in [0, 10): valid ids and indices

bool is_symbolic(const graph::SymDim& dim) {
  return !dim.is_static();
}

template <typename Names>
std::string join(const Names& names) {
  std::string all;
  for (const std::string& n : names)
    all += (all.empty() ? "" : ", ") + n;
  return all;
}

std::string input_names(const graph::Graph& graph) {
  std::vector<std::string> names;
  for (const graph::InputSpec& in : graph.inputs)
    names.push_back(in.name);
  return names.empty() ? "(none)" : join(names);
}

// Sizes bound to dim names so far, and which input bound them (for messages).
struct Bindings {
  std::map<std::string, int64_t> size;
  std::map<std::string, std::string> source;

  void bind(const std::string& dim, int64_t value, const std::string& by) {
    const auto it = size.find(dim);
    if (it == size.end()) {
      size[dim] = value;
      source[dim] = by;
      return;
    }
    WGML_CHECK(it->second == value, "dimension '", dim, "' is ", value, " in ", by, " but ",
               it->second, " in ", source[dim]);
  }
};

Tensor load_input_file(const graph::InputSpec& spec, const std::string& file, Bindings& bindings) {
  const std::string what = "--input " + spec.name + "=" + file;
  Tensor t;
  try {
    t = load_npy(file);
  } catch (const Error& e) {
    fail(what, ": ", e.what());
  }
  WGML_CHECK(t.dtype() == spec.dtype, what, ": the file holds ", t.dtype(), ", the model's input '",
             spec.name, "' is ", spec.dtype);
  if (!spec.shape_known) return t;
  WGML_CHECK(t.rank() == spec.shape.size(), what, ": the file's shape ", shape_str(t.shape()),
             " has rank ", t.rank(), ", the model's input '", spec.name, "' is ",
             graph::sym_shape_str(spec.shape));
  for (size_t axis = 0; axis < spec.shape.size(); ++axis) {
    const graph::SymDim& dim = spec.shape[axis];
    if (dim.is_static()) {
      WGML_CHECK(t.shape()[axis] == dim.value, what, ": the file's shape ", shape_str(t.shape()),
                 " differs from the model's input '", spec.name, "' ",
                 graph::sym_shape_str(spec.shape), " in dimension ", axis);
    } else {
      bindings.bind(dim_name(spec, axis), t.shape()[axis], what);
    }
  }
  return t;
}

Tensor random_tensor(const Shape& shape, DType dtype, uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::vector<double> values(static_cast<size_t>(shape_numel(shape)));
  if (is_floating(dtype)) {
    std::normal_distribution<double> normal(0.0, 1.0);
    for (double& v : values)
      v = normal(rng);
  } else {
    const int64_t end = dtype == DType::Bool ? 2 : kRandomIntEnd;
    std::uniform_int_distribution<int64_t> uniform(0, end - 1);
    for (double& v : values)
      v = static_cast<double>(uniform(rng));
  }
  return Tensor::from_vector(values, shape, dtype);
}

const char* random_kind(DType dtype) {
  if (is_floating(dtype)) return "normal(0, 1)";
  if (dtype == DType::Bool) return "true/false with equal odds";
  return "integers in [0, 10)";
}

}  // namespace

std::string dim_name(const graph::InputSpec& input, size_t axis) {
  const graph::SymDim& dim = input.shape.at(axis);
  if (!dim.symbol.empty() && dim.symbol != "?") return dim.symbol;
  return input.name + "[" + std::to_string(axis) + "]";
}

std::vector<Tensor> prepare_inputs(const graph::Graph& graph, const InputOptions& options,
                                   std::ostream& log) {
  for (const auto& [name, file] : options.files) {
    bool known = false;
    for (const graph::InputSpec& in : graph.inputs)
      known = known || in.name == name;
    WGML_CHECK(known, "--input ", name, "=", file, ": the model has no input named '", name,
               "'; its inputs: ", input_names(graph));
  }

  std::vector<Tensor> tensors(graph.inputs.size());
  Bindings bindings;
  std::set<std::string> dim_names;
  for (size_t i = 0; i < graph.inputs.size(); ++i) {
    const graph::InputSpec& spec = graph.inputs[i];
    for (size_t axis = 0; spec.shape_known && axis < spec.shape.size(); ++axis)
      if (is_symbolic(spec.shape[axis])) dim_names.insert(dim_name(spec, axis));
    const auto file = options.files.find(spec.name);
    if (file != options.files.end()) tensors[i] = load_input_file(spec, file->second, bindings);
  }

  for (const auto& [name, size] : options.dims) {
    WGML_CHECK(dim_names.count(name) != 0, "--dim ", name, "=", size,
               ": no input has a dynamic dimension named '", name,
               "'; dynamic dimensions: ", dim_names.empty() ? "none" : join(dim_names));
    WGML_CHECK(size >= 0, "--dim ", name, "=", size, ": a size cannot be negative");
    bindings.bind(name, size, "--dim " + name + "=" + std::to_string(size));
  }

  std::set<std::string> defaulted;
  for (size_t i = 0; i < graph.inputs.size(); ++i) {
    if (tensors[i].defined()) continue;
    const graph::InputSpec& spec = graph.inputs[i];
    WGML_CHECK(spec.shape_known, "input '", spec.name,
               "': the model does not declare its shape, so wgml cannot make up a random one; "
               "give it with --input ",
               spec.name, "=FILE.npy");
    Shape shape;
    for (size_t axis = 0; axis < spec.shape.size(); ++axis) {
      const graph::SymDim& dim = spec.shape[axis];
      if (dim.is_static()) {
        shape.push_back(dim.value);
        continue;
      }
      const std::string name = dim_name(spec, axis);
      if (bindings.size.count(name) == 0) {
        bindings.bind(name, kDefaultDim, "the default");
        defaulted.insert(name);
      }
      shape.push_back(bindings.size[name]);
    }
    // Checked before anything is allocated: --dim can ask for absurd sizes.
    int64_t numel = 0;
    try {
      numel = shape_numel(shape);
    } catch (const Error& e) {
      fail("input '", spec.name, "': shape ", shape, " from the --dim sizes: ", e.what());
    }
    WGML_CHECK(numel <= kMaxRandomElements, "input '", spec.name, "': a random ", shape,
               " would hold ", numel, " elements (more than ", kMaxRandomElements,
               "); lower the --dim sizes or give the input with --input ", spec.name, "=FILE.npy");
    const uint64_t seed = options.seed * 1000003u + i;  // per input: files do not shift others
    tensors[i] = random_tensor(shape, spec.dtype, seed);
    log << "input '" << spec.name << "': random " << random_kind(spec.dtype) << ", " << spec.dtype
        << " " << shape_str(shape) << " (seed " << options.seed << ")\n";
  }
  for (const std::string& name : defaulted)
    log << "dimension '" << name << "' = " << kDefaultDim << " (the default; --dim " << name
        << "=SIZE sets it)\n";
  return tensors;
}

}  // namespace wgml::cli
