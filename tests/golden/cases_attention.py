"""attention (fused softmax(q k^T * scale) v) against a float64 transcription of its definition
(ops/table/attention.cpp): torch 1.13 has no scaled_dot_product_attention, and none of PyTorch's
has ONNX Runtime's bottom-right causal alignment, local window or softcap order.

Order per score: q.k * scale, softcap * tanh(s / softcap), + bias, then the causal mask
(key j > i + T - S) and the window (key j <= i + T - S - window); a row with nothing left
outputs 0. Sizes cross the kernel's tiles (64 keys, or fewer for large heads) and its workgroups
of 32 or 64 query rows.
"""
import math

import torch


def _ref(scale=0.0, causal=0, window=-1, softcap=0.0):
    def ref(q, k, v, bias=None):
        _, heads, s_len, d = q.shape
        t_len = k.shape[2]
        group = heads // k.shape[1]
        k = k.repeat_interleave(group, dim=1)
        v = v.repeat_interleave(group, dim=1)
        s = (q @ k.transpose(-1, -2)) * (scale if scale != 0 else 1 / math.sqrt(d))
        if softcap > 0:
            s = softcap * torch.tanh(s / softcap)
        if bias is not None:
            s = s + bias
        i = torch.arange(s_len).unsqueeze(1) + (t_len - s_len)
        j = torch.arange(t_len).unsqueeze(0)
        masked = torch.zeros(s_len, t_len, dtype=torch.bool)
        if causal:
            masked |= j > i
        if window > 0:
            masked |= j <= i - window
        s = s.masked_fill(masked, -math.inf)
        row_max = s.amax(dim=-1, keepdim=True)
        empty = torch.isinf(row_max) & (row_max < 0)
        e = torch.exp(s - torch.where(empty, torch.zeros_like(row_max), row_max))
        p = e / torch.where(empty, torch.ones_like(row_max), e.sum(dim=-1, keepdim=True))
        return p @ v
    return ref


def _attrs(scale=0.0, causal=0, window=-1, softcap=0.0):
    attrs = {}
    if scale:
        attrs["scale"] = scale
    if causal:
        attrs["causal"] = causal
    if window != -1:
        attrs["window"] = window
    if softcap:
        attrs["softcap"] = softcap
    return attrs


def _case(g, q, k, v, bias=None, note="", **kw):
    inputs = [q, k, v] + ([bias] if bias is not None else [])
    g.case("attention", inputs, _ref(**kw), _attrs(**kw), note=note)


def _masked_bias(g, shape, fraction, full_rows=()):
    """A random bias with about `fraction` of its entries -inf (and rows of all -inf)."""
    t = torch.randn(shape, generator=g.rng, dtype=torch.float64)
    hide = torch.rand(shape, generator=g.rng) < fraction
    t = t.masked_fill(hide, -math.inf)
    for row in full_rows:
        t[row] = -math.inf
    return g.tensor(t.tolist(), "float32")


