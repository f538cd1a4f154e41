#!/usr/bin/python3
"""Writes ONNX test cases for the signal converters' forms that ONNX 1.12's node tests do not
cover into OUT_DIR/node/test_wgml_signal_*: windows with constant sizes and float16 outputs, DFT
with dft_length (zero-padded and cut), onesided, complex input, negative axes and the opset-20
axis input, STFT with complex signals, onesided=0, and constant or run-time frame_length.
Expected outputs come from NumPy's FFT in float64 and the window formulas of the ONNX spec, never
from wgml. Inputs are seeded random tensors.

usage: extra_cases_signal.py OUT_DIR
"""
import sys

import numpy as np
from onnx import TensorProto, helper

from onnx_case_writer import CaseWriter


def complex_last(z):
    """A complex array as ONNX's [..., 2] float32 layout."""
    return np.stack([z.real, z.imag], axis=-1).astype(np.float32)


def window(kind, size, periodic):
    n = np.arange(size, dtype=np.float64)
    period = size if periodic else size - 1
    angle = 2 * np.pi * n / period
    if kind == "HannWindow":
        return 0.5 - 0.5 * np.cos(angle)
    if kind == "HammingWindow":
        return 25 / 46 - 21 / 46 * np.cos(angle)
    return 0.42 - 0.5 * np.cos(angle) + 0.08 * np.cos(2 * angle)


def windows(w, rng):
    for kind in ("HannWindow", "HammingWindow", "BlackmanWindow"):
        for periodic in (1, 0):
            tag = f"{kind.lower()}_{'periodic' if periodic else 'symmetric'}_const"
            w.case(tag, 17, [helper.make_node(kind, ["n"], ["y"], periodic=periodic)], [],
                   [("y", window(kind, 12, periodic).astype(np.float32))],
                   initializers=[("n", np.array(12, np.int64))])
    w.case("hannwindow_float16", 17,
           [helper.make_node("HannWindow", ["n"], ["y"], output_datatype=TensorProto.FLOAT16)],
           [("n", np.array(7, np.int32))], [("y", window("HannWindow", 7, 1).astype(np.float16))])


def dfts(w, rng):
    x = rng.standard_normal((2, 6, 5, 1)).astype(np.float32)
    xd = x[..., 0].astype(np.float64)
    w.case("dft_length_padded", 17,
           [helper.make_node("DFT", ["x", "n"], ["y"], axis=1)], [("x", x)],
           [("y", complex_last(np.fft.fft(xd, n=9, axis=1)))],
           initializers=[("n", np.array(9, np.int64))])
    w.case("dft_length_cut_onesided", 17,
           [helper.make_node("DFT", ["x", "n"], ["y"], axis=2, onesided=1)], [("x", x)],
           [("y", complex_last(np.fft.fft(xd, n=4, axis=2)[:, :, :3]))],
           initializers=[("n", np.array(4, np.int32))])
    w.case("dft_negative_axis_onesided_odd", 17,
           [helper.make_node("DFT", ["x"], ["y"], axis=-2, onesided=1)], [("x", x)],
           [("y", complex_last(np.fft.fft(xd, axis=2)[:, :, :3]))])
    z = rng.standard_normal((3, 8, 2)).astype(np.float32)
    zd = z[..., 0].astype(np.float64) + 1j * z[..., 1]
    w.case("dft_complex_forward", 17, [helper.make_node("DFT", ["z"], ["y"], axis=1)], [("z", z)],
           [("y", complex_last(np.fft.fft(zd, axis=1)))])
    w.case("dft_complex_inverse_length", 17,
           [helper.make_node("DFT", ["z", "n"], ["y"], axis=1, inverse=1)], [("z", z)],
           [("y", complex_last(np.fft.ifft(zd, n=10, axis=1)))],
           initializers=[("n", np.array(10, np.int64))])
    # Opset 20: the axis is an input (default -2, the last signal axis).
    x4 = rng.standard_normal((2, 3, 4, 7, 1)).astype(np.float32)
    x4d = x4[..., 0].astype(np.float64)
    w.case("dft20_default_axis", 20, [helper.make_node("DFT", ["x"], ["y"])], [("x", x4)],
           [("y", complex_last(np.fft.fft(x4d, axis=3)))])
    w.case("dft20_axis_input", 20, [helper.make_node("DFT", ["x", "", "a"], ["y"], onesided=1)],
           [("x", x4)], [("y", complex_last(np.fft.fft(x4d, axis=1)[:, :2]))],
           initializers=[("a", np.array(1, np.int64))])


def stft_ref(signal, step, length, win, onesided):
    frames = (signal.shape[1] - length) // step + 1
    out = np.stack([np.fft.fft(signal[:, f * step:f * step + length] * win, axis=1)
                    for f in range(frames)], axis=1)
    return out[:, :, :length // 2 + 1] if onesided else out


def stfts(w, rng):
    s = rng.standard_normal((2, 40, 1)).astype(np.float32)
    sd = s[..., 0].astype(np.float64)
    win = window("HammingWindow", 10, 1).astype(np.float32)
    w.case("stft_window_const_step", 17,
           [helper.make_node("STFT", ["s", "step", "win"], ["y"])], [("s", s), ("win", win)],
           [("y", complex_last(stft_ref(sd, 6, 10, win.astype(np.float64), True)))],
           initializers=[("step", np.array(6, np.int64))])
    w.case("stft_frame_length_twosided", 17,
           [helper.make_node("STFT", ["s", "step", "", "len"], ["y"], onesided=0)], [("s", s)],
           [("y", complex_last(stft_ref(sd, 4, 9, 1.0, False)))],
           initializers=[("step", np.array(4, np.int64)), ("len", np.array(9, np.int64))])
    z = rng.standard_normal((1, 30, 2)).astype(np.float32)
    zd = z[..., 0].astype(np.float64) + 1j * z[..., 1]
    w.case("stft_complex_runtime_step", 17,
           [helper.make_node("STFT", ["z", "step", "win"], ["y"], onesided=0)],
           [("z", z), ("step", np.array(5, np.int64)), ("win", win)],
           [("y", complex_last(stft_ref(zd, 5, 10, win.astype(np.float64), False)))])
    # A frame_length known only at run time: the transform matrices are built by engine ops.
    w.case("stft_runtime_frame_length_odd", 17,
           [helper.make_node("STFT", ["s", "step", "", "len"], ["y"])],
           [("s", s), ("step", np.array(3, np.int64)), ("len", np.array(9, np.int64))],
           [("y", complex_last(stft_ref(sd, 3, 9, 1.0, True)))])
    w.case("stft_runtime_frame_length_complex", 17,
           [helper.make_node("STFT", ["z", "step", "", "len"], ["y"], onesided=0)],
           [("z", z), ("len", np.array(12, np.int32))],
           [("y", complex_last(stft_ref(zd, 4, 12, 1.0, False)))],
           initializers=[("step", np.array(4, np.int64))])


def main():
    w = CaseWriter(sys.argv[1], "test_wgml_signal_")
    rng = np.random.default_rng(17)
    for section in (windows, dfts, stfts):
        section(w, rng)
    print(f"extra ONNX signal cases: {w.count} -> {sys.argv[1]}")


if __name__ == "__main__":
    main()
