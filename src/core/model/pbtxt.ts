/**
 * The protobuf text format (`saved_model.pbtxt`, TF Serving's `models.config`), read without
 * protobufjs (which has no text parser).
 *
 * Two layers:
 *  1. `parseTextTree` — a tokenizer and a schema-free parser that turns the text into a tree of
 *     fields and values, each with its 1-based line and column.
 *  2. `parseTextFormat` — walks that tree against a protobufjs reflection `Type` and writes the
 *     protobuf wire format, which protobufjs then decodes. Going through the wire format means
 *     the result is exactly what the binary decoder produces for the same message (float32
 *     rounding, int64 as Long, default values, oneof discriminators, map objects), so one
 *     summarizer serves `.pb` and `.pbtxt` alike.
 *
 * Every failure is a `ModelFormatError` naming the file, line, column and what was expected.
 * Nesting is bounded, and every pass is linear in the input.
 */
import * as protobuf from 'protobufjs';
import { ModelFormatError } from '../errors';
import { types, type ISavedModel } from './proto/schema';

/** Default bound on nested messages (protoc's text parser and CodedInputStream use 100). */
export const MAX_TEXT_DEPTH = 100;

export interface TextPosition {
  /** 0-based character offset into the text. */
  offset: number;
  /** 1-based line. */
  line: number;
  /** 1-based column, counted in UTF-16 code units (as editors count them). */
  column: number;
}

/** A string value: adjacent literals already concatenated, escapes resolved to bytes. */
export interface TextString {
  kind: 'string';
  bytes: Uint8Array;
  pos: TextPosition;
}

/** A numeric literal as written (without the sign); `float` when it has a fraction, exponent or f suffix. */
export interface TextNumber {
  kind: 'number';
  text: string;
  float: boolean;
  negative: boolean;
  pos: TextPosition;
}

/** A bare identifier: an enum value name, `true`/`false`, `inf`, `nan`. */
export interface TextIdentifier {
  kind: 'identifier';
  text: string;
  negative: boolean;
  pos: TextPosition;
}

export type TextScalar = TextString | TextNumber | TextIdentifier;

export interface TextMessage {
  kind: 'message';
  /** Where the opening brace is (line 1, column 1 for the top-level message). */
  pos: TextPosition;
  fields: TextField[];
}

export type TextValue = TextScalar | TextMessage;

export interface TextField {
  /** The field name, or for `[...]` the bracketed name (an extension or an Any type URL). */
  name: string;
  /** True for `[name]` (extension or expanded google.protobuf.Any). */
  bracketed: boolean;
  pos: TextPosition;
  /** True when written with list syntax `name: [a, b]`. */
  list: boolean;
  /** One value, or the list's items (possibly none). */
  values: TextValue[];
}

export interface TextParseOptions {
  /** Maximum nesting of messages; deeper input is a ModelFormatError. */
  maxDepth?: number;
}

// ---------------------------------------------------------------------------------------------
// Tokenizer

type TokenKind = 'ident' | 'int' | 'float' | 'string' | 'punct' | 'eof';

interface Token {
  kind: TokenKind;
  /** The source text (for strings: the raw literal including quotes). */
  text: string;
  pos: TextPosition;
  /** Decoded bytes of a string literal. */
  bytes?: Uint8Array;
}

const enum Ch {
  Tab = 9,
  LF = 10,
  VT = 11,
  FF = 12,
  CR = 13,
  Space = 32,
  Quote = 34,
  Hash = 35,
  Apos = 39,
  Plus = 43,
  Minus = 45,
  Dot = 46,
  Slash = 47,
  D0 = 48,
  D7 = 55,
  D9 = 57,
  UA = 65,
  UE = 69,
  UF = 70,
  UX = 88,
  UZ = 90,
  Backslash = 92,
  Underscore = 95,
  LA = 97,
  LE = 101,
  LF_ = 102,
  LX = 120,
  LZ = 122,
}

const PUNCT = '{}<>[]:,;-/';

function isDigit(c: number): boolean {
  return c >= Ch.D0 && c <= Ch.D9;
}
function isHexDigit(c: number): boolean {
  return isDigit(c) || (c >= 65 && c <= 70) || (c >= 97 && c <= 102);
}
function isIdentStart(c: number): boolean {
  return (c >= Ch.UA && c <= Ch.UZ) || (c >= Ch.LA && c <= Ch.LZ) || c === Ch.Underscore;
}
function isIdentPart(c: number): boolean {
  return isIdentStart(c) || isDigit(c);
}
function hexValue(c: number): number {
  return c <= Ch.D9 ? c - Ch.D0 : (c | 0x20) - 87;
}

/** A growable byte buffer for string literals (amortised O(1) appends). */
class ByteBuffer {
  private buf = new Uint8Array(64);
  length = 0;
  clear(): void {
    this.length = 0;
  }
  push(b: number): void {
    if (this.length === this.buf.length) {
      const next = new Uint8Array(this.buf.length * 2);
      next.set(this.buf);
      this.buf = next;
    }
    this.buf[this.length++] = b;
  }
  pushCodePoint(cp: number): void {
    if (cp < 0x80) this.push(cp);
    else if (cp < 0x800) {
      this.push(0xc0 | (cp >> 6));
      this.push(0x80 | (cp & 63));
    } else if (cp < 0x10000) {
      this.push(0xe0 | (cp >> 12));
      this.push(0x80 | ((cp >> 6) & 63));
      this.push(0x80 | (cp & 63));
    } else {
      this.push(0xf0 | (cp >> 18));
      this.push(0x80 | ((cp >> 12) & 63));
      this.push(0x80 | ((cp >> 6) & 63));
      this.push(0x80 | (cp & 63));
    }
  }
  take(): Uint8Array {
    return this.buf.slice(0, this.length);
  }
}

