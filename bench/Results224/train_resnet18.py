#!/usr/bin/python3
"""Trains torchvision's ResNet-18 (10 outputs) for a few epochs at 224x224 on an image-folder set
(train/<class>/*.png, classes in ordinal order as amc reads them) and exports it to ONNX as PyTorch
writes it, ImageNet normalisation outside the graph. No pretrained weights can be downloaded here;
this gives the AMC-vs-uniform benchmark at 224 (bench/results224.sh) an imported classifier whose
top-1 varies from image to image, so that agreement with it means something.

    /usr/bin/python3 bench/Results224/train_resnet18.py IMAGES_DIR OUT.onnx [EPOCHS]

Seeded (torch.manual_seed(0)); 2 threads."""
import os
import sys
import time

import numpy as np
import torch
import torchvision
from PIL import Image

MEAN = np.array([0.485, 0.456, 0.406], dtype=np.float32)
STD = np.array([0.229, 0.224, 0.225], dtype=np.float32)


def load(folder):
    classes = sorted(os.listdir(folder), key=lambda c: c.encode())  # ordinal, as amc
    xs, ys = [], []
    for k, c in enumerate(classes):
        for f in sorted(os.listdir(os.path.join(folder, c))):
            img = np.asarray(Image.open(os.path.join(folder, c, f)).convert("RGB"), dtype=np.float32) / 255
            xs.append(((img - MEAN) / STD).transpose(2, 0, 1))
            ys.append(k)
    return torch.from_numpy(np.stack(xs)), torch.tensor(ys), classes


def main():
    images, out = sys.argv[1], sys.argv[2]
    epochs = int(sys.argv[3]) if len(sys.argv) > 3 else 2
    torch.manual_seed(0)
    torch.set_num_threads(2)
    x, y, classes = load(os.path.join(images, "train"))
    xt, yt, _ = load(os.path.join(images, "test"))
    model = torchvision.models.resnet18(weights=None, num_classes=len(classes))
    steps = epochs * ((len(x) + 31) // 32)
    opt = torch.optim.SGD(model.parameters(), lr=0.05, momentum=0.9, weight_decay=5e-4)
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=0.05, total_steps=steps)
    for epoch in range(epochs):
        model.train()
        perm = torch.randperm(len(x))
        t0, seen, correct = time.time(), 0, 0
        for i in range(0, len(x), 32):
            idx = perm[i:i + 32]
            xb, yb = x[idx], y[idx]
            flip = torch.rand(len(idx)) < 0.5
            xb[flip] = xb[flip].flip(3)
            logits = model(xb)
            loss = torch.nn.functional.cross_entropy(logits, yb)
            opt.zero_grad()
            loss.backward()
            opt.step()
            sched.step()
            seen += len(idx)
            correct += (logits.argmax(1) == yb).sum().item()
        model.eval()
        with torch.no_grad():
            pred = torch.cat([model(xt[i:i + 50]).argmax(1) for i in range(0, len(xt), 50)])
        hist = torch.bincount(pred, minlength=len(classes)).tolist()
        print(f"epoch {epoch + 1}: {time.time() - t0:.0f} s, train top-1 {correct / seen:.3f}, "
              f"test top-1 {(pred == yt).float().mean():.3f}, test predictions per class {hist}", flush=True)
    torch.onnx.export(model, xt[:1], out, opset_version=13, input_names=["input"], output_names=["logits"],
                      dynamic_axes={"input": {0: "N"}, "logits": {0: "N"}})
    print(f"wrote {out}")


if __name__ == "__main__":
    main()
