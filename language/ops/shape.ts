import { Codes } from '../base/diagnostics.js';
import { field, PIXEL } from '../base/shape.js';
import { spatialInput } from './common.js';
import { int, ints, node, str } from './onnx.js';
import { call, CHANNEL_SHUFFLE, mod, SPLIT } from './torch.js';
import type { LayerFacts, OnnxAttr, OpDef } from './types.js';

export const input: OpDef = {
  name: 'input',
  family: 'shape',
  summary: 'The network input, without the batch: `224x224x3` (H x W x C) or a feature count `784`.',
  example: 'input 224x224x3',
  source: true,
  attrs: [{ name: 'shape', kind: 'shape', positional: true, required: true, min: 1, doc: 'H x W x C, e.g. `227x227x3`; grey images have C = 1. Or a feature count.' }],
  infer: (x): LayerFacts => ({ shape: x.attrs.shape('shape'), params: 0, macs: 0, rf: PIXEL }),
  // The forward's argument: nothing to build.
  torch: () => ({ forward: (inputs) => inputs[0] }),
};

export const upsample: OpDef = {
  name: 'upsample',
  ort: { role: 'resize' },
  family: 'shape',
  summary: 'Upsampling by an integer factor, nearest-neighbour or bilinear; no parameters.',
  attrs: [
    { name: 'scale', kind: 'pair', positional: true, default: [2, 2], min: 1, doc: 'Scale factor: `2` or `2x2`.' },
    { name: 'mode', kind: 'enum', values: ['nearest', 'bilinear'], default: 'nearest', doc: '`nearest` repeats pixels; `bilinear` interpolates (align_corners = false).' },
  ],
  infer(x): LayerFacts | undefined {
    const t = spatialInput(x, 'upsample');
    if (!t) return undefined;
    const [sh, sw] = x.attrs.pair('scale');
    if (t.shape[0] * sh > 1 << 20 || t.shape[1] * sw > 1 << 20) {
      x.error({ code: Codes.badValue, message: 'upsampled size is too large', attr: 'scale' });
      return undefined;
    }
    return {
      shape: [t.shape[0] * sh, t.shape[1] * sw, t.shape[2]],
      params: 0,
      macs: 0,
      // Bilinear reads the two nearest input positions per axis; nearest reads one.
      rf: x.attrs.word('mode') === 'bilinear' ? field(t.rf.h + t.rf.jh, t.rf.w + t.rf.jw, t.rf.jh / sh, t.rf.jw / sw) : field(t.rf.h, t.rf.w, t.rf.jh / sh, t.rf.jw / sw),
    };
  },
  formula(x): string[] {
    const [h, w] = x.inputs[0].shape;
    const [sh, sw] = x.attrs.pair('scale');
    return sh === sw && h === w ? [`${h}·${sh} = ${h * sh}`] : [`H: ${h}·${sh} = ${h * sh}`, `W: ${w}·${sw} = ${w * sw}`];
  },
  lower(x) {
    const [sh, sw] = x.attrs.pair('scale');
    const scales = x.weight('scales', [4], { values: [1, 1, sh, sw] });
    // PyTorch's nearest picks floor(out / scale); its bilinear (align_corners = false) is half-pixel.
    const mode: Record<string, OnnxAttr> = x.attrs.word('mode') === 'bilinear' ? { mode: str('linear'), coordinate_transformation_mode: str('half_pixel') } : { mode: str('nearest'), coordinate_transformation_mode: str('asymmetric'), nearest_mode: str('floor') };
    return [node('Resize', [x.inputs[0], '', scales], [x.output], mode)];
  },
  torch(x) {
    const bilinear = x.attrs.word('mode') === 'bilinear';
    const scale = x.attrs.pair('scale');
    return mod(call('nn.Upsample', [], { scale_factor: scale[0] === scale[1] ? scale[0] : `(${scale[0]}, ${scale[1]})`, mode: bilinear ? "'bilinear'" : undefined, align_corners: bilinear ? 'False' : undefined }));
  },
};

