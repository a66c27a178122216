import type { Span } from './text.js';

/**
 * Every diagnostic code Stride emits. Codes are stable: tools, tests and users' suppressions rely on them,
 * so a code is never renamed or reused for another meaning.
 */
export const Codes = {
  // the file itself
  binaryFile: 'binary-file',
  utf16File: 'utf16-file',
  tooManyProblems: 'too-many-problems',
  fileTooLarge: 'file-too-large',
  // syntax
  unexpectedCharacter: 'unexpected-character',
  unexpectedToken: 'unexpected-token',
  unclosedBrace: 'unclosed-brace',
  unmatchedBrace: 'unmatched-brace',
  expectedName: 'expected-name',
  nestingTooDeep: 'nesting-too-deep',
  // names
  unknownOp: 'unknown-op',
  unknownAttribute: 'unknown-attribute',
  unknownName: 'unknown-name',
  unknownTensor: 'unknown-tensor',
  duplicateName: 'duplicate-name',
  recursion: 'recursive-block',
  // values
  missingValue: 'missing-value',
  badValue: 'bad-value',
  tooManyValues: 'too-many-values',
  duplicateAttribute: 'duplicate-attribute',
  // structure
  missingInput: 'missing-input',
  misplacedInput: 'misplaced-input',
  misplacedStatement: 'misplaced-statement',
  emptyNetwork: 'empty-network',
  // shapes
  strideDoesNotTile: 'stride-does-not-tile',
  sizeNotPositive: 'size-not-positive',
  sizeTooLarge: 'size-too-large',
  channelMismatch: 'channel-mismatch',
  spatialMismatch: 'spatial-mismatch',
  shapeMismatch: 'shape-mismatch',
  denseOnSpatial: 'dense-on-spatial',
  needsSpatialInput: 'needs-spatial-input',
  groupsDoNotDivide: 'groups-do-not-divide',
  // resources
  memoryOverBudget: 'memory-over-budget',
  expansionTooLarge: 'expansion-too-large',
  countTooLarge: 'count-too-large',
} as const;

/** Diagnostics a file shows at most, in source order; one more says how many were left out. */
export const MAX_DIAGNOSTICS = 200;

export type Code = (typeof Codes)[keyof typeof Codes];

export type Severity = 'error' | 'warning' | 'info';

/** A text replacement: the unit every fix and refactor is made of. */
export interface TextEdit {
  span: Span;
  newText: string;
}

export interface Fix {
  title: string;
  edits: TextEdit[];
  /** The fix a user most likely wants; editors offer it first. */
  preferred?: boolean;
}

export interface Related {
  span: Span;
  message: string;
}

export interface Diagnostic {
  code: Code;
  severity: Severity;
  message: string;
  span: Span;
  related?: Related[];
  fixes?: Fix[];
}
