"""The networks of examples/*.stride, written in PyTorch from the text of each file.

Each class reads its .stride network line by line. Attribute names are Stride's layer names (the op and
its place in the network or in a block call: `conv_3`, `Bottleneck_2.conv_1`), so `state_dict()` keys are
Stride's weight names. Layers without parameters are attributes too, to keep the reading one-to-one.

What the words of a .stride file mean here (docs/language.md, ../shared/DESIGN.md):
  conv C KxK stride S pad P groups G nobias  -> nn.Conv2d(cin, C, K, S, P, groups=G, bias=not nobias)
  convtranspose C KxK stride S pad P         -> nn.ConvTranspose2d(cin, C, K, S, P)
  maxpool KxK [stride S] [pad P] [ceil]      -> nn.MaxPool2d(K, S (default K), P, ceil_mode=ceil)
  avgpool KxK                                -> nn.AvgPool2d(K) (count_include_pad: padding counts)
  globalavgpool                              -> nn.AdaptiveAvgPool2d(1)
  adaptiveavgpool HxW                        -> nn.AdaptiveAvgPool2d((H, W))
  batchnorm                                  -> nn.BatchNorm2d(C) (eps 1e-5, momentum 0.1; BatchNorm2d below)
  lrn N [k K]                                -> nn.LocalResponseNorm(N, alpha=1e-4, beta=0.75, k=K (1))
  leakyrelu alpha A                          -> nn.LeakyReLU(A)
  dropout [p]                                -> nn.Dropout(p) (the identity in eval mode)
  flatten                                    -> nn.Flatten() (C·H·W order)
  dense N                                    -> nn.Linear(features, N)
  residual { f } [shortcut { g }]            -> f(x) + g(x), g the identity when omitted
  concat { branch {…} … }                    -> torch.cat of the branches along the channels, in order
  X as name / from name / add name / concat name
                                             -> keep a tensor / continue from it / x + it / cat([x, it])
"""

import torch
from torch import nn


def conv(cin, cout, k, stride=1, pad=0, groups=1, bias=True):
    return nn.Conv2d(cin, cout, k, stride=stride, padding=pad, groups=groups, bias=bias)


class BatchNorm2d(nn.BatchNorm2d):
    """`batchnorm`: nn.BatchNorm2d (eps 1e-5, momentum 0.1) without the num_batches_tracked counter, which
    only matters for momentum=None; its state_dict is weight, bias, running_mean and running_var."""

    def __init__(self, c):
        super().__init__(c, eps=1e-5, momentum=0.1)
        self.num_batches_tracked = None

    def _load_from_state_dict(self, state_dict, prefix, local_metadata, *args):
        # Version 2 of the format: the counter is not added back to a state_dict that lacks it.
        super()._load_from_state_dict(state_dict, prefix, {**local_metadata, 'version': 2}, *args)


def bn(c):
    return BatchNorm2d(c)


class Seq(nn.Module):
    """Layers applied one after the other, each an attribute named as in Stride."""

    def __init__(self, *layers):
        super().__init__()
        for name, layer in layers:
            self.add_module(name, layer)

    def forward(self, x):
        for layer in self.children():
            x = layer(x)
        return x


# ---------------------------------------------------------------------------------------------- lenet5

class LeNet5(Seq):
    input = (1, 32, 32)

    def __init__(self):
        super().__init__(
            ('conv_1', conv(1, 6, 5)),
            ('tanh_1', nn.Tanh()),
            ('maxpool_1', nn.MaxPool2d(2)),
            ('conv_2', conv(6, 16, 5)),
            ('tanh_2', nn.Tanh()),
            ('maxpool_2', nn.MaxPool2d(2)),
            ('flatten_1', nn.Flatten()),
            ('dense_1', nn.Linear(400, 120)),
            ('tanh_3', nn.Tanh()),
            ('dense_2', nn.Linear(120, 84)),
            ('tanh_4', nn.Tanh()),
            ('dense_3', nn.Linear(84, 10)),
        )


# ----------------------------------------------------------------------------------------------- alexnet