def cases(g):
    r = g.randn
    # Plain, then S != T, D != Dv and a chosen scale.
    _case(g, r((2, 3, 5, 8)), r((2, 3, 5, 8)), r((2, 3, 5, 8)), note="B2 H3 S=T=5 D=8")
    _case(g, r((2, 2, 3, 6)), r((2, 2, 7, 6)), r((2, 2, 7, 10)), scale=0.3,
          note="S 3, T 7, D 6, Dv 10, scale 0.3")
    # Grouped-query heads.
    _case(g, r((1, 6, 4, 8)), r((1, 2, 9, 8)), r((1, 2, 9, 8)), note="GQA H 6, Hk 2")
    _case(g, r((2, 4, 3, 8)), r((2, 2, 8, 8)), r((2, 2, 8, 5)), causal=1,
          note="causal with past (S 3, T 8), GQA, Dv 5")
    # Causal prompt over two workgroups of rows and two key tiles.
    _case(g, r((1, 2, 70, 16)), r((1, 2, 70, 16)), r((1, 2, 70, 16)), causal=1,
          note="causal prompt S=T=70 (two row blocks, two key tiles)")
    # Decode step: one query row per head, keys over several tiles.
    _case(g, r((2, 8, 1, 16)), r((2, 2, 150, 16)), r((2, 2, 150, 16)), causal=1,
          note="decode S 1, T 150, GQA H 8 Hk 2")
    # Large heads: a 32-key tile.
    _case(g, r((1, 2, 40, 64)), r((1, 2, 200, 64)), r((1, 2, 200, 64)), scale=0.1,
          note="D = Dv = 64, T 200 (tiles of 32 keys)")
    # Local window (ORT local_window_size), with and without causal, and softcap.
    _case(g, r((1, 2, 5, 8)), r((1, 2, 9, 8)), r((1, 2, 9, 8)), causal=1, window=3,
          note="causal, window 3, past 4")
    _case(g, r((1, 4, 70, 8)), r((1, 2, 70, 8)), r((1, 2, 70, 8)), causal=1, window=20,
          note="causal, window 20 over two row blocks")
    _case(g, r((1, 2, 4, 8)), r((1, 2, 6, 8)), r((1, 2, 6, 8)), window=2,
          note="window 2 without causal")
    _case(g, r((2, 4, 5, 8), scale=3.0), r((2, 2, 5, 8)), r((2, 2, 5, 8)), causal=1,
          softcap=2.0, note="softcap 2, causal, GQA")
    _case(g, r((1, 4, 5, 16), scale=3.0), r((1, 2, 5, 16)), r((1, 2, 5, 16)), causal=1,
          window=2, softcap=1.5, note="softcap 1.5, window 2 (ORT GQA's prompt form)")
    # Causal with S > T: the first rows see no key and output 0.
    _case(g, r((1, 2, 6, 8)), r((1, 2, 4, 8)), r((1, 2, 4, 8)), causal=1,
          note="causal S 6 > T 4: rows 0 and 1 fully masked")
    # Additive bias, broadcast, with -inf entries and fully masked rows.
    _case(g, r((2, 3, 4, 8)), r((2, 3, 6, 8)), r((2, 3, 6, 8)),
          bias=_masked_bias(g, (2, 3, 4, 6), 0.3, full_rows=[(0, 1, 2), (1, 0, 0)]),
          note="full bias [B, H, S, T], -inf entries and two fully masked rows")
    _case(g, r((2, 4, 3, 8)), r((2, 2, 7, 8)), r((2, 2, 7, 8)),
          bias=_masked_bias(g, (1, 4, 3, 7), 0.2), causal=1, softcap=3.0,
          note="bias [1, H, S, T] after softcap, causal with past, GQA")
    _case(g, r((2, 2, 3, 8)), r((2, 2, 5, 8)), r((2, 2, 5, 8)), bias=r((3, 5)),
          note="bias [S, T]")
    _case(g, r((2, 2, 70, 8)), r((2, 2, 90, 8)), r((2, 2, 90, 8)),
          bias=_masked_bias(g, (2, 1, 1, 90), 0.25), note="key padding bias [B, 1, 1, T]")
    # Non-contiguous views: heads split from [B, S, H, D], flipped keys, expanded values.
    _case(g, r((2, 5, 3, 8)).permute(0, 2, 1, 3), r((2, 3, 7, 8)).flip(2),
          r((2, 1, 7, 6)).expand(2, 3, 7, 6), note="permuted q, flipped k, expanded v")
    _case(g, r((2, 4, 9, 8)).slice(2, 0, 9, 2), r((2, 10, 2, 8)).permute(0, 2, 1, 3),
          r((2, 2, 10, 12)).slice(3, 1, 12, 2), causal=1,
          bias=r((4, 10, 5)).permute(0, 2, 1).flip(2),
          note="strided q and v, permuted k, permuted flipped bias [H, S, T]")
    # float16.
    _case(g, r((2, 4, 5, 16), "float16"), r((2, 2, 9, 16), "float16"),
          r((2, 2, 9, 16), "float16"), causal=1, note="float16, causal with past, GQA")
    _case(g, r((1, 2, 3, 8), "float16"), r((1, 2, 4, 8), "float16"),
          r((1, 2, 4, 8), "float16"), bias=r((1, 2, 3, 4), "float16"), softcap=2.0,
          note="float16 with bias and softcap")
