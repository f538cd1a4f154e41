# Sourced by the fuzz scripts: sets `cxx` to the clang++ that builds libFuzzer targets
# (WGML_FUZZ_CXX, else Debian's clang++-14, else clang++), or exits naming the missing package.
cxx=${WGML_FUZZ_CXX:-}
if [[ -z $cxx ]]; then
  for candidate in clang++-14 clang++; do
    if command -v "$candidate" >/dev/null; then cxx=$candidate; break; fi
  done
fi
[[ -n $cxx ]] || { echo "$(basename "$0"): no clang++ found (scripts/setup.sh installs clang)"; exit 1; }
