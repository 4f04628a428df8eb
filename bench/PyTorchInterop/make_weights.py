"""Writes torchvision state dicts and reference outputs for the PyTorch interop check.

Run with Debian's PyTorch: /usr/bin/python3 bench/PyTorchInterop/make_weights.py OUT_DIR
For each model: OUT_DIR/<name>.pt (torch.save of the state dict), OUT_DIR/<name>.input.json
(a fixed input) and OUT_DIR/<name>.logits.json (PyTorch's output in eval mode).
"""
import json
import sys

import torch
import torchvision

torch.manual_seed(0)
torch.set_num_threads(2)
out = sys.argv[1]
models = {
    "mobilenetv2": (torchvision.models.mobilenet_v2(width_mult=0.5, num_classes=10), (3, 64, 64)),
    "resnet50": (torchvision.models.resnet50(num_classes=10), (3, 64, 64)),
    "vgg16": (torchvision.models.vgg16(num_classes=10), (3, 224, 224)),
}
for name, (model, shape) in models.items():
    model.eval()
    # Non-trivial BN statistics, as a trained network would have.
    for m in model.modules():
        if isinstance(m, torch.nn.BatchNorm2d):
            m.running_mean.uniform_(-0.2, 0.2)
            m.running_var.uniform_(0.5, 1.5)
    torch.save(model.state_dict(), f"{out}/{name}.pt")
    x = torch.randn(2, *shape)
    with torch.no_grad():
        y = model(x)
    json.dump({"shape": list(x.shape), "data": x.flatten().tolist()}, open(f"{out}/{name}.input.json", "w"))
    json.dump(y.flatten().tolist(), open(f"{out}/{name}.logits.json", "w"))
    print(name, "written")
