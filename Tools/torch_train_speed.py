#!/usr/bin/env python3
"""PyTorch's CPU training speed on the network `fpgm-bench train` times (never used by fpgm): the CIFAR
ResNet of akamaster's definition (option-A shortcuts, zeros on both sides) with its trained weights,
batch 128 of the shared training images with pad-4 crops and flips, cross-entropy, SGD with Nesterov
momentum 0.9 and weight decay 5e-4 at lr 0.01, on THREADS threads (default 2). Prints one JSON object:
images per second over STEPS timed steps after two untimed ones, and the share of the time PyTorch's
profiler puts in convolution (forward and backward, oneDNN's kernels on x86).

Usage: sh Tools/torch_venv.sh, then
  .build/torch-venv/bin/python Tools/torch_train_speed.py WEIGHTS_DIR DATA_DIR [--arch resnet56] [--steps 8] [--threads 2]
"""
import argparse
import json
import os
import time

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

MEAN = np.array([0.485, 0.456, 0.406], dtype=np.float32).reshape(1, 3, 1, 1)
STD = np.array([0.229, 0.224, 0.225], dtype=np.float32).reshape(1, 3, 1, 1)
FILES = {"resnet20": "resnet20-12fca82f.th", "resnet56": "resnet56-4bfd9763.th"}


class Block(nn.Module):
    def __init__(self, inputs, planes, stride):
        super().__init__()
        self.conv1 = nn.Conv2d(inputs, planes, 3, stride, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(planes)
        self.conv2 = nn.Conv2d(planes, planes, 3, 1, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(planes)
        self.pad = planes // 4 if stride != 1 or inputs != planes else 0

    def forward(self, x):
        h = F.relu(self.bn1(self.conv1(x)))
        h = self.bn2(self.conv2(h))
        shortcut = F.pad(x[:, :, ::2, ::2], (0, 0, 0, 0, self.pad, self.pad)) if self.pad else x
        return F.relu(h + shortcut)


class ResNet(nn.Module):
    def __init__(self, blocks):
        super().__init__()
        self.conv1 = nn.Conv2d(3, 16, 3, 1, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(16)
        layers, inputs = [], 16
        for planes, stride in ((16, 1), (32, 2), (64, 2)):
            stage = []
            for b in range(blocks):
                stage.append(Block(inputs, planes, stride if b == 0 else 1))
                inputs = planes
            layers.append(nn.Sequential(*stage))
        self.layer1, self.layer2, self.layer3 = layers
        self.linear = nn.Linear(64, 10)

    def forward(self, x):
        x = F.relu(self.bn1(self.conv1(x)))
        x = self.layer3(self.layer2(self.layer1(x)))
        return self.linear(x.mean(dim=(2, 3)))


def batches(data, batch, count, rng):
    raw = np.fromfile(os.path.join(data, "cifar-10-batches-bin", "data_batch_1.bin"), dtype=np.uint8).reshape(-1, 3073)
    pixels, labels = raw[:, 1:].reshape(-1, 3, 32, 32), raw[:, 0].astype(np.int64)
    for _ in range(count):
        chosen = rng.choice(len(raw), batch, replace=False)
        padded = np.pad(pixels[chosen], ((0, 0), (0, 0), (4, 4), (4, 4)))
        out = np.empty((batch, 3, 32, 32), dtype=np.uint8)
        for i in range(batch):
            dy, dx = rng.integers(0, 9, 2)
            crop = padded[i, :, dy:dy + 32, dx:dx + 32]
            out[i] = crop[:, :, ::-1] if rng.integers(0, 2) else crop
        yield torch.from_numpy((out.astype(np.float32) / 255 - MEAN) / STD), torch.from_numpy(labels[chosen])


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("weights")
    parser.add_argument("data")
    parser.add_argument("--arch", default="resnet56", choices=sorted(FILES))
    parser.add_argument("--steps", type=int, default=8)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--batch", type=int, default=128)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    model = ResNet({"resnet20": 3, "resnet56": 9}[args.arch])
    # The shared checkpoint is trusted (its SHA-256 is in weights/expected.json); it pickles more than tensors.
    checkpoint = torch.load(os.path.join(args.weights, FILES[args.arch]), map_location="cpu", weights_only=False)
    model.load_state_dict({k[len("module."):]: v for k, v in checkpoint["state_dict"].items()})
    model.train()
    optimizer = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9, nesterov=True, weight_decay=5e-4)
    rng = np.random.default_rng(0)
    data = list(batches(args.data, args.batch, args.steps + 3, rng))

    def step(x, y):
        optimizer.zero_grad(set_to_none=True)
        loss = F.cross_entropy(model(x), y)
        loss.backward()
        optimizer.step()

    for x, y in data[:2]:
        step(x, y)
    start = time.perf_counter()
    for x, y in data[2:2 + args.steps]:
        step(x, y)
    seconds = time.perf_counter() - start
    with torch.profiler.profile(activities=[torch.profiler.ProfilerActivity.CPU]) as profile:
        step(*data[-1])
    events = profile.key_averages()
    total = sum(e.self_cpu_time_total for e in events)
    convolution = sum(e.self_cpu_time_total for e in events if "conv" in e.key or "mkldnn" in e.key)
    print(json.dumps({"torch": torch.__version__, "arch": args.arch, "threads": args.threads, "batch": args.batch,
                      "steps": args.steps, "images_per_second": args.batch * args.steps / seconds,
                      "convolution_share": convolution / total if total else None,
                      "mkldnn": torch.backends.mkldnn.is_available()}))


if __name__ == "__main__":
    main()