export const pad: OpDef = {
  name: 'pad',
  family: 'shape',
  summary: 'Explicit padding of H and W: zeros, the reflection of the edge, or the edge repeated (nn.ZeroPad2d, ReflectionPad2d, ReplicationPad2d).',
  example: 'pad 1',
  attrs: [
    { name: 'sides', kind: 'pads', positional: true, required: true, doc: 'Rows and columns added: `1`, `1x2` (H x W) or `(top, left, bottom, right)`.' },
    { name: 'mode', kind: 'enum', values: ['zero', 'reflect', 'replicate'], default: 'zero', doc: '`zero` pads with 0; `reflect` mirrors the map without repeating its edge; `replicate` repeats the edge.' },
  ],
  infer(x): LayerFacts | undefined {
    const t = spatialInput(x, 'pad');
    if (!t) return undefined;
    const p = x.attrs.pads('sides');
    if (p.mode !== 'explicit') {
      x.error({ code: Codes.badValue, message: `pad takes the rows and columns to add, not \`${p.mode}\``, attr: 'sides' });
      return undefined;
    }
    const [h, w] = t.shape;
    if (x.attrs.word('mode') === 'reflect' && (Math.max(p.top, p.bottom) >= h || Math.max(p.left, p.right) >= w)) {
      x.error({ code: Codes.badValue, message: `reflect padding must be smaller than the ${h}x${w} map it mirrors`, attr: 'sides' });
      return undefined;
    }
    // Every output position still reads one input position: the field and jump are the input's.
    return { shape: [h + p.top + p.bottom, w + p.left + p.right, t.shape[2]], params: 0, macs: 0, rf: t.rf };
  },
  lower(x) {
    const p = x.attrs.pads('sides');
    const [t, l, b, r] = p.mode === 'explicit' ? p.sides : [0, 0, 0, 0];
    const mode = { zero: 'constant', reflect: 'reflect', replicate: 'edge' }[x.attrs.word('mode')] ?? 'constant';
    // ONNX Runtime folds a zero Pad of four inputs or fewer into a MaxPool after it, whose padding is −∞,
    // not 0: with its axes given (opset 18 on) it is left alone. Pads are the starts, then the ends.
    if (x.opset >= 18) return [node('Pad', [x.inputs[0], x.weight('pads', [4], { int64: [t, l, b, r] }), '', x.weight('axes', [2], { int64: [2, 3] })], [x.output], { mode: str(mode) })];
    return [node('Pad', [x.inputs[0], x.weight('pads', [8], { int64: [0, 0, t, l, 0, 0, b, r] })], [x.output], { mode: str(mode) })];
  },
  torch(x) {
    const p = x.attrs.pads('sides');
    const [t, l, b, r] = p.mode === 'explicit' ? p.sides : [0, 0, 0, 0];
    const cls = { zero: 'nn.ZeroPad2d', reflect: 'nn.ReflectionPad2d', replicate: 'nn.ReplicationPad2d' }[x.attrs.word('mode') as 'zero' | 'reflect' | 'replicate'];
    // PyTorch's order: (left, right, top, bottom).
    return mod(`${cls}(${t === l && l === b && b === r ? t : `(${l}, ${r}, ${t}, ${b})`})`);
  },
};

export const pixelshuffle: OpDef = {
  name: 'pixelshuffle',
  family: 'shape',
  summary: 'Pixel shuffle: moves channels into space, HxWx(C·r²) → rH x rW x C (sub-pixel upsampling, nn.PixelShuffle).',
  example: 'pixelshuffle 2',
  attrs: [{ name: 'factor', kind: 'int', positional: true, required: true, min: 1, doc: 'Upscale factor r: the channels must be a multiple of r².' }],
  infer(x): LayerFacts | undefined {
    const t = spatialInput(x, 'pixelshuffle');
    if (!t) return undefined;
    const r = x.attrs.int('factor');
    const [h, w, c] = t.shape;
    if (c % (r * r) !== 0) {
      x.error({ code: Codes.channelMismatch, message: `pixelshuffle ${r} needs a multiple of ${r * r} channels, not ${c}`, attr: 'factor' });
      return undefined;
    }
    return { shape: [h * r, w * r, c / (r * r)], params: 0, macs: 0, rf: field(t.rf.h, t.rf.w, t.rf.jh / r, t.rf.jw / r) };
  },
  // PyTorch's pixel_shuffle reads channel c·r² + i·r + j for output (c, i, j): ONNX's DepthToSpace in CRD order.
  lower: (x) => [node('DepthToSpace', x.inputs, [x.output], { blocksize: int(x.attrs.int('factor')), mode: str('CRD') })],
  torch: (x) => mod(`nn.PixelShuffle(${x.attrs.int('factor')})`),
};

