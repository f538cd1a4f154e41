"""Records PyTorch's results for wgml's op tests.

Each cases_<family>.py defines `cases(g)` and calls g.case(...) for every op of that family.
Inputs are random (seeded, never all zero); `views` replay movement ops on them so kernels see
non-contiguous, broadcast and flipped layouts. The C++ harness (tests/harness) reads manifest.json,
replays the same inputs and views through wgml, and compares with the recorded outputs.
"""
import json
import os

import numpy as np
import torch

TORCH_DTYPES = {
    "float32": torch.float32, "float16": torch.float16, "int32": torch.int32,
    "int64": torch.int64, "uint8": torch.uint8, "int8": torch.int8, "bool": torch.bool,
}
DTYPE_NAMES = {v: k for k, v in TORCH_DTYPES.items()}
ALL_DTYPES = list(TORCH_DTYPES)
FLOATS = ["float32", "float16"]


class Input:
    """A random base tensor plus movement ops (`views`) that both sides replay."""

    def __init__(self, base):
        self.base = base
        self.tensor = base
        self.views = []

    def _view(self, op, attrs, tensor):
        out = Input(self.base)
        out.views = self.views + [[op, attrs]]
        out.tensor = tensor
        return out

    def permute(self, *perm):
        return self._view("permute", {"perm": list(perm)}, self.tensor.permute(*perm))

    def transpose(self):
        return self.permute(*reversed(range(self.tensor.dim())))

    def slice(self, axis, start, end, step=1):
        # PyTorch has no negative steps: pick Python's range of indices instead.
        picked = list(range(self.tensor.shape[axis]))[start:end:step]
        viewed = self.tensor.index_select(axis, torch.tensor(picked, dtype=torch.int64))
        return self._view("slice", {"starts": [start], "ends": [end], "axes": [axis],
                                    "steps": [step]}, viewed)

    def expand(self, *shape):
        return self._view("expand", {"shape": list(shape)}, self.tensor.expand(*shape))

    def flip(self, *axes):
        return self._view("flip", {"axes": list(axes)}, self.tensor.flip(list(axes)))


class Generator:
    def __init__(self, out_dir, seed=1234):
        self.out_dir = out_dir
        self.rng = torch.Generator().manual_seed(seed)
        self.cases = []
        self.counts = {}

    # --- random inputs (never all zero) ---------------------------------------------------
    def _finish(self, t, dtype):
        t = t.to(TORCH_DTYPES[dtype])
        if t.numel() > 0 and not t.to(torch.float64).abs().sum() > 0:
            t.view(-1)[0] = 1
        return Input(t)

    def randn(self, shape, dtype="float32", scale=1.0):
        return self._finish(torch.randn(shape, generator=self.rng, dtype=torch.float64) * scale,
                            dtype)

    def uniform(self, shape, lo, hi, dtype="float32"):
        t = torch.rand(shape, generator=self.rng, dtype=torch.float64) * (hi - lo) + lo
        return self._finish(t, dtype)

    def randint(self, shape, lo, hi, dtype="int32", nonzero=False):
        t = torch.randint(lo, hi, shape, generator=self.rng, dtype=torch.int64)
        if nonzero:
            t[t == 0] = 1
        return self._finish(t, dtype)

    def randbool(self, shape):
        t = torch.rand(shape, generator=self.rng) < 0.5
        if t.numel() > 0:
            t.view(-1)[0] = True
        return Input(t)

    def sample(self, shape, dtype):
        """Values suited to any dtype: normal floats, integers in [-100, 100) ([0, 100) unsigned)."""
        if dtype == "bool":
            return self.randbool(shape)
        if dtype in FLOATS:
            return self.randn(shape, dtype)
        return self.randint(shape, 0 if dtype == "uint8" else -100, 100, dtype)

    def tensor(self, values, dtype):
        """Chosen values (indices drawn without repeats, say) as an input."""
        return Input(torch.tensor(values, dtype=TORCH_DTYPES[dtype]))

    def randperm(self, n):
        return torch.randperm(n, generator=self.rng).tolist()

    # --- cases -----------------------------------------------------------------------------
    def case(self, op, inputs, ref, attrs=None, grads=False, note=""):
        """Records one case: `ref(*tensors)` is PyTorch's answer (a tensor or a tuple).

        Float inputs are computed in float64 and the float outputs rounded once to the inputs'
        float dtype: the reference is the correctly rounded answer, not float32 PyTorch's own
        rounding error (its float32 gelu loses digits in the negative tail, for one).
        With grads=True the gradients of sum(out * gout) with respect to each float input are
        recorded too, for checking the op table's backward rules.
        """
        index = self.counts.get(op, 0)
        self.counts[op] = index + 1
        case_id = f"{op}/{index}"
        stem = f"{op}_{index}"
        tensors = [None if x is None else x.tensor for x in inputs]
        floats = [t.dtype for t in tensors if t is not None and t.is_floating_point()]
        out_float = floats[0] if floats else torch.float32
        compute = [None if t is None else (t.double() if t.is_floating_point() else t)
                   for t in tensors]
        if grads:
            compute = [t.detach().clone().requires_grad_(True) if t is not None
                       and t.is_floating_point() else t for t in compute]
        outs = ref(*compute)
        outs = list(outs) if isinstance(outs, (tuple, list)) else [outs]
        entry = {"id": case_id, "op": op, "attrs": attrs or {}, "inputs": [], "outputs": [],
                 "note": note}
        if grads:
            gouts = [torch.randn(o.shape, generator=self.rng, dtype=torch.float32).to(out_float)
                     .double() for o in outs]
            torch.autograd.backward(outs, gouts)
            entry["grad_output"] = self._save(f"{stem}_gout", gouts[0], out_float)
            entry["grads"] = [None if t is None or t.grad is None else
                              self._save(f"{stem}_grad{k}", t.grad, out_float)
                              for k, t in enumerate(compute)]
        for k, x in enumerate(inputs):
            if x is None:
                entry["inputs"].append(None)
                continue
            entry["inputs"].append({"file": self._save(f"{stem}_in{k}", x.base, None),
                                    "views": x.views})
        for k, o in enumerate(outs):
            entry["outputs"].append(self._save(f"{stem}_out{k}", o.detach(), out_float))
        self.cases.append(entry)

    def _save(self, stem, t, float_dtype):
        t = t.detach().contiguous()
        if float_dtype is not None and t.dtype == torch.float64:
            t = t.to(float_dtype)
        name = stem + ".npy"
        np.save(os.path.join(self.out_dir, name), t.numpy())
        return name

    def write_manifest(self):
        with open(os.path.join(self.out_dir, "manifest.json"), "w") as f:
            json.dump({"torch": torch.__version__, "cases": self.cases}, f, indent=0)
