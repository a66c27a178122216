"""PyTorch forms of Stride's ops that torch.nn has no module for, as torchvision writes them.

  layernorm [eps E] [noaffine]   -> LayerNorm2d(C, eps): nn.LayerNorm over the channels at each position
                                    (torchvision's ConvNeXt LayerNorm2d); on a flat tensor, nn.LayerNorm(C)
  scale [init]                   -> Scale(C): x · weight, weight C×1×1 (torchvision ConvNeXt's layer_scale)
  shuffle G                      -> ChannelShuffle(G) (torchvision's shufflenetv2.channel_shuffle)
  split N take K                 -> Split(N, K): torch.chunk(x, N, dim=1)[K]
  droppath p                     -> DropPath(p): torchvision.ops.StochasticDepth(p, 'row'), the identity in eval
  groupnorm G [noaffine]         -> nn.GroupNorm(G, C, eps)
  instancenorm [affine]          -> nn.InstanceNorm2d(C, eps, affine=affine)
  prelu                          -> nn.PReLU(C)
  hardswish / hardsigmoid / mish / elu A -> nn.Hardswish / nn.Hardsigmoid / nn.Mish / nn.ELU(A)
  pad P mode zero|reflect|replicate -> nn.ZeroPad2d / nn.ReflectionPad2d / nn.ReplicationPad2d, (left, right, top, bottom)
  pixelshuffle r                 -> nn.PixelShuffle(r)
  adaptivemaxpool HxW            -> nn.AdaptiveMaxPool2d((H, W))
  mul NAME                       -> x * NAME (broadcasting a 1x1xC gate over HxWxC)
"""

import torch
from torch import nn
from torch.nn import functional as F


class LayerNorm2d(nn.LayerNorm):
    """LayerNorm over the channels of N×C×H×W, as torchvision's ConvNeXt: permute, normalise, permute back."""

    def forward(self, x):
        if x.dim() == 2:
            return super().forward(x)
        return F.layer_norm(x.permute(0, 2, 3, 1), self.normalized_shape, self.weight, self.bias, self.eps).permute(0, 3, 1, 2)


class Scale(nn.Module):
    def __init__(self, c, init=1.0, spatial=True):
        super().__init__()
        self.weight = nn.Parameter(torch.full((c, 1, 1) if spatial else (c,), init))

    def forward(self, x):
        return x * self.weight


class ChannelShuffle(nn.Module):
    def __init__(self, groups):
        super().__init__()
        self.groups = groups

    def forward(self, x):
        n, c, h, w = x.shape
        return x.view(n, self.groups, c // self.groups, h, w).transpose(1, 2).contiguous().view(n, c, h, w)


class Split(nn.Module):
    def __init__(self, parts, take):
        super().__init__()
        self.parts, self.take = parts, take

    def forward(self, x):
        return torch.chunk(x, self.parts, dim=1)[self.take]


class DropPath(nn.Module):
    """torchvision.ops.StochasticDepth(p, 'row'): a per-sample keep mask while training, the identity in eval."""

    def __init__(self, p):
        super().__init__()
        self.p = p

    def forward(self, x):
        if not self.training or self.p == 0:
            return x
        keep = 1 - self.p
        noise = torch.empty([x.shape[0]] + [1] * (x.dim() - 1), dtype=x.dtype, device=x.device).bernoulli_(keep)
        return x * noise.div_(keep)


def pad(sides, mode='zero'):
    """`pad (top, left, bottom, right) mode M`; PyTorch's padding modules take (left, right, top, bottom)."""
    t, l, b, r = sides
    cls = {'zero': nn.ZeroPad2d, 'reflect': nn.ReflectionPad2d, 'replicate': nn.ReplicationPad2d}[mode]
    return cls((l, r, t, b))


# Parameters Stride initialises to constants (ones, zeros, 0.25, the scale's init): the oracle gives them
# seeded values in these ranges, so that a mistake in them shows.
PERTURBED = (
    (LayerNorm2d, {'weight': (0.5, 1.5), 'bias': (-0.2, 0.2)}),
    (nn.LayerNorm, {'weight': (0.5, 1.5), 'bias': (-0.2, 0.2)}),
    (nn.GroupNorm, {'weight': (0.5, 1.5), 'bias': (-0.2, 0.2)}),
    (nn.InstanceNorm2d, {'weight': (0.5, 1.5), 'bias': (-0.2, 0.2)}),
    (nn.PReLU, {'weight': (0.1, 0.4)}),
    (Scale, {'weight': (0.5, 1.5)}),
)