class Lexer {
  private i = 0;
  private line = 1;
  private lineStart = 0;
  private peeked: Token | undefined;
  private readonly bytes = new ByteBuffer();

  constructor(
    private readonly src: string,
    readonly file: string,
  ) {
    // A byte-order mark is not part of the text (editors do not count it as a column).
    if (src.charCodeAt(0) === 0xfeff) this.i = this.lineStart = 1;
  }

  position(offset = this.i): TextPosition {
    // Only valid for offsets on the current line, which is all the lexer asks for.
    return { offset, line: this.line, column: offset - this.lineStart + 1 };
  }

  fail(pos: TextPosition, expected: string, detail?: string): never {
    throw new ModelFormatError(
      { file: this.file, line: pos.line, column: pos.column },
      expected,
      detail,
      'Fix the text at that position; the protobuf text format is described at https://protobuf.dev/reference/protobuf/textformat-spec/.',
    );
  }

  peek(): Token {
    if (!this.peeked) this.peeked = this.scan();
    return this.peeked;
  }

  next(): Token {
    const t = this.peek();
    this.peeked = undefined;
    return t;
  }

  private skipTrivia(): void {
    const s = this.src;
    const n = s.length;
    while (this.i < n) {
      const c = s.charCodeAt(this.i);
      if (c === Ch.LF) {
        this.i++;
        this.line++;
        this.lineStart = this.i;
      } else if (c === Ch.Space || c === Ch.Tab || c === Ch.CR || c === Ch.VT || c === Ch.FF) {
        this.i++;
      } else if (c === Ch.Hash) {
        const nl = s.indexOf('\n', this.i);
        this.i = nl < 0 ? n : nl;
      } else {
        break;
      }
    }
  }

  private scan(): Token {
    this.skipTrivia();
    const s = this.src;
    const start = this.i;
    const pos = this.position(start);
    if (start >= s.length) return { kind: 'eof', text: '', pos };
    const c = s.charCodeAt(start);
    if (isIdentStart(c)) {
      let j = start + 1;
      while (j < s.length && isIdentPart(s.charCodeAt(j))) j++;
      this.i = j;
      return { kind: 'ident', text: s.slice(start, j), pos };
    }
    if (isDigit(c) || (c === Ch.Dot && isDigit(s.charCodeAt(start + 1)))) return this.scanNumber(pos);
    if (c === Ch.Quote || c === Ch.Apos) return this.scanString(pos, c);
    const ch = s[start];
    if (PUNCT.includes(ch)) {
      this.i++;
      return { kind: 'punct', text: ch, pos };
    }
    const cp = s.codePointAt(start) ?? c;
    return this.fail(
      pos,
      'a field name, a value or one of { } < > [ ] : , ;',
      `found ${JSON.stringify(String.fromCodePoint(cp))}`,
    );
  }

  private scanNumber(pos: TextPosition): Token {
    const s = this.src;
    const n = s.length;
    const start = this.i;
    let j = start;
    let float = false;
    let bad = false;
    const c0 = s.charCodeAt(j);
    const c1 = s.charCodeAt(j + 1);
    if (c0 === Ch.D0 && (c1 === Ch.LX || c1 === Ch.UX)) {
      j += 2;
      const digits = j;
      while (j < n && isHexDigit(s.charCodeAt(j))) j++;
      if (j === digits) bad = true;
    } else {
      while (j < n && isDigit(s.charCodeAt(j))) j++;
      const intEnd = j;
      if (s.charCodeAt(j) === Ch.Dot) {
        float = true;
        j++;
        while (j < n && isDigit(s.charCodeAt(j))) j++;
      }
      const e = s.charCodeAt(j);
      if (e === Ch.LE || e === Ch.UE) {
        float = true;
        j++;
        const sign = s.charCodeAt(j);
        if (sign === Ch.Plus || sign === Ch.Minus) j++;
        const digits = j;
        while (j < n && isDigit(s.charCodeAt(j))) j++;
        if (j === digits) bad = true;
      }
      const f = s.charCodeAt(j);
      if (f === Ch.LF_ || f === Ch.UF) {
        float = true;
        j++;
      }
      // A leading zero means octal: 0, 0777; but 08 is an error (as in protoc).
      if (!float && intEnd - start > 1 && c0 === Ch.D0) {
        for (let k = start + 1; k < intEnd; k++) if (s.charCodeAt(k) > Ch.D7) bad = true;
      }
    }
    // A number must not run straight into an identifier or another dot: 12abc, 1.2.3, 0x.
    if (j < n && (isIdentPart(s.charCodeAt(j)) || s.charCodeAt(j) === Ch.Dot)) bad = true;
    if (bad) {
      let k = j;
      while (k < n && (isIdentPart(s.charCodeAt(k)) || s.charCodeAt(k) === Ch.Dot)) k++;
      this.fail(pos, 'a number', `${JSON.stringify(s.slice(start, k))} is not a valid number literal`);
    }
    this.i = j;
    return { kind: float ? 'float' : 'int', text: s.slice(start, j), pos };
  }