class AlexNetNotes(Seq):
    input = (3, 227, 227)

    def __init__(self):
        super().__init__(
            ('conv_1', conv(3, 96, 11, stride=4)),
            ('relu_1', nn.ReLU()),
            ('lrn_1', nn.LocalResponseNorm(5, alpha=1e-4, beta=0.75, k=2.0)),
            ('maxpool_1', nn.MaxPool2d(3, stride=2)),
            ('conv_2', conv(96, 256, 5, pad=2)),
            ('relu_2', nn.ReLU()),
            ('lrn_2', nn.LocalResponseNorm(5, alpha=1e-4, beta=0.75, k=2.0)),
            ('maxpool_2', nn.MaxPool2d(3, stride=2)),
            ('conv_3', conv(256, 384, 3, pad=1)),
            ('relu_3', nn.ReLU()),
            ('conv_4', conv(384, 384, 3, pad=1)),
            ('relu_4', nn.ReLU()),
            ('conv_5', conv(384, 256, 3, pad=1)),
            ('relu_5', nn.ReLU()),
            ('maxpool_3', nn.MaxPool2d(3, stride=2)),
            ('flatten_1', nn.Flatten()),
            ('dense_1', nn.Linear(9216, 4096)),
            ('relu_6', nn.ReLU()),
            ('dropout_1', nn.Dropout(0.5)),
            ('dense_2', nn.Linear(4096, 4096)),
            ('relu_7', nn.ReLU()),
            ('dropout_2', nn.Dropout(0.5)),
            ('dense_3', nn.Linear(4096, 1000)),
        )


class AlexNet(Seq):
    input = (3, 224, 224)

    def __init__(self):
        super().__init__(
            ('conv_1', conv(3, 64, 11, stride=4, pad=2)),
            ('relu_1', nn.ReLU()),
            ('maxpool_1', nn.MaxPool2d(3, stride=2)),
            ('conv_2', conv(64, 192, 5, pad=2)),
            ('relu_2', nn.ReLU()),
            ('maxpool_2', nn.MaxPool2d(3, stride=2)),
            ('conv_3', conv(192, 384, 3, pad=1)),
            ('relu_3', nn.ReLU()),
            ('conv_4', conv(384, 256, 3, pad=1)),
            ('relu_4', nn.ReLU()),
            ('conv_5', conv(256, 256, 3, pad=1)),
            ('relu_5', nn.ReLU()),
            ('maxpool_3', nn.MaxPool2d(3, stride=2)),
            ('adaptiveavgpool_1', nn.AdaptiveAvgPool2d((6, 6))),
            ('flatten_1', nn.Flatten()),
            ('dropout_1', nn.Dropout(0.5)),
            ('dense_1', nn.Linear(9216, 4096)),
            ('relu_6', nn.ReLU()),
            ('dropout_2', nn.Dropout(0.5)),
            ('dense_2', nn.Linear(4096, 4096)),
            ('relu_7', nn.ReLU()),
            ('dense_3', nn.Linear(4096, 1000)),
        )


# ------------------------------------------------------------------------------------------------- vgg16

class VGG16(Seq):
    input = (3, 224, 224)

    def __init__(self):
        super().__init__(
            ('conv_1', conv(3, 64, 3, pad=1)), ('relu_1', nn.ReLU()),
            ('conv_2', conv(64, 64, 3, pad=1)), ('relu_2', nn.ReLU()),
            ('maxpool_1', nn.MaxPool2d(2)),
            ('conv_3', conv(64, 128, 3, pad=1)), ('relu_3', nn.ReLU()),
            ('conv_4', conv(128, 128, 3, pad=1)), ('relu_4', nn.ReLU()),
            ('maxpool_2', nn.MaxPool2d(2)),
            ('conv_5', conv(128, 256, 3, pad=1)), ('relu_5', nn.ReLU()),
            ('conv_6', conv(256, 256, 3, pad=1)), ('relu_6', nn.ReLU()),
            ('conv_7', conv(256, 256, 3, pad=1)), ('relu_7', nn.ReLU()),
            ('maxpool_3', nn.MaxPool2d(2)),
            ('conv_8', conv(256, 512, 3, pad=1)), ('relu_8', nn.ReLU()),
            ('conv_9', conv(512, 512, 3, pad=1)), ('relu_9', nn.ReLU()),
            ('conv_10', conv(512, 512, 3, pad=1)), ('relu_10', nn.ReLU()),
            ('maxpool_4', nn.MaxPool2d(2)),
            ('conv_11', conv(512, 512, 3, pad=1)), ('relu_11', nn.ReLU()),
            ('conv_12', conv(512, 512, 3, pad=1)), ('relu_12', nn.ReLU()),
            ('conv_13', conv(512, 512, 3, pad=1)), ('relu_13', nn.ReLU()),
            ('maxpool_5', nn.MaxPool2d(2)),
            ('adaptiveavgpool_1', nn.AdaptiveAvgPool2d((7, 7))),
            ('flatten_1', nn.Flatten()),
            ('dense_1', nn.Linear(25088, 4096)),
            ('relu_14', nn.ReLU()),
            ('dropout_1', nn.Dropout(0.5)),
            ('dense_2', nn.Linear(4096, 4096)),
            ('relu_15', nn.ReLU()),
            ('dropout_2', nn.Dropout(0.5)),
            ('dense_3', nn.Linear(4096, 1000)),
        )


