// Where the software WebGPU adapters live on a Debian machine, and the environment each needs.
// These are set before Dawn starts (Vulkan and EGL read them once), so a user never has to.
#pragma once

#include <string>

namespace wgml::gpu {

// Prepares the process environment for `adapter` ("" = automatic choice, "opengles",
// "swiftshader", "lavapipe", "vulkan"); never overrides a variable the user set.
void prepare_adapter_environment(const std::string& adapter);

// Whether a Vulkan loader can be opened; without one, asking Dawn for Vulkan only prints a warning.
bool vulkan_loader_present();

}  // namespace wgml::gpu
