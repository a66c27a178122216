"""ModernOps (test/fixtures/torch/modern-ops.stride), line by line: every op of the modern CNN zoo that the
five zoo examples do not use, in PyTorch's own modules (modern.py for those torch.nn lacks)."""

from torch import nn

from modern import ChannelShuffle, LayerNorm2d, Scale, Split, pad
from networks import conv


class ModernOps(nn.Module):
    input = (8, 12, 10)

    def __init__(self):
        super().__init__()
        self.pad_1 = pad((1, 2, 0, 1), 'reflect')
        self.conv_1 = conv(8, 16, 3, pad=1)
        self.groupnorm_1 = nn.GroupNorm(4, 16, eps=1e-5)
        self.prelu_1 = nn.PReLU(16)
        self.pad_2 = pad((1, 1, 1, 1), 'replicate')
        self.conv_2 = conv(16, 16, 3)
        self.instancenorm_1 = nn.InstanceNorm2d(16, eps=1e-5, affine=True)
        self.elu_1 = nn.ELU(0.7)
        self.mish_1 = nn.Mish()
        self.shuffle_1 = ChannelShuffle(4)
        self.split_1 = Split(4, 3)
        self.conv_3 = conv(4, 16, 1)
        self.hardsigmoid_1 = nn.Hardsigmoid()
        self.layernorm_1 = LayerNorm2d(16, eps=1e-5, elementwise_affine=False)
        self.scale_1 = Scale(16, 0.5)
        self.pixelshuffle_1 = nn.PixelShuffle(2)
        self.pad_3 = nn.ZeroPad2d(1)
        self.adaptivemaxpool_1 = nn.AdaptiveMaxPool2d((7, 14))
        self.instancenorm_2 = nn.InstanceNorm2d(4, eps=1e-5)
        self.groupnorm_2 = nn.GroupNorm(2, 4, eps=1e-5, affine=False)
        self.hardswish_1 = nn.Hardswish()
        self.globalavgpool_1 = nn.AdaptiveAvgPool2d(1)
        self.flatten_1 = nn.Flatten()
        self.dense_1 = nn.Linear(4, 16)
        self.layernorm_2 = nn.LayerNorm(16, eps=1e-5)
        self.dense_2 = nn.Linear(16, 10)

    def forward(self, t):
        x = self.conv_1(self.pad_1(t))
        h = self.pad_2(self.prelu_1(self.groupnorm_1(x)))
        y = self.shuffle_1(self.mish_1(self.elu_1(self.instancenorm_1(self.conv_2(h)))))
        h = self.hardsigmoid_1(self.conv_3(self.split_1(y)))
        h = h * y + x
        h = self.pad_3(self.pixelshuffle_1(self.scale_1(self.layernorm_1(h))))
        h = self.hardswish_1(self.groupnorm_2(self.instancenorm_2(self.adaptivemaxpool_1(h))))
        return self.dense_2(self.layernorm_2(self.dense_1(self.flatten_1(self.globalavgpool_1(h)))))


NETWORKS = {'ModernOps': ('modern-ops', ModernOps)}
