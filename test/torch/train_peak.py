"""The peak memory of one training step of the networks of networks.py, measured by PyTorch itself.

    /usr/bin/python3 test/torch/train_peak.py [--networks A,B] [--batch N]... [--optimizer sgd,adam]
        [--precision fp32|bf16|mixed] [--fresh] [--detail] [--seed S] [--threads 2]

One training step, on a module just built (torch.manual_seed(seed)) in train mode, float32, with every
nn.ReLU and nn.ReLU6 made in-place (as in saved.py), and a seeded random input of batch N (requires_grad
False):
    opt.zero_grad(); out = module(x); loss = out.float().sum(); loss.backward(); opt.step()
The loss is the plain sum of the output: its backward gives the network one expanded (stride 0) scalar
of ones, so the loss adds 4 bytes and no output-sized tensor. `out` and `loss` stay referenced through
the step (as in a loop that rebinds them on the next iteration) and are dropped after it.

Optimizers: sgd = torch.optim.SGD(lr=0.01), momentum = SGD(lr=0.01, momentum=0.9), adam =
torch.optim.Adam(lr=1e-3), each with its defaults. In PyTorch 1.13 foreach=None means foreach=False,
so both run their single-tensor implementation (a Python loop over the parameters) on the CPU;
zero_grad() defaults to set_to_none=False, which changes nothing here since a fresh module has no grads.

How it is measured: inside torch.profiler.profile(activities=[CPU], profile_memory=True), every
allocation and free of PyTorch's CPU allocator is an allocation event of the profiler's event tree
(prof.profiler.kineto_results.experimental_event_tree(): the "[memory]" nodes, nested under the ops
that made them, with ptr, alloc_size (+ or -), total_allocated and a ns time). prof.events() is not
used: it keeps as "[memory]" events only the allocations made outside any op. The events of all nodes
are put in time order and summed; the allocator's own running total (total_allocated, taken under its
lock) must then grow by exactly each event's size, which proves the order and that no allocation was
missed (one made on a thread the profiler does not see would break the chain: the script fails). The
module and the input are built inside the profile too, so the bytes held before the step are measured
as well; they must equal the nbytes of the parameters, buffers and input (the baseline). Phases are cut
by marker allocations (uint8 tensors of odd sizes, made and freed at once, left out of the sums).
What the events count is the bytes asked of the allocator (tensor nbytes; the reorders and scratchpads of
mkldnn/oneDNN go through it too), not malloc's rounding, nor Python objects. Checked otherwise: the peak
resident set (VmHWM after clear_refs, MALLOC_MMAP_THRESHOLD_=65536) of the same step without the profiler
exceeds these peaks by 0.5 to 2 MiB (VGG16, ResNet18, MobileNetV2, FCN8s at batch 8, SGD and Adam); after
the step the grads are exactly the parameters' bytes, SGD momentum keeps as much again, Adam twice as much
plus 4 bytes (the step tensor) per parameter tensor; runs repeat to the byte. oneDNN sizes its
scratchpads by the threads: with one thread a few networks peak up to 1.4 MiB lower (ResNet50), so the
numbers are those of 2 threads (--threads).

Prints one JSON object on stdout:
    {network: {batch: {optimizer: {"peak": bytes above the baseline, "baseline": bytes,
        "phase": "forward" | "backward" | "step", "phases": {"forward": peak, "backward": peak,
        "step": peak}, "afterForward": bytes, "after": bytes, "state": bytes, "output": bytes,
        "convTemporaries": bytes}}}}
All bytes but the baseline are above the baseline (parameters + buffers + input). "forward" runs from
zero_grad() to the loss, "afterForward" is what is live then (saved tensors, output, loss), "after" what
is live once the step is done and out and loss are dropped (grads + optimizer state), "state" the bytes
the optimizer keeps, "output" the bytes of out, "convTemporaries" the bytes of the convolutions'
backward's own temporaries live at the backward's peak (its reorders and weight-gradient buffers, which
depend on the CPU's oneDNN kernels). A network without parameters (Pool224) has no backward
and no step: its entry is the forward alone, with "backward" and "step" null.

By default forward and backward run once per network and batch, and each optimizer's step then runs on
the same grads (a new optimizer each, freed before the next): the steps of SGD and Adam allocate nothing
that depends on the values of the parameters, so the numbers are those of a fresh module per optimizer;
--fresh builds and runs a fresh module per optimizer to check that (it gives the same JSON).
--detail prints to stderr, for the peak of each phase, the biggest live allocations with what they are
(saved tensor of a layer, gradient of a parameter, output, optimizer state, or the op that made it).
--precision bf16 makes the module and the input bfloat16; --precision mixed runs forward and loss in
torch.autocast('cpu', dtype=torch.bfloat16) with float32 parameters. A network that PyTorch 1.13 cannot
train so (a bf16 kernel missing or wrong) gets {"error": message} for its batch.

Batch 8 by default; --batch adds more. Progress and timings (wall and process CPU) go to stderr. All
networks at batch 8 and 32 with SGD and Adam took 7 min on two shared cores (UNet batch 32 nearly 3 min
of it, UNet batch 8, FCN8s and VGG16 at 32 half a minute each); --networks limits the run.
"""

