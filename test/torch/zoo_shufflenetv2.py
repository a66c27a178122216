"""ShuffleNet V2 (width 1.0) of examples/shufflenetv2.stride, written in PyTorch from its text.

As torchvision.models.shufflenet_v2_x1_0: a strided 3x3 stem and a max pool, three stages of units
(a down-sampling unit, then 3, 7 and 3 basic units), a 1x1 conv to 1024 channels, a global average
pool and the classifier. A basic unit splits the channels in two, runs the second half through
1x1 → 3x3 depthwise → 1x1 and concatenates [x1, branch(x2)]; a down-sampling unit concatenates two
strided branches of the whole input. Both end with a channel shuffle of 2 groups. Attribute names are
Stride's layer names, so state_dict() keys are its weight names.
"""

import torch
from torch import nn

from modern import ChannelShuffle, Split
from networks import BatchNorm2d, Seq, conv


class Unit(nn.Module):
    """block Unit(c): concat { branch { split 2 take 0 } branch { split 2 take 1; 1x1, dw 3x3, 1x1 } },
    shuffle 2."""

    def __init__(self, c):
        super().__init__()
        h = c // 2
        self.split_1 = Split(2, 0)
        self.split_2 = Split(2, 1)
        self.conv_1 = conv(h, h, 1, bias=False)
        self.batchnorm_1 = BatchNorm2d(h)
        self.relu_1 = nn.ReLU(inplace=True)
        self.conv_2 = conv(h, h, 3, pad=1, groups=h, bias=False)   # depthwise
        self.batchnorm_2 = BatchNorm2d(h)
        self.conv_3 = conv(h, h, 1, bias=False)
        self.batchnorm_3 = BatchNorm2d(h)
        self.relu_2 = nn.ReLU(inplace=True)
        self.shuffle_1 = ChannelShuffle(2)

    def forward(self, x):
        x1 = self.split_1(x)
        y = self.split_2(x)
        y = self.relu_1(self.batchnorm_1(self.conv_1(y)))
        y = self.batchnorm_2(self.conv_2(y))
        y = self.relu_2(self.batchnorm_3(self.conv_3(y)))
        return self.shuffle_1(torch.cat([x1, y], dim=1))


class UnitDown(nn.Module):
    """block UnitDown(cin, c): concat { branch1 (dw 3x3 stride 2, 1x1) branch2 (1x1, dw 3x3 stride 2,
    1x1) }, shuffle 2."""

    def __init__(self, cin, c):
        super().__init__()
        h = c // 2
        # branch1
        self.conv_1 = conv(cin, cin, 3, stride=2, pad=1, groups=cin, bias=False)   # depthwise
        self.batchnorm_1 = BatchNorm2d(cin)
        self.conv_2 = conv(cin, h, 1, bias=False)
        self.batchnorm_2 = BatchNorm2d(h)
        self.relu_1 = nn.ReLU(inplace=True)
        # branch2
        self.conv_3 = conv(cin, h, 1, bias=False)
        self.batchnorm_3 = BatchNorm2d(h)
        self.relu_2 = nn.ReLU(inplace=True)
        self.conv_4 = conv(h, h, 3, stride=2, pad=1, groups=h, bias=False)   # depthwise
        self.batchnorm_4 = BatchNorm2d(h)
        self.conv_5 = conv(h, h, 1, bias=False)
        self.batchnorm_5 = BatchNorm2d(h)
        self.relu_3 = nn.ReLU(inplace=True)
        self.shuffle_1 = ChannelShuffle(2)

    def forward(self, x):
        b1 = self.batchnorm_1(self.conv_1(x))
        b1 = self.relu_1(self.batchnorm_2(self.conv_2(b1)))
        b2 = self.relu_2(self.batchnorm_3(self.conv_3(x)))
        b2 = self.batchnorm_4(self.conv_4(b2))
        b2 = self.relu_3(self.batchnorm_5(self.conv_5(b2)))
        return self.shuffle_1(torch.cat([b1, b2], dim=1))


class ShuffleNetV2(Seq):
    input = (3, 224, 224)

    def __init__(self):
        layers = [
            ('conv_1', conv(3, 24, 3, stride=2, pad=1, bias=False)),
            ('batchnorm_1', BatchNorm2d(24)),
            ('relu_1', nn.ReLU(inplace=True)),
            ('maxpool_1', nn.MaxPool2d(3, stride=2, padding=1)),
        ]
        units = 0
        # stages 2, 3, 4: a down-sampling unit, then repeat 3, 7, 3 { Unit c }
        for i, (cin, c, n) in enumerate([(24, 116, 3), (116, 232, 7), (232, 464, 3)], start=1):
            layers.append((f'UnitDown_{i}', UnitDown(cin, c)))
            for _ in range(n):
                units += 1
                layers.append((f'Unit_{units}', Unit(c)))
        layers += [
            ('conv_2', conv(464, 1024, 1, bias=False)),
            ('batchnorm_2', BatchNorm2d(1024)),
            ('relu_2', nn.ReLU(inplace=True)),
            ('globalavgpool_1', nn.AdaptiveAvgPool2d(1)),
            ('flatten_1', nn.Flatten()),
            ('dense_1', nn.Linear(1024, 1000)),
        ]
        super().__init__(*layers)


NETWORKS = {'ShuffleNetV2': ('shufflenetv2', ShuffleNetV2)}
