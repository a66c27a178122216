import { Codes, type Diagnostic } from '../base/diagnostics.js';
import { encodingProblem } from './encoding.js';
import { formatCount } from '../base/format.js';
import { KEPT_PROBLEMS, Lexer, type Token } from './lexer.js';
import { MAX_NESTING, MAX_STATEMENTS, type Arg, type Body, type BlockDecl, type Decl, type Expr, type Ident, type NetworkDecl, type Param, type SourceFile, type Stmt } from './syntax.js';
import type { Span } from '../base/text.js';

export interface ParseResult {
  file: SourceFile;
  diagnostics: Diagnostic[];
  /** Syntax problems past the ones kept (KEPT_PROBLEMS per pass): counted, not kept. */
  omitted: number;
}

const NUMBER = /^(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;
const DIMS = /^\d+(x\d+)+$/;

/**
 * Parses any text into a tree plus diagnostics. Never throws; broken parts become optional fields. Binary data
 * and UTF-16 give one diagnostic that says so and an empty tree.
 */
export function parse(text: string): ParseResult {
  const unreadable = encodingProblem(text);
  if (unreadable) return { file: { decls: [], comments: [], statements: 0, start: 0, end: text.length }, diagnostics: [unreadable], omitted: 0 };
  const lexer = new Lexer(text, { joinLineBreaks: true });
  const parser = new Parser(lexer);
  const decls = parser.file();
  return {
    file: { decls, comments: lexer.comments, statements: parser.statementCount, start: 0, end: text.length },
    diagnostics: lexer.diagnostics.length === 0 ? parser.diagnostics : [...lexer.diagnostics, ...parser.diagnostics],
    omitted: lexer.omitted + parser.omitted,
  };
}

/**
 * Recursive descent over a stream of tokens: it holds the current token, one ahead and the one before (the
 * lexer a small chunk of them), never the whole file's. Nesting (braces, parentheses, operators) is limited to MAX_NESTING levels: past it, the
 * parser reports where and reads no further, so no input can exhaust the stack of any pass that walks the tree.
 */
class Parser {
  private statements = 0;
  readonly diagnostics: Diagnostic[] = [];
  /** Diagnostics past KEPT_PROBLEMS: counted, not kept. */
  omitted = 0;
  private cur: Token;
  private ahead: Token | undefined;
  private prev: Token | undefined;
  /** Braces, parentheses and unary minus open around the current token. */
  private depth = 0;
  /** How deep the expression last read is: binary operators nest without recursion in the parser. */
  private exprDepth = 0;
  /** Set where nesting passed the limit: from there on the parser sees the end of the file. */
  private stopAt: Token | undefined;

  get statementCount(): number {
    return this.statements;
  }

  constructor(private readonly lexer: Lexer) {
    this.cur = this.feed();
  }

  /** The lexer's next token. A run of line breaks comes as one, which the grammar cannot tell apart. */
  private feed(): Token {
    return this.stopAt ?? this.lexer.next();
  }

  /** The current token (`ahead` 0) or the one after it (1). */
  private peek(ahead: 0 | 1 = 0): Token {
    if (ahead === 0) return this.cur;
    return (this.ahead ??= this.feed());
  }

  private next(): Token {
    const t = this.cur;
    if (t.kind !== 'eof') {
      this.prev = t;
      const ahead = this.ahead;
      if (ahead) {
        this.cur = ahead;
        this.ahead = undefined;
      } else this.cur = this.feed();
    }
    return t;
  }

  /** One level deeper, or false (reported, reading stopped) when that passes MAX_NESTING. */
  private enter(at: Span): boolean {
    if (this.depth < MAX_NESTING) {
      this.depth++;
      return true;
    }
    this.stop(at, `nesting deeper than ${MAX_NESTING} levels (braces, parentheses and minus signs together); Stride stops reading the file here`);
    return false;
  }

  /** Reports why and reads no further: from here every token is the end of the file, and nothing else is reported. */
  private stop(at: Span, message: string, code: Diagnostic['code'] = Codes.nestingTooDeep): void {
    if (this.stopAt) return;
    this.diagnostics.push({ code, severity: 'error', message, span: { start: at.start, end: at.end } });
    this.stopAt = this.cur = { kind: 'eof', text: '', start: at.start, end: at.start };
    this.ahead = undefined;
  }

  private is(text: string, ahead: 0 | 1 = 0): boolean {
    const t = this.peek(ahead);
    return (t.kind === 'punct' || t.kind === 'ident') && t.text === text;
  }

  private atLineEnd(): boolean {
    const t = this.peek();
    return t.kind === 'newline' || t.kind === 'eof' || this.is(';') || this.is('}');
  }

  private skipNewlines(): void {
    while (this.peek().kind === 'newline' || this.is(';')) this.next();
  }

  private error(code: Diagnostic['code'], message: string, at: { start: number; end: number }): void {
    if (this.stopAt) return;
    if (this.diagnostics.length >= KEPT_PROBLEMS) {
      this.omitted++;
      return;
    }
    this.diagnostics.push({ code, severity: 'error', message, span: { start: at.start, end: at.end } });
  }

  private describe(t: Token): string {
    if (t.kind === 'eof') return 'the end of the file';
    if (t.kind === 'newline') return 'the end of the line';
    return `'${t.text}'`;
  }

  /** Skips to the end of the line, stepping over balanced braces so a broken line cannot eat a block. */
  private recoverLine(): void {
    let depth = 0;
    for (;;) {
      const t = this.peek();
      if (t.kind === 'eof') return;
      if (depth === 0 && (t.kind === 'newline' || this.is(';') || this.is('}'))) return;
      if (this.is('{')) depth++;
      if (this.is('}')) depth--;
      this.next();
    }
  }

  file(): Decl[] {
    const decls: Decl[] = [];
    for (;;) {
      this.skipNewlines();
      const t = this.peek();
      if (t.kind === 'eof') return decls;
      if (this.is('network')) decls.push(this.network());
      else if (this.is('block')) decls.push(this.block());
      else if (this.is('}')) {
        this.error(Codes.unmatchedBrace, "unmatched '}': nothing open here to close", t);
        this.next();
      } else {
        const message =
          t.kind === 'ident'
            ? `'${t.text}' belongs inside a network: write \`network Name { … }\` around the layers`
            : `expected \`network\` or \`block\`, found ${this.describe(t)}`;
        this.error(Codes.unexpectedToken, message, t);
        this.next();
        this.recoverLine();
        if (this.is('}')) this.next();
      }
    }
  }

  private network(): NetworkDecl {
    const keyword = this.next();
    const name = this.declName('network');
    const body = this.is('{') ? this.body() : this.missingBody('network', keyword);
    return { kind: 'network', keyword, name, body, start: keyword.start, end: body?.end ?? name?.end ?? keyword.end };
  }

  private block(): BlockDecl {
    const keyword = this.next();
    const name = this.declName('block');
    const params: Param[] = [];
    if (this.is('(')) {
      this.next();
      while (!this.is(')') && !this.is('{') && this.peek().kind !== 'eof') {
        const t = this.peek();
        if (t.kind === 'newline' || this.is(',')) {
          this.next();
          continue;
        }
        if (t.kind !== 'ident') {
          this.error(Codes.expectedName, `expected a parameter name, found ${this.describe(t)}`, t);
          this.next();
          continue;
        }
        this.next();
        const p: Param = { name: { name: t.text, start: t.start, end: t.end }, start: t.start, end: t.end };
        if (this.is('=')) {
          this.next();
          p.default = this.expr();
          p.end = p.default.end;
        }
        params.push(p);
      }
      if (this.is(')')) this.next();
      else this.error(Codes.unexpectedToken, "expected ')' to close the parameter list", this.peek());
    }
    const body = this.is('{') ? this.body() : this.missingBody('block', keyword);
    return { kind: 'block', keyword, name, params, body, start: keyword.start, end: body?.end ?? name?.end ?? keyword.end };
  }

  private declName(what: string): Ident | undefined {
    const t = this.peek();
    if (t.kind === 'ident') {
      this.next();
      return { name: t.text, start: t.start, end: t.end };
    }
    this.error(Codes.expectedName, `expected a name after \`${what}\`, found ${this.describe(t)}`, t);
    return undefined;
  }

  private missingBody(what: string, keyword: Token): undefined {
    const t = this.peek();
    this.error(Codes.unexpectedToken, `expected '{' to open the ${what} body, found ${this.describe(t)}`, t.kind === 'eof' ? keyword : t);
    this.recoverLine();
    return undefined;
  }

  private body(): Body {
    const open = this.next();
    if (!this.enter(open)) return { stmts: [], closed: false, start: open.start, end: open.end };
    const body = this.bodyStmts(open);
    this.depth--;
    return body;
  }

  private bodyStmts(open: Token): Body {
    const stmts: Stmt[] = [];
    for (;;) {
      this.skipNewlines();
      const t = this.peek();
      if (this.is('}')) {
        this.next();
        return { stmts, closed: true, start: open.start, end: t.end };
      }
      // A missing '}' shows up as the next declaration starting inside this body.
      const atDecl = (this.is('network') || this.is('block')) && this.peek(1).kind === 'ident' && this.startsLine();
      if (t.kind === 'eof' || atDecl) {
        this.error(Codes.unclosedBrace, "this '{' is never closed: add '}'", open);
        const end = stmts.length > 0 ? stmts[stmts.length - 1].end : open.end;
        return { stmts, closed: false, start: open.start, end };
      }
      const stmt = this.stmt();
      if (stmt) stmts.push(stmt);
      // A closing brace ends a statement as a line does: `concat { branch { … } branch { … } }`.
      const last = stmt?.shortcut?.body ?? stmt?.body;
      const afterBrace = stmt !== undefined && last !== undefined && last.closed && stmt.end === last.end;
      if (!this.atLineEnd() && !afterBrace) {
        this.error(Codes.unexpectedToken, `expected the end of the line, found ${this.describe(this.peek())}`, this.peek());
        this.recoverLine();
      }
    }
  }

  private startsLine(): boolean {
    const prev = this.prev;
    return prev === undefined || prev.kind === 'newline';
  }

  private stmt(): Stmt | undefined {
    const t = this.peek();
    if (t.kind !== 'ident') {
      this.error(Codes.unexpectedToken, `expected a layer, found ${this.describe(t)}`, t);
      this.next();
      this.recoverLine();
      return undefined;
    }
    if (this.statements >= MAX_STATEMENTS) {
      this.stop(t, `this file has more than ${formatCount(MAX_STATEMENTS)} statements; Stride stops reading it here`, Codes.fileTooLarge);
      return undefined;
    }
    this.next();
    const stmt: Stmt = { id: this.statements++, head: { name: t.text, start: t.start, end: t.end }, args: [], start: t.start, end: t.end };
    const args: Arg[] = [];
    while (!this.atLineEnd() && !this.is('{') && !this.is('as')) {
      const before = this.cur;
      const arg = this.arg();
      if (arg) {
        args.push(arg);
        stmt.end = arg.end;
      }
      // primary() has reported what it could not read; step over it.
      if (this.cur === before) this.next();
    }
    // An array grown by push keeps room for sixteen; the tree keeps one exactly as long as the values.
    if (args.length > 0) stmt.args = args.slice();
    // Cut off where the parser stopped reading: its values are not all there, so it is no statement.
    if (this.stopAt) return undefined;
    if (this.is('{')) {
      stmt.body = this.body();
      stmt.end = stmt.body.end;
      if (this.nextNonNewlineIs('shortcut')) {
        this.skipNewlines();
        const kw = this.next();
        const keyword = { name: kw.text, start: kw.start, end: kw.end };
        if (this.is('{')) {
          const body = this.body();
          stmt.shortcut = { keyword, body };
          stmt.end = body.end;
        } else {
          stmt.shortcut = { keyword };
          stmt.end = kw.end;
          this.error(Codes.unexpectedToken, `expected '{' after \`shortcut\`, found ${this.describe(this.peek())}`, this.peek());
        }
      }
    }
    if (this.is('as')) {
      const as = this.next();
      const name = this.peek();
      if (name.kind === 'ident') {
        this.next();
        stmt.alias = { name: name.text, start: name.start, end: name.end };
        stmt.end = name.end;
      } else {
        this.error(Codes.expectedName, `expected a tensor name after \`as\`, found ${this.describe(name)}`, as);
      }
    }
    return stmt;
  }

  private nextNonNewlineIs(word: string): boolean {
    // Line breaks come one token a run, so the token after a line break is not one.
    const t = this.peek().kind === 'newline' ? this.peek(1) : this.peek();
    return t.kind === 'ident' && t.text === word;
  }

  private arg(): Arg | undefined {
    const t = this.peek();
    if (t.kind === 'ident' && this.is('=', 1)) {
      this.next();
      this.next();
      const key = { name: t.text, start: t.start, end: t.end };
      if (this.atLineEnd()) {
        this.error(Codes.missingValue, `expected a value after '${t.text} ='`, t);
        return undefined;
      }
      const value = this.expr();
      return { key, value, start: t.start, end: value.end };
    }
    const value = this.expr();
    if (value.kind === 'error' && value.start === value.end) return undefined;
    return { value, start: value.start, end: value.end };
  }

  private expr(): Expr {
    let left = this.term();
    let depth = this.exprDepth;
    while (this.is('+') || this.is('-')) {
      const token = this.next();
      const right = this.term();
      depth = this.deeper(depth, token);
      left = { kind: 'binary', op: token.text as '+' | '-', left, right, start: left.start, end: right.end };
    }
    this.exprDepth = depth;
    return left;
  }

  private term(): Expr {
    let left = this.unary();
    let depth = this.exprDepth;
    while (this.is('*') || this.is('/')) {
      const token = this.next();
      const right = this.unary();
      depth = this.deeper(depth, token);
      left = { kind: 'binary', op: token.text as '*' | '/', left, right, start: left.start, end: right.end };
    }
    this.exprDepth = depth;
    return left;
  }

  /** The depth of a binary node over a left side of `left` levels and the right side just read. */
  private deeper(left: number, operator: Token): number {
    const depth = Math.max(left, this.exprDepth) + 1;
    if (depth > MAX_NESTING) this.stop(operator, `an expression nested more than ${MAX_NESTING} operations deep; Stride stops reading the file here`);
    return depth;
  }

  private unary(): Expr {
    if (this.is('-')) {
      const minus = this.next();
      if (!this.enter(minus)) return { kind: 'error', start: minus.start, end: minus.end };
      const operand = this.unary();
      this.depth--;
      this.exprDepth++;
      return { kind: 'negate', operand, start: minus.start, end: operand.end };
    }
    return this.primary();
  }

  private primary(): Expr {
    const t = this.peek();
    this.exprDepth = 1;
    if (t.kind === 'number') {
      this.next();
      if (!NUMBER.test(t.text)) {
        this.error(Codes.unexpectedToken, `'${t.text}' is not a number`, t);
        return { kind: 'error', start: t.start, end: t.end };
      }
      return { kind: 'number', value: Number(t.text), start: t.start, end: t.end };
    }
    if (t.kind === 'dims') {
      this.next();
      if (!DIMS.test(t.text)) {
        this.error(Codes.unexpectedToken, `'${t.text}' is not a size: write it like 3x3 or 224x224x3`, t);
        return { kind: 'error', start: t.start, end: t.end };
      }
      return { kind: 'dims', values: t.text.split('x').map(Number), start: t.start, end: t.end };
    }
    if (t.kind === 'ident') {
      this.next();
      return { kind: 'name', name: t.text, start: t.start, end: t.end };
    }
    if (this.is('(')) {
      const open = this.next();
      if (!this.enter(open)) return { kind: 'error', start: open.start, end: open.end };
      const items: Expr[] = [];
      let comma = false;
      let depth = 0;
      while (!this.is(')') && !this.atLineEnd() && !this.is('{')) {
        if (this.is(',')) {
          comma = true;
          this.next();
          continue;
        }
        const before = this.cur;
        items.push(this.expr());
        depth = Math.max(depth, this.exprDepth);
        if (this.cur === before) break;
      }
      this.depth--;
      this.exprDepth = depth + 1;
      let end = items.length > 0 ? items[items.length - 1].end : open.end;
      if (this.is(')')) end = this.next().end;
      else this.error(Codes.unexpectedToken, "expected ')' to close '('", open);
      if (items.length === 1 && !comma) return { ...items[0], start: open.start, end } as Expr;
      return { kind: 'tuple', items, start: open.start, end };
    }
    this.error(Codes.unexpectedToken, `expected a value, found ${this.describe(t)}`, t);
    return { kind: 'error', start: t.start, end: t.start };
  }
}
