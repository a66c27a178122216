"""EfficientNet-B0 (examples/efficientnet-b0.stride) in PyTorch, written from the text of the file.

torchvision.models.efficientnet_b0's layers, named as Stride names them: MBConv blocks (expand 1x1, depthwise
kxk, squeeze-excitation, linear 1x1 projection) with SiLU, in-place as torchvision has it; batch norm with
PyTorch's defaults (eps 1e-5, momentum 0.1, as torchvision's B0); stochastic depth (`droppath p`) on the
residual branch of the blocks with a skip, p = 0.2 * block / 16.
"""

from torch import nn

from modern import DropPath
from networks import Seq, bn, conv


class SE(nn.Module):
    """block SE(c, s): as x; globalavgpool; conv s 1x1; silu; conv c 1x1; sigmoid; mul x."""

    def __init__(self, c, s):
        super().__init__()
        self.globalavgpool_1 = nn.AdaptiveAvgPool2d(1)
        self.conv_1 = conv(c, s, 1)
        self.silu_1 = nn.SiLU(inplace=True)
        self.conv_2 = conv(s, c, 1)
        self.sigmoid_1 = nn.Sigmoid()

    def forward(self, x):
        g = self.sigmoid_1(self.conv_2(self.silu_1(self.conv_1(self.globalavgpool_1(x)))))
        return g * x


class MBConv(Seq):
    """block MBConv(cin, c, k, stride = 1, t = 6): expand 1x1, depthwise kxk, SE, linear projection; no skip."""

    def __init__(self, cin, c, k, stride=1, t=6):
        e = cin * t
        super().__init__(
            ('conv_1', conv(cin, e, 1, bias=False)),
            ('batchnorm_1', bn(e)),
            ('silu_1', nn.SiLU(inplace=True)),
            ('conv_2', conv(e, e, k, stride=stride, pad=(k - 1) // 2, groups=e, bias=False)),
            ('batchnorm_2', bn(e)),
            ('silu_2', nn.SiLU(inplace=True)),
            ('SE_1', SE(e, cin // 4)),
            ('conv_3', conv(e, c, 1, bias=False)),
            ('batchnorm_3', bn(c)),
        )


class MBConvSkip(MBConv):
    """block MBConvSkip(c, k, p, t = 6): the same layers and `droppath p` inside `residual { … }`."""

    def __init__(self, c, k, p, t=6):
        super().__init__(c, c, k, t=t)
        self.droppath_1 = DropPath(p)

    def forward(self, x):
        y = super().forward(x)  # the Seq's layers, then droppath_1 (the last child)
        y += x  # torchvision: result += input
        return y


class EfficientNetB0(Seq):
    input = (3, 224, 224)

    def __init__(self):
        super().__init__(
            # stem
            ('conv_1', conv(3, 32, 3, stride=2, pad=1, bias=False)),
            ('batchnorm_1', bn(32)),
            ('silu_1', nn.SiLU(inplace=True)),
            # stage 1, t = 1: depthwise, SE, project
            ('conv_2', conv(32, 32, 3, pad=1, groups=32, bias=False)),
            ('batchnorm_2', bn(32)),
            ('silu_2', nn.SiLU(inplace=True)),
            ('SE_1', SE(32, 8)),
            ('conv_3', conv(32, 16, 1, bias=False)),
            ('batchnorm_3', bn(16)),
            # the MBConv stages
            ('MBConv_1', MBConv(16, 24, 3, stride=2)),
            ('MBConvSkip_1', MBConvSkip(24, 3, 0.025)),
            ('MBConv_2', MBConv(24, 40, 5, stride=2)),
            ('MBConvSkip_2', MBConvSkip(40, 5, 0.05)),
            ('MBConv_3', MBConv(40, 80, 3, stride=2)),
            ('MBConvSkip_3', MBConvSkip(80, 3, 0.075)),
            ('MBConvSkip_4', MBConvSkip(80, 3, 0.0875)),
            ('MBConv_4', MBConv(80, 112, 5)),
            ('MBConvSkip_5', MBConvSkip(112, 5, 0.1125)),
            ('MBConvSkip_6', MBConvSkip(112, 5, 0.125)),
            ('MBConv_5', MBConv(112, 192, 5, stride=2)),
            ('MBConvSkip_7', MBConvSkip(192, 5, 0.15)),
            ('MBConvSkip_8', MBConvSkip(192, 5, 0.1625)),
            ('MBConvSkip_9', MBConvSkip(192, 5, 0.175)),
            ('MBConv_6', MBConv(192, 320, 3)),
            # last conv and classifier
            ('conv_4', conv(320, 1280, 1, bias=False)),
            ('batchnorm_4', bn(1280)),
            ('silu_3', nn.SiLU(inplace=True)),
            ('globalavgpool_1', nn.AdaptiveAvgPool2d(1)),
            ('flatten_1', nn.Flatten()),
            ('dropout_1', nn.Dropout(0.2, inplace=True)),
            ('dense_1', nn.Linear(1280, 1000)),
        )


NETWORKS = {'EfficientNetB0': ('efficientnet-b0', EfficientNetB0)}
