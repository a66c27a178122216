import { LineIndex, type Analysis, type Layer, type NetworkAnalysis, type Shape } from '../language/index.js';
import { NO_NETWORK } from '../language/views/report.js';
import { LoweringError, type OnnxAttr, type OnnxNode, type WeightInit } from '../language/ops/types.js';
import { AttributeType, FLOAT, INT64, IR_VERSION_OF_OPSET, OPSET } from './onnx/proto.js';
import { initialiseInto, weightBuffer } from './weights.js';
import { modelBytes, type Initializer } from './onnx/model-bytes.js';

/**
 * A network → ONNX model bytes: NCHW, a symbolic batch `N`, a value-info shape for every intermediate
 * tensor, node names that carry their source line, and seeded weights (or weights given by name).
 *
 * Naming: the input is `input`; every layer's output is named after the layer (`conv_3`,
 * `Bottleneck_2.conv_1`); its weights are `<layer>.weight`, `<layer>.bias`, and for batchnorm also
 * `<layer>.running_mean` and `<layer>.running_var`. The output is the last layer's output.
 */

/** A network that cannot be exported, with a message that says where and why. */
export class ExportError extends Error {}

export interface ExportOptions {
  /** Seed for the He/Xavier initialisation (default 0). */
  seed?: number;
  /** Weights by name, used instead of initialising (see `loadWeights`). */
  weights?: ReadonlyMap<string, Float32Array>;
  /** Also make every layer's output a graph output, to read intermediate values and shapes. */
  allOutputs?: boolean;
  /** Layers whose outputs to make graph outputs as well (feature maps to capture), by name. */
  captures?: readonly string[];
  /** The ONNX opset to write, 17 to 21 (default 21), for consumers that read only older opsets. */
  opset?: number;
}

export interface WeightSpec {
  name: string;
  dims: number[];
  init: WeightInit;
}

export interface ExportResult {
  bytes: Uint8Array;
  input: { name: string; shape: number[] };
  output: { name: string; shape: number[] };
  /** Each layer's output tensor, NCHW without the batch, the source line (1-based), what it reads, whether it multiplies. */
  layers: { name: string; op: string; line: number; shape: number[]; inputs: string[]; macs: boolean }[];
  weights: WeightSpec[];
}

/** What an export says of its model, without the bytes. */
export type ModelInfo = Omit<ExportResult, 'bytes'>;

/** An exported model written to a file (`model-cache.ts`): the run process reads it by its path. */
export type ModelFile = ModelInfo & { path: string };

/** NCHW (without the batch) of an H×W×C shape; a flat tensor stays as it is. */
export function nchw(shape: Shape): number[] {
  return shape.length === 3 ? [shape[2], shape[0], shape[1]] : [...shape];
}

/** The network to export: the named one, or the only one in the file. */
export function pickNetwork(a: Analysis, name?: string): NetworkAnalysis {
  const errors = a.diagnostics.filter((d) => d.severity === 'error');
  if (errors.length > 0) {
    const lines = new LineIndex(a.text);
    const first = errors[0];
    const p = lines.position(first.span.start);
    throw new ExportError(`the file has ${errors.length} error${errors.length > 1 ? 's' : ''}; the first, at ${p.line + 1}:${p.character + 1}: ${first.message}`);
  }
  if (name !== undefined) {
    const net = a.networks.find((n) => n.name === name);
    if (!net) throw new ExportError(`no network named ${name}; the file has ${a.networks.map((n) => n.name).join(', ') || 'none'}`);
    return net;
  }
  if (a.networks.length === 0) throw new ExportError(NO_NETWORK.trimEnd());
  if (a.networks.length !== 1) throw new ExportError(`the file has ${a.networks.length} networks (${a.networks.map((n) => n.name).join(', ')}): choose one with --network`);
  return a.networks[0];
}

interface Plan {
  lineOf: (l: Layer) => number;
  input: Layer;
  outputIndex: number;
  names: string[];
  nodes: OnnxNode[];
  nodeNames: string[];
  weights: WeightSpec[];
}

/** Lowers every layer to ONNX nodes and collects the weights they declare; no weight data yet. */
function plan(a: Analysis, net: NetworkAnalysis, opset: number): Plan {
  const lines = new LineIndex(a.text);
  const lineOf = (l: Layer) => lines.position(l.stmt.head.start).line + 1;
  const input = net.layers[0];
  if (!input?.op.source || !input.facts) throw new ExportError(`network ${net.name} has no input`);
  const outputIndex = net.output ?? net.layers.length - 1;
  const names = net.layers.map((l) => (l.op.source ? 'input' : l.name));
  const nodes: OnnxNode[] = [];
  const nodeNames: string[] = [];
  const weights: WeightSpec[] = [];
  for (const layer of net.layers) {
    if (layer.op.source) continue;
    if (!layer.op.lower || !layer.facts) throw new ExportError(`${layer.name} (line ${lineOf(layer)}) cannot be exported: ${layer.op.name} has no ONNX form`);
    let temps = 0;
    const made = (() => {
      try {
        return layer.op.lower!({
          inputs: layer.inputs.map((i) => names[i]),
          output: names[layer.index],
          shapes: layer.inputs.map((i) => net.layers[i].facts!.shape),
          shape: layer.facts!.shape,
          attrs: layer.attrs,
          weight: (name, dims, init) => {
            const full = `${layer.name}.${name}`;
            weights.push({ name: full, dims, init });
            return full;
          },
          temp: (suffix) => `${layer.name}/${suffix}${temps++ ? temps : ''}`,
          opset,
        });
      } catch (e) {
        if (e instanceof LoweringError) throw new ExportError(`${layer.name} (line ${lineOf(layer)}): ${e.message}`);
        throw e;
      }
    })();
    made.forEach((n, i) => {
      nodes.push(n);
      // The source line in every node's name: profiles and errors from the runtime lead back to the text.
      nodeNames.push(`${layer.name}:L${lineOf(layer)}${made.length > 1 ? `/${i}` : ''}`);
    });
  }
  return { lineOf, input, outputIndex, names, nodes, nodeNames, weights };
}