  private scanString(pos: TextPosition, quote: number): Token {
    const s = this.src;
    const n = s.length;
    const out = this.bytes;
    out.clear();
    let j = this.i + 1;
    const unterminated = (): never =>
      this.fail(
        pos,
        `a closing ${quote === Ch.Quote ? '"' : "'"} on the same line`,
        'unterminated string literal',
      );
    for (;;) {
      if (j >= n) unterminated();
      const c = s.charCodeAt(j);
      if (c === quote) {
        j++;
        break;
      }
      if (c === Ch.LF) unterminated();
      if (c === Ch.Backslash) {
        j = this.scanEscape(j, out);
        continue;
      }
      if (c < 0x80) {
        out.push(c);
        j++;
      } else {
        const cp = s.codePointAt(j) ?? c;
        out.pushCodePoint(cp);
        j += cp > 0xffff ? 2 : 1;
      }
    }
    this.i = j;
    return { kind: 'string', text: s.slice(pos.offset, j), pos, bytes: out.take() };
  }

  /** Reads the escape at `j` (a backslash) into `out`; returns the offset after it. */
  private scanEscape(j: number, out: ByteBuffer): number {
    const s = this.src;
    const at = this.position(j);
    const c = s.charCodeAt(j + 1);
    const simple: Record<string, number> = {
      a: 7, b: 8, f: 12, n: 10, r: 13, t: 9, v: 11, '\\': 92, "'": 39, '"': 34, '?': 63,
    };
    const ch = s[j + 1];
    if (ch !== undefined && Object.prototype.hasOwnProperty.call(simple, ch)) {
      out.push(simple[ch]);
      return j + 2;
    }
    if (c >= Ch.D0 && c <= Ch.D7) {
      let k = j + 1;
      let v = 0;
      while (k < j + 4 && s.charCodeAt(k) >= Ch.D0 && s.charCodeAt(k) <= Ch.D7) v = v * 8 + s.charCodeAt(k++) - Ch.D0;
      if (v > 255) this.fail(at, 'an octal escape of at most \\377', `found ${s.slice(j, k)}`);
      out.push(v);
      return k;
    }
    if (c === Ch.LX || c === Ch.UX) {
      let k = j + 2;
      let v = 0;
      while (k < j + 4 && isHexDigit(s.charCodeAt(k))) v = v * 16 + hexValue(s.charCodeAt(k++));
      if (k === j + 2) this.fail(at, 'one or two hex digits after \\x');
      out.push(v);
      return k;
    }
    if (ch === 'u' || ch === 'U') {
      const digits = ch === 'u' ? 4 : 8;
      let cp = this.readHex(j + 2, digits, at, `${digits} hex digits after \\${ch}`);
      let end = j + 2 + digits;
      if (cp >= 0xd800 && cp <= 0xdbff) {
        // A high surrogate must be followed by an escaped low surrogate: \ud83d\ude00.
        if (s.charCodeAt(end) === Ch.Backslash && s[end + 1] === 'u') {
          const lo = this.readHex(end + 2, 4, this.position(end), '4 hex digits after \\u');
          if (lo >= 0xdc00 && lo <= 0xdfff) {
            cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
            end += 6;
          } else this.fail(at, 'a low surrogate \\udc00-\\udfff after a high surrogate');
        } else this.fail(at, 'a low surrogate \\udc00-\\udfff after a high surrogate');
      } else if (cp >= 0xdc00 && cp <= 0xdfff) {
        this.fail(at, 'a Unicode code point that is not a lone surrogate');
      }
      if (cp > 0x10ffff) this.fail(at, 'a Unicode code point of at most \\U0010ffff');
      out.pushCodePoint(cp);
      return end;
    }
    if (j + 1 >= s.length || c === Ch.LF) {
      return this.fail(at, 'an escape sequence after \\', 'the string ends after a backslash');
    }
    return this.fail(
      at,
      'an escape sequence (\\n \\t \\r \\\\ \\\' \\" \\ooo \\xhh \\uhhhh \\Uhhhhhhhh)',
      `found \\${String.fromCodePoint(s.codePointAt(j + 1) ?? c)}`,
    );
  }

  private readHex(k: number, digits: number, at: TextPosition, expected: string): number {
    let v = 0;
    for (let d = 0; d < digits; d++) {
      const c = this.src.charCodeAt(k + d);
      if (!isHexDigit(c)) this.fail(at, expected);
      v = v * 16 + hexValue(c);
    }
    return v;
  }

