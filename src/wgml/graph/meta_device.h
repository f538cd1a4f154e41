// The meta device: tensors with shapes and dtypes but no memory. Running ops on it applies the
// op table's shape rules (and view/composite decompositions) without computing anything, which
// is how the graph builder infers shapes with the same rules the real devices obey.
#pragma once

#include "wgml/core/device.h"

namespace wgml::graph {

class MetaDevice final : public Device {
 public:
  std::string name() const override { return "meta"; }
  std::shared_ptr<Storage> allocate(size_t nbytes) override;
  void write(Storage&, size_t, const void*, size_t) override {}
  void read(Storage& src, size_t offset, void* dst, size_t nbytes) override;
  bool supports(const OpCall&, const std::vector<Tensor>&) const override { return true; }
  void execute(const OpCall&, const std::vector<Tensor>&, std::vector<Tensor>&) override {}
};

MetaDevice& meta_device();

}  // namespace wgml::graph
