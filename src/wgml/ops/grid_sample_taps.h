// Where one spatial axis of grid_sample reads, given the grid's normalised coordinate: the
// specification the CPU kernel runs (in double) and the WGSL generator writes out (in f32).
// It follows PyTorch's grid_sample (and so ONNX GridSample, whose test data PyTorch made):
//   - unnormalise: align_corners maps -1 and 1 to the centres of the edge elements, otherwise
//     to their outer edges;
//   - linear and nearest apply padding_mode to that coordinate (border clamps it, reflection
//     mirrors it at the edges, zeros keeps it), then take two taps or round half to even;
//   - cubic takes the four positions around the unpadded coordinate with A = -0.75 and applies
//     padding_mode to each position instead;
//   - a position outside the input contributes nothing (zeros padding), and so does a
//     coordinate that is not finite.
#pragma once

#include <cstdint>
#include <string>

namespace wgml {

struct GridSampleMode {
  enum class Interp : uint8_t { Nearest, Linear, Cubic } interp = Interp::Linear;
  enum class Padding : uint8_t { Zeros, Border, Reflection } padding = Padding::Zeros;
  bool align_corners = false;
};
// From the op's attributes; raises naming the op for unknown values.
GridSampleMode grid_sample_mode(const std::string& mode, const std::string& padding,
                                int64_t align_corners);

// Up to four (input position, weight) pairs; positions are inside [0, size).
struct GridTaps {
  int count = 0;
  int64_t index[4] = {0, 0, 0, 0};
  double weight[4] = {0, 0, 0, 0};
};
GridTaps grid_sample_axis_taps(const GridSampleMode& mode, int64_t size, double coordinate);

// The cubic convolution kernel with coefficient a at distance d (zero from |d| = 2 on), shared
// with resize.
double cubic_convolution_weight(double a, double d);

}  // namespace wgml
