"""Networks written by hand in PyTorch, exported to ONNX for `stride import` (run with Debian's /usr/bin/python3).

    onnx_import.py OUTDIR

For each network (a ResNet-18, ResNet-50's first two stages, a MobileNetV2, a small U-Net, a DenseNet-style
dense block, and a tiny net with an op Stride cannot express): seeded weights (batchnorm statistics random too, so a mistake shows),
eval mode, `torch.onnx.export` at opset 17 twice — with constant folding and TrainingMode.EVAL, which folds
each batchnorm into the conv before it in torch 1.13 (`NAME.folded.onnx`), and with TrainingMode.PRESERVE
and no constant folding, which keeps them (`NAME.onnx`) — a seeded input `NAME.input.npy` and the output
`NAME.output.npy`. Prints one JSON line: per network its parameters (sum of numel), MACs of its conv and
linear layers (forward hooks), the ONNX op types of each export and the numel of its initializers; and per
export pattern (PATTERNS: small nets, each exported once, as written or with auto_pad) its ONNX op types and
the auto_pad modes written.
"""

import json
import sys
from pathlib import Path

import numpy as np
import onnx
import torch
import torch.nn as nn
import torch.nn.functional as F
from onnx import numpy_helper


def conv_bn(cin, cout, k, stride=1, groups=1, act=True, relu6=False):
    layers = [nn.Conv2d(cin, cout, k, stride, k // 2, groups=groups, bias=False), nn.BatchNorm2d(cout)]
    if act:
        layers.append(nn.ReLU6() if relu6 else nn.ReLU())
    return nn.Sequential(*layers)


class Basic(nn.Module):
    def __init__(self, cin, cout, stride):
        super().__init__()
        self.conv1 = nn.Conv2d(cin, cout, 3, stride, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(cout)
        self.conv2 = nn.Conv2d(cout, cout, 3, 1, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(cout)
        self.down = None
        if stride != 1 or cin != cout:
            self.down = nn.Sequential(nn.Conv2d(cin, cout, 1, stride, bias=False), nn.BatchNorm2d(cout))

    def forward(self, x):
        y = self.bn2(self.conv2(F.relu(self.bn1(self.conv1(x)))))
        return F.relu(y + (x if self.down is None else self.down(x)))


class ResNet18(nn.Module):
    def __init__(self, classes=10):
        super().__init__()
        self.stem = nn.Sequential(nn.Conv2d(3, 64, 7, 2, 3, bias=False), nn.BatchNorm2d(64), nn.ReLU(), nn.MaxPool2d(3, 2, 1))
        blocks, c = [], 64
        for cout, stride in [(64, 1), (128, 2), (256, 2), (512, 2)]:
            blocks += [Basic(c, cout, stride), Basic(cout, cout, 1)]
            c = cout
        self.blocks = nn.Sequential(*blocks)
        self.fc = nn.Linear(512, classes)

    def forward(self, x):
        x = self.blocks(self.stem(x))
        return self.fc(torch.flatten(F.adaptive_avg_pool2d(x, 1), 1))


class Bottleneck(nn.Module):
    """ResNet-50's bottleneck as torchvision builds it (v1.5: the stride on the 3x3 conv), expansion 4."""

    def __init__(self, cin, planes, stride):
        super().__init__()
        cout = planes * 4
        self.body = nn.Sequential(conv_bn(cin, planes, 1), conv_bn(planes, planes, 3, stride), conv_bn(planes, cout, 1, act=False))
        self.down = None
        if stride != 1 or cin != cout:
            self.down = nn.Sequential(nn.Conv2d(cin, cout, 1, stride, bias=False), nn.BatchNorm2d(cout))

    def forward(self, x):
        return F.relu(self.body(x) + (x if self.down is None else self.down(x)))


class ResNet50Stages(nn.Module):
    """ResNet-50's stem and first two stages (3 and 4 bottlenecks): a projecting unit of stride 1, one of stride 2."""

    def __init__(self, classes=10):
        super().__init__()
        self.stem = nn.Sequential(nn.Conv2d(3, 64, 7, 2, 3, bias=False), nn.BatchNorm2d(64), nn.ReLU(), nn.MaxPool2d(3, 2, 1))
        blocks, c = [], 64
        for planes, n, stride in [(64, 3, 1), (128, 4, 2)]:
            for i in range(n):
                blocks.append(Bottleneck(c, planes, stride if i == 0 else 1))
                c = planes * 4
        self.blocks = nn.Sequential(*blocks)
        self.fc = nn.Linear(c, classes)

    def forward(self, x):
        x = self.blocks(self.stem(x))
        return self.fc(torch.flatten(F.adaptive_avg_pool2d(x, 1), 1))


class Inverted(nn.Module):
    def __init__(self, cin, cout, stride, t):
        super().__init__()
        hidden = cin * t
        layers = [] if t == 1 else [conv_bn(cin, hidden, 1, relu6=True)]
        layers += [conv_bn(hidden, hidden, 3, stride, groups=hidden, relu6=True), conv_bn(hidden, cout, 1, act=False)]
        self.body = nn.Sequential(*layers)
        self.residual = stride == 1 and cin == cout

    def forward(self, x):
        return x + self.body(x) if self.residual else self.body(x)


class MobileNetV2(nn.Module):
    def __init__(self, classes=10):
        super().__init__()
        layers, c = [conv_bn(3, 32, 3, 2, relu6=True)], 32
        for t, cout, n, s in [(1, 16, 1, 1), (6, 24, 2, 2), (6, 32, 3, 2), (6, 64, 4, 2), (6, 96, 3, 1), (6, 160, 3, 2), (6, 320, 1, 1)]:
            for i in range(n):
                layers.append(Inverted(c, cout, s if i == 0 else 1, t))
                c = cout
        layers.append(conv_bn(c, 1280, 1, relu6=True))
        self.features = nn.Sequential(*layers)
        self.classifier = nn.Sequential(nn.Dropout(0.2), nn.Linear(1280, classes))

    def forward(self, x):
        x = F.adaptive_avg_pool2d(self.features(x), 1)
        return self.classifier(torch.flatten(x, 1))


def double(cin, cout):
    return nn.Sequential(nn.Conv2d(cin, cout, 3, 1, 1, bias=False), nn.BatchNorm2d(cout), nn.ReLU(inplace=True),
                         nn.Conv2d(cout, cout, 3, 1, 1, bias=False), nn.BatchNorm2d(cout), nn.ReLU(inplace=True))


class UNet(nn.Module):
    def __init__(self, c=16, classes=2):
        super().__init__()
        self.enc1, self.enc2, self.mid = double(3, c), double(c, 2 * c), double(2 * c, 4 * c)
        self.up2 = nn.ConvTranspose2d(4 * c, 2 * c, 2, 2)
        self.dec2 = double(4 * c, 2 * c)
        self.up1 = nn.Upsample(scale_factor=2, mode='bilinear', align_corners=False)
        self.dec1 = double(2 * c + c, c)
        self.head = nn.Conv2d(c, classes, 1)

    def forward(self, x):
        e1 = self.enc1(x)
        e2 = self.enc2(F.max_pool2d(e1, 2))
        m = self.mid(F.max_pool2d(e2, 2))
        d2 = self.dec2(torch.cat([self.up2(m), e2], 1))
        d1 = self.dec1(torch.cat([self.up1(d2), e1], 1))
        return self.head(d1)


class DenseBlock(nn.Module):
    """DenseNet's dense block as x = cat(x, layer(x)), each layer BN-ReLU-conv1x1-BN-ReLU-conv3x3, then a transition."""

    def __init__(self, cin=16, growth=8, n=4, classes=10):
        super().__init__()
        self.stem = nn.Sequential(nn.Conv2d(3, cin, 3, 1, 1, bias=False), nn.BatchNorm2d(cin), nn.ReLU())
        self.layers = nn.ModuleList()
        c = cin
        for _ in range(n):
            self.layers.append(nn.Sequential(nn.BatchNorm2d(c), nn.ReLU(), nn.Conv2d(c, 4 * growth, 1, bias=False),
                                             nn.BatchNorm2d(4 * growth), nn.ReLU(), nn.Conv2d(4 * growth, growth, 3, 1, 1, bias=False)))
            c += growth
        self.transition = nn.Sequential(nn.BatchNorm2d(c), nn.ReLU(), nn.Conv2d(c, c // 2, 1, bias=False), nn.AvgPool2d(2, 2))
        self.head = nn.Linear(c // 2, classes)

    def forward(self, x):
        x = self.stem(x)
        for layer in self.layers:
            x = torch.cat([x, layer(x)], 1)
        x = self.transition(x)
        return torch.softmax(self.head(torch.flatten(F.adaptive_avg_pool2d(x, 1), 1)), 1)


class Unsupported(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(3, 8, 3)

    def forward(self, x):
        return torch.sqrt(torch.abs(self.conv(x)))


class View(nn.Module):
    """A flatten written as x.view(x.size(0), -1) (or another spelling) before a Linear."""

    def __init__(self, how):
        super().__init__()
        self.how = how
        self.conv = nn.Conv2d(3, 8, 3, 2)
        self.fc = nn.Linear(8 * 7 * 7, 10)

    def forward(self, x):
        x = F.relu(self.conv(x))
        if self.how == 'view':
            x = x.view(x.size(0), -1)
        elif self.how == 'reshape':
            x = x.reshape(x.shape[0], -1)
        elif self.how == 'features':
            x = x.view(-1, 8 * 7 * 7)
        else:
            x = torch.flatten(x, 1)
        return self.fc(x)


class Sized(nn.Module):
    """Upsampling to output sizes, whole multiples of the input's, rather than by scales."""

    def __init__(self, mode):
        super().__init__()
        self.conv = nn.Conv2d(3, 8, 3, 2, 1)
        self.up = nn.Upsample(size=(16, 24), mode=mode, align_corners=False if mode == 'bilinear' else None)
        self.head = nn.Conv2d(8, 4, 3, 1, 1)

    def forward(self, x):
        x = F.interpolate(self.conv(x), size=(x.shape[2], x.shape[3]), mode='nearest')  # back to the input's size
        return self.head(self.up(F.avg_pool2d(x, 2)))


class Same(nn.Module):
    # F.pad's paddings, in order: torch 1.13 computes a Pad's pads in the graph, so auto_pad() is told them.
    PADS = [(1, 2, 1, 2), (0, 1, 0, 1), (2, 1, 2, 1)]

    """Convolutions and pools whose padding is ONNX's auto_pad SAME_UPPER or SAME_LOWER once exported
    (auto_pad() rewrites the explicit pads, and a zero Pad before a conv, where they equal it; torch 1.13 does not
    export padding='same')."""

    def __init__(self):
        super().__init__()
        self.c1 = nn.Conv2d(3, 8, 3, padding=1)
        self.c2 = nn.Conv2d(8, 8, 4)
        self.c3 = nn.Conv2d(8, 8, 3, padding=2, dilation=2)
        self.c4 = nn.Conv2d(8, 8, 3, 2)
        self.c5 = nn.Conv2d(8, 8, 4)

    def forward(self, x):
        x = F.max_pool2d(F.relu(self.c1(x)), 3, 1, 1)
        x = F.avg_pool2d(self.c3(self.c2(F.pad(x, self.PADS[0]))), 3, 1, 1, count_include_pad=False)
        x = self.c4(F.pad(x, self.PADS[1]))
        return self.c5(F.pad(x, self.PADS[2]))


class CatOne(nn.Module):
    """torch.cat of a list of one tensor, as torchvision's DenseNet writes the first layer of each dense block."""

    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(3, 8, 3)

    def forward(self, x):
        return F.relu(torch.cat([self.conv(x)], 1))


class Refused(nn.Module):
    """What still has no Stride form: a resize to 1.5 times the size, a reshape that keeps three axes."""

    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(3, 8, 3, 2, 1)

    def forward(self, x):
        x = F.interpolate(self.conv(x), size=(12, 12), mode='nearest')
        return x.view(x.size(0), 8, -1)


def auto_pad(model, paddings):
    """Each Conv / MaxPool / AveragePool whose pads (with a zero Pad before a Conv: F.pad's `paddings`, in the
    order of the Pad nodes) equal auto_pad SAME_UPPER or SAME_LOWER at its input's size gets that auto_pad
    instead, and the nodes left unused are removed; returns the modes written, in order."""
    from onnx import helper, shape_inference
    graph = model.graph
    inferred = shape_inference.infer_shapes(model).graph
    sizes = {v.name: [d.dim_value for d in v.type.tensor_type.shape.dim] for v in list(inferred.value_info) + list(inferred.input)}
    values = {t.name: numpy_helper.to_array(t) for t in graph.initializer}
    for n in graph.node:
        if n.op_type == 'Constant':
            values[n.output[0]] = numpy_helper.to_array(n.attribute[0].t)
    producer = {o: n for n in graph.node for o in n.output}
    given = {}
    for n, (l, r, t, b) in zip([n for n in graph.node if n.op_type == 'Pad'], paddings):
        given[n.output[0]] = [0, 0, t, l, 0, 0, b, r]
    modes, drop = [], []
    for n in graph.node:
        if n.op_type not in ('Conv', 'MaxPool', 'AveragePool'):
            continue
        attrs = {a.name: helper.get_attribute_value(a) for a in n.attribute}
        pads = list(attrs.get('pads', [0, 0, 0, 0]))
        src, pad = n.input[0], producer.get(n.input[0])
        if n.op_type == 'Conv' and pad is not None and pad.op_type == 'Pad' and pad.output[0] in given:
            p = given[pad.output[0]]
            if p[0] == p[1] == p[4] == p[5] == 0:
                pads = [pads[0] + p[2], pads[1] + p[3], pads[2] + p[6], pads[3] + p[7]]
                src = pad.input[0]
        k, s, d = attrs['kernel_shape'], attrs.get('strides', [1, 1]), attrs.get('dilations', [1, 1])
        hw = sizes[src][2:]
        total = [max(0, (-(-hw[i] // s[i]) - 1) * s[i] + d[i] * (k[i] - 1) + 1 - hw[i]) for i in range(2)]
        upper = [total[0] // 2, total[1] // 2, total[0] - total[0] // 2, total[1] - total[1] // 2]
        lower = upper[2:] + upper[:2]
        mode = 'SAME_UPPER' if pads == upper else 'SAME_LOWER' if pads == lower else None
        if mode is None or not any(pads):
            continue
        for a in list(n.attribute):
            if a.name == 'pads':
                n.attribute.remove(a)
        n.attribute.append(helper.make_attribute('auto_pad', mode))
        if src != n.input[0]:
            drop.append(pad)
            n.input[0] = src
        modes.append(f'{n.op_type} {mode}')
    for pad in drop:
        graph.node.remove(pad)
    while True:
        used = {i for n in graph.node for i in n.input} | {o.name for o in graph.output}
        dead = [n for n in graph.node if not any(o in used for o in n.output)]
        if not dead:
            break
        for n in dead:
            graph.node.remove(n)
    onnx.checker.check_model(model)
    return modes


# Export patterns, each exported on its own: name → (model, input size, dynamic batch, constant folding, auto_pad).
PATTERNS = {
    'ViewStatic': (lambda: View('view'), 16, False, True, False),
    'ViewDynamic': (lambda: View('view'), 16, True, True, False),
    'ViewUnfolded': (lambda: View('view'), 16, True, False, False),
    'ReshapeDynamic': (lambda: View('reshape'), 16, True, True, False),
    'ReshapeUnfolded': (lambda: View('reshape'), 16, False, False, False),
    'ViewFeatures': (lambda: View('features'), 16, True, True, False),
    'FlattenDynamic': (lambda: View('flatten'), 16, True, True, False),
    'SizedNearest': (lambda: Sized('nearest'), 16, True, True, False),
    'SizedBilinear': (lambda: Sized('bilinear'), 16, False, False, False),
    'SamePads': (Same, 16, False, True, True),
    'CatOne': (CatOne, 16, False, True, False),
    'Refused': (Refused, 16, True, True, False),
}

NETWORKS = {'ResNet18': ResNet18, 'ResNet50Stages': ResNet50Stages, 'MobileNetV2': MobileNetV2, 'UNet': UNet, 'DenseBlock': DenseBlock, 'Unsupported': Unsupported}
SIZE = 64


def seeded(model):
    g = torch.Generator().manual_seed(0)
    with torch.no_grad():
        for m in model.modules():
            if isinstance(m, nn.BatchNorm2d):
                m.weight.copy_(torch.rand(m.weight.shape, generator=g) + 0.5)
                m.bias.copy_(torch.rand(m.bias.shape, generator=g) - 0.5)
                m.running_mean.copy_(torch.rand(m.running_mean.shape, generator=g) - 0.5)
                m.running_var.copy_(torch.rand(m.running_var.shape, generator=g) + 0.5)
    return model.eval()


def macs(model, x):
    total = [0]

    def hook(m, inp, out):
        if isinstance(m, nn.Conv2d):
            total[0] += out.numel() // out.shape[0] * (m.in_channels // m.groups) * m.kernel_size[0] * m.kernel_size[1]
        elif isinstance(m, nn.ConvTranspose2d):
            i = inp[0]
            total[0] += i.shape[2] * i.shape[3] * m.in_channels * (m.out_channels // m.groups) * m.kernel_size[0] * m.kernel_size[1]
        elif isinstance(m, nn.Linear):
            total[0] += m.in_features * m.out_features

    handles = [m.register_forward_hook(hook) for m in model.modules()]
    with torch.no_grad():
        model(x)
    for h in handles:
        h.remove()
    return total[0]


def main(out):
    out = Path(out)
    report = {'torch': torch.__version__, 'onnx': onnx.__version__, 'networks': {}}
    for name, make in NETWORKS.items():
        torch.manual_seed(0)
        model = seeded(make())
        x = torch.rand(1, 3, SIZE, SIZE, generator=torch.Generator().manual_seed(1))
        with torch.no_grad():
            y = model(x)
        np.save(out / f'{name}.input.npy', x.numpy())
        np.save(out / f'{name}.output.npy', y.numpy())
        entry = {'params': sum(p.numel() for p in model.parameters()), 'macs': macs(model, x)}
        for suffix, kw in [('folded', dict(do_constant_folding=True, training=torch.onnx.TrainingMode.EVAL)),
                           ('', dict(do_constant_folding=False, training=torch.onnx.TrainingMode.PRESERVE))]:
            path = out / (f'{name}.{suffix}.onnx' if suffix else f'{name}.onnx')
            torch.onnx.export(model, x, str(path), opset_version=17, input_names=['input'], output_names=['output'], **kw)
            m = onnx.load(str(path))
            entry[suffix or 'plain'] = {
                'ops': sorted({n.op_type for n in m.graph.node}),
                'initializers': int(sum(numpy_helper.to_array(t).size for t in m.graph.initializer if t.data_type == 1)),
            }
        report['networks'][name] = entry
    report['patterns'] = {}
    for name, (make, size, dynamic, fold, same) in PATTERNS.items():
        torch.manual_seed(0)
        model = make().eval()
        x = torch.rand(1, 3, size, size, generator=torch.Generator().manual_seed(1))
        with torch.no_grad():
            y = model(x)
        np.save(out / f'{name}.input.npy', x.numpy())
        np.save(out / f'{name}.output.npy', y.numpy())
        path = out / f'{name}.onnx'
        axes = {'input': {0: 'N'}, 'output': {0: 'N'}} if dynamic else None
        torch.onnx.export(model, x, str(path), opset_version=17, input_names=['input'], output_names=['output'], do_constant_folding=fold, dynamic_axes=axes)
        m = onnx.load(str(path))
        modes = auto_pad(m, model.PADS) if same else []
        if same:
            onnx.save(m, str(path))
        report['patterns'][name] = {'ops': sorted({n.op_type for n in m.graph.node}), 'auto_pad': modes}
    print(json.dumps(report), flush=True)


if __name__ == '__main__':
    main(sys.argv[1])