# ---------------------------------------------------------------------------------------------- resnet18

class Basic(nn.Module):
    """block Basic(c): residual { conv 3x3, bn, relu, conv 3x3, bn } (identity shortcut), relu."""

    def __init__(self, c):
        super().__init__()
        self.conv_1 = conv(c, c, 3, pad=1, bias=False)
        self.batchnorm_1 = bn(c)
        self.relu_1 = nn.ReLU()
        self.conv_2 = conv(c, c, 3, pad=1, bias=False)
        self.batchnorm_2 = bn(c)
        self.relu_2 = nn.ReLU()

    def forward(self, x):
        y = self.batchnorm_2(self.conv_2(self.relu_1(self.batchnorm_1(self.conv_1(x)))))
        return self.relu_2(y + x)


class BasicDown(nn.Module):
    """block BasicDown(c, stride = 2): the same with a strided first conv and a 1x1 projection shortcut."""

    def __init__(self, cin, c, stride=2):
        super().__init__()
        self.conv_1 = conv(cin, c, 3, stride=stride, pad=1, bias=False)
        self.batchnorm_1 = bn(c)
        self.relu_1 = nn.ReLU()
        self.conv_2 = conv(c, c, 3, pad=1, bias=False)
        self.batchnorm_2 = bn(c)
        self.conv_3 = conv(cin, c, 1, stride=stride, bias=False)
        self.batchnorm_3 = bn(c)
        self.relu_2 = nn.ReLU()

    def forward(self, x):
        y = self.batchnorm_2(self.conv_2(self.relu_1(self.batchnorm_1(self.conv_1(x)))))
        s = self.batchnorm_3(self.conv_3(x))
        return self.relu_2(y + s)


class ResNet18(Seq):
    input = (3, 224, 224)

    def __init__(self):
        super().__init__(
            ('conv_1', conv(3, 64, 7, stride=2, pad=3, bias=False)),
            ('batchnorm_1', bn(64)),
            ('relu_1', nn.ReLU()),
            ('maxpool_1', nn.MaxPool2d(3, stride=2, padding=1)),
            ('Basic_1', Basic(64)),
            ('Basic_2', Basic(64)),
            ('BasicDown_1', BasicDown(64, 128)),
            ('Basic_3', Basic(128)),
            ('BasicDown_2', BasicDown(128, 256)),
            ('Basic_4', Basic(256)),
            ('BasicDown_3', BasicDown(256, 512)),
            ('Basic_5', Basic(512)),
            ('globalavgpool_1', nn.AdaptiveAvgPool2d(1)),
            ('flatten_1', nn.Flatten()),
            ('dense_1', nn.Linear(512, 1000)),
        )


# ---------------------------------------------------------------------------------------------- resnet50

class Bottleneck(nn.Module):
    """block Bottleneck(c): 1x1 reduce to c, 3x3, 1x1 expand to 4c, identity shortcut, relu."""

    def __init__(self, c):
        super().__init__()
        self.conv_1 = conv(4 * c, c, 1, bias=False)
        self.batchnorm_1 = bn(c)
        self.relu_1 = nn.ReLU()
        self.conv_2 = conv(c, c, 3, pad=1, bias=False)
        self.batchnorm_2 = bn(c)
        self.relu_2 = nn.ReLU()
        self.conv_3 = conv(c, 4 * c, 1, bias=False)
        self.batchnorm_3 = bn(4 * c)
        self.relu_3 = nn.ReLU()

    def forward(self, x):
        y = self.relu_1(self.batchnorm_1(self.conv_1(x)))
        y = self.relu_2(self.batchnorm_2(self.conv_2(y)))
        y = self.batchnorm_3(self.conv_3(y))
        return self.relu_3(y + x)


