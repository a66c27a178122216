import type { Pads, Sides, TorchForm, TorchHelper, TorchInput } from './types.js';
import { LoweringError } from './types.js';

/**
 * Small builders for the ops' PyTorch forms (`OpDef.torch`), and the helper classes some of them need:
 * modules torch.nn does not have, written as torchvision writes them (test/torch/modern.py).
 */

/** A Python float literal: `1e-05`, `0.5`, `1.0` (a whole number stays a float). */
export function pyFloat(v: number): string {
  if (Number.isInteger(v) && Math.abs(v) < 1e15) return `${v}.0`;
  return String(v);
}

/** A pair as PyTorch takes it: `3` when both are the same, else `(3, 1)`. */
export function pyPair(p: readonly number[]): string {
  return p[0] === p[1] ? `${p[0]}` : `(${p[0]}, ${p[1]})`;
}

/** A call with positional values and then keyword ones, leaving out those that are undefined. */
export function call(fn: string, positional: readonly (string | number)[], keywords: Record<string, string | number | undefined> = {}): string {
  const kw = Object.entries(keywords).filter(([, v]) => v !== undefined).map(([k, v]) => `${k}=${v}`);
  return `${fn}(${[...positional.map(String), ...kw].join(', ')})`;
}

/** A module applied to its input. */
export const mod = (module: string, helpers?: readonly TorchHelper[]): TorchForm => (helpers ? { module, helpers } : { module });

/** `inplace=True` where the layer may write over its input. */
export const inplace = (x: TorchInput): string | undefined => (x.inPlace ? 'True' : undefined);

/** The channels of a shape: the last axis (H×W×C or features). */
export const channelsOf = (x: TorchInput): number => x.shapes[0][x.shapes[0].length - 1];

/**
 * Padding as PyTorch's layers take it (`padding=(t, l)`, symmetric) or, when the sides differ, as an
 * `F.pad` of the input before the layer (`(left, right, top, bottom)`, PyTorch's order), with `value`.
 */
export function padded(sides: Sides, value?: string): { padding?: string; forward?: (inputs: string[], m: string) => string } {
  const [t, l, b, r] = sides;
  if (t === b && l === r) return { padding: t === 0 && l === 0 ? undefined : pyPair([t, l]) };
  const extra = value === undefined ? '' : `, value=${value}`;
  return { forward: (inputs, m) => `${m}(F.pad(${inputs[0]}, (${l}, ${r}, ${t}, ${b})${extra}))` };
}

/** Explicit sides of a pad attribute that has no `same` (a transposed conv's, a pad layer's). */
export function explicitSides(p: Pads, what: string): Sides {
  if (p.mode === 'explicit') return p.sides;
  if (p.mode === 'valid') return [0, 0, 0, 0];
  throw new LoweringError(`${what} with pad same has no PyTorch form: write the padding out`);
}

/** `nn.BatchNorm2d` without the num_batches_tracked counter: its state_dict is exactly Stride's weights. */
export const BATCHNORM: TorchHelper = {
  name: 'BatchNorm',
  source: `class NoCounter:
    """BatchNorm without the num_batches_tracked counter (it only matters for momentum=None), so that
    state_dict() holds weight, bias, running_mean and running_var: Stride's weights."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.num_batches_tracked = None

    def _load_from_state_dict(self, state_dict, prefix, local_metadata, *args):
        # Version 2 of the format: the counter is not added back to a state_dict that lacks it.
        super()._load_from_state_dict(state_dict, prefix, {**local_metadata, 'version': 2}, *args)


class BatchNorm2d(NoCounter, nn.BatchNorm2d):
    pass


class BatchNorm1d(NoCounter, nn.BatchNorm1d):
    pass`,
};

export const LAYERNORM2D: TorchHelper = {
  name: 'LayerNorm2d',
  source: `class LayerNorm2d(nn.LayerNorm):
    """LayerNorm over the channels at each position of N×C×H×W, as torchvision's ConvNeXt."""

    def forward(self, x):
        return F.layer_norm(x.permute(0, 2, 3, 1), self.normalized_shape, self.weight, self.bias, self.eps).permute(0, 3, 1, 2)`,
};

export const SCALE: TorchHelper = {
  name: 'Scale',
  source: `class Scale(nn.Module):
    """A learned multiplier per channel (ConvNeXt's layer_scale): C×1×1 on a feature map, C on features."""

    def __init__(self, c, init=1.0, spatial=True):
        super().__init__()
        self.weight = nn.Parameter(torch.full((c, 1, 1) if spatial else (c,), init))

    def forward(self, x):
        return x * self.weight`,
};

export const CHANNEL_SHUFFLE: TorchHelper = {
  name: 'ChannelShuffle',
  source: `class ChannelShuffle(nn.Module):
    """torchvision's shufflenetv2.channel_shuffle as a module."""

    def __init__(self, groups):
        super().__init__()
        self.groups = groups

    def forward(self, x):
        n, c, h, w = x.shape
        return x.view(n, self.groups, c // self.groups, h, w).transpose(1, 2).contiguous().view(n, c, h, w)`,
};

export const SPLIT: TorchHelper = {
  name: 'Split',
  source: `class Split(nn.Module):
    """The take-th of parts equal chunks of the channels."""

    def __init__(self, parts, take):
        super().__init__()
        self.parts, self.take = parts, take

    def forward(self, x):
        return torch.chunk(x, self.parts, dim=1)[self.take]`,
};

export const DROP_PATH: TorchHelper = {
  name: 'DropPath',
  source: `class DropPath(nn.Module):
    """torchvision.ops.StochasticDepth(p, 'row'): a per-sample keep mask while training, the identity in eval."""

    def __init__(self, p):
        super().__init__()
        self.p = p

    def forward(self, x):
        if not self.training or self.p == 0:
            return x
        keep = 1 - self.p
        noise = torch.empty([x.shape[0]] + [1] * (x.dim() - 1), dtype=x.dtype, device=x.device).bernoulli_(keep)
        return x * noise.div_(keep)`,
};
