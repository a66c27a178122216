/** The Stride language core: pure TypeScript, no editor or Node APIs. */
export { analyze, type Analysis, type NetworkAnalysis } from './analyze.js';
export { Codes, type Code, type Diagnostic, type Fix, type Severity, type TextEdit } from './diagnostics.js';
export { layerFormula, lineSpan, type Layer } from './elaborate.js';
export { formatBytes, formatCompact, formatCount } from './format.js';
export { DTYPES, OPTIMIZERS, type Dtype, type Memory, type MemoryOptions, type Optimizer, type Totals } from './memory.js';
export { findOp, OPS } from './ops/index.js';
export { parse } from './parser.js';
export { elements, formatShape, isSpatial, type ReceptiveField, type Shape } from './shape.js';
export { LineIndex, type Position, type Span } from './text.js';
