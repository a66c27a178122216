"""DenseNet121 of examples/densenet121.stride, written in PyTorch from the text of that file.

DenseNet-BC as torchvision.models.densenet121 builds it (growth rate 32, dense blocks of 6, 12, 24 and 16
layers, transitions that halve the channels). Attribute names are Stride's layer names (`DenseLayer_7.conv_2`,
`Transition_1.batchnorm_1`), so `state_dict()` keys are Stride's weight names. Every ReLU is in place, as
torchvision's are. A dense layer's `as x … from x; concat new` is torch.cat([x, new], 1): the earlier
channels first, as torchvision's torch.cat(features, 1).
"""

import torch
from torch import nn

from networks import Seq, bn, conv


class DenseLayer(Seq):
    """block DenseLayer(k = 32): bn, relu, conv 4k 1x1, bn, relu, conv k 3x3 pad 1; then cat([x, new])."""

    def __init__(self, cin, k=32):
        super().__init__(
            ('batchnorm_1', bn(cin)),
            ('relu_1', nn.ReLU(inplace=True)),
            ('conv_1', conv(cin, 4 * k, 1, bias=False)),
            ('batchnorm_2', bn(4 * k)),
            ('relu_2', nn.ReLU(inplace=True)),
            ('conv_2', conv(4 * k, k, 3, pad=1, bias=False)),
        )

    def forward(self, x):
        new = super().forward(x)
        return torch.cat([x, new], dim=1)


class Transition(Seq):
    """block Transition(c): bn, relu, conv c 1x1, avgpool 2x2."""

    def __init__(self, cin, c):
        super().__init__(
            ('batchnorm_1', bn(cin)),
            ('relu_1', nn.ReLU(inplace=True)),
            ('conv_1', conv(cin, c, 1, bias=False)),
            ('avgpool_1', nn.AvgPool2d(2)),
        )


class DenseNet121(Seq):
    input = (3, 224, 224)

    def __init__(self):
        layers = [
            ('conv_1', conv(3, 64, 7, stride=2, pad=3, bias=False)),
            ('batchnorm_1', bn(64)),
            ('relu_1', nn.ReLU(inplace=True)),
            ('maxpool_1', nn.MaxPool2d(3, stride=2, padding=1)),
        ]
        c, n = 64, 0
        # dense blocks of 6, 12, 24, 16 layers, a transition to half the channels after the first three
        for i, count in enumerate((6, 12, 24, 16)):
            for _ in range(count):
                n += 1
                layers.append((f'DenseLayer_{n}', DenseLayer(c)))
                c += 32
            if i < 3:
                layers.append((f'Transition_{i + 1}', Transition(c, c // 2)))
                c //= 2
        layers += [
            ('batchnorm_2', bn(c)),
            ('relu_2', nn.ReLU(inplace=True)),
            ('globalavgpool_1', nn.AdaptiveAvgPool2d(1)),
            ('flatten_1', nn.Flatten()),
            ('dense_1', nn.Linear(c, 1000)),
        ]
        super().__init__(*layers)


NETWORKS = {'DenseNet121': ('densenet121', DenseNet121)}
