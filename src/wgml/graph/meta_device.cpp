#include "wgml/graph/meta_device.h"

#include "wgml/core/error.h"

namespace wgml::graph {

std::shared_ptr<Storage> MetaDevice::allocate(size_t nbytes) {
  return std::make_shared<Storage>(*this, nbytes);
}

void MetaDevice::read(Storage&, size_t, void*, size_t) {
  fail(
      "meta tensors have shapes but no data: a value computed on the device was needed while "
      "the graph was built");
}

MetaDevice& meta_device() {
  static MetaDevice* device = new MetaDevice();  // leaked: tensors may outlive static destructors
  return *device;
}

}  // namespace wgml::graph
