import { Codes } from '../base/diagnostics.js';
import { field, PIXEL } from '../base/shape.js';
import { spatialInput } from './common.js';
import { node, str } from './onnx.js';
import type { LayerFacts, OnnxAttr, OpDef } from './types.js';

export const input: OpDef = {
  name: 'input',
  family: 'shape',
  summary: 'The network input, without the batch: `224x224x3` (H x W x C) or a feature count `784`.',
  example: 'input 224x224x3',
  source: true,
  attrs: [{ name: 'shape', kind: 'shape', positional: true, required: true, min: 1, doc: 'H x W x C, e.g. `227x227x3`; grey images have C = 1. Or a feature count.' }],
  infer: (x): LayerFacts => ({ shape: x.attrs.shape('shape'), params: 0, macs: 0, rf: PIXEL }),
};

export const upsample: OpDef = {
  name: 'upsample',
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
};
