"""What the networks of networks.py save for backward in training, measured by PyTorch itself.

    /usr/bin/python3 test/torch/saved.py [--networks A,B] [--batch N]... [--detail] [--seed S]

Each network is built in train mode, float32, with every nn.ReLU and nn.ReLU6 made in-place (as
torchvision's models are), and run forward once on a seeded random input (requires_grad False) inside
torch.autograd.graph.saved_tensors_hooks. Every tensor autograd packs is counted once per storage
(keyed by its data_ptr, the largest nbytes seen kept), except the storages of the module's parameters
and buffers; the storages that are the network input are counted apart.

Each packed storage is put down to the leaf module running when it was first packed (forward pre-hooks
and hooks on every module); what is packed outside any leaf (an add or a cat in a block's forward) is
put down to `<block>.(own)`, `(network).(own)` at the top level.

Prints one JSON object on stdout:
    {network: {batch: {"saved": bytes, "input": bytes, "layers": {name: bytes}}}}
with --detail, each batch also gets "packed": {name: [[shape, dtype, storage bytes, new?], ...]}.
Progress and timings go to stderr.

Batch 8 by default; --batch adds more. All networks at batch 8 take about 40 s on two cores (UNet
and FCN8s half of it, UNet saving some 1.6 GiB); --networks limits the run.
"""

import argparse
import json
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import torch  # noqa: E402
from torch import nn  # noqa: E402

from networks import NETWORKS  # noqa: E402

def storage_of(t):
    """(data_ptr, nbytes) of a tensor's storage, or None for a tensor without one."""
    try:
        s = t.untyped_storage() if hasattr(t, 'untyped_storage') else t.storage()
        return s.data_ptr(), s.nbytes()
    except Exception:  # noqa: BLE001 (sparse or other storage-less tensors)
        return None


def inplace_relus(module):
    for m in module.modules():
        if isinstance(m, (nn.ReLU, nn.ReLU6)):
            m.inplace = True


def measure(cls, batch, seed, detail):
    torch.manual_seed(seed)
    module = cls().float().train()
    inplace_relus(module)
    own = set()
    for t in list(module.parameters()) + list(module.buffers()):
        p = storage_of(t)
        if p:
            own.add(p[0])

    x = torch.rand((batch, *cls.input), dtype=torch.float32, generator=torch.Generator().manual_seed(seed))
    x.requires_grad_(False)
    inputs = {storage_of(x)[0]}

    stack = []  # (name, is_leaf) of the modules running, outermost first
    sizes = {}  # data_ptr -> largest nbytes seen
    first = {}  # data_ptr -> the layer that first packed it
    packed = {}  # layer -> [[shape, dtype, nbytes, new], ...]

    def layer():
        if stack and stack[-1][1]:
            return stack[-1][0]
        return f'{stack[-1][0] if stack else "(network)"}.(own)'

    def pack(t):
        p = storage_of(t)
        if p is None:
            return t
        ptr, nbytes = p
        if ptr in own:
            return t
        name = layer()
        new = ptr not in sizes
        if new:
            first[ptr] = name
        sizes[ptr] = max(sizes.get(ptr, 0), nbytes)
        if detail:
            packed.setdefault(name, []).append([list(t.shape), str(t.dtype).replace('torch.', ''), nbytes, new])
        return t

    def unpack(t):
        return t

    def enter(name, leaf):  # a hook that returns something replaces the module's input or output
        stack.append((name, leaf))

    def leave():
        stack.pop()

    handles = []
    for name, m in module.named_modules():
        if not name:
            continue
        leaf = not any(True for _ in m.children())
        handles.append(m.register_forward_pre_hook(lambda _m, _i, name=name, leaf=leaf: enter(name, leaf)))
        handles.append(m.register_forward_hook(lambda _m, _i, _o: leave()))

    start = time.perf_counter()
    with torch.autograd.graph.saved_tensors_hooks(pack, unpack):
        out = module(x)
    seconds = time.perf_counter() - start
    for h in handles:
        h.remove()

    saved = sum(n for ptr, n in sizes.items() if ptr not in inputs)
    inp = sum(n for ptr, n in sizes.items() if ptr in inputs)
    layers = {}
    for ptr, n in sizes.items():
        if ptr not in inputs:
            layers[first[ptr]] = layers.get(first[ptr], 0) + n
    result = {'saved': saved, 'input': inp, 'layers': layers}
    if detail:
        result['packed'] = packed
    del out
    return result, seconds


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument('--networks', help='comma-separated names from networks.NETWORKS')
    ap.add_argument('--batch', type=int, action='append', default=[], help='another batch size (8 always)')
    ap.add_argument('--seed', type=int, default=1)
    ap.add_argument('--detail', action='store_true', help='list every packed tensor per layer')
    ap.add_argument('names', nargs='*', help='network names (as --networks)')
    args = ap.parse_args()

    names = list(args.names)
    if args.networks:
        names += [n.strip() for n in args.networks.split(',') if n.strip()]
    unknown = [n for n in names if n not in NETWORKS]
    if unknown:
        ap.error(f'unknown networks: {", ".join(unknown)} (known: {", ".join(NETWORKS)})')
    if not names:
        names = list(NETWORKS)
    batches = sorted({8, *args.batch})

    torch.set_grad_enabled(True)
    results = {}
    for name in names:
        cls = NETWORKS[name][1]
        results[name] = {}
        for b in batches:
            r, s = measure(cls, b, args.seed, args.detail)
            results[name][str(b)] = r
            print(f'{name} batch {b}: saved {r["saved"] / 2**20:.1f} MiB, input {r["input"] / 2**20:.2f} MiB'
                  f' ({s:.2f} s)', file=sys.stderr, flush=True)
    print(json.dumps(results))


if __name__ == '__main__':
    main()