import argparse
import gc
import json
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import torch  # noqa: E402
from torch.profiler import ProfilerActivity, profile  # noqa: E402

from networks import NETWORKS  # noqa: E402
from saved import inplace_relus, storage_of  # noqa: E402

OPTIMIZERS = {
    'sgd': lambda ps: torch.optim.SGD(ps, lr=0.01),
    'momentum': lambda ps: torch.optim.SGD(ps, lr=0.01, momentum=0.9),
    'adam': lambda ps: torch.optim.Adam(ps, lr=1e-3),
}
PRECISIONS = ('fp32', 'bf16', 'mixed')
MARK = 4099  # marker k is a uint8 tensor of MARK + 2k bytes




class Marks:
    """Marker allocations that cut the event stream into phases."""

    def __init__(self):
        self.names = []

    def __call__(self, name):
        t = torch.empty(MARK + 2 * len(self.names), dtype=torch.uint8)
        self.names.append(name)
        del t


GENERIC = {'aten::empty', 'aten::empty_strided', 'aten::empty_like', 'aten::zeros', 'aten::zeros_like',
           'aten::ones_like', 'aten::new_empty', 'aten::new_empty_strided', 'aten::new_zeros', 'aten::zero_',
           'aten::clone', 'aten::contiguous', 'aten::to', 'aten::_to_copy', 'aten::copy_', 'aten::fill_'}
BACKWARD = 'autograd::engine::evaluate_function: '
CONV_BACKWARD = 'ConvolutionBackward0'


def allocations(prof):
    """The allocation events of a finished profile in time order: [(size, total, ptr, op)]; op says
    which op made the event: the innermost op that is more than an allocation (aten::empty and the
    like), after the autograd function it runs in (None outside any op)."""
    events = []
    stack = [(n, None, None) for n in prof.profiler.kineto_results.experimental_event_tree()]
    while stack:
        node, op, fn = stack.pop()
        ef = node.extra_fields
        if type(ef).__name__ == '_ExtraFields_Allocation':
            events.append((node.start_time_ns, ef.alloc_size, ef.total_allocated, ef.ptr,
                           f'{fn} ({op})' if fn and op else fn or op))
        else:
            name = node.name if isinstance(node.name, str) else node.name()
            if name.startswith(BACKWARD):
                fn, op = name[len(BACKWARD):], None
            elif name not in GENERIC or op is None:
                op = name
            stack.extend((c, op, fn) for c in node.children)
    events.sort(key=lambda e: e[0])
    for a, b in zip(events, events[1:]):
        if b[2] != a[2] + b[1]:
            raise RuntimeError(f'allocator events out of order or missing: total {a[2]} then {b[2]} '
                               f'after {b[1]:+d} bytes')
    return [e[1:] for e in events]