class BottleneckDown(nn.Module):
    """block BottleneckDown(c, stride = 1): the stride on the 3x3 conv, a 1x1 projection shortcut to 4c."""

    def __init__(self, cin, c, stride=1):
        super().__init__()
        self.conv_1 = conv(cin, c, 1, bias=False)
        self.batchnorm_1 = bn(c)
        self.relu_1 = nn.ReLU()
        self.conv_2 = conv(c, c, 3, stride=stride, pad=1, bias=False)
        self.batchnorm_2 = bn(c)
        self.relu_2 = nn.ReLU()
        self.conv_3 = conv(c, 4 * c, 1, bias=False)
        self.batchnorm_3 = bn(4 * c)
        self.conv_4 = conv(cin, 4 * c, 1, stride=stride, bias=False)
        self.batchnorm_4 = bn(4 * c)
        self.relu_3 = nn.ReLU()

    def forward(self, x):
        y = self.relu_1(self.batchnorm_1(self.conv_1(x)))
        y = self.relu_2(self.batchnorm_2(self.conv_2(y)))
        y = self.batchnorm_3(self.conv_3(y))
        s = self.batchnorm_4(self.conv_4(x))
        return self.relu_3(y + s)


class ResNet50(Seq):
    input = (3, 224, 224)

    def __init__(self):
        super().__init__(
            ('conv_1', conv(3, 64, 7, stride=2, pad=3, bias=False)),
            ('batchnorm_1', bn(64)),
            ('relu_1', nn.ReLU()),
            ('maxpool_1', nn.MaxPool2d(3, stride=2, padding=1)),
            # layer1
            ('BottleneckDown_1', BottleneckDown(64, 64)),
            ('Bottleneck_1', Bottleneck(64)),
            ('Bottleneck_2', Bottleneck(64)),
            # layer2
            ('BottleneckDown_2', BottleneckDown(256, 128, stride=2)),
            ('Bottleneck_3', Bottleneck(128)),
            ('Bottleneck_4', Bottleneck(128)),
            ('Bottleneck_5', Bottleneck(128)),
            # layer3
            ('BottleneckDown_3', BottleneckDown(512, 256, stride=2)),
            ('Bottleneck_6', Bottleneck(256)),
            ('Bottleneck_7', Bottleneck(256)),
            ('Bottleneck_8', Bottleneck(256)),
            ('Bottleneck_9', Bottleneck(256)),
            ('Bottleneck_10', Bottleneck(256)),
            # layer4
            ('BottleneckDown_4', BottleneckDown(1024, 512, stride=2)),
            ('Bottleneck_11', Bottleneck(512)),
            ('Bottleneck_12', Bottleneck(512)),
            ('globalavgpool_1', nn.AdaptiveAvgPool2d(1)),
            ('flatten_1', nn.Flatten()),
            ('dense_1', nn.Linear(2048, 1000)),
        )


# ------------------------------------------------------------------------------------------- mobilenetv2

class InvRes(Seq):
    """block InvRes(cin, c, t = 6, stride = 1): expand 1x1, depthwise 3x3, linear projection; no skip."""

    def __init__(self, cin, c, t=6, stride=1):
        e = cin * t
        super().__init__(
            ('conv_1', conv(cin, e, 1, bias=False)),
            ('batchnorm_1', bn(e)),
            ('relu6_1', nn.ReLU6()),
            ('conv_2', conv(e, e, 3, stride=stride, pad=1, groups=e, bias=False)),
            ('batchnorm_2', bn(e)),
            ('relu6_2', nn.ReLU6()),
            ('conv_3', conv(e, c, 1, bias=False)),
            ('batchnorm_3', bn(c)),
        )


class InvResSkip(InvRes):
    """block InvResSkip(c, t = 6): the same layers inside `residual { … }`: x + f(x), nothing after."""

    def __init__(self, c, t=6):
        super().__init__(c, c, t)

    def forward(self, x):
        return x + super().forward(x)