/** The weights a network's ONNX model has, by name and shape: what a weights file must provide. */
export function declaredWeights(a: Analysis, net: NetworkAnalysis, opset = OPSET): WeightSpec[] {
  return plan(a, net, opset).weights;
}

export function exportNetwork(a: Analysis, net: NetworkAnalysis, options: ExportOptions = {}): ExportResult {
  const opset = options.opset ?? OPSET;
  const irVersion = IR_VERSION_OF_OPSET[opset];
  if (irVersion === undefined) throw new ExportError(`Stride writes ONNX opsets ${Object.keys(IR_VERSION_OF_OPSET).join(', ')}, not ${opset}`);
  const { lineOf, input, outputIndex, names, nodes, nodeNames, weights } = plan(a, net, opset);
  const inputFacts = input.facts!;
  const valueInfo = (name: string, shape: Shape) => ({
    name,
    type: { tensor_type: { elem_type: FLOAT, shape: { dim: [{ dim_param: 'N' }, ...nchw(shape).map((d) => ({ dim_value: d }))] } } },
  });
  const outputLayer = net.layers[outputIndex];
  const unknown = (options.captures ?? []).filter((c) => !names.includes(c));
  if (unknown.length > 0) throw new ExportError(`no layer named ${unknown.join(', ')} in ${net.name}`);
  const exposed = (l: Layer) => options.allOutputs === true || (options.captures ?? []).includes(names[l.index]);
  const hidden = net.layers.filter((l) => !l.op.source && l.index !== outputIndex);
  const graph = {
    name: net.name,
    node: nodes.map((n, i) => ({ name: nodeNames[i], op_type: n.opType, input: n.inputs, output: n.outputs, attribute: attributes(n.attributes) })),
    input: [valueInfo('input', inputFacts.shape)],
    output: [valueInfo(names[outputIndex], outputLayer.facts!.shape), ...hidden.filter(exposed).map((l) => valueInfo(names[l.index], l.facts!.shape))],
    value_info: hidden.filter((l) => !exposed(l)).map((l) => valueInfo(names[l.index], l.facts!.shape)),
    doc_string: `Exported by Stride from network ${net.name}.`,
  };
  const model = {
    ir_version: irVersion,
    producer_name: 'stride',
    producer_version: '0.1.0',
    model_version: 1,
    opset_import: [{ domain: '', version: opset }],
    metadata_props: [{ key: 'stride.network', value: net.name }],
  };
  return {
    bytes: modelBytes(model, graph, weights.map((w) => initializer(w, options)), weightBuffer),
    input: { name: 'input', shape: nchw(inputFacts.shape) },
    output: { name: names[outputIndex], shape: nchw(outputLayer.facts!.shape) },
    layers: net.layers
      .filter((l) => !l.op.source)
      .map((l) => ({ name: names[l.index], op: l.op.name, line: lineOf(l), shape: nchw(l.facts!.shape), inputs: l.inputs.filter((i) => !net.layers[i].op.source).map((i) => names[i]), macs: (l.facts!.macs ?? 0) > 0 })),
    weights,
  };
}

function attributes(attrs: Record<string, OnnxAttr> | undefined) {
  return Object.entries(attrs ?? {}).map(([name, v]) => {
    if ('i' in v) return { name, type: AttributeType.INT, i: v.i };
    if ('f' in v) return { name, type: AttributeType.FLOAT, f: v.f };
    if ('ints' in v) return { name, type: AttributeType.INTS, ints: [...v.ints] };
    return { name, type: AttributeType.STRING, s: new TextEncoder().encode(v.s) };
  });
}

function initializer(w: WeightSpec, options: ExportOptions): Initializer {
  if (typeof w.init === 'object' && 'int64' in w.init) {
    const data = BigInt64Array.from(w.init.int64, (v) => BigInt(v));
    return { name: w.name, dims: w.dims, dataType: INT64, byteLength: data.byteLength, fill: (out) => out.set(new Uint8Array(data.buffer)) };
  }
  const count = w.dims.reduce((a, d) => a * d, 1);
  const given = options.weights?.get(w.name);
  const fill = given ? (out: Uint8Array) => out.set(new Uint8Array(given.buffer, given.byteOffset, given.byteLength)) : (out: Uint8Array) => initialiseInto(out, w.name, count, w.init, options.seed ?? 0);
  return { name: w.name, dims: w.dims, dataType: FLOAT, byteLength: 4 * count, fill };
}
