"""Receptive fields measured by PyTorch: the extent of the input gradient of one central output value.

Each module is written by hand from test/fixtures/receptive-field.stride. Weights are all ones and biases
zero, so no contribution cancels; the field is the bounding box (height, width) of the nonzero gradient.
Prints {network: [h, w]} as JSON.
"""
import json

import torch
from torch import nn


def conv(kh, kw, ph, pw):
    c = nn.Conv2d(1, 1, (kh, kw), padding=(ph, pw))
    nn.init.ones_(c.weight)
    nn.init.zeros_(c.bias)
    return c


class Cross(nn.Module):
    def __init__(self):
        super().__init__()
        self.a = conv(1, 3, 0, 1)
        self.b = conv(3, 1, 1, 0)

    def forward(self, x):
        return torch.cat([self.a(x), self.b(x)], dim=1)


class CrossResidual(nn.Module):
    def __init__(self):
        super().__init__()
        self.body = conv(1, 7, 0, 3)
        self.shortcut = conv(5, 1, 2, 0)

    def forward(self, x):
        return self.body(x) + self.shortcut(x)


class NamedAdd(nn.Module):
    def __init__(self):
        super().__init__()
        self.tall = conv(3, 1, 1, 0)
        self.wide = conv(1, 5, 0, 2)

    def forward(self, x):
        tall = self.tall(x)
        return self.wide(tall) + tall


def field(module):
    x = torch.ones(1, 1, 32, 32, requires_grad=True)
    y = module(x)
    # Every output channel at the centre: a merge's unit is any of them.
    y[0, :, 16, 16].sum().backward()
    rows, cols = torch.nonzero(x.grad[0, 0], as_tuple=True)
    return [int(rows.max() - rows.min() + 1), int(cols.max() - cols.min() + 1)]


print(json.dumps({m.__name__: field(m()) for m in (Cross, CrossResidual, NamedAdd)}))
