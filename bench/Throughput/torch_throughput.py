"""PyTorch side of the Throughput bench: the same CIFAR ResNet-20 / Plain-20 as src/Amc/Models/CifarResNet.cs,
timed on request so the .NET driver can interleave its repeats with TorchSharp's and ONNX Runtime's.

Protocol: one JSON object per line on stdin, one JSON answer per line on stdout.
  {"op": "build", "model": "resnet20", "input": [3, 32, 32], "classes": 10, "mode": "train"|"infer", "batch": 128}
      -> {"params": <parameter count>}
  {"op": "run", "iters": n} -> {"seconds": <wall time of n steps of the last built case>}
The first line written is {"torch": <version>, "threads": <threads>, "blas": <BLAS library loaded>}.
"""
import json
import sys
import time

import torch
import torch.nn as nn
import torch.nn.functional as F


class BasicBlock(nn.Module):
    def __init__(self, inplanes, planes, stride, residual):
        super().__init__()
        self.conv1 = nn.Conv2d(inplanes, planes, 3, stride, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(planes)
        self.conv2 = nn.Conv2d(planes, planes, 3, 1, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(planes)
        self.residual = residual
        # The shortcut of a block that changes shape: 1x1 conv + BN (option B), as in our zoo.
        self.downsample = None
        if residual and (stride != 1 or inplanes != planes):
            self.downsample = nn.Sequential(nn.Conv2d(inplanes, planes, 1, stride, bias=False), nn.BatchNorm2d(planes))

    def forward(self, x):
        h = F.relu(self.bn1(self.conv1(x)))
        h = self.bn2(self.conv2(h))
        if self.residual:
            h = h + (x if self.downsample is None else self.downsample(x))
        return F.relu(h)


class CifarResNet(nn.Module):
    def __init__(self, depth, residual, in_channels, classes):
        super().__init__()
        n = (depth - 2) // 6
        self.conv1 = nn.Conv2d(in_channels, 16, 3, 1, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(16)
        blocks, inplanes = [], 16
        for stage, planes in enumerate([16, 32, 64]):
            for block in range(n):
                blocks.append(BasicBlock(inplanes, planes, 2 if stage > 0 and block == 0 else 1, residual))
                inplanes = planes
        self.blocks = nn.Sequential(*blocks)
        self.fc = nn.Linear(64, classes)

    def forward(self, x):
        x = self.blocks(F.relu(self.bn1(self.conv1(x))))
        return self.fc(torch.flatten(F.adaptive_avg_pool2d(x, 1), 1))


def blas_library():
    """Debian's torch uses whatever libblas.so.3 points to: the reference BLAS is many times slower than OpenBLAS."""
    torch.mm(torch.ones(64, 64), torch.ones(64, 64))
    try:
        with open("/proc/self/maps") as f:
            paths = {line.split()[-1] for line in f if "libblas" in line and "/" in line}
        return ", ".join(sorted(paths)) or "unknown"
    except OSError:
        return "unknown"


MODELS = {"resnet20": (20, True), "plain20": (20, False)}


def build(req):
    depth, residual = MODELS[req["model"]]
    c, h, w = req["input"]
    model = CifarResNet(depth, residual, c, req["classes"])
    batch = req["batch"]
    x = torch.randn(batch, c, h, w)
    if req["mode"] == "train":
        y = torch.randint(0, req["classes"], (batch,))
        model.train()
        # The optimizer of amc train: SGD, momentum 0.9, weight decay 5e-4.
        opt = torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9, weight_decay=5e-4)

        def step():
            opt.zero_grad()
            loss = F.cross_entropy(model(x), y)
            loss.backward()
            opt.step()
            loss.item()
    else:
        # As the .NET side does: BN statistics of one random batch, not the fresh (0, 1), which let
        # activations shrink into denormal floats.
        with torch.no_grad():
            for m in model.modules():
                if isinstance(m, nn.BatchNorm2d):
                    m.reset_running_stats()
                    m.momentum = None  # cumulative average: one batch gives its exact statistics
            model.train()
            model(torch.randn(64, c, h, w))
        model.eval()

        def step():
            with torch.no_grad():
                model(x)
    return model, step


def main():
    threads = int(sys.argv[1]) if len(sys.argv) > 1 else 2
    torch.set_num_threads(threads)  # Debian's torch defaults to 1
    torch.manual_seed(0)
    print(json.dumps({"torch": torch.__version__, "threads": torch.get_num_threads(), "blas": blas_library()}), flush=True)
    step = None
    for line in sys.stdin:
        req = json.loads(line)
        if req["op"] == "build":
            model, step = build(req)
            answer = {"params": sum(p.numel() for p in model.parameters())}
        elif req["op"] == "run":
            start = time.perf_counter()
            for _ in range(req["iters"]):
                step()
            answer = {"seconds": time.perf_counter() - start}
        else:
            answer = {"error": "unknown op " + req["op"]}
        print(json.dumps(answer), flush=True)


if __name__ == "__main__":
    main()