def walk(events, marks):
    """Cut the events at the markers: {phase: (level at its start, peak, level at its end, [events],
    convolution backward temporaries live at the peak)}, levels summed from 0 at the start of the
    profile, markers left out."""
    temps = conv_temporaries(events)
    phases = {}
    level, start, peak, at_peak, cur, name, k = 0, 0, 0, 0, [], '(build)', 0
    i = 0
    while i < len(events):
        size, _total, ptr, _op = events[i]
        if k < len(marks.names) and size == MARK + 2 * k and i + 1 < len(events) \
                and events[i + 1][0] == -size and events[i + 1][2] == ptr:
            phases[name] = (start, peak, level, cur, at_peak)
            name, start, peak, at_peak, cur, k = marks.names[k], level, level, temps[i], [], k + 1
            i += 2
            continue
        level += size
        if level > peak:
            peak, at_peak = level, temps[i]
        cur.append(events[i])
        i += 1
    if k != len(marks.names):
        raise RuntimeError(f'marker {marks.names[k]} not found in the allocator events')
    phases[name] = (start, peak, level, cur, at_peak)
    return phases


def conv_temporaries(events):
    """After each event, the bytes held by the temporaries of convolutions' backward: what
    ConvolutionBackward0 allocates and frees again itself (oneDNN's reorders of the input and the
    output's gradient, weight-gradient buffers), not the gradients it hands on. Which of them oneDNN
    makes depends on the CPU's kernels (AVX-512 or AVX2)."""
    def by_conv(op):
        return op is not None and op.split(' ')[0] == CONV_BACKWARD
    made, temporary = {}, set()
    for i, (size, _total, ptr, op) in enumerate(events):
        if size > 0:
            made[ptr] = i
        elif size < 0 and ptr in made:
            j = made.pop(ptr)
            if by_conv(events[j][3]) and by_conv(op):
                temporary.add(j)
    held, level, live = [], 0, {}
    for i, (size, _total, ptr, _op) in enumerate(events):
        if size > 0 and i in temporary:
            live[ptr] = size
            level += size
        elif size < 0 and ptr in live:
            level -= live.pop(ptr)
        held.append(level)
    return held


def build(cls, batch, seed, precision):
    torch.manual_seed(seed)
    module = cls().float().train()
    inplace_relus(module)
    x = torch.rand((batch, *cls.input), dtype=torch.float32, generator=torch.Generator().manual_seed(seed))
    if precision == 'bf16':
        module = module.bfloat16()
        x = x.bfloat16()
    x.requires_grad_(False)
    return module, x


def held(module, x):
    seen = {}
    for t in [*module.parameters(), *module.buffers(), x]:
        p = storage_of(t)
        if p:
            seen[p[0]] = p[1]
    return sum(seen.values())


class Unsupported(Exception):
    """PyTorch cannot train the network so (bf16 kernels missing in 1.13)."""


def run(cls, batch, seed, precision, optimizers, detail):
    """Build, then one forward and backward, then a step of each optimizer (each new, freed after),
    all inside one profile. Returns (phases, marks, baseline, output bytes, labels for --detail)."""
    marks = Marks()
    labels = {}  # k -> {ptr: label} taken after k markers, for the allocations live at marker k

    def here():
        return labels.setdefault(len(marks.names), {})

    gc.collect()
    gc.disable()
    try:
        with profile(activities=[ProfilerActivity.CPU], profile_memory=True) as prof:
            module, x = build(cls, batch, seed, precision)
            baseline = held(module, x)
            params = [p for p in module.parameters() if p.requires_grad]
            opts = {name: OPTIMIZERS[name](params) for name in optimizers} if params else {}
            marks('forward')
            for opt in opts.values():
                opt.zero_grad()
            hooks = saving_hooks(module, here()) if detail else None
            if hooks:
                with torch.autograd.graph.saved_tensors_hooks(*hooks[0]):
                    out, loss = forward(module, x, precision)
                for h in hooks[1]:
                    h.remove()
            else:
                out, loss = forward(module, x, precision)
            output = storage_of(out)[1]
            if detail:
                here()[storage_of(out)[0]] = f'output {list(out.shape)}'
            if params:
                marks('backward')
                loss.backward()
                if detail:
                    label_grads(module, here())
                for name, opt in opts.items():
                    marks(f'step:{name}')
                    opt.step()
                    if detail:
                        label_state(name, opt, here())
                    marks(f'free:{name}')
                    del opt
                    opts[name] = None
            marks('drop')
            del out, loss
            marks('end')
            del module, x, params, opts
    except RuntimeError as e:  # an op without a kernel for this dtype
        raise Unsupported(str(e).splitlines()[0]) from e
    finally:
        gc.enable()
    return walk(allocations(prof), marks), marks, baseline, output, labels


