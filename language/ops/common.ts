import { Codes } from '../base/diagnostics.js';
import { isSpatial, type Shape } from '../base/shape.js';
import { explicitPads, type AttrSpec, type InferInput, type Tensor } from './types.js';

/** Attribute specs several op families share, so their docs and defaults read the same everywhere. */
export const attr = {
  channels: (doc = 'Output channels: the number of filters.'): AttrSpec => ({ name: 'channels', kind: 'int', positional: true, required: true, min: 1, doc }),
  kernel: (doc = 'Kernel size: `3` or `3x3` (height x width).'): AttrSpec => ({ name: 'kernel', kind: 'pair', positional: true, required: true, min: 1, doc }),
  stride: (doc = 'Step between windows, `2` or `2x1`.', dflt?: number): AttrSpec => ({ name: 'stride', kind: 'pair', min: 1, doc, ...(dflt === undefined ? { defaultText: 'the kernel size' } : { default: [dflt, dflt] }) }),
  pad: (doc = 'Zero padding: `1`, `1x2` (H x W), `(top, left, bottom, right)`, `same` or `valid`.'): AttrSpec => ({ name: 'pad', kind: 'pads', values: ['same', 'valid'], default: explicitPads(0, 0, 0, 0), doc }),
  dilation: (): AttrSpec => ({ name: 'dilation', kind: 'pair', min: 1, default: [1, 1], doc: 'Spacing between kernel taps; a dilated 3x3 with dilation 2 spans 5x5.' }),
  groups: (): AttrSpec => ({ name: 'groups', kind: 'int', min: 1, default: 1, doc: 'Split input and output channels into groups convolved separately; groups = channels is a depthwise convolution.' }),
  nobias: (): AttrSpec => ({ name: 'nobias', kind: 'flag', default: false, doc: 'Leave out the bias (usual before a batchnorm, which has its own shift).' }),
};

/** The current tensor, if it is a feature map; otherwise reports that the op needs one. */
export function spatialInput(x: InferInput, op: string): Tensor | undefined {
  const t = x.inputs[0];
  if (isSpatial(t.shape)) return t;
  x.error({
    code: Codes.needsSpatialInput,
    message: `${op} needs a feature map (HxWxC), but its input is a flat vector of ${t.shape[0]} features`,
  });
  return undefined;
}

export function spatialDims(s: Shape): readonly [number, number] {
  return [s[0], s[1]];
}