class MobileNetV2(Seq):
    input = (3, 224, 224)

    def __init__(self):
        super().__init__(
            ('conv_1', conv(3, 32, 3, stride=2, pad=1, bias=False)),
            ('batchnorm_1', bn(32)),
            ('relu6_1', nn.ReLU6()),
            ('conv_2', conv(32, 32, 3, pad=1, groups=32, bias=False)),
            ('batchnorm_2', bn(32)),
            ('relu6_2', nn.ReLU6()),
            ('conv_3', conv(32, 16, 1, bias=False)),
            ('batchnorm_3', bn(16)),
            ('InvRes_1', InvRes(16, 24, stride=2)),
            ('InvResSkip_1', InvResSkip(24)),
            ('InvRes_2', InvRes(24, 32, stride=2)),
            ('InvResSkip_2', InvResSkip(32)),
            ('InvResSkip_3', InvResSkip(32)),
            ('InvRes_3', InvRes(32, 64, stride=2)),
            ('InvResSkip_4', InvResSkip(64)),
            ('InvResSkip_5', InvResSkip(64)),
            ('InvResSkip_6', InvResSkip(64)),
            ('InvRes_4', InvRes(64, 96)),
            ('InvResSkip_7', InvResSkip(96)),
            ('InvResSkip_8', InvResSkip(96)),
            ('InvRes_5', InvRes(96, 160, stride=2)),
            ('InvResSkip_9', InvResSkip(160)),
            ('InvResSkip_10', InvResSkip(160)),
            ('InvRes_6', InvRes(160, 320)),
            ('conv_4', conv(320, 1280, 1, bias=False)),
            ('batchnorm_4', bn(1280)),
            ('relu6_3', nn.ReLU6()),
            ('globalavgpool_1', nn.AdaptiveAvgPool2d(1)),
            ('flatten_1', nn.Flatten()),
            ('dropout_1', nn.Dropout(0.2)),
            ('dense_1', nn.Linear(1280, 1000)),
        )


# --------------------------------------------------------------------------------------------- inception

class Inception(nn.Module):
    """block Inception(c1, c3r, c3, c5r, c5, pp): four branches on the same input, concatenated."""

    def __init__(self, cin, c1, c3r, c3, c5r, c5, pp):
        super().__init__()
        # branch 1
        self.conv_1 = conv(cin, c1, 1)
        self.relu_1 = nn.ReLU()
        # branch 2
        self.conv_2 = conv(cin, c3r, 1)
        self.relu_2 = nn.ReLU()
        self.conv_3 = conv(c3r, c3, 3, pad=1)
        self.relu_3 = nn.ReLU()
        # branch 3
        self.conv_4 = conv(cin, c5r, 1)
        self.relu_4 = nn.ReLU()
        self.conv_5 = conv(c5r, c5, 5, pad=2)
        self.relu_5 = nn.ReLU()
        # branch 4
        self.maxpool_1 = nn.MaxPool2d(3, stride=1, padding=1)
        self.conv_6 = conv(cin, pp, 1)
        self.relu_6 = nn.ReLU()

    def forward(self, x):
        b1 = self.relu_1(self.conv_1(x))
        b2 = self.relu_3(self.conv_3(self.relu_2(self.conv_2(x))))
        b3 = self.relu_5(self.conv_5(self.relu_4(self.conv_4(x))))
        b4 = self.relu_6(self.conv_6(self.maxpool_1(x)))
        return torch.cat([b1, b2, b3, b4], dim=1)