export const shuffle: OpDef = {
  name: 'shuffle',
  family: 'shape',
  summary: 'Channel shuffle (ShuffleNet): interleaves the channels of G groups so the next grouped layer mixes them.',
  example: 'shuffle 2',
  attrs: [{ name: 'groups', kind: 'int', positional: true, required: true, min: 1, doc: 'Number of groups; it must divide the channels.' }],
  infer(x): LayerFacts | undefined {
    const t = spatialInput(x, 'shuffle');
    if (!t) return undefined;
    const g = x.attrs.int('groups');
    if (t.shape[2] % g !== 0) {
      x.error({ code: Codes.groupsDoNotDivide, message: `shuffle ${g} does not divide the ${t.shape[2]} channels`, attr: 'groups' });
      return undefined;
    }
    return { shape: t.shape, params: 0, macs: 0, rf: t.rf };
  },
  lower(x) {
    // As torchvision's channel_shuffle: N×G×(C/G)×H×W, swap the group axes, back to N×C×H×W.
    const [h, w, c] = x.shapes[0];
    const g = x.attrs.int('groups');
    const [grouped, swapped] = [x.temp('grouped'), x.temp('swapped')];
    return [
      node('Reshape', [x.inputs[0], x.weight('grouped_shape', [5], { int64: [0, g, c / g, h, w] })], [grouped]),
      node('Transpose', [grouped], [swapped], { perm: ints([0, 2, 1, 3, 4]) }),
      node('Reshape', [swapped, x.weight('shape', [4], { int64: [0, c, h, w] })], [x.output]),
    ];
  },
  torch: (x) => mod(`ChannelShuffle(${x.attrs.int('groups')})`, [CHANNEL_SHUFFLE]),
};

export const split: OpDef = {
  name: 'split',
  family: 'shape',
  // torch.chunk gives a view: whoever keeps a part keeps its input's whole storage.
  saved: { inPlace: true, gradView: true, why: 'nothing: its output is a view of its input' },
  summary: 'One of N equal parts of the channels (torch.chunk): `split 2 take 0` is the first half (ShuffleNet V2\'s channel split).',
  example: 'split 2 take 0',
  attrs: [
    { name: 'parts', kind: 'int', positional: true, required: true, min: 1, doc: 'How many equal parts the channels are cut into; it must divide them.' },
    { name: 'take', kind: 'int', min: 0, default: 0, doc: 'Which part, from 0.' },
  ],
  infer(x): LayerFacts | undefined {
    const t = x.inputs[0];
    const c = t.shape[t.shape.length - 1];
    const n = x.attrs.int('parts');
    const k = x.attrs.int('take');
    if (c % n !== 0) {
      x.error({ code: Codes.groupsDoNotDivide, message: `split ${n} does not divide the ${c} channels`, attr: 'parts' });
      return undefined;
    }
    if (k >= n) {
      x.error({ code: Codes.badValue, message: `take ${k} is past the last of ${n} parts (they are 0 to ${n - 1})`, attr: 'take' });
      return undefined;
    }
    return { shape: [...t.shape.slice(0, -1), c / n], params: 0, macs: 0, rf: t.rf };
  },
  lower(x) {
    const shape = x.shapes[0];
    const part = shape[shape.length - 1] / x.attrs.int('parts');
    const k = x.attrs.int('take');
    return [node('Slice', [x.inputs[0], x.weight('starts', [1], { int64: [k * part] }), x.weight('ends', [1], { int64: [(k + 1) * part] }), x.weight('axes', [1], { int64: [1] })], [x.output])];
  },
  torch: (x) => ({ ...mod(`Split(${x.attrs.int('parts')}, ${x.attrs.int('take')})`, [SPLIT]), view: true }),
};
