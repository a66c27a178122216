"""ConvNeXt-T (examples/convnext-tiny.stride), written in PyTorch from the text of that file.

torchvision's convnext_tiny with its default arguments: a 4x4 stride-4 stem, stages of 3, 3, 9, 3 CNBlocks
at 96, 192, 384, 768 channels with a LayerNorm2d + 2x2 stride-2 conv between them, and a pooled
LayerNorm2d + Linear head. As in the .stride file, the block's two nn.Linear on channels-last (torchvision)
are 1x1 convs here: the same parameters and MACs, and weights that match Stride's by shape.
"""

from torch import nn

from modern import DropPath, LayerNorm2d, Scale
from networks import Seq, conv


class CNBlock(nn.Module):
    """block CNBlock(c, i): residual { 7x7 depthwise, layernorm, 1x1 to 4c, gelu, 1x1 to c, scale 1e-6,
    droppath 0.1*i/17 }."""

    def __init__(self, c, i):
        super().__init__()
        self.conv_1 = conv(c, c, 7, pad=3, groups=c)
        self.layernorm_1 = LayerNorm2d(c, eps=1e-6)
        self.conv_2 = conv(c, 4 * c, 1)
        self.gelu_1 = nn.GELU()
        self.conv_3 = conv(4 * c, c, 1)
        self.scale_1 = Scale(c, 1e-6)
        self.droppath_1 = DropPath(0.1 * i / 17)

    def forward(self, x):
        y = self.gelu_1(self.conv_2(self.layernorm_1(self.conv_1(x))))
        y = self.droppath_1(self.scale_1(self.conv_3(y)))
        return x + y


class Downsample(Seq):
    """block Downsample(c): layernorm, then a 2x2 stride-2 conv to c channels."""

    def __init__(self, cin, c):
        super().__init__(
            ('layernorm_1', LayerNorm2d(cin, eps=1e-6)),
            ('conv_1', conv(cin, c, 2, stride=2)),
        )


class ConvNeXtTiny(Seq):
    input = (3, 224, 224)

    def __init__(self):
        super().__init__(
            # stem
            ('conv_1', conv(3, 96, 4, stride=4)),
            ('layernorm_1', LayerNorm2d(96, eps=1e-6)),
            # stage 1
            ('CNBlock_1', CNBlock(96, 0)),
            ('CNBlock_2', CNBlock(96, 1)),
            ('CNBlock_3', CNBlock(96, 2)),
            # stage 2
            ('Downsample_1', Downsample(96, 192)),
            ('CNBlock_4', CNBlock(192, 3)),
            ('CNBlock_5', CNBlock(192, 4)),
            ('CNBlock_6', CNBlock(192, 5)),
            # stage 3
            ('Downsample_2', Downsample(192, 384)),
            ('CNBlock_7', CNBlock(384, 6)),
            ('CNBlock_8', CNBlock(384, 7)),
            ('CNBlock_9', CNBlock(384, 8)),
            ('CNBlock_10', CNBlock(384, 9)),
            ('CNBlock_11', CNBlock(384, 10)),
            ('CNBlock_12', CNBlock(384, 11)),
            ('CNBlock_13', CNBlock(384, 12)),
            ('CNBlock_14', CNBlock(384, 13)),
            ('CNBlock_15', CNBlock(384, 14)),
            # stage 4
            ('Downsample_3', Downsample(384, 768)),
            ('CNBlock_16', CNBlock(768, 15)),
            ('CNBlock_17', CNBlock(768, 16)),
            ('CNBlock_18', CNBlock(768, 17)),
            # head
            ('globalavgpool_1', nn.AdaptiveAvgPool2d(1)),
            ('layernorm_2', LayerNorm2d(768, eps=1e-6)),
            ('flatten_1', nn.Flatten()),
            ('dense_1', nn.Linear(768, 1000)),
        )


NETWORKS = {'ConvNeXtTiny': ('convnext-tiny', ConvNeXtTiny)}
