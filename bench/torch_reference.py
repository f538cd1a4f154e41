#!/usr/bin/env python3
"""PyTorch's figures for the same work as `wgml bench`, on the same machine: the peer to quote
beside wgml's numbers in docs/PERFORMANCE.md. A benchmark, not a test.

    python3 bench/torch_reference.py [--device cuda|cpu] [--repeat 20]
"""
import argparse
import statistics
import time

import torch


def median_ms(fn, device, repeat, inner=10):
    """Median over `repeat` batches of `inner` calls, synchronised around each batch."""
    fn()  # warm-up: kernels picked, caches filled
    sync = torch.cuda.synchronize if device == "cuda" else (lambda: None)
    sync()
    samples = []
    for _ in range(repeat):
        start = time.perf_counter()
        for _ in range(inner):
            fn()
        sync()
        samples.append((time.perf_counter() - start) * 1e3 / inner)
    return statistics.median(samples)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--device", default="cuda" if torch.cuda.is_available() else "cpu")
    parser.add_argument("--repeat", type=int, default=20)
    parser.add_argument("--sizes", default="256,512,1024,2048,4096")
    args = parser.parse_args()
    dev = args.device
    torch.backends.cuda.matmul.allow_tf32 = False  # fp32 against fp32: no TF32 tensor cores
    torch.backends.cudnn.allow_tf32 = False
    gen = torch.Generator().manual_seed(0)
    name = torch.cuda.get_device_name() if dev == "cuda" else "cpu"
    print(f"torch {torch.__version__} on {name}")

    for dtype in (torch.float32, torch.float16):
        for n in (int(s) for s in args.sizes.split(",")):
            a = torch.randn(n, n, generator=gen).to(dev, dtype)
            b = torch.randn(n, n, generator=gen).to(dev, dtype)
            ms = median_ms(lambda: a @ b, dev, args.repeat)
            print(f"matmul {str(dtype)[6:]} {n}x{n}x{n}: {ms:.3f} ms, {2 * n**3 / ms / 1e6:.0f} GFLOPS")

    n = 16 << 20
    x = torch.randn(n, generator=gen).to(dev)
    y = torch.randn(n, generator=gen).to(dev)
    ms = median_ms(lambda: x + y, dev, args.repeat)
    print(f"add float32 16M: {ms:.3f} ms, {3 * 4 * n / ms / 1e6:.0f} GB/s")
    ms = median_ms(lambda: torch.relu(x), dev, args.repeat)
    print(f"relu float32 16M: {ms:.3f} ms, {2 * 4 * n / ms / 1e6:.0f} GB/s")
    ms = median_ms(lambda: x.sum(), dev, args.repeat)
    print(f"sum float32 16M: {ms:.3f} ms, {4 * n / ms / 1e6:.0f} GB/s")
    s = torch.randn(4096, 1024, generator=gen).to(dev)
    ms = median_ms(lambda: torch.softmax(s, -1), dev, args.repeat)
    print(f"softmax float32 4096x1024: {ms:.3f} ms, {2 * 4 * s.numel() / ms / 1e6:.0f} GB/s")
    img = torch.randn(8, 64, 56, 56, generator=gen).to(dev)
    w = torch.randn(64, 64, 3, 3, generator=gen).to(dev)
    ms = median_ms(lambda: torch.nn.functional.conv2d(img, w, padding=1), dev, args.repeat)
    flops = 2 * 8 * 64 * 56 * 56 * 64 * 9
    print(f"conv float32 8x64x56x56 3x3x64: {ms:.3f} ms, {flops / ms / 1e6:.0f} GFLOPS")
    dw = torch.randn(64, 1, 3, 3, generator=gen).to(dev)
    ms = median_ms(lambda: torch.nn.functional.conv2d(img, dw, padding=1, groups=64), dev,
                   args.repeat)
    flops = 2 * 8 * 64 * 56 * 56 * 9
    print(f"depthwise conv float32 8x64x56x56 3x3: {ms:.3f} ms, {flops / ms / 1e6:.0f} GFLOPS")

if __name__ == "__main__":
    main()