class GoogLeNet(Seq):
    input = (3, 224, 224)

    def __init__(self):
        super().__init__(
            ('conv_1', conv(3, 64, 7, stride=2, pad=3)),
            ('relu_1', nn.ReLU()),
            ('maxpool_1', nn.MaxPool2d(3, stride=2, ceil_mode=True)),
            ('lrn_1', nn.LocalResponseNorm(5, alpha=1e-4, beta=0.75, k=1.0)),
            ('conv_2', conv(64, 64, 1)),
            ('relu_2', nn.ReLU()),
            ('conv_3', conv(64, 192, 3, pad=1)),
            ('relu_3', nn.ReLU()),
            ('lrn_2', nn.LocalResponseNorm(5, alpha=1e-4, beta=0.75, k=1.0)),
            ('maxpool_2', nn.MaxPool2d(3, stride=2, ceil_mode=True)),
            ('Inception_1', Inception(192, 64, 96, 128, 16, 32, 32)),
            ('Inception_2', Inception(256, 128, 128, 192, 32, 96, 64)),
            ('maxpool_3', nn.MaxPool2d(3, stride=2, ceil_mode=True)),
            ('Inception_3', Inception(480, 192, 96, 208, 16, 48, 64)),
            ('Inception_4', Inception(512, 160, 112, 224, 24, 64, 64)),
            ('Inception_5', Inception(512, 128, 128, 256, 24, 64, 64)),
            ('Inception_6', Inception(512, 112, 144, 288, 32, 64, 64)),
            ('Inception_7', Inception(528, 256, 160, 320, 32, 128, 128)),
            ('maxpool_4', nn.MaxPool2d(3, stride=2, ceil_mode=True)),
            ('Inception_8', Inception(832, 256, 160, 320, 32, 128, 128)),
            ('Inception_9', Inception(832, 384, 192, 384, 48, 128, 128)),
            ('avgpool_1', nn.AvgPool2d(7)),
            ('flatten_1', nn.Flatten()),
            ('dropout_1', nn.Dropout(0.4)),
            ('dense_1', nn.Linear(1024, 1000)),
        )


# --------------------------------------------------------------------------------------------------- fcn

class FCN8s(nn.Module):
    input = (3, 224, 224)

    def __init__(self):
        super().__init__()
        # VGG-16 backbone: 13 convs (each followed by a ReLU), 5 max pools
        widths = [(3, 64), (64, 64), (64, 128), (128, 128), (128, 256), (256, 256), (256, 256),
                  (256, 512), (512, 512), (512, 512), (512, 512), (512, 512), (512, 512)]
        for i, (cin, cout) in enumerate(widths, start=1):
            self.add_module(f'conv_{i}', conv(cin, cout, 3, pad=1))
            self.add_module(f'relu_{i}', nn.ReLU())
        for i in range(1, 6):
            self.add_module(f'maxpool_{i}', nn.MaxPool2d(2))
        # fc6, fc7 as convs, then the class scores
        self.conv_14 = conv(512, 4096, 7, pad=3)
        self.relu_14 = nn.ReLU()
        self.dropout_1 = nn.Dropout(0.5)
        self.conv_15 = conv(4096, 4096, 1)
        self.relu_15 = nn.ReLU()
        self.dropout_2 = nn.Dropout(0.5)
        self.conv_16 = conv(4096, 21, 1)
        self.convtranspose_1 = nn.ConvTranspose2d(21, 21, 4, stride=2, padding=1, bias=False)  # up2
        self.conv_17 = conv(512, 21, 1)
        self.convtranspose_2 = nn.ConvTranspose2d(21, 21, 4, stride=2, padding=1, bias=False)  # up4
        self.conv_18 = conv(256, 21, 1)
        self.convtranspose_3 = nn.ConvTranspose2d(21, 21, 16, stride=8, padding=4, bias=False)

    def stage(self, x, convs, pool):
        for i in convs:
            x = getattr(self, f'relu_{i}')(getattr(self, f'conv_{i}')(x))
        return getattr(self, f'maxpool_{pool}')(x)

    def forward(self, x):
        x = self.stage(x, [1, 2], 1)
        x = self.stage(x, [3, 4], 2)
        pool3 = self.stage(x, [5, 6, 7], 3)
        pool4 = self.stage(pool3, [8, 9, 10], 4)
        x = self.stage(pool4, [11, 12, 13], 5)
        x = self.dropout_1(self.relu_14(self.conv_14(x)))
        x = self.dropout_2(self.relu_15(self.conv_15(x)))
        x = self.conv_16(x)
        up2 = self.convtranspose_1(x)
        x = self.conv_17(pool4) + up2
        up4 = self.convtranspose_2(x)
        x = self.conv_18(pool3) + up4
        return self.convtranspose_3(x)


# -------------------------------------------------------------------------------------------------- unet

class Double(Seq):
    """block Double(c): two 3x3 convs with pad 1, each followed by ReLU."""

    def __init__(self, cin, c):
        super().__init__(
            ('conv_1', conv(cin, c, 3, pad=1)),
            ('relu_1', nn.ReLU()),
            ('conv_2', conv(c, c, 3, pad=1)),
            ('relu_2', nn.ReLU()),
        )


