#!/usr/bin/python3
"""Times the peers on an exported model: ONNX Runtime (every execution provider it offers) on
the same .onnx file wgml runs, and PyTorch eager on the same torchvision architecture (random
weights; float32, TF32 off). Median of --repeat runs after warm-up, inputs from the .npy files.

usage: onnx_peers.py MODEL_DIR BATCH [--repeat 20]   (MODEL_DIR as written by export_models.py)
"""
import argparse
import json
import os
import statistics
import time

import numpy as np


def median_ms(fn, repeat):
    fn()
    fn()
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append((time.perf_counter() - start) * 1e3)
    return statistics.median(times)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("model_dir")
    parser.add_argument("batch")
    parser.add_argument("--repeat", type=int, default=20)
    args = parser.parse_args()
    meta = json.load(open(os.path.join(args.model_dir, "meta.json")))
    files = meta["batches"][args.batch]
    feeds = {name: np.load(os.path.join(args.model_dir, path))
             for name, path in files["inputs"].items()}
    expected = {name: np.load(os.path.join(args.model_dir, path))
                for name, path in files["expected"].items()}
    label = f"{meta['model']} opset {meta['opset']} batch {args.batch}"

    try:
        import onnxruntime as ort
        for provider in ort.get_available_providers():
            if provider not in ("CUDAExecutionProvider", "CPUExecutionProvider"):
                continue
            session = ort.InferenceSession(os.path.join(args.model_dir, "model.onnx"),
                                           providers=[provider])
            got = session.run(None, feeds)
            ref = next(iter(expected.values()))
            err = np.linalg.norm(got[0] - ref) / np.linalg.norm(ref)
            ms = median_ms(lambda: session.run(None, feeds), args.repeat)
            print(f"onnxruntime {ort.__version__} {provider}: {label}: median {ms:.3f} ms, "
                  f"rel error {err:.2e}")
    except ImportError:
        print("onnxruntime: not installed")

    import torch
    import torchvision
    if meta["model"] == "transformer" or not torch.cuda.is_available():
        return
    torch.backends.cuda.matmul.allow_tf32 = False
    torch.backends.cudnn.allow_tf32 = False
    model = getattr(torchvision.models, meta["model"])().eval().cuda()
    x = torch.from_numpy(next(iter(feeds.values()))).cuda()

    def run():
        with torch.no_grad():
            model(x)
        torch.cuda.synchronize()
    ms = median_ms(run, args.repeat)
    print(f"pytorch {torch.__version__} CUDA eager: {label}: median {ms:.3f} ms")


if __name__ == "__main__":
    main()
