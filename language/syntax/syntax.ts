import type { Comment } from './lexer.js';
import type { Span } from '../base/text.js';

/** Syntax tree. Every node keeps its source span; fields a broken text cannot supply are optional. */

export interface Ident extends Span {
  name: string;
}

export type Expr =
  | ({ kind: 'number'; value: number } & Span)
  | ({ kind: 'dims'; values: number[] } & Span)
  | ({ kind: 'name'; name: string } & Span)
  | ({ kind: 'tuple'; items: Expr[] } & Span)
  | ({ kind: 'binary'; op: '+' | '-' | '*' | '/'; left: Expr; right: Expr } & Span)
  | ({ kind: 'negate'; operand: Expr } & Span)
  | ({ kind: 'error' } & Span);

/** One value after the head of a statement: `3x3`, `stride`, `groups=32`. */
export interface Arg extends Span {
  key?: Ident;
  value: Expr;
}

export interface Body extends Span {
  stmts: Stmt[];
  /** Missing when the text ends before the closing brace. */
  closed: boolean;
}

/**
 * A statement: `conv 64 3x3 stride 2`, `repeat 2 { … }`, `residual { … } shortcut { … } as x`.
 * The parser does not know ops or blocks; the elaborator gives the head its meaning.
 */
export interface Stmt extends Span {
  /** Its number in the file, in source order from 0: later passes keep per-statement data in arrays by it. */
  id: number;
  head: Ident;
  args: Arg[];
  body?: Body;
  shortcut?: { keyword: Ident; body?: Body };
  alias?: Ident;
}

export interface Param extends Span {
  name: Ident;
  default?: Expr;
}

export interface NetworkDecl extends Span {
  kind: 'network';
  keyword: Span;
  name?: Ident;
  body?: Body;
}

export interface BlockDecl extends Span {
  kind: 'block';
  keyword: Span;
  name?: Ident;
  params: Param[];
  body?: Body;
}

export type Decl = NetworkDecl | BlockDecl;

export interface SourceFile extends Span {
  decls: Decl[];
  comments: Comment[];
  /** How many statements the file has: their ids run from 0 to this, exclusive. */
  statements: number;
}

/**
 * How deep anything may nest: braces, parentheses and minus signs in the text (the parser), an expression's
 * operations, and bodies with block calls as the elaborator expands them. Real networks nest a handful of
 * levels; the limit keeps every pass that walks a tree or an expansion within its stack.
 */
export const MAX_NESTING = 256;

/**
 * Statements a file may hold: twice a network at the layer limit written one layer a line. Past it the parser
 * stops reading, so the tree of any file, however long, and all that is built from it stay bounded.
 */
export const MAX_STATEMENTS = 1_000_000;

/** Words with a structural meaning; they cannot name a block, tensor or parameter. */
export const KEYWORDS = ['network', 'block', 'repeat', 'residual', 'shortcut', 'concat', 'branch', 'from', 'as', 'checkpoint'] as const;
