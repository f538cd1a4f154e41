#!/usr/bin/python3
"""`make bench`: every exported model of the tests (tests/models/export_models.py, opset 17) at
batch 1 and 4, run by `wgml run` on WebGPU (replayed, and --eager node by node) and on the CPU,
beside onnxruntime-node (npm) with 1 and 2 intra-op threads, all on this machine, in one table.

Each wgml figure is the median of --repeat runs of one `wgml run` process (the CPU device of
the larger models gets fewer, it is the reference interpreter); first run = load of the
executor + the first run, compilation included; host = the host's own time per run (inputs
written and work recorded, before waiting for the device); launches = kernel launches a run
replays; MiB = device memory of the intermediate buffers (reused by liveness). Prints a
Markdown table; docs/PERFORMANCE.md keeps one with the machine and date.

usage: models_table.py BUILD_DIR [--repeat N] [--models a,b] [--batches 1,4]
"""
import argparse
import json
import os
import re
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(HERE)


def wgml_run(wgml, model, feeds, device, repeat, eager=False):
    cmd = [wgml, "run", model, "--device", device, "--repeat", str(repeat)]
    for name, path in feeds.items():
        cmd += ["--input", f"{name}={path}"]
    if eager:
        cmd.append("--eager")
    p = subprocess.run(cmd, capture_output=True, text=True, timeout=1800)
    text = p.stdout + p.stderr
    if p.returncode:
        return {"error": (text.strip().splitlines() or ["rc %d" % p.returncode])[-1][:100]}

    def ms(pattern):
        m = re.search(pattern + r" ([\d.]+) (ms|s)", text)
        return float(m.group(1)) * (1000 if m.group(2) == "s" else 1) if m else None

    r = {"median": ms("median"), "first": ms("first run"), "host": ms(r"before waiting\): median")}
    m = re.search(r"replayed: (\d+) kernel launches recorded by the first run, ([\d.]+) MiB", text)
    if m:
        r["launches"], r["mib"] = int(m.group(1)), float(m.group(2))
    return r


def ort_node(model, feeds, repeat):
    cmd = ["node", os.path.join(HERE, "ort_node_time.js"), model] + \
        [f"{n}={p}" for n, p in feeds.items()] + ["--repeat", str(repeat)]
    p = subprocess.run(cmd, capture_output=True, text=True, timeout=1800)
    if p.returncode:
        return {}
    return json.loads(p.stdout.strip().splitlines()[-1])


def fmt(v, digits=1):
    return "-" if v is None else f"{v:.{digits}f}"


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("build_dir")
    parser.add_argument("--repeat", type=int, default=10)
    parser.add_argument("--models", default="")
    parser.add_argument("--batches", default="1,4")
    args = parser.parse_args()
    wgml = os.path.join(args.build_dir, "bin", "wgml")
    models_dir = os.path.join(args.build_dir, "models")
    wanted = [m for m in args.models.split(",") if m]
    rows = []
    for entry in sorted(os.listdir(models_dir)):
        if not entry.endswith("-opset17"):
            continue
        meta = json.load(open(os.path.join(models_dir, entry, "meta.json")))
        if wanted and meta["model"] not in wanted:
            continue
        model = os.path.join(models_dir, entry, meta["onnx"])
        for batch in args.batches.split(","):
            spec = meta["batches"].get(batch)
            if not spec:
                continue
            feeds = {n: os.path.join(models_dir, entry, p) for n, p in spec["inputs"].items()}
            gpu = wgml_run(wgml, model, feeds, "webgpu", args.repeat)
            eager = wgml_run(wgml, model, feeds, "webgpu", args.repeat, eager=True)
            cpu = wgml_run(wgml, model, feeds, "cpu", 2 if meta["model"] != "transformer" else 5)
            ort = ort_node(model, feeds, args.repeat)
            rows.append((meta["model"], batch, gpu, eager, cpu, ort))
            print(f"{meta['model']} batch {batch}: {json.dumps([gpu, eager, cpu, ort])}",
                  file=sys.stderr, flush=True)
    print("| model | batch | wgml webgpu ms | host ms | launches | MiB | first run ms "
          "| webgpu --eager ms | eager host ms | wgml cpu ms | ORT-node 1 thr | ORT-node 2 thr |")
    print("|---|---|---|---|---|---|---|---|---|---|---|---|")
    for model, batch, gpu, eager, cpu, ort in rows:
        if "error" in gpu:
            print(f"| {model} | {batch} | error: {gpu['error']} |||||||||| ")
            continue
        print(f"| {model} | {batch} | {fmt(gpu['median'], 2)} | {fmt(gpu['host'], 2)} "
              f"| {gpu.get('launches', '-')} | {fmt(gpu.get('mib'), 2)} | {fmt(gpu['first'], 0)} "
              f"| {fmt(eager.get('median'), 2)} | {fmt(eager.get('host'), 2)} "
              f"| {fmt(cpu.get('median'), 0)} | {fmt(ort.get('threads1_ms'), 2)} "
              f"| {fmt(ort.get('threads2_ms'), 2)} |")


if __name__ == "__main__":
    main()
