#!/usr/bin/python3
"""Exports the models that `wgml run` is checked on, with PyTorch's outputs as the reference.

usage: export_models.py [--models a,b] [--opsets 13,17] [--link PATH] [--print-dir]

torchvision's resnet18, resnet50, mobilenet_v2, mobilenet_v3_large, efficientnet_b0 and a small
transformer encoder, each with random weights (seeded) and BatchNorm running statistics taken from
random batches, exported at every opset with a dynamic batch axis. For batch 1 and 4 the inputs
(seeded random) and PyTorch's outputs are saved beside the model:

  CACHE/<key>/<model>-opset<N>/model.onnx
  CACHE/<key>/<model>-opset<N>/batch<B>/input.<name>.npy, expected.<name>.npy
  CACHE/<key>/<model>-opset<N>/meta.json      (inputs, outputs, files, times), then `done`

CACHE is $WGML_MODEL_CACHE or ~/.cache/wgml/models; <key> hashes this script and the torch and
torchvision versions, so a model is exported once and reused until one of them changes. `done` is
written last: a folder without it is exported again. The expected outputs are computed in float64
from the same weights and inputs and rounded once, so the tests measure wgml's error rather than
PyTorch's float32 rounding; meta.json also records how far PyTorch's own float32 run is from them.
"""
import argparse
import copy
import fcntl
import hashlib
import json
import os
import shutil
import sys
import time
import zlib

import numpy as np
import torch
import torchvision

ALL_MODELS = ["resnet18", "resnet50", "mobilenet_v2", "mobilenet_v3_large", "efficientnet_b0",
              "transformer"]
ALL_OPSETS = [13, 17]
BATCHES = [1, 4]
IMAGE_SIZE = 224

# The transformer encoder's size: small enough for a software GPU, large enough to be real.
VOCAB, SEQ_LEN, D_MODEL, HEADS, FFN, LAYERS, CLASSES = 1000, 32, 128, 4, 512, 4, 10


def cache_root():
    return os.environ.get("WGML_MODEL_CACHE") or os.path.join(
        os.path.expanduser("~"), ".cache", "wgml", "models")


def cache_dir():
    """The folder of this script's exports: it changes with the script and the versions."""
    with open(os.path.abspath(__file__), "rb") as f:
        text = f.read()
    h = hashlib.sha256(text)
    h.update(f"torch {torch.__version__} torchvision {torchvision.__version__}".encode())
    return os.path.join(cache_root(), h.hexdigest()[:16])


def model_dir(name, opset):
    return os.path.join(cache_dir(), f"{name}-opset{opset}")


def seed_of(text):
    return zlib.crc32(text.encode())  # stable across runs, unlike hash()


class TextEncoder(torch.nn.Module):
    """Token + position embedding, post-norm encoder layers with GELU, final LayerNorm, and a
    classifier over the mean of the positions that the padding mask keeps."""

    def __init__(self):
        super().__init__()
        self.embed = torch.nn.Embedding(VOCAB, D_MODEL)
        self.position = torch.nn.Parameter(torch.randn(1, SEQ_LEN, D_MODEL) * 0.1)
        layer = torch.nn.TransformerEncoderLayer(D_MODEL, HEADS, FFN, dropout=0.0,
                                                 activation="gelu", batch_first=True)
        self.encoder = torch.nn.TransformerEncoder(layer, LAYERS, enable_nested_tensor=False)
        self.norm = torch.nn.LayerNorm(D_MODEL)
        self.head = torch.nn.Linear(D_MODEL, CLASSES)

    def forward(self, tokens, padding_mask):
        # padding_mask: True where a position is padding (PyTorch's key_padding_mask convention).
        x = self.embed(tokens) + self.position
        x = self.norm(self.encoder(x, src_key_padding_mask=padding_mask))
        keep = (~padding_mask).unsqueeze(-1).to(x.dtype)
        pooled = (x * keep).sum(1) / keep.sum(1)
        return x, self.head(pooled)


def build(name):
    torch.manual_seed(seed_of(name))
    if name == "transformer":
        return TextEncoder().eval()
    model = getattr(torchvision.models, name)(weights=None)
    calibrate_batchnorm(model, name)
    return model.eval()


def calibrate_batchnorm(model, name):
    """Random init leaves running mean 0 and variance 1, which makes deep nets' outputs vanish or
    explode; average the statistics of a few random batches instead (momentum None = mean)."""
    norms = [m for m in model.modules() if isinstance(m, torch.nn.modules.batchnorm._BatchNorm)]
    for m in norms:
        m.reset_running_stats()
        m.momentum = None
    model.train()
    gen = torch.Generator().manual_seed(seed_of(name + "/calibrate"))
    with torch.no_grad():
        for _ in range(3):
            model(torch.randn(8, 3, IMAGE_SIZE, IMAGE_SIZE, generator=gen))
    for m in norms:
        m.momentum = 0.1