class UNet(nn.Module):
    input = (1, 256, 256)

    def __init__(self):
        super().__init__()
        self.Double_1 = Double(1, 64)
        self.maxpool_1 = nn.MaxPool2d(2)
        self.Double_2 = Double(64, 128)
        self.maxpool_2 = nn.MaxPool2d(2)
        self.Double_3 = Double(128, 256)
        self.maxpool_3 = nn.MaxPool2d(2)
        self.Double_4 = Double(256, 512)
        self.maxpool_4 = nn.MaxPool2d(2)
        self.Double_5 = Double(512, 1024)
        self.convtranspose_1 = nn.ConvTranspose2d(1024, 512, 2, stride=2)
        self.Double_6 = Double(1024, 512)
        self.convtranspose_2 = nn.ConvTranspose2d(512, 256, 2, stride=2)
        self.Double_7 = Double(512, 256)
        self.convtranspose_3 = nn.ConvTranspose2d(256, 128, 2, stride=2)
        self.Double_8 = Double(256, 128)
        self.convtranspose_4 = nn.ConvTranspose2d(128, 64, 2, stride=2)
        self.Double_9 = Double(128, 64)
        self.conv_1 = conv(64, 2, 1)

    def forward(self, x):
        enc1 = self.Double_1(x)
        enc2 = self.Double_2(self.maxpool_1(enc1))
        enc3 = self.Double_3(self.maxpool_2(enc2))
        enc4 = self.Double_4(self.maxpool_3(enc3))
        x = self.Double_5(self.maxpool_4(enc4))
        # `concat enc4` appends enc4 to the current tensor
        x = self.Double_6(torch.cat([self.convtranspose_1(x), enc4], dim=1))
        x = self.Double_7(torch.cat([self.convtranspose_2(x), enc3], dim=1))
        x = self.Double_8(torch.cat([self.convtranspose_3(x), enc2], dim=1))
        x = self.Double_9(torch.cat([self.convtranspose_4(x), enc1], dim=1))
        return self.conv_1(x)


# ------------------------------------------------------------------------------------------------- dcgan

class Generator(Seq):
    input = (100, 1, 1)

    def __init__(self):
        super().__init__(
            ('convtranspose_1', nn.ConvTranspose2d(100, 512, 4, bias=False)),
            ('batchnorm_1', bn(512)),
            ('relu_1', nn.ReLU()),
            ('convtranspose_2', nn.ConvTranspose2d(512, 256, 4, stride=2, padding=1, bias=False)),
            ('batchnorm_2', bn(256)),
            ('relu_2', nn.ReLU()),
            ('convtranspose_3', nn.ConvTranspose2d(256, 128, 4, stride=2, padding=1, bias=False)),
            ('batchnorm_3', bn(128)),
            ('relu_3', nn.ReLU()),
            ('convtranspose_4', nn.ConvTranspose2d(128, 64, 4, stride=2, padding=1, bias=False)),
            ('batchnorm_4', bn(64)),
            ('relu_4', nn.ReLU()),
            ('convtranspose_5', nn.ConvTranspose2d(64, 3, 4, stride=2, padding=1, bias=False)),
            ('tanh_1', nn.Tanh()),
        )


class Discriminator(Seq):
    input = (3, 64, 64)

    def __init__(self):
        super().__init__(
            ('conv_1', conv(3, 64, 4, stride=2, pad=1, bias=False)),
            ('leakyrelu_1', nn.LeakyReLU(0.2)),
            ('conv_2', conv(64, 128, 4, stride=2, pad=1, bias=False)),
            ('batchnorm_1', bn(128)),
            ('leakyrelu_2', nn.LeakyReLU(0.2)),
            ('conv_3', conv(128, 256, 4, stride=2, pad=1, bias=False)),
            ('batchnorm_2', bn(256)),
            ('leakyrelu_3', nn.LeakyReLU(0.2)),
            ('conv_4', conv(256, 512, 4, stride=2, pad=1, bias=False)),
            ('batchnorm_3', bn(512)),
            ('leakyrelu_4', nn.LeakyReLU(0.2)),
            ('conv_5', conv(512, 1, 4, bias=False)),
            ('sigmoid_1', nn.Sigmoid()),
        )


# ---------------------------------------------------------------------------------------------- patterns

