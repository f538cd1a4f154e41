#!/usr/bin/python3
"""Checks that no source file of src/wgml includes a layer above its own (docs/ARCHITECTURE.md):
each `#include "wgml/LAYER/..."` must name the file's own layer or one below it, and a backend
includes no other backend. Prints every violation with its file and line; exit status 1 if any.

usage: check_layers.py [SRC_DIR]   (default: src/wgml beside this script's folder)
"""
import os
import re
import sys

# Top to bottom: a layer may include itself and the layers after it.
LAYERS = ["api", "frontends", "compiler", "graph", "runtime", "backends", "ops", "io", "core"]
INCLUDE = re.compile(r'^\s*#\s*include\s+"wgml/([^"]+)"')


def layer_of(path):
    """('backends', 'webgpu') for backends/webgpu/..., ('ops', None) for ops/..."""
    parts = path.split("/")
    return parts[0], (parts[1] if parts[0] == "backends" and len(parts) > 2 else None)


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    src = sys.argv[1] if len(sys.argv) > 1 else os.path.join(here, "..", "src", "wgml")
    problems, files = [], 0
    for root, _, names in os.walk(src):
        for name in sorted(names):
            if not name.endswith((".h", ".cpp")):
                continue
            files += 1
            path = os.path.relpath(os.path.join(root, name), src).replace(os.sep, "/")
            own, own_backend = layer_of(path)
            if own not in LAYERS:
                problems.append(f"{path}: folder '{own}' is not a layer of check_layers.py")
                continue
            with open(os.path.join(root, name), encoding="utf-8") as f:
                for number, line in enumerate(f, 1):
                    m = INCLUDE.match(line)
                    if not m:
                        continue
                    target, target_backend = layer_of(m.group(1))
                    if target not in LAYERS:
                        problems.append(f"{path}:{number}: includes unknown layer '{target}'")
                    elif LAYERS.index(target) < LAYERS.index(own):
                        problems.append(f"{path}:{number}: {own} includes {m.group(1)} from "
                                        f"{target}, a layer above it")
                    elif target == "backends" and own == "backends" and target_backend != own_backend:
                        problems.append(f"{path}:{number}: backend {own_backend} includes "
                                        f"{m.group(1)} of backend {target_backend}")
    for p in problems:
        print(p)
    print(f"check_layers: {files} files, {len(problems)} upward includes")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
