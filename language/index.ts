/** The Stride language core: pure TypeScript, no editor or Node APIs. */
export { analyze, type Analysis, type NetworkAnalysis } from './analysis/analyze.js';
export { Codes, type Code, type Diagnostic, type Fix, type Severity, type TextEdit } from './base/diagnostics.js';
export { layerFormula, lineSpan, type Layer } from './analysis/layer.js';
export { formatBytes, formatCompact, formatCount } from './base/format.js';
export { DEFAULT_FRAMEWORK_BYTES, DTYPES, layerKept, OPTIMIZERS, PRECISIONS, precisionBytes, TERM_NAMES, TRAINING_TERMS, type Dtype, type Memory, type MemoryOptions, type Optimizer, type Precision, type Totals, type TrainingTerm } from './analysis/memory.js';
export { DEFAULT_NCHWC_BLOCK, inferenceMemory, type InferenceMemory, type InferenceOptions } from './analysis/inference.js';
export { findOp, OPS } from './ops/index.js';
export { isConstant } from './ops/types.js';
export { parse } from './syntax/parser.js';
export { elements, formatShape, isSpatial, type ReceptiveField, type Shape } from './base/shape.js';
export { LineIndex, type Position, type Span } from './base/text.js';
