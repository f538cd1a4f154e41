#!/usr/bin/env bash
# Installs everything the build and the tests need on a fresh Debian 12 machine.
# Idempotent and quiet when already done: `make` calls it before every build.
set -euo pipefail

# Debian packages: compiler toolchain, test framework, and PyTorch as the reference for goldens.
APT_PACKAGES=(
  cmake ninja-build g++ make clang-format
  libgtest-dev nlohmann-json3-dev
  python3 python3-numpy python3-torch libopenblas0-pthread
  emscripten nodejs
)

missing=()
for pkg in "${APT_PACKAGES[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$pkg")
  fi
done

if [ ${#missing[@]} -gt 0 ]; then
  echo "setup: installing ${missing[*]}"
  SUDO=""
  if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
  export DEBIAN_FRONTEND=noninteractive
  $SUDO apt-get update -qq
  $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