class Pattern(Seq):
    input = (3, 32, 32)

    def __init__(self):
        super().__init__(
            # stage 1
            ('conv_1', conv(3, 64, 3, pad=1)), ('relu_1', nn.ReLU()),
            ('conv_2', conv(64, 64, 3, pad=1)), ('relu_2', nn.ReLU()),
            ('maxpool_1', nn.MaxPool2d(2)),
            # stage 2
            ('conv_3', conv(64, 64, 3, pad=1)), ('relu_3', nn.ReLU()),
            ('conv_4', conv(64, 64, 3, pad=1)), ('relu_4', nn.ReLU()),
            ('maxpool_2', nn.MaxPool2d(2)),
            # stage 3
            ('conv_5', conv(64, 64, 3, pad=1)), ('relu_5', nn.ReLU()),
            ('conv_6', conv(64, 64, 3, pad=1)), ('relu_6', nn.ReLU()),
            ('maxpool_3', nn.MaxPool2d(2)),
            ('flatten_1', nn.Flatten()),
            ('dense_1', nn.Linear(1024, 512)), ('relu_7', nn.ReLU()),
            ('dense_2', nn.Linear(512, 512)), ('relu_8', nn.ReLU()),
            ('dense_3', nn.Linear(512, 10)),
        )


class Notes6x6(Seq):
    input = (3, 6, 6)

    def __init__(self):
        super().__init__(('conv_1', conv(3, 2, 3)))


class Notes5x5(Seq):
    input = (3, 5, 5)

    def __init__(self):
        super().__init__(('conv_1', conv(3, 2, 3, stride=2, pad=1)))


class Pool224(Seq):
    input = (64, 224, 224)

    def __init__(self):
        super().__init__(('maxpool_1', nn.MaxPool2d(2, stride=2)))


class DenseHead(Seq):
    input = (512, 7, 7)

    def __init__(self):
        super().__init__(('flatten_1', nn.Flatten()), ('dense_1', nn.Linear(25088, 4096)))


class ConvHead(Seq):
    input = (512, 7, 7)

    def __init__(self):
        super().__init__(('conv_1', conv(512, 4096, 7)))


class ConvHeadSliding(Seq):
    input = (512, 12, 12)

    def __init__(self):
        super().__init__(('conv_1', conv(512, 4096, 7)))


class ThreeConv3x3(Seq):
    input = (64, 32, 32)

    def __init__(self):
        super().__init__(
            ('conv_1', conv(64, 64, 3, pad=1, bias=False)), ('relu_1', nn.ReLU()),
            ('conv_2', conv(64, 64, 3, pad=1, bias=False)), ('relu_2', nn.ReLU()),
            ('conv_3', conv(64, 64, 3, pad=1, bias=False)), ('relu_3', nn.ReLU()),
        )


class OneConv7x7(Seq):
    input = (64, 32, 32)

    def __init__(self):
        super().__init__(('conv_1', conv(64, 64, 7, pad=3, bias=False)), ('relu_1', nn.ReLU()))


# The networks by name, with the example file each comes from.
NETWORKS = {
    'AlexNetNotes': ('alexnet-notes', AlexNetNotes),
    'AlexNet': ('alexnet', AlexNet),
    'Generator': ('dcgan', Generator),
    'Discriminator': ('dcgan', Discriminator),
    'FCN8s': ('fcn', FCN8s),
    'GoogLeNet': ('inception', GoogLeNet),
    'LeNet5': ('lenet5', LeNet5),
    'MobileNetV2': ('mobilenetv2', MobileNetV2),
    'Pattern': ('patterns', Pattern),
    'Notes6x6': ('patterns', Notes6x6),
    'Notes5x5': ('patterns', Notes5x5),
    'Pool224': ('patterns', Pool224),
    'DenseHead': ('patterns', DenseHead),
    'ConvHead': ('patterns', ConvHead),
    'ConvHeadSliding': ('patterns', ConvHeadSliding),
    'ThreeConv3x3': ('patterns', ThreeConv3x3),
    'OneConv7x7': ('patterns', OneConv7x7),
    'ResNet18': ('resnet18', ResNet18),
    'ResNet50': ('resnet50', ResNet50),
    'UNet': ('unet', UNet),
    'VGG16': ('vgg16', VGG16),
}

# The modern CNN zoo (MobileNetV3, EfficientNet, ShuffleNet V2, ConvNeXt, DenseNet), one file each.
from zoo import ZOO  # noqa: E402

NETWORKS.update(ZOO)
