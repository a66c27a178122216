"""MobileNetV3-Large (examples/mobilenetv3-large.stride) in PyTorch, written from the text of that file.

Attribute names are Stride's layer names (`BneckRE_2.SE_1.conv_1`, `ResHS_3.BneckHS_1.batchnorm_2`), so
`state_dict()` keys are Stride's weight names. As torchvision's mobilenet_v3_large runs it: every batchnorm
is BatchNorm2d(eps=0.001, momentum=0.01); the bnecks' ReLU, every Hardswish and the classifier's dropout run
in place, the SE block's ReLU does not; a residual bneck adds its input in place (`result += input`).
"""

from torch import nn

from networks import BatchNorm2d, Seq, conv


def bn(c):
    """`batchnorm eps 0.001 momentum 0.01`."""
    b = BatchNorm2d(c)
    b.eps, b.momentum = 1e-3, 0.01
    return b


class SE(Seq):
    """block SE(c, s): as x; globalavgpool, conv s 1x1, relu, conv c 1x1, hardsigmoid; mul x."""

    def __init__(self, c, s):
        super().__init__(
            ('globalavgpool_1', nn.AdaptiveAvgPool2d(1)),
            ('conv_1', conv(c, s, 1)),
            ('relu_1', nn.ReLU()),
            ('conv_2', conv(s, c, 1)),
            ('hardsigmoid_1', nn.Hardsigmoid()),
        )

    def forward(self, x):
        return super().forward(x) * x


class BneckRE(Seq):
    """block BneckRE(k, e, c, stride = 1, se = 0, s = 0): expand 1x1, depthwise kxk, SE when se = 1,
    linear projection; ReLU after the first two."""

    act = 'relu'

    def __init__(self, cin, k, e, c, stride=1, se=0, s=0):
        def act():
            return nn.ReLU(inplace=True) if self.act == 'relu' else nn.Hardswish(inplace=True)

        layers = [
            ('conv_1', conv(cin, e, 1, bias=False)),
            ('batchnorm_1', bn(e)),
            (f'{self.act}_1', act()),
            ('conv_2', conv(e, e, k, stride=stride, pad=(k - 1) // 2, groups=e, bias=False)),
            ('batchnorm_2', bn(e)),
            (f'{self.act}_2', act()),
        ]
        if se:
            layers.append(('SE_1', SE(e, s)))
        layers += [
            ('conv_3', conv(e, c, 1, bias=False)),
            ('batchnorm_3', bn(c)),
        ]
        super().__init__(*layers)


class BneckHS(BneckRE):
    """block BneckHS: the same with hard swish."""

    act = 'hardswish'


class ResRE(nn.Module):
    """block ResRE(k, e, c, se = 0, s = 0): residual { BneckRE k e c } (stride 1, c channels in and out)."""

    def __init__(self, k, e, c, se=0, s=0):
        super().__init__()
        self.BneckRE_1 = BneckRE(c, k, e, c, se=se, s=s)

    def forward(self, x):
        y = self.BneckRE_1(x)
        y += x
        return y


class ResHS(nn.Module):
    """block ResHS(k, e, c, se = 0, s = 0): residual { BneckHS k e c }."""

    def __init__(self, k, e, c, se=0, s=0):
        super().__init__()
        self.BneckHS_1 = BneckHS(c, k, e, c, se=se, s=s)

    def forward(self, x):
        y = self.BneckHS_1(x)
        y += x
        return y


class MobileNetV3Large(nn.Module):
    input = (3, 224, 224)

    def __init__(self):
        super().__init__()
        self.conv_1 = conv(3, 16, 3, stride=2, pad=1, bias=False)
        self.batchnorm_1 = bn(16)
        self.hardswish_1 = nn.Hardswish(inplace=True)
        # 3, 16, 16, -, RE, 1: residual { depthwise 3x3, project }
        self.conv_2 = conv(16, 16, 3, pad=1, groups=16, bias=False)
        self.batchnorm_2 = bn(16)
        self.relu_1 = nn.ReLU(inplace=True)
        self.conv_3 = conv(16, 16, 1, bias=False)
        self.batchnorm_3 = bn(16)
        # the bneck table (kernel, expanded, out, SE, NL, stride)
        self.BneckRE_1 = BneckRE(16, 3, 64, 24, stride=2)
        self.ResRE_1 = ResRE(3, 72, 24)
        self.BneckRE_2 = BneckRE(24, 5, 72, 40, stride=2, se=1, s=24)
        self.ResRE_2 = ResRE(5, 120, 40, se=1, s=32)
        self.ResRE_3 = ResRE(5, 120, 40, se=1, s=32)
        self.BneckHS_1 = BneckHS(40, 3, 240, 80, stride=2)
        self.ResHS_1 = ResHS(3, 200, 80)
        self.ResHS_2 = ResHS(3, 184, 80)
        self.ResHS_3 = ResHS(3, 184, 80)
        self.BneckHS_2 = BneckHS(80, 3, 480, 112, se=1, s=120)
        self.ResHS_4 = ResHS(3, 672, 112, se=1, s=168)
        self.BneckHS_3 = BneckHS(112, 5, 672, 160, stride=2, se=1, s=168)
        self.ResHS_5 = ResHS(5, 960, 160, se=1, s=240)
        self.ResHS_6 = ResHS(5, 960, 160, se=1, s=240)
        # last conv and classifier
        self.conv_4 = conv(160, 960, 1, bias=False)
        self.batchnorm_4 = bn(960)
        self.hardswish_2 = nn.Hardswish(inplace=True)
        self.globalavgpool_1 = nn.AdaptiveAvgPool2d(1)
        self.flatten_1 = nn.Flatten()
        self.dense_1 = nn.Linear(960, 1280)
        self.hardswish_3 = nn.Hardswish(inplace=True)
        self.dropout_1 = nn.Dropout(0.2, inplace=True)
        self.dense_2 = nn.Linear(1280, 1000)

    def forward(self, x):
        x = self.hardswish_1(self.batchnorm_1(self.conv_1(x)))
        y = self.batchnorm_3(self.conv_3(self.relu_1(self.batchnorm_2(self.conv_2(x)))))
        y += x
        x = y
        for block in (self.BneckRE_1, self.ResRE_1, self.BneckRE_2, self.ResRE_2, self.ResRE_3,
                      self.BneckHS_1, self.ResHS_1, self.ResHS_2, self.ResHS_3,
                      self.BneckHS_2, self.ResHS_4, self.BneckHS_3, self.ResHS_5, self.ResHS_6):
            x = block(x)
        x = self.hardswish_2(self.batchnorm_4(self.conv_4(x)))
        x = self.flatten_1(self.globalavgpool_1(x))
        x = self.dropout_1(self.hardswish_3(self.dense_1(x)))
        return self.dense_2(x)


NETWORKS = {'MobileNetV3Large': ('mobilenetv3-large', MobileNetV3Large)}
