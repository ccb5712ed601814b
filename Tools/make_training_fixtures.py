#!/usr/bin/env python3
"""Expected values for the training engine's tests, computed by PyTorch's CPU autograd (never used by
fpgm). ResNet-20 with akamaster's trained weights, in training mode, on the first 32 shared training
images (no augmentation, normalised with the ImageNet statistics of akamaster's trainer):

- the mean cross-entropy loss and the gradient of every parameter;
- each batch norm's batch mean and biased variance, and its running mean and variance after the
  forward pass (momentum 0.1, the unbiased variance in the running estimate);
- the parameters after one SGD step of the official recipe (lr 0.01, momentum 0.9, Nesterov, weight
  decay 5e-4 on every parameter) from an empty momentum buffer;
- the same step on the network masked by FPGM-only 40% (the official selection of make_fixtures.py):
  the pruned filters zeroed before the forward pass, their gradients zeroed before the update, so that
  they stay exactly zero; batch norms are not masked. Its batch is the first run of 32 consecutive
  images of data_batch_1.bin whose every ReLU input in the masked network lies at least TIE_MARGIN
  from zero, computed in Float64 from the Float32 images: where an input is closer, two Float32
  computations can fall on opposite sides of the kink (they were seen 3e-7 apart) and their gradients
  then differ by more than rounding (the first 32 images have one input at 7e-8).

The network is written from the definition of the CIFAR ResNets (option-A shortcut, zeros on both
sides) with torch.nn.functional, its parameters the checkpoint's tensors.

Usage: sh Tools/torch_venv.sh, then
  .build/torch-venv/bin/python Tools/make_training_fixtures.py WEIGHTS_DIR DATA_DIR
Writes Tests/Fixtures/training/resnet20-step.npz (float32 arrays, keyed as below) and
Tests/Fixtures/training/expected.json (the losses, the images' labels, the mask and the masked step's
batch: its offset and its closest ReLU input).
"""
import json
import os
import sys

import numpy as np
import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from make_fixtures import official_selection  # noqa: E402

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "Tests", "Fixtures", "training")
MEAN = torch.tensor([0.485, 0.456, 0.406], dtype=torch.float64).reshape(1, 3, 1, 1)
STD = torch.tensor([0.229, 0.224, 0.225], dtype=torch.float64).reshape(1, 3, 1, 1)
IMAGES = 32
TIE_MARGIN = 5e-7
LR, MOMENTUM, DECAY = 0.01, 0.9, 5e-4


def images(records, offset=0):
    """IMAGES of the CIFAR-10 `records` from `offset` on: pixels normalised to float32, and labels."""
    raw = records[offset:offset + IMAGES]
    pixels = torch.from_numpy(raw[:, 1:].reshape(-1, 3, 32, 32).astype(np.float64))
    return ((pixels / 255 - MEAN) / STD).float(), torch.from_numpy(raw[:, 0].astype(np.int64))