def example_inputs(name, batch):
    """Seeded random inputs: images N(0, 1); token ids in [0, VOCAB) with the tail of each row
    padded (at least half of each row stays real, so no row is all padding)."""
    gen = torch.Generator().manual_seed(seed_of(f"{name}/inputs/{batch}"))
    if name != "transformer":
        return {"image": torch.randn(batch, 3, IMAGE_SIZE, IMAGE_SIZE, generator=gen)}
    tokens = torch.randint(0, VOCAB, (batch, SEQ_LEN), generator=gen, dtype=torch.int64)
    real = torch.randint(SEQ_LEN // 2, SEQ_LEN + 1, (batch, 1), generator=gen)
    padding_mask = torch.arange(SEQ_LEN).unsqueeze(0) >= real
    return {"tokens": tokens, "padding_mask": padding_mask}


def output_names(name):
    return ["hidden", "logits"] if name == "transformer" else ["logits"]


def as_tuple(out):
    return tuple(out) if isinstance(out, (tuple, list)) else (out,)


def rel_error(got, ref):
    ref = ref.astype(np.float64)
    return float(np.linalg.norm(got.astype(np.float64) - ref) / max(np.linalg.norm(ref), 1e-30))


def export(name, opset):
    out_dir = model_dir(name, opset)
    if os.path.exists(os.path.join(out_dir, "done")):
        return json.load(open(os.path.join(out_dir, "meta.json"))), False
    shutil.rmtree(out_dir, ignore_errors=True)
    os.makedirs(out_dir)
    start = time.time()
    model = build(name)
    build_s = time.time() - start

    start = time.time()
    inputs = example_inputs(name, 1)
    outputs = output_names(name)
    dynamic = {n: {0: "batch"} for n in list(inputs) + outputs}
    path = os.path.join(out_dir, "model.onnx")
    torch.onnx.export(model, tuple(inputs.values()), path, input_names=list(inputs),
                      output_names=outputs, dynamic_axes=dynamic, opset_version=opset,
                      do_constant_folding=True)
    export_s = time.time() - start

    start = time.time()
    model64 = copy.deepcopy(model).double()  # the same weights, in float64
    meta = {"model": name, "opset": opset, "onnx": "model.onnx", "inputs": list(inputs),
            "outputs": outputs, "batches": {}, "torch": torch.__version__,
            "torchvision": torchvision.__version__}
    for batch in BATCHES:
        sub = f"batch{batch}"
        os.makedirs(os.path.join(out_dir, sub))
        feeds = example_inputs(name, batch)
        with torch.no_grad():
            got32 = as_tuple(model(*feeds.values()))
            feeds64 = [t.double() if t.is_floating_point() else t for t in feeds.values()]
            got64 = as_tuple(model64(*feeds64))
        entry = {"inputs": {}, "expected": {}, "torch_float32_error": {}}
        for n, t in feeds.items():
            entry["inputs"][n] = f"{sub}/input.{n}.npy"
            np.save(os.path.join(out_dir, entry["inputs"][n]), t.numpy())
        for n, t32, t64 in zip(outputs, got32, got64):
            ref = t64.float().numpy()
            entry["expected"][n] = f"{sub}/expected.{n}.npy"
            np.save(os.path.join(out_dir, entry["expected"][n]), ref)
            entry["torch_float32_error"][n] = rel_error(t32.numpy(), ref)
        meta["batches"][str(batch)] = entry
    meta["seconds"] = {"build": round(build_s, 2), "export": round(export_s, 2),
                       "reference": round(time.time() - start, 2)}
    with open(os.path.join(out_dir, "meta.json"), "w") as f:
        json.dump(meta, f, indent=1)
    with open(os.path.join(out_dir, "done"), "w") as f:
        f.write("complete\n")
    return meta, True


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--models", default=",".join(ALL_MODELS))
    parser.add_argument("--opsets", default=",".join(map(str, ALL_OPSETS)))
    parser.add_argument("--link", help="make PATH a symbolic link to the exports' folder")
    parser.add_argument("--print-dir", action="store_true",
                        help="print the cache folder of this script's exports and exit")
    args = parser.parse_args()
    if args.print_dir:
        print(cache_dir())
        return 0
    models = [m for m in args.models.split(",") if m]
    unknown = sorted(set(models) - set(ALL_MODELS))
    if unknown:
        sys.exit(f"export_models: unknown model(s) {', '.join(unknown)}; "
                 f"known: {', '.join(ALL_MODELS)}")
    torch.set_num_threads(2)  # the test machine's cores; fixed so timings compare
    total = time.time()
    os.makedirs(cache_dir(), exist_ok=True)
    lock = open(os.path.join(cache_dir(), ".lock"), "w")
    fcntl.flock(lock, fcntl.LOCK_EX)  # one exporter at a time (make test -j, make demo)
    for name in models:
        for opset in [int(o) for o in args.opsets.split(",") if o]:
            meta, fresh = export(name, opset)
            if fresh:
                s = meta["seconds"]
                worst = max(e for b in meta["batches"].values()
                            for e in b["torch_float32_error"].values())
                print(f"exported {name} opset {opset}: build {s['build']} s, export "
                      f"{s['export']} s, reference {s['reference']} s; PyTorch float32 vs "
                      f"float64 rel. error {worst:.1e}", flush=True)
    if args.link:
        # Replace atomically: other processes may be reading through the old link.
        tmp = f"{args.link}.tmp{os.getpid()}"
        os.symlink(cache_dir(), tmp)
        os.replace(tmp, args.link)
    print(f"models ready in {time.time() - total:.1f} s -> {cache_dir()}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