  /**
   * Reads the name inside `[ ... ]` (the `[` already consumed): an extension name
   * `pkg.ext` or an Any type URL `type.googleapis.com/pkg.Type`. Whitespace and comments may
   * separate its parts, as in the spec.
   */
  readBracketedName(): string {
    if (this.peeked) throw new Error('pbtxt: readBracketedName with a pending token');
    let name = '';
    for (;;) {
      this.skipTrivia();
      const pos = this.position();
      const c = this.src.charCodeAt(this.i);
      if (c === 93 /* ] */) {
        if (!name) this.fail(pos, 'a type or extension name inside [ ]');
        return name;
      }
      if (isIdentPart(c) || c === Ch.Dot || c === Ch.Slash || c === Ch.Minus) {
        let j = this.i + 1;
        while (j < this.src.length) {
          const d = this.src.charCodeAt(j);
          if (!(isIdentPart(d) || d === Ch.Dot || d === Ch.Slash || d === Ch.Minus)) break;
          j++;
        }
        name += this.src.slice(this.i, j);
        this.i = j;
        continue;
      }
      if (this.i >= this.src.length) this.fail(pos, '"]" to close the bracketed name', 'the file ends first');
      this.fail(pos, 'a type URL or extension name followed by "]"');
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Layer 1: text → tree

function describeToken(t: Token): string {
  switch (t.kind) {
    case 'eof':
      return 'the end of the file';
    case 'string':
      return `the string ${t.text.length > 40 ? t.text.slice(0, 37) + '...' : t.text}`;
    default:
      return `"${t.text}"`;
  }
}

class TreeParser {
  constructor(
    private readonly lex: Lexer,
    private readonly maxDepth: number,
  ) {}

  parseDocument(): TextMessage {
    const fields = this.parseFields(undefined, 0);
    return { kind: 'message', pos: { offset: 0, line: 1, column: 1 }, fields };
  }

  /** Fields up to the closer (`}`/`>`), which is consumed; or up to the end of file for the top level. */
  private parseFields(open: Token | undefined, depth: number): TextField[] {
    const lex = this.lex;
    const fields: TextField[] = [];
    const closer = open ? (open.text === '{' ? '}' : '>') : undefined;
    for (;;) {
      const t = lex.peek();
      if (t.kind === 'eof') {
        if (!open) return fields;
        lex.fail(
          t.pos,
          `"${closer}" to close the message opened at line ${open.pos.line}, column ${open.pos.column}`,
          'the file ends first',
        );
      }
      if (t.kind === 'punct' && t.text === closer) {
        lex.next();
        return fields;
      }
      fields.push(this.parseField(depth));
    }
  }

  private parseField(depth: number): TextField {
    const lex = this.lex;
    const t = lex.next();
    let name: string;
    let bracketed = false;
    if (t.kind === 'ident') {
      name = t.text;
    } else if (t.kind === 'punct' && t.text === '[') {
      name = lex.readBracketedName();
      lex.next(); // the ']' readBracketedName stopped at
      bracketed = true;
    } else {
      const closing = t.kind === 'punct' && (t.text === '}' || t.text === '>');
      return lex.fail(
        t.pos,
        'a field name',
        closing ? `found an unbalanced "${t.text}"` : `found ${describeToken(t)}`,
      );
    }
    const field: TextField = { name, bracketed, pos: t.pos, list: false, values: [] };
    let colon = false;
    if (isPunct(lex.peek(), ':')) {
      lex.next();
      colon = true;
    }
    const v = lex.peek();
    if (isPunct(v, '{') || isPunct(v, '<')) {
      field.values.push(this.parseMessage(depth));
    } else if (isPunct(v, '[')) {
      lex.next();
      field.list = true;
      if (isPunct(lex.peek(), ']')) {
        lex.next();
      } else {
        for (;;) {
          const item = lex.peek();
          if (isPunct(item, '{') || isPunct(item, '<')) field.values.push(this.parseMessage(depth));
          else if (!colon) lex.fail(item.pos, `":" before a list of values for field "${name}"`);
          else field.values.push(this.parseScalar());
          const sep = lex.next();
          if (isPunct(sep, ']')) break;
          if (!isPunct(sep, ',')) lex.fail(sep.pos, '"," or "]" in the list', `found ${describeToken(sep)}`);
        }
      }
    } else if (!colon) {
      lex.fail(v.pos, `":" or "{" after field name "${name}"`, `found ${describeToken(v)}`);
    } else {
      field.values.push(this.parseScalar());
    }
    const sep = lex.peek();
    if (isPunct(sep, ';') || isPunct(sep, ',')) lex.next();
    return field;
  }

  private parseMessage(depth: number): TextMessage {
    const open = this.lex.next();
    if (depth + 1 > this.maxDepth) {
      this.lex.fail(open.pos, `at most ${this.maxDepth} levels of nested messages`, 'the text nests deeper');
    }
    const fields = this.parseFields(open, depth + 1);
    return { kind: 'message', pos: open.pos, fields };
  }

  private parseScalar(): TextScalar {
    const lex = this.lex;
    let t = lex.next();
    const start = t.pos;
    let negative = false;
    if (isPunct(t, '-')) {
      negative = true;
      t = lex.next();
      if (t.kind !== 'int' && t.kind !== 'float' && t.kind !== 'ident') {
        lex.fail(t.pos, 'a number after "-"', `found ${describeToken(t)}`);
      }
    }
    switch (t.kind) {
      case 'int':
      case 'float':
        return { kind: 'number', text: t.text, float: t.kind === 'float', negative, pos: start };
      case 'ident':
        return { kind: 'identifier', text: t.text, negative, pos: start };
      case 'string': {
        // Adjacent literals concatenate: "abc" 'def' → "abcdef". Collect, then join once.
        const parts = [t.bytes as Uint8Array];
        while (lex.peek().kind === 'string') parts.push(lex.next().bytes as Uint8Array);
        return { kind: 'string', bytes: parts.length === 1 ? parts[0] : concatBytes(parts), pos: start };
      }
      default: {
        const closing = t.kind === 'punct' && (t.text === '}' || t.text === '>' || t.text === ']');
        return lex.fail(t.pos, 'a value (a number, a string or a name)', `found ${closing ? 'an unbalanced ' : ''}${describeToken(t)}`);
      }
    }
  }
}

function isPunct(t: Token, p: string): boolean {
  return t.kind === 'punct' && t.text === p;
}

function concatBytes(parts: Uint8Array[]): Uint8Array {
  let n = 0;
  for (const p of parts) n += p.length;
  const out = new Uint8Array(n);
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

/**
 * Parses protobuf text format into a schema-free tree with positions. Throws ModelFormatError
 * for malformed text (unterminated strings, bad numbers, unbalanced braces, too-deep nesting).
 */
export function parseTextTree(text: string, file: string, options: TextParseOptions = {}): TextMessage {
  const parser = new TreeParser(new Lexer(text, file), options.maxDepth ?? MAX_TEXT_DEPTH);
  return parser.parseDocument();
}

// ---------------------------------------------------------------------------------------------
// Layer 2: tree + schema → wire format → decoded message

const WIRE: Record<string, number> = {
  double: 1, float: 5, int32: 0, uint32: 0, sint32: 0, fixed32: 5, sfixed32: 5,
  int64: 0, uint64: 0, sint64: 0, fixed64: 1, sfixed64: 1, bool: 0, string: 2, bytes: 2,
};

const INT_TYPES: Record<string, { bits: 32 | 64; signed: boolean }> = {
  int32: { bits: 32, signed: true },
  sint32: { bits: 32, signed: true },
  sfixed32: { bits: 32, signed: true },
  uint32: { bits: 32, signed: false },
  fixed32: { bits: 32, signed: false },
  int64: { bits: 64, signed: true },
  sint64: { bits: 64, signed: true },
  sfixed64: { bits: 64, signed: true },
  uint64: { bits: 64, signed: false },
  fixed64: { bits: 64, signed: false },
};

/** A 64-bit value in the shape protobufjs's LongBits.from accepts, with or without long.js. */
interface LongLike {
  low: number;
  high: number;
  unsigned: boolean;
}

function typeName(t: protobuf.ReflectionObject): string {
  return t.fullName.replace(/^\./, '');
}

/** How a field is spelled in text format: its proto name (snake_case), even if the schema camel-cased it. */
function textName(name: string): string {
  return name.replace(/[A-Z]/g, (c) => '_' + c.toLowerCase());
}

/** What the encoder needs to know about a message type, computed once per type. */
interface TypeInfo {
  /** Fields by their proto name and by their text spelling. */
  index: Map<string, protobuf.Field>;
  /** proto2 required fields (none in TensorFlow's proto3 schema, but honoured). */
  required: protobuf.Field[];
  any: boolean;
}

const typeInfoCache = new WeakMap<protobuf.Type, TypeInfo>();

function typeInfo(type: protobuf.Type): TypeInfo {
  let info = typeInfoCache.get(type);
  if (!info) {
    const index = new Map<string, protobuf.Field>();
    for (const f of type.fieldsArray) {
      f.resolve();
      index.set(f.name, f);
      const snake = textName(f.name);
      if (!index.has(snake)) index.set(snake, f);
      // proto2 groups are written under their type's name: `MyGroup { ... }`.
      if (f.delimited && f.resolvedType && !index.has(f.resolvedType.name)) index.set(f.resolvedType.name, f);
    }
    info = { index, required: type.fieldsArray.filter((f) => f.required), any: type.fullName === '.google.protobuf.Any' };
    typeInfoCache.set(type, info);
  }
  return info;
}

function editDistance(a: string, b: string, limit: number): number {
  if (Math.abs(a.length - b.length) > limit) return limit + 1;
  let prev = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    const cur = [i];
    for (let j = 1; j <= b.length; j++) {
      cur[j] = Math.min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    prev = cur;
  }
  return prev[b.length];
}

const utf8 = new TextDecoder('utf-8');

class WireEncoder {
  constructor(private readonly file: string) {}

  fail(pos: TextPosition, expected: string, detail?: string): never {
    throw new ModelFormatError(
      { file: this.file, line: pos.line, column: pos.column },
      expected,
      detail,
      'Fix the text at that position so it matches the message schema.',
    );
  }

  message(msg: TextMessage, type: protobuf.Type, w: protobuf.Writer): void {
    const info = typeInfo(type);
    const once = new Map<number, TextField>();
    const oneofs = new Map<string, { field: TextField; name: string }>();
    for (const tf of msg.fields) {
      if (tf.bracketed) {
        if (info.any && tf.name.includes('/')) {
          this.expandedAny(tf, type, w, once);
          continue;
        }
        // protobufjs adds an extension to the extended type under its full name, ".pkg.ext".
        const ext = type.fields['.' + tf.name.replace(/^\./, '')] as protobuf.Field | undefined;
        if (!ext) {
          this.fail(
            tf.pos,
            `an extension of ${typeName(type)}`,
            info.any
              ? `"[${tf.name}]" is not a type URL such as [type.googleapis.com/tensorflow.AssetFileDef]`
              : `no extension named "${tf.name}" is known`,
          );
        }
        this.field(tf, ext.resolve(), type, w, once, oneofs);
        continue;
      }
      const field = info.index.get(tf.name);
      if (!field) this.unknownField(tf, type);
      this.field(tf, field, type, w, once, oneofs);
    }
    for (const f of info.required) {
      if (!once.has(f.id)) {
        this.fail(msg.pos, `field "${textName(f.name)}" in this ${typeName(type)}`, 'it is required');
      }
    }
  }

  private unknownField(tf: TextField, type: protobuf.Type): never {
    const names = type.fieldsArray.map((f) => textName(f.name));
    const wanted = tf.name.toLowerCase();
    // The closest name: within two edits, or one name a prefix of the other (method → method_name).
    let best: string | undefined;
    let bestD = 3;
    for (const n of names) {
      const d = editDistance(wanted, n, 2);
      if (d < bestD) {
        bestD = d;
        best = n;
      }
    }
    if (!best && wanted.length >= 3) best = names.find((n) => n.startsWith(wanted) || wanted.startsWith(n));
    const few = names.slice(0, 6).join(', ') + (names.length > 6 ? ', ...' : '');
    return this.fail(
      tf.pos,
      `a field of ${typeName(type)} (${few || 'it has no fields'})`,
      `unknown field "${tf.name}"${best ? `; did you mean "${best}"?` : ''}`,
    );
  }

  private field(
    tf: TextField,
    field: protobuf.Field,
    type: protobuf.Type,
    w: protobuf.Writer,
    once: Map<number, TextField>,
    oneofs: Map<string, { field: TextField; name: string }>,
  ): void {
    const repeated = field.repeated || field.map;
    if (!repeated) {
      if (tf.list) {
        this.fail(tf.pos, `a single value for the non-repeated field "${tf.name}" of ${typeName(type)}`, 'found a list');
      }
      const prev = once.get(field.id);
      if (prev) {
        this.fail(
          tf.pos,
          `at most one "${tf.name}" in this ${typeName(type)}`,
          `it is not repeated and was already set at line ${prev.pos.line}, column ${prev.pos.column}`,
        );
      }
      if (field.partOf) {
        const other = oneofs.get(field.partOf.name);
        if (other) {
          this.fail(
            tf.pos,
            `one member of oneof "${field.partOf.name}" in ${typeName(type)}`,
            `"${other.name}" was already set at line ${other.field.pos.line}, column ${other.field.pos.column}`,
          );
        }
        oneofs.set(field.partOf.name, { field: tf, name: tf.name });
      }
    }
    once.set(field.id, tf);
    for (const v of tf.values) {
      if (field.map) this.mapEntry(v, field as unknown as protobuf.MapField, w);
      else this.value(v, field, tf.name, w);
    }
  }

  private tag(w: protobuf.Writer, id: number, wire: number): void {
    w.uint32(((id << 3) | wire) >>> 0);
  }

  private value(v: TextValue, field: protobuf.Field, name: string, w: protobuf.Writer): void {
    const rt = field.resolvedType;
    if (rt instanceof protobuf.Type) {
      if (v.kind !== 'message') {
        this.fail(v.pos, `"{" to start the ${typeName(rt)} message of field "${name}"`, `found ${describeScalar(v)}`);
      }
      if (field.delimited) {
        this.tag(w, field.id, 3);
        this.message(v, rt, w);
        this.tag(w, field.id, 4);
      } else {
        this.tag(w, field.id, 2);
        w.fork();
        this.message(v, rt, w);
        w.ldelim();
      }
      return;
    }
    if (v.kind === 'message') {
      this.fail(
        v.pos,
        `${rt instanceof protobuf.Enum ? `a value of enum ${typeName(rt)}` : `a scalar value (${field.type})`} for field "${name}"`,
        'found a message',
      );
    }
    if (rt instanceof protobuf.Enum) {
      this.tag(w, field.id, 0);
      w.int32(this.enumValue(v, rt, name));
      return;
    }
    this.scalar(v, field.type, field.id, name, w);
  }

  private mapEntry(v: TextValue, field: protobuf.MapField, w: protobuf.Writer): void {
    if (v.kind !== 'message') {
      this.fail(v.pos, `"{" to start a map entry { key: ... value: ... } of field "${textName(field.name)}"`, `found ${describeScalar(v)}`);
    }
    let key: TextField | undefined;
    let value: TextField | undefined;
    for (const tf of v.fields) {
      const slot = !tf.bracketed && tf.name === 'key' ? 'key' : !tf.bracketed && tf.name === 'value' ? 'value' : undefined;
      if (!slot) this.fail(tf.pos, `a field of the map entry of "${textName(field.name)}" (key, value)`, `unknown field "${tf.name}"`);
      const prev = slot === 'key' ? key : value;
      if (prev) this.fail(tf.pos, `at most one "${slot}" in a map entry`, `already set at line ${prev.pos.line}, column ${prev.pos.column}`);
      if (tf.list) this.fail(tf.pos, `a single ${slot} in a map entry`, 'found a list');
      if (slot === 'key') key = tf;
      else value = tf;
    }
    this.tag(w, field.id, 2);
    w.fork();
    if (key) {
      const k = key.values[0];
      if (k.kind === 'message') this.fail(k.pos, `a scalar map key (${field.keyType})`, 'found a message');
      this.scalar(k, field.keyType, 1, 'key', w);
    }
    if (value) {
      const rt = field.resolvedType;
      const vv = value.values[0];
      if (rt instanceof protobuf.Type) {
        if (vv.kind !== 'message') this.fail(vv.pos, `"{" to start the ${typeName(rt)} map value`, `found ${describeScalar(vv)}`);
        this.tag(w, 2, 2);
        w.fork();
        this.message(vv, rt, w);
        w.ldelim();
      } else if (vv.kind === 'message') {
        this.fail(vv.pos, `${rt ? `a value of enum ${typeName(rt)}` : `a scalar value (${field.type})`} as the map value`, 'found a message');
      } else if (rt instanceof protobuf.Enum) {
        this.tag(w, 2, 0);
        w.int32(this.enumValue(vv, rt, 'value'));
      } else {
        this.scalar(vv, field.type, 2, 'value', w);
      }
    }
    w.ldelim();
  }

  /** `[type.googleapis.com/pkg.Type] { ... }` inside a google.protobuf.Any. */
  private expandedAny(tf: TextField, anyType: protobuf.Type, w: protobuf.Writer, once: Map<number, TextField>): void {
    const urlField = anyType.fieldsById[1];
    const valueField = anyType.fieldsById[2];
    for (const f of [urlField, valueField]) {
      const prev = f && once.get(f.id);
      if (prev) {
        this.fail(
          tf.pos,
          'either type_url/value or one expanded [type URL] { ... } in a google.protobuf.Any',
          `"${prev.name}" was already given at line ${prev.pos.line}, column ${prev.pos.column}`,
        );
      }
    }
    if (tf.list || tf.values.length !== 1 || tf.values[0].kind !== 'message') {
      this.fail(tf.pos, `"{" after [${tf.name}]`, 'an expanded Any holds one message');
    }
    const slash = tf.name.lastIndexOf('/');
    const name = tf.name.slice(slash + 1);
    const inner = name ? anyType.root.lookup(name) : null;
    if (!(inner instanceof protobuf.Type)) {
      this.fail(tf.pos, 'the type URL of a message type ServeLens knows', `no message type "${name}"`);
    }
    const iw = protobuf.Writer.create();
    this.message(tf.values[0], inner, iw);
    // Canonical bytes (fields by number, packed repeated scalars), as TensorFlow writes them.
    const payload = inner.encode(this.decode(inner, iw.finish(), tf.values[0].pos)).finish();
    this.tag(w, 1, 2);
    w.string(tf.name);
    this.tag(w, 2, 2);
    w.bytes(payload);
    once.set(1, tf);
    once.set(2, tf);
  }

  decode(type: protobuf.Type, bytes: Uint8Array, pos: TextPosition): protobuf.Message {
    try {
      // A Buffer view lets protobufjs decode strings with Node's native UTF-8 decoder.
      return type.decode(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength));
    } catch (err) {
      return this.fail(pos, `a valid ${typeName(type)}`, err instanceof Error ? err.message : String(err));
    }
  }

  private enumValue(v: TextScalar, e: protobuf.Enum, name: string): number {
    const known = () => {
      const names = Object.keys(e.values);
      return names.slice(0, 6).join(', ') + (names.length > 6 ? ', ...' : '');
    };
    if (v.kind === 'identifier' && !v.negative) {
      const n = e.values[v.text];
      if (n === undefined || !Object.prototype.hasOwnProperty.call(e.values, v.text)) {
        this.fail(v.pos, `a value of enum ${typeName(e)} (${known()}) for field "${name}"`, `unknown value "${v.text}"`);
      }
      return n;
    }
    if (v.kind === 'number' && !v.float) {
      const n = this.integer(v, 32, true, name);
      // Closed (proto2) enums only take declared numbers; open ones keep unknown numbers, as protoc does.
      const closed = (e as unknown as { _features?: { enum_type?: string } })._features?.enum_type === 'CLOSED';
      if (closed && e.valuesById[Number(n)] === undefined) {
        this.fail(v.pos, `a value of enum ${typeName(e)} (${known()}) for field "${name}"`, `${n} is not one of its numbers`);
      }
      return Number(n);
    }
    return this.fail(v.pos, `a value of enum ${typeName(e)} (${known()}) for field "${name}"`, `found ${describeScalar(v)}`);
  }

  /** An integer literal (decimal, hex or octal) as a bigint, range-checked. */
  private integer(v: TextScalar, bits: 32 | 64, signed: boolean, name: string): bigint {
    const what = `${signed ? '' : 'an unsigned '}${bits}-bit integer`.replace(/^(\d)/, 'a $1');
    if (v.kind !== 'number' || v.float) {
      this.fail(v.pos, `${what} for field "${name}"`, `found ${describeScalar(v)}`);
    }
    const t = v.text;
    let n = intLiteral(t);
    if (v.negative) n = -n;
    const min = signed ? -(1n << BigInt(bits - 1)) : 0n;
    const max = signed ? (1n << BigInt(bits - 1)) - 1n : (1n << BigInt(bits)) - 1n;
    if (n < min || n > max) {
      this.fail(v.pos, `${what} for field "${name}"`, `${v.negative ? '-' : ''}${t} is out of range`);
    }
    return n;
  }

  private floating(v: TextScalar, name: string, type: string): number {
    let x: number;
    if (v.kind === 'number') {
      if (v.float) x = Number(v.text.replace(/[fF]$/, ''));
      else x = Number(intLiteral(v.text));
    } else if (v.kind === 'identifier') {
      const id = v.text.toLowerCase();
      if (id === 'inf' || id === 'infinity') x = Infinity;
      else if (id === 'nan') x = NaN;
      else this.fail(v.pos, `a ${type} for field "${name}"`, `found ${describeScalar(v)}`);
    } else {
      return this.fail(v.pos, `a ${type} for field "${name}"`, `found ${describeScalar(v)}`);
    }
    return v.negative ? -x : x;
  }

  private scalar(v: TextScalar, type: string, id: number, name: string, w: protobuf.Writer): void {
    const wire = WIRE[type];
    if (wire === undefined) this.fail(v.pos, `a field type ServeLens can read`, `field "${name}" has type ${type}`);
    const int = INT_TYPES[type];
    if (int) {
      const n = this.integer(v, int.bits, int.signed, name);
      this.tag(w, id, wire);
      if (int.bits === 32) {
        const x = Number(n);
        if (type === 'int32') w.int32(x);
        else if (type === 'sint32') w.sint32(x);
        else if (type === 'uint32') w.uint32(x);
        else w.fixed32(x >>> 0);
      } else {
        const u = BigInt.asUintN(64, n);
        const bitsLike: LongLike = { low: Number(u & 0xffffffffn) | 0, high: Number(u >> 32n) | 0, unsigned: !int.signed };
        const asLong = bitsLike as unknown as protobuf.Long;
        if (type === 'sint64') w.sint64(asLong);
        else if (type === 'fixed64' || type === 'sfixed64') w.fixed64(asLong);
        else w.uint64(asLong);
      }
      return;
    }
    switch (type) {
      case 'double':
      case 'float': {
        const x = this.floating(v, name, type);
        this.tag(w, id, wire);
        if (type === 'float') w.float(x);
        else w.double(x);
        return;
      }
      case 'bool': {
        let b: boolean | undefined;
        if (v.kind === 'identifier' && !v.negative) {
          if (v.text === 'true' || v.text === 't' || v.text === 'True') b = true;
          else if (v.text === 'false' || v.text === 'f' || v.text === 'False') b = false;
        } else if (v.kind === 'number' && !v.float && !v.negative && (v.text === '0' || v.text === '1')) {
          b = v.text === '1';
        }
        if (b === undefined) this.fail(v.pos, `true or false for field "${name}"`, `found ${describeScalar(v)}`);
        this.tag(w, id, wire);
        w.bool(b);
        return;
      }
      case 'string':
      case 'bytes': {
        if (v.kind !== 'string') this.fail(v.pos, `a quoted string for field "${name}"`, `found ${describeScalar(v)}`);
        this.tag(w, id, wire);
        w.bytes(v.bytes);
        return;
      }
    }
  }
}

/** The value of an integer literal the lexer accepted: decimal, 0x hex or 0-prefixed octal. */
function intLiteral(t: string): bigint {
  if (t.length > 1 && t[0] === '0' && (t[1] === 'x' || t[1] === 'X')) return BigInt(t);
  if (t.length > 1 && t[0] === '0') return BigInt('0o' + t.slice(1));
  return BigInt(t);
}

function describeScalar(v: TextValue): string {
  switch (v.kind) {
    case 'message':
      return 'a message';
    case 'string': {
      const s = utf8.decode(v.bytes);
      return `the string ${JSON.stringify(s.length > 30 ? s.slice(0, 27) + '...' : s)}`;
    }
    case 'number':
      return `${v.negative ? '-' : ''}${v.text}`;
    case 'identifier':
      return `"${v.negative ? '-' : ''}${v.text}"`;
  }
}

/**
 * Converts a parsed tree to the protobuf wire encoding of a `type` message: what `saved_model.pb`
 * would hold for the same content (up to field order), so any binary decoder can read it.
 */
export function textTreeToBinary(tree: TextMessage, type: protobuf.Type, file: string): Uint8Array {
  const w = protobuf.Writer.create();
  new WireEncoder(file).message(tree, type, w);
  return w.finish();
}

/**
 * Converts a parsed tree to a decoded message of `type` — the same object `type.decode` gives for
 * the binary encoding of that message.
 */
export function textTreeToMessage(tree: TextMessage, type: protobuf.Type, file: string): protobuf.Message {
  return new WireEncoder(file).decode(type, textTreeToBinary(tree, type, file), tree.pos);
}

/** Parses protobuf text format as a `type` message and returns its binary wire encoding. */
export function encodeTextFormat(
  text: string,
  type: protobuf.Type,
  file: string,
  options: TextParseOptions = {},
): Uint8Array {
  return textTreeToBinary(parseTextTree(text, file, options), type, file);
}

/**
 * Parses protobuf text format as a message of `type` (a protobufjs reflection type). The result
 * equals what `type.decode` returns for the binary form of the same message.
 */
export function parseTextFormat(
  text: string,
  type: protobuf.Type,
  file: string,
  options: TextParseOptions = {},
): protobuf.Message {
  return textTreeToMessage(parseTextTree(text, file, options), type, file);
}

/**
 * Parses a text-format `saved_model.pbtxt` into the same decoded `tensorflow.SavedModel` message
 * the binary decoder gives for `saved_model.pb`, so one summarizer reads both.
 */
export function parseSavedModelText(text: string, file: string): protobuf.Message & ISavedModel {
  return parseTextFormat(text, types.SavedModel, file) as protobuf.Message & ISavedModel;
}