def forward(p, buffers, x, stats, relu=F.relu):
    """ResNet-20 in training mode; `buffers` holds the running statistics, updated in place, and `stats`
    gets each batch norm's input mean and biased variance over the batch."""
    def norm(name, z):
        stats[name] = (z.detach().mean(dim=(0, 2, 3)), z.detach().var(dim=(0, 2, 3), unbiased=False))
        return F.batch_norm(z, buffers[name + ".running_mean"], buffers[name + ".running_var"], p[name + ".weight"],
                            p[name + ".bias"], training=True, momentum=0.1, eps=1e-5)
    x = relu(norm("bn1", F.conv2d(x, p["conv1.weight"], padding=1)))
    for stage in (1, 2, 3):
        for b in range(3):
            q = f"layer{stage}.{b}."
            stride = 2 if stage > 1 and b == 0 else 1
            h = relu(norm(q + "bn1", F.conv2d(x, p[q + "conv1.weight"], stride=stride, padding=1)))
            h = norm(q + "bn2", F.conv2d(h, p[q + "conv2.weight"], padding=1))
            if stride == 2:
                planes = h.shape[1]
                shortcut = F.pad(x[:, :, ::2, ::2], (0, 0, 0, 0, planes // 4, planes // 4))
            else:
                shortcut = x
            x = relu(h + shortcut)
    return F.linear(x.mean(dim=(2, 3)), p["linear.weight"], p["linear.bias"])


def masked(state, mask, dtype):
    """The parameters as tensors of `dtype` with the pruned filters zeroed, and the running statistics."""
    p = {k: torch.tensor(v, dtype=dtype) for k, v in state.items() if not k.startswith("_") and "running" not in k}
    for name, filters in mask.items():
        p[name][filters] = 0
    return p, {k: torch.tensor(v, dtype=dtype) for k, v in state.items() if "running" in k}


def closest_relu_input(state, mask, x):
    """The smallest |ReLU input| of the masked network in training mode on the Float32 images `x`, in Float64."""
    p, buffers = masked(state, mask, torch.float64)
    closest = [float("inf")]

    def relu(z):
        closest[0] = min(closest[0], z.abs().min().item())
        return F.relu(z)
    with torch.no_grad():
        forward(p, buffers, x.double(), {}, relu)
    return closest[0]


def step(state, x, labels, mask):
    """One training step; returns the loss, the gradients, the batch statistics, the updated running
    statistics and the updated parameters."""
    p, buffers = masked(state, mask, torch.float32)
    for v in p.values():
        v.requires_grad_(True)
    stats = {}
    loss = F.cross_entropy(forward(p, buffers, x, stats), labels)
    loss.backward()
    optimizer = torch.optim.SGD(p.values(), lr=LR, momentum=MOMENTUM, nesterov=True, weight_decay=DECAY)
    with torch.no_grad():
        for name, filters in mask.items():
            p[name].grad[filters] = 0
    gradients = {k: v.grad.detach().clone() for k, v in p.items()}
    optimizer.step()
    return loss.item(), gradients, stats, buffers, {k: v.detach() for k, v in p.items()}


def main():
    weights, data = sys.argv[1], sys.argv[2]
    # The shared checkpoint is trusted (its SHA-256 is in weights/expected.json); it pickles more than tensors.
    checkpoint = torch.load(os.path.join(weights, "resnet20-12fca82f.th"), map_location="cpu", weights_only=False)
    state = {k[len("module."):]: v.numpy() for k, v in checkpoint["state_dict"].items() if not k.endswith("num_batches_tracked")}
    records = np.fromfile(os.path.join(data, "cifar-10-batches-bin", "data_batch_1.bin"), dtype=np.uint8).reshape(-1, 3073)
    x, labels = images(records)
    arrays = {}
    loss, gradients, stats, buffers, updated = step(state, x, labels, {})
    for name, g in gradients.items():
        arrays[f"grad/{name}"] = g
    for name, b in buffers.items():
        arrays[f"after/{name}"] = b
    for name, w in updated.items():
        arrays[f"step/{name}"] = w
    for name, (mean, var) in stats.items():
        arrays[f"batch_mean/{name}"] = mean
        arrays[f"batch_var/{name}"] = var
    mask = {}
    for name, w in state.items():
        if w.ndim == 4:
            by_norm, by_dist = official_selection(w.astype(np.float32), 1.0, 0.4)
            mask[name] = sorted(by_norm + by_dist)
    offset = 0
    while (closest := closest_relu_input(state, mask, images(records, offset)[0])) < TIE_MARGIN:
        offset += IMAGES
        if offset + IMAGES > len(records):
            sys.exit(f"no {IMAGES} consecutive images of data_batch_1.bin keep every ReLU input {TIE_MARGIN} from zero")
    masked_x, masked_labels = images(records, offset)
    masked_loss, _, _, _, after_masked_step = step(state, masked_x, masked_labels, mask)
    for name, w in after_masked_step.items():
        arrays[f"masked_step/{name}"] = w
    os.makedirs(ROOT, exist_ok=True)
    np.savez(os.path.join(ROOT, "resnet20-step.npz"), **{k: v.numpy().astype(np.float32) for k, v in arrays.items()})
    with open(os.path.join(ROOT, "expected.json"), "w") as f:
        json.dump({"images": IMAGES, "labels": labels.tolist(), "loss": loss, "masked_loss": masked_loss,
                   "masked_offset": offset, "masked_labels": masked_labels.tolist(), "masked_closest_relu_input": closest,
                   "lr": LR, "momentum": MOMENTUM, "weight_decay": DECAY, "nesterov": True,
                   "mask": {k[:-len(".weight")]: v for k, v in mask.items()}, "torch": torch.__version__}, f, indent=1)
        f.write("\n")


if __name__ == "__main__":
    main()