def label_grads(module, labels):  # in a function, so that no loop variable keeps a tensor alive
    for n, p in module.named_parameters():
        labels[storage_of(p.grad)[0]] = f'grad {n} {list(p.shape)}'


def label_state(name, opt, labels):
    for s in opt.state.values():
        for k, v in s.items():
            if torch.is_tensor(v):
                labels[storage_of(v)[0]] = f'{name} {k} {list(v.shape)}'


def forward(module, x, precision):
    if precision == 'mixed':
        with torch.autocast('cpu', dtype=torch.bfloat16):
            out = module(x)
            loss = out.float().sum()
    else:
        out = module(x)
        loss = out.float().sum()
    return out, loss


def saving_hooks(module, labels):
    """saved_tensors_hooks that name each saved storage after the leaf module that saved it."""
    stack = []
    own = {storage_of(t)[0] for t in [*module.parameters(), *module.buffers()]}

    def pack(t):
        p = storage_of(t)
        if p and p[0] not in own and p[0] not in labels:
            labels[p[0]] = f'saved by {stack[-1] if stack else "(network)"} {list(t.shape)}'
        return t

    def enter(name):  # a hook that returns something replaces the module's input or output
        stack.append(name)

    def leave():
        stack.pop()

    handles = []
    for name, m in module.named_modules():
        if name and not any(True for _ in m.children()):
            handles.append(m.register_forward_pre_hook(lambda _m, _i, name=name: enter(name)))
            handles.append(m.register_forward_hook(lambda _m, _i, _o: leave()))
    return (pack, lambda t: t), handles


def explain(phases, marks, labels, shown, top=8):
    """For each phase in shown, what is live at its peak among the allocations made since the start of
    the step, printed to stderr: the bytes by kind and the biggest allocations, labelled."""
    live = {}  # ptr -> [bytes, label]
    peaks = {}
    for c, name in enumerate(['(build)', *marks.names]):
        events = phases[name][3]
        if name == 'forward':
            live = {}
        level = sum(a[0] for a in live.values())
        best, snap = level, list(live.values())
        for size, _total, ptr, op in events:
            if size > 0:
                live[ptr] = [size, f'made by {op}']
            else:
                live.pop(ptr, None)
            level += size
            if level > best:
                best, snap = level, list(live.values())
        if name in shown:
            peaks[name] = (best, snap)
        for ptr, label in labels.get(c, {}).items():
            if ptr in live:
                live[ptr][1] = label
    for name in shown:
        if name not in peaks:
            continue
        best, snap = peaks[name]
        kinds = {}
        for size, label in snap:
            words = label.split()
            kind = words[2] if words[0] == 'made' else words[0]
            kinds[kind] = kinds.get(kind, 0) + size
        print(f'  {name}: peak {mib(best)} above the baseline, {len(snap)} allocations live: '
              + ', '.join(f'{k} {mib(v)}' for k, v in sorted(kinds.items(), key=lambda kv: -kv[1])),
              file=sys.stderr)
        for size, label in sorted(snap, key=lambda a: -a[0])[:top]:
            print(f'    {mib(size):>12}  {label}', file=sys.stderr)


def mib(n):
    return f'{n / 2**20:.1f} MiB'


