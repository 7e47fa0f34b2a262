#!/usr/bin/env python3
"""One training step of the book's PyTorch AlexNet, timed, for comparison with `npm run bench`.

The network is the chapter's nn.Sequential (Conv2d 96 11x11 stride 4 pad 1, ..., Linear 4096,
Dropout 0.5, ..., Linear 10) on one input channel, with the same width multiplier as the app
(conv filters and hidden units x width, rounded half up, never below one). A step is what the
book's trainer does per batch: forward, cross-entropy, backward, SGD update; the batch is already
on the device, as in the browser benchmark. Timing: warm-up steps, then each timed step ends with
torch.cuda.synchronize() (on a GPU), median and spread reported.

  python3 scripts/bench_pytorch.py                     # preset quick, CUDA if there is one
  python3 scripts/bench_pytorch.py --preset=standard   # the browser bench's standard configurations
  python3 scripts/bench_pytorch.py --preset=book       # the book's own batch: 224 px, batch 128
  python3 scripts/bench_pytorch.py --preset=quick,standard,book --json=out.json --cudnn-benchmark

The presets mirror harness/bench/presets.ts (same names, sizes, widths and batches).
"""

import argparse
import json
import statistics
import time

import torch
from torch import nn

# name, image size (px), width multiplier, batch size, warm-up steps, timed steps
PRESETS = {
    "quick": [("tiny 65px w0.1 b32", 65, 0.1, 32, 1, 3), ("narrow 96px w0.25 b16", 96, 0.25, 16, 1, 2)],
    "standard": [
        ("book 96px b16", 96, 1, 16, 1, 3),
        ("book 224px b8", 224, 1, 8, 1, 3),
        ("narrow 224px w0.25 b32", 224, 0.25, 32, 1, 3),
    ],
    "book": [("book 224px b128", 224, 1, 128, 3, 10)],
}


def scaled(count, width):
    """src/model/architecture.ts scaledCount: Math.max(1, Math.round(count * width))."""
    return max(1, int(count * width + 0.5))


def alexnet(width, image_size, num_classes=10):
    """The chapter's AlexNet (LazyConv2d/LazyLinear with explicit input sizes)."""
    c = lambda n: scaled(n, width)  # noqa: E731
    features = nn.Sequential(
        nn.Conv2d(1, c(96), kernel_size=11, stride=4, padding=1), nn.ReLU(),
        nn.MaxPool2d(kernel_size=3, stride=2),
        nn.Conv2d(c(96), c(256), kernel_size=5, padding=2), nn.ReLU(),
        nn.MaxPool2d(kernel_size=3, stride=2),
        nn.Conv2d(c(256), c(384), kernel_size=3, padding=1), nn.ReLU(),
        nn.Conv2d(c(384), c(384), kernel_size=3, padding=1), nn.ReLU(),
        nn.Conv2d(c(384), c(256), kernel_size=3, padding=1), nn.ReLU(),
        nn.MaxPool2d(kernel_size=3, stride=2),
        nn.Flatten(),
    )
    with torch.no_grad():
        flat = features(torch.zeros(1, 1, image_size, image_size)).shape[1]
    return nn.Sequential(
        features,
        nn.Linear(flat, c(4096)), nn.ReLU(), nn.Dropout(p=0.5),
        nn.Linear(c(4096), c(4096)), nn.ReLU(), nn.Dropout(p=0.5),
        nn.Linear(c(4096), num_classes),
    )


def time_config(name, size, width, batch, warmup, steps, device):
    model = alexnet(width, size).to(device)
    optimizer = torch.optim.SGD(model.parameters(), lr=0.01)
    loss_fn = nn.CrossEntropyLoss()
    images = torch.rand(batch, 1, size, size, device=device)
    labels = torch.arange(batch, device=device) % 10

    def step():
        optimizer.zero_grad()
        loss = loss_fn(model(images), labels)
        loss.backward()
        optimizer.step()
        if device.type == "cuda":
            torch.cuda.synchronize()

    for _ in range(warmup):
        step()
    step_ms = []
    for _ in range(steps):
        started = time.perf_counter()
        step()
        step_ms.append((time.perf_counter() - started) * 1000)
    ms = statistics.median(step_ms)
    return {
        "name": name,
        "imageSize": size,
        "width": width,
        "batchSize": batch,
        "stepMs": step_ms,
        "msPerStep": ms,
        "minMs": min(step_ms),
        "maxMs": max(step_ms),
        "imagesPerSecond": batch / ms * 1000,
    }


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--preset", default="quick", help="comma-separated: " + ", ".join(PRESETS))
    parser.add_argument("--device", default="cuda" if torch.cuda.is_available() else "cpu")
    parser.add_argument("--cudnn-benchmark", action="store_true",
                        help="torch.backends.cudnn.benchmark = True (the book leaves it off)")
    parser.add_argument("--json", help="also write the results to this file")
    parser.add_argument("--list", action="store_true", help="print the presets as JSON and exit")
    args = parser.parse_args()
    if args.list:
        keys = ("name", "imageSize", "width", "batchSize", "warmupSteps", "timedSteps")
        print(json.dumps({p: [dict(zip(keys, c)) for c in configs] for p, configs in PRESETS.items()}))
        return
    device = torch.device(args.device)
    torch.backends.cudnn.benchmark = args.cudnn_benchmark
    name = torch.cuda.get_device_name(device) if device.type == "cuda" else "CPU"
    runtime = f"PyTorch {torch.__version__} on {name}" + (", cudnn.benchmark" if args.cudnn_benchmark else "")
    print(runtime)
    results = []
    presets = args.preset.split(",")
    unknown = [p for p in presets if p not in PRESETS]
    if unknown:
        parser.error(f"unknown preset {', '.join(unknown)}; allowed: {', '.join(PRESETS)}")
    for config in [c for p in presets for c in PRESETS[p]]:
        result = time_config(*config, device)
        results.append(result)
        print(f"  {result['name']}: {result['msPerStep']:.2f} ms per step")
    print("\n| configuration | runtime | ms per step (median) | min–max ms | images/s |")
    print("|---|---|---|---|---|")
    for r in results:
        print(f"| {r['name']} | {runtime} | {r['msPerStep']:.2f} | {r['minMs']:.2f}–{r['maxMs']:.2f} | "
              f"{r['imagesPerSecond']:.0f} |")
    if args.json:
        with open(args.json, "w") as f:
            json.dump({"runtime": runtime, "preset": args.preset, "results": results}, f, indent=2)


if __name__ == "__main__":
    main()
