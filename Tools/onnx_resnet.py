#!/usr/bin/env python3
"""ONNX Runtime on a trained CIFAR ResNet, for `fpgm-bench forward` to compare with: never used by fpgm.

Usage: python3 Tools/onnx_resnet.py WEIGHTS.th DEPTH BATCH REPEATS [OUT.onnx]

Needs numpy, onnx and onnxruntime (for example in a virtual environment:
python3 -m venv .venv && .venv/bin/pip install numpy onnx onnxruntime). The graph is built with onnx's
helpers straight from the checkpoint (read by make_torch_fixtures.py's restricted reader, no torch):
conv, batch norm and ReLU per layer, option-A shortcuts as a strided slice padded with zero channels on
both sides (akamaster's layout), global average pooling and the linear layer, as torch.onnx.export
writes the same module. ONNX Runtime runs it on 2 threads with its default graph optimisations (which
fold the batch norms). The script first checks the logits of `pattern:4` against
../shared/reference/forward-logits.json (1e-3), then times BATCH images of the deterministic pattern
and prints JSON: the median time, images per second and the check's largest difference.
"""
import json
import os
import statistics
import sys
import time

import numpy as np
import onnx
import onnxruntime
from onnx import TensorProto, helper, numpy_helper

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from make_torch_fixtures import read_legacy_state_dict  # noqa: E402

MEAN = np.array([0.485, 0.456, 0.406], dtype=np.float32)
STD = np.array([0.229, 0.224, 0.225], dtype=np.float32)


def pattern(count):
    n, c, h, w = np.meshgrid(np.arange(count), np.arange(3), np.arange(32), np.arange(32), indexing="ij")
    x = ((7 * h + 13 * w + 29 * c + 61 * n) % 256).astype(np.float32) / 255
    return ((x - MEAN[None, :, None, None]) / STD[None, :, None, None]).astype(np.float32)


def graph(state, depth):
    weights = {k[len("module."):] if k.startswith("module.") else k: v for k, v in state.items()}
    nodes, initializers = [], []

    def constant(name, array):
        initializers.append(numpy_helper.from_array(np.ascontiguousarray(array), name))
        return name

    def conv_bn(x, conv, bn, stride, relu):
        w = constant(conv + ".weight", weights[conv + ".weight"].astype(np.float32))
        out = conv + ".out"
        nodes.append(helper.make_node("Conv", [x, w], [out], kernel_shape=[3, 3], strides=[stride, stride], pads=[1, 1, 1, 1]))
        params = [constant(f"{bn}.{f}", weights[f"{bn}.{f}"].astype(np.float32)) for f in ("weight", "bias", "running_mean", "running_var")]
        normed = bn + ".out"
        nodes.append(helper.make_node("BatchNormalization", [out] + params, [normed], epsilon=1e-5))
        if not relu:
            return normed
        nodes.append(helper.make_node("Relu", [normed], [normed + ".relu"]))
        return normed + ".relu"

    x = conv_bn("input", "conv1", "bn1", 1, True)
    n = (depth - 2) // 6
    width = 16
    for stage, planes in enumerate([16, 32, 64]):
        for block in range(n):
            prefix = f"layer{stage + 1}.{block}"
            stride = 2 if stage > 0 and block == 0 else 1
            h = conv_bn(x, prefix + ".conv1", prefix + ".bn1", stride, True)
            h = conv_bn(h, prefix + ".conv2", prefix + ".bn2", 1, False)
            shortcut = x
            if stride != 1 or width != planes:
                starts, ends = constant(prefix + ".starts", np.array([0, 0], np.int64)), constant(prefix + ".ends", np.array([2**31, 2**31], np.int64))
                axes, steps = constant(prefix + ".axes", np.array([2, 3], np.int64)), constant(prefix + ".steps", np.array([2, 2], np.int64))
                nodes.append(helper.make_node("Slice", [x, starts, ends, axes, steps], [prefix + ".sub"]))
                side = planes // 4
                pads = constant(prefix + ".pads", np.array([0, side, 0, 0, 0, side, 0, 0], np.int64))
                nodes.append(helper.make_node("Pad", [prefix + ".sub", pads], [prefix + ".short"]))
                shortcut = prefix + ".short"
            nodes.append(helper.make_node("Add", [h, shortcut], [prefix + ".sum"]))
            nodes.append(helper.make_node("Relu", [prefix + ".sum"], [prefix + ".out"]))
            x, width = prefix + ".out", planes
    nodes.append(helper.make_node("GlobalAveragePool", [x], ["pooled"]))
    nodes.append(helper.make_node("Flatten", ["pooled"], ["features"]))
    fc_w = constant("linear.weight", weights["linear.weight"].astype(np.float32))
    fc_b = constant("linear.bias", weights["linear.bias"].astype(np.float32))
    nodes.append(helper.make_node("Gemm", ["features", fc_w, fc_b], ["logits"], transB=1))
    g = helper.make_graph(nodes, f"resnet{depth}", [helper.make_tensor_value_info("input", TensorProto.FLOAT, ["N", 3, 32, 32])],
                          [helper.make_tensor_value_info("logits", TensorProto.FLOAT, ["N", 10])], initializers)
    model = helper.make_model(g, opset_imports=[helper.make_opsetid("", 17)])
    onnx.checker.check_model(model)
    return model


def main():
    path, depth, batch, repeats = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
    model = graph(read_legacy_state_dict(path), depth)
    if len(sys.argv) > 5:
        onnx.save(model, sys.argv[5])
    options = onnxruntime.SessionOptions()
    options.intra_op_num_threads = 2
    options.inter_op_num_threads = 1
    session = onnxruntime.InferenceSession(model.SerializeToString(), options, providers=["CPUExecutionProvider"])
    reference = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(path))), "reference", "forward-logits.json")
    expected = np.array(json.load(open(reference))["logits"][os.path.basename(path)])
    difference = float(np.abs(session.run(None, {"input": pattern(4)})[0] - expected).max())
    if difference > 1e-3:
        sys.exit(f"ONNX Runtime's logits differ from the reference by {difference}")
    images = pattern(batch)
    session.run(None, {"input": images})
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        session.run(None, {"input": images})
        times.append(time.perf_counter() - start)
    median = statistics.median(times)
    print(json.dumps({"median_seconds": median, "images_per_second": batch / median, "check_difference": difference,
                      "onnxruntime": onnxruntime.__version__}))


if __name__ == "__main__":
    main()