def measure(cls, batch, seed, precision, optimizers, detail, name):
    phases, marks, baseline, output, labels = run(cls, batch, seed, precision, optimizers, detail)
    base = phases['forward'][0]
    if base != baseline:
        raise RuntimeError(f'{name}: the allocator holds {base} bytes before the step, the parameters, '
                           f'buffers and input {baseline}')
    if phases['end'][2] != 0:
        raise RuntimeError(f'{name}: {phases["end"][2]} bytes still allocated after everything was freed')
    fwd = phases['forward']
    trainable = 'backward' in phases
    results = {}
    if detail:
        print(f'{name} batch {batch}:', file=sys.stderr)
        explain(phases, marks, labels, ['forward', 'backward', *(f'step:{o}' for o in optimizers)])
    if not trainable:
        for o in optimizers:
            results[o] = {'peak': fwd[1] - base, 'baseline': baseline, 'phase': 'forward',
                          'phases': {'forward': fwd[1] - base, 'backward': None, 'step': None},
                          'afterForward': fwd[2] - base, 'after': 0, 'state': 0, 'output': output,
                          'convTemporaries': 0}
        return results
    bwd = phases['backward']
    drop = phases['drop']
    for o in optimizers:
        st = phases[f'step:{o}']
        if st[0] != bwd[2]:  # each step runs on the level the backward left, the previous one's freed
            raise RuntimeError(f'{name}: the {o} step starts at {st[0]} bytes, the backward left {bwd[2]}')
        state = st[2] - st[0]
        step_peak = st[1] - base
        peaks = {'forward': fwd[1] - base, 'backward': bwd[1] - base, 'step': step_peak}
        phase = max(peaks, key=lambda k: peaks[k])
        results[o] = {'peak': peaks[phase], 'baseline': baseline, 'phase': phase, 'phases': peaks,
                      'afterForward': fwd[2] - base, 'after': drop[2] - base + state, 'state': state,
                      'output': output, 'convTemporaries': bwd[4]}
    return results


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument('--networks', help='comma-separated names from networks.NETWORKS')
    ap.add_argument('--batch', type=int, action='append', default=[], help='another batch size (8 always)')
    ap.add_argument('--optimizer', default='sgd,adam', help=f'comma-separated, of {", ".join(OPTIMIZERS)}')
    ap.add_argument('--precision', choices=PRECISIONS, default='fp32')
    ap.add_argument('--fresh', action='store_true', help='a fresh module and forward per optimizer')
    ap.add_argument('--seed', type=int, default=1)
    ap.add_argument('--threads', type=int, default=2, help='torch.set_num_threads (2)')
    ap.add_argument('--detail', action='store_true', help='show the biggest live allocations at each peak')
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
    optimizers = [o.strip() for o in args.optimizer.split(',') if o.strip()]
    bad = [o for o in optimizers if o not in OPTIMIZERS]
    if bad or not optimizers:
        ap.error(f'unknown optimizers: {", ".join(bad)} (known: {", ".join(OPTIMIZERS)})')
    batches = sorted({8, *args.batch})

    torch.set_num_threads(args.threads)
    torch.set_grad_enabled(True)
    results = {}
    total = time.perf_counter()
    for name in names:
        cls = NETWORKS[name][1]
        results[name] = {}
        for b in batches:
            start, cpu = time.perf_counter(), time.process_time()
            try:
                if args.fresh:
                    r = {}
                    for o in optimizers:
                        r.update(measure(cls, b, args.seed, args.precision, [o], args.detail, name))
                else:
                    r = measure(cls, b, args.seed, args.precision, optimizers, args.detail, name)
            except Unsupported as e:
                results[name][str(b)] = {'error': str(e)}
                print(f'{name} batch {b}: {e}', file=sys.stderr, flush=True)
                continue
            results[name][str(b)] = r
            s, c = time.perf_counter() - start, time.process_time() - cpu
            line = ', '.join(f'{o} peak {mib(v["peak"])} ({v["phase"]})' for o, v in r.items())
            base = mib(next(iter(r.values()))['baseline'])
            print(f'{name} batch {b}: baseline {base}, {line} ({s:.2f} s, cpu {c:.2f} s)', file=sys.stderr,
                  flush=True)
    print(f'total {time.perf_counter() - total:.1f} s, cpu {time.process_time():.1f} s', file=sys.stderr)
    print(json.dumps(results))


if __name__ == '__main__':
    main()
