/**
 * One pass over a request text that knows positions: a hand-written JSON scanner (RFC 8259, plus
 * the non-standard `NaN`/`Infinity` tokens TF Serving accepts) that never builds a generic tree.
 * The validator drives it over the body's structure; tensor values are summarised as they are
 * read (shape by first elements, the kinds of leaves, integer ranges, base64 validity) into a
 * `Slot` per input alias, with the positions of the first offending leaves for precise ranges.
 *
 * Errors are findings, never exceptions to the caller: comments and trailing commas are reported
 * and skipped; a real syntax error is reported with its exact range and what was expected, and
 * stops the scan (internally through `SyntaxStop`, caught by the validator). Nesting is bounded by
 * `MAX_DEPTH`.
 *
 * Speed: charCodeAt loops, no substrings except for keys and strings the checks must read, numbers
 * parsed in place. Pure: no I/O.
 */
import type { FindingSeverity, RequestFinding, RequestFix, TextRange } from './types';

export const MAX_DEPTH = 512;

// ---------------------------------------------------------------------------- leaf kinds

/** An integer literal (no fraction, no exponent). */
export const K_INT = 1;
/** A number with a fraction or an exponent. */
export const K_FRAC = 2;
/** NaN, Infinity, -Infinity (not JSON; TF Serving accepts them). */
export const K_NONFINITE = 4;
export const K_STRING = 8;
/** A `{"b64": "..."}` object. */
export const K_B64 = 16;
export const K_BOOL = 32;
export const K_NULL = 64;
/** An embedded object that is not `{"b64": ...}`. */
export const K_OBJECT = 128;
export const KIND_COUNT = 8;

export const K_NUMBER = K_INT | K_FRAC | K_NONFINITE;
export const K_TEXT = K_STRING | K_B64;

/** Bit → index into Slot.first / Slot.counts. */
export function kindIndex(bit: number): number {
  return 31 - Math.clz32(bit);
}

/** What a leaf kind is called in messages. */
export function kindName(bit: number): string {
  switch (bit) {
    case K_INT:
      return 'an integer';
    case K_FRAC:
      return 'a decimal number';
    case K_NONFINITE:
      return 'a non-finite number';
    case K_STRING:
      return 'a string';
    case K_B64:
      return 'a {"b64": ...} object';
    case K_BOOL:
      return 'a boolean';
    case K_NULL:
      return 'null';
    default:
      return 'an object';
  }
}

/** The type class of a kind: lists must hold one class (numbers, strings, booleans). */
function kindClass(bit: number): number {
  if (bit & K_NUMBER) return K_NUMBER;
  if (bit & K_TEXT) return K_TEXT;
  return bit;
}

/** Why a `{"b64"}` string is not standard base64. */
export const enum B64Problem {
  ok = 0,
  urlSafe = 1,
  badChar = 2,
  badLength = 3,
  badPadding = 4,
}

// ---------------------------------------------------------------------------- findings

/** Where one line of a JSON Lines stream starts, so findings get line/column as they are made. */
export interface LineOrigin {
  /** 1-based line number. */
  line: number;
  /** UTF-16 offset of the line's first character in the whole file. */
  offset: number;
}

/**
 * Collects findings with a cap per code (a body with 100k instances and one systematic mistake
 * gives a bounded list) and a total cap; what was left out is summarised by `finish`.
 */
export class FindingSink {
  readonly findings: RequestFinding[] = [];
  private readonly perCode = new Map<string, number>();
  private readonly left = new Map<string, number>();
  /** Set while scanning one line of a stream: findings get their line/column immediately. */
  origin: LineOrigin | undefined;
  errors = 0;

  constructor(
    readonly maxPerCode = 100,
    readonly maxTotal = 1000,
  ) {}

  /** Whether another finding of this code would be kept (lets callers skip building messages). */
  wants(code: string): boolean {
    return (this.perCode.get(code) ?? 0) < this.maxPerCode && this.findings.length < this.maxTotal;
  }

  add(code: string, severity: FindingSeverity, message: string, start: number, end: number, fixes?: RequestFix[]): void {
    if (severity === 'error') this.errors++;
    const n = this.perCode.get(code) ?? 0;
    if (n >= this.maxPerCode || this.findings.length >= this.maxTotal) {
      this.left.set(code, (this.left.get(code) ?? 0) + 1);
      return;
    }
    this.perCode.set(code, n + 1);
    const f: RequestFinding = { code, severity, message, range: { start, end }, line: 0, column: 0, endLine: 0, endColumn: 0 };
    if (fixes && fixes.length) f.fixes = fixes;
    const o = this.origin;
    if (o) {
      // Within one line of a stream: the line is known, columns count from the line's start.
      f.line = o.line;
      f.column = start - o.offset + 1;
      f.endLine = o.line;
      f.endColumn = end - o.offset + 1;
    }
    this.findings.push(f);
  }

  /** Counts `n` findings of `code` that the caller did not build because `wants` said no. */
  skip(code: string, n: number): void {
    if (n > 0) this.left.set(code, (this.left.get(code) ?? 0) + n);
  }

  /** How many findings were left out, by code. */
  leftOut(): Map<string, number> {
    return this.left;
  }

  /**
   * Fills line/column of findings made over a whole text (not a stream), adds one info finding
   * per code whose findings were capped, and sorts by position.
   */
  finish(text: string | undefined, summaryAt: TextRange = { start: 0, end: 0 }): RequestFinding[] {
    if (this.left.size) {
      for (const [code, n] of this.left) {
        this.findings.push({
          code: 'more-findings',
          severity: 'info',
          message: `${n} more "${code}" finding(s) are not listed.`,
          range: { ...summaryAt },
          line: 0,
          column: 0,
          endLine: 0,
          endColumn: 0,
        });
      }
      this.left.clear();
    }
    if (text !== undefined) {
      const index = new LineIndex(text);
      for (const f of this.findings) {
        if (f.line !== 0) continue;
        const a = index.position(f.range.start);
        const b = index.position(f.range.end);
        f.line = a.line;
        f.column = a.column;
        f.endLine = b.line;
        f.endColumn = b.column;
      }
    }
    this.findings.sort((a, b) => a.range.start - b.range.start || a.range.end - b.range.end);
    return this.findings;
  }
}

/** Offsets → 1-based line/column over a text (\n, \r\n and \r end lines). Built once, on demand. */
export class LineIndex {
  private readonly starts: number[] = [0];
  constructor(private readonly text: string) {
    const s = text;
    let i = 0;
    // Each search result is reused until passed, so the whole index costs one scan of the text.
    let n = s.indexOf('\n');
    let r = s.indexOf('\r');
    for (;;) {
      if (n >= 0 && n < i) n = s.indexOf('\n', i);
      if (r >= 0 && r < i) r = s.indexOf('\r', i);
      if (n < 0 && r < 0) break;
      let at: number;
      if (r >= 0 && (n < 0 || r < n)) at = r + 1 < s.length && s.charCodeAt(r + 1) === 10 ? r + 2 : r + 1;
      else at = n + 1;
      this.starts.push(at);
      i = at;
    }
  }

  position(offset: number): { line: number; column: number } {
    const o = Math.max(0, Math.min(offset, this.text.length));
    let lo = 0;
    let hi = this.starts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (this.starts[mid]! <= o) lo = mid;
      else hi = mid - 1;
    }
    return { line: lo + 1, column: o - this.starts[lo]! + 1 };
  }

  /** The offset of a 1-based line's first character. */
  lineStart(line: number): number {
    return this.starts[Math.max(0, Math.min(line - 1, this.starts.length - 1))]!;
  }

  get lines(): number {
    return this.starts.length;
  }
}

/** Thrown inside the scanner after a syntax error was reported; caught by the validator. */
export class SyntaxStop {
  constructor(readonly at: number) {}
}

// ---------------------------------------------------------------------------- slots

const SAMPLE_CAP = 100;
const KEY_RANGE_CAP = 1000;

/**
 * What is known about one input of the request: every value given for an alias (row format:
 * one per instance; columnar: the whole tensor), summarised. Stats can be reset per JSON Lines
 * line; the reference shape is kept across lines (TF Serving batches instances into one tensor).
 */
export class Slot {
  /** The alias, or undefined for bare values (the single input of the signature). */
  readonly name: string | undefined;
  /** Shape of the first value (row: per instance), and where that value is. */
  ref: number[] | undefined;
  refStart = -1;
  refEnd = -1;
  /** Line of the first value (JSON Lines), for messages. */
  refLine = 0;
  /** True when the first value was ragged (no reliable shape). */
  refRagged = false;
  /** The instance (row) or line index (JSON Lines) of the first value. */
  refIndex = -1;
  /** JSON Lines: the reference shape was already checked against the signature. */
  refChecked = false;
  /** Which stats period (JSON Lines line) last touched this slot. */
  period = -1;
  /** How many values (instances) carry this slot, in total. */
  count = 0;
  /** The instance index that last carried this slot (duplicate keys, missing keys). */
  lastInstance = -1;
  /** Row format over a whole body: per instance, 1 when the instance has this key. */
  present: Uint8Array | undefined;
  /**
   * Where the key was written, up to KEY_RANGE_CAP occurrences: quads of key start, key end, and
   * the range that deletes the whole member with one of its commas.
   */
  keyRanges: number[] = [];
  keyCount = 0;

  // -- stats (reset per line in JSON Lines) --
  kinds = 0;
  readonly first = new Int32Array(KIND_COUNT * 2).fill(-1);
  readonly counts = new Int32Array(KIND_COUNT);
  intMin = Infinity;
  intMax = -Infinity;
  intMinStart = -1;
  intMinEnd = -1;
  intMaxStart = -1;
  intMaxEnd = -1;
  /** A decimal literal beyond float32's range (TF Serving refuses it for DT_FLOAT). */
  bigFracStart = -1;
  bigFracEnd = -1;
  bigFracDouble = false;
  /** Invalid base64 strings: triples of start, end, B64Problem. */
  b64Bad: number[] = [];
  /** Plain strings (start/end pairs), for the wrap-as-b64 fix. */
  strings: number[] = [];
  /** Values seen since the last reset, and the first of them. */
  values = 0;
  valueStart = -1;
  valueEnd = -1;

  constructor(name: string | undefined) {
    this.name = name;
  }

  resetStats(): void {
    this.kinds = 0;
    this.first.fill(-1);
    this.counts.fill(0);
    this.intMin = Infinity;
    this.intMax = -Infinity;
    this.intMinStart = this.intMinEnd = this.intMaxStart = this.intMaxEnd = -1;
    this.bigFracStart = this.bigFracEnd = -1;
    this.bigFracDouble = false;
    this.b64Bad = [];
    this.strings = [];
    this.values = 0;
    this.valueStart = this.valueEnd = -1;
  }

  firstOf(bit: number): TextRange | undefined {
    const i = kindIndex(bit) * 2;
    const s = this.first[i]!;
    return s < 0 ? undefined : { start: s, end: this.first[i + 1]! };
  }

  countOf(bit: number): number {
    return this.counts[kindIndex(bit)]!;
  }

  /** Records one occurrence of the key; returns its index in keyRanges (quads), or -1 when capped. */
  addKeyRange(start: number, end: number, delStart: number, delEnd: number): number {
    this.keyCount++;
    if (this.keyRanges.length >= KEY_RANGE_CAP * 4) return -1;
    this.keyRanges.push(start, end, delStart, delEnd);
    return this.keyRanges.length - 4;
  }

  markPresent(instance: number): void {
    let p = this.present;
    if (!p) p = this.present = new Uint8Array(Math.max(16, instance + 1));
    if (instance >= p.length) {
      const q = new Uint8Array(Math.max(p.length * 2, instance + 1));
      q.set(p);
      p = this.present = q;
    }
    p[instance] = 1;
  }

  isPresent(instance: number): boolean {
    const p = this.present;
    return p !== undefined && instance < p.length && p[instance] === 1;
  }
}

// ---------------------------------------------------------------------------- scanner

const enum C {
  tab = 9,
  lf = 10,
  cr = 13,
  space = 32,
  quote = 34,
  plus = 43,
  comma = 44,
  minus = 45,
  dot = 46,
  slash = 47,
  zero = 48,
  nine = 57,
  colon = 58,
  E = 69,
  I = 73,
  N = 78,
  openBracket = 91,
  backslash = 92,
  closeBracket = 93,
  e = 101,
  f = 102,
  n = 110,
  t = 116,
  openBrace = 123,
  closeBrace = 125,
}

const FLT_MAX = 3.4028234663852886e38;
/* eslint-disable no-control-regex */
const PLAIN_KEY = /^[^"\\\u0000-\u001f]*$/;
/** What ends the plain run of a JSON string: a quote, a backslash or a control character. */
const STRING_SPECIAL = /["\\\u0000-\u001f]/g;
/* eslint-enable no-control-regex */


/** A short quoted excerpt of the source for messages. */
export function excerpt(src: string, start: number, end: number, max = 40): string {
  const t = src.slice(start, Math.min(end, start + max + 1)).replace(/\s+/g, ' ');
  return t.length > max ? `${t.slice(0, max - 1)}…` : t;
}

export interface ScannerOptions {
  /** Severity and message tail for NaN/Infinity; undefined: accept silently. */
  nonFinite?: { severity: FindingSeverity; why: string };
}

/**
 * The lexical layer plus the tensor summariser. `pos` is the next character to read; `end` bounds
 * the scan (a line of a JSON Lines text). Every method that reads a value leaves `pos` after it.
 */
export class Scanner {
  pos: number;
  end: number;
  /** Shape of the last tensor value read by scanTensor (first `rank` entries of `dims`). */
  readonly dims: number[] = new Array<number>(MAX_DEPTH + 2).fill(0);
  rank = 0;
  ragged = false;
  /** The last key / string read by readKey / readStringValue. */
  str = '';
  /** The last number read: its kind (K_INT/K_FRAC/K_NONFINITE) and, for integers, its value. */
  num = 0;
  private numDigits = 0;
  private numExp = 0;
  private readonly nonFinite: ScannerOptions['nonFinite'];
  /** Interned keys: a key seen before is matched in place instead of sliced again. */
  private readonly keyCache: string[] = [];

  constructor(
    public src: string,
    readonly sink: FindingSink,
    start = 0,
    end = src.length,
    opts: ScannerOptions = {},
  ) {
    this.pos = start;
    this.end = end;
    this.nonFinite = opts.nonFinite;
  }

  /** Points the scanner at another text (the next line of a stream), keeping its key cache. */
  reset(src: string, start = 0, end = src.length): void {
    this.src = src;
    this.pos = start;
    this.end = end;
    this.nextAt.fill(-2);
  }

  // -- errors --

  /** Reports a syntax error at [start, end) and stops the scan. */
  fail(start: number, end: number, message: string): never {
    const e = Math.max(Math.min(end, this.end), Math.min(start + 1, this.end));
    this.sink.add('syntax', 'error', message, start, Math.max(start, e));
    throw new SyntaxStop(start);
  }

  /** "expected X, found Y" at the current position. */
  expected(what: string): never {
    const p = this.pos;
    if (p >= this.end) this.fail(p, p, `Expected ${what}, but the text ends here.`);
    const c = this.src.charCodeAt(p);
    const tokEnd = this.tokenEnd(p);
    const found = this.src.slice(p, tokEnd);
    let hint = '';
    if (c === 39) hint = ' JSON strings use double quotes.';
    else if (found === 'None') hint = ' Python\'s None is null in JSON.';
    else if (found === 'True' || found === 'False') hint = ` JSON writes booleans in lower case: ${found.toLowerCase()}.`;
    else if (found === 'nan' || found === 'inf') hint = ' TF Serving spells these NaN and Infinity.';
    this.fail(p, tokEnd, `Expected ${what}, found ${JSON.stringify(excerpt(this.src, p, tokEnd, 20))}.${hint}`);
  }

  private tokenEnd(p: number): number {
    const s = this.src;
    let q = p;
    while (q < this.end) {
      const c = s.charCodeAt(q);
      if (c === C.space || c === C.lf || c === C.cr || c === C.tab || c === C.comma || c === C.colon || c === C.closeBrace || c === C.closeBracket || c === C.openBrace || c === C.openBracket || c === C.quote) break;
      q++;
      if (q - p > 30) break;
    }
    return Math.max(q, p + 1);
  }

  // -- whitespace and comments --

  /** Skips whitespace and comments; returns the next character code, or -1 at the end. */
  ws(): number {
    const s = this.src;
    const end = this.end;
    let p = this.pos;
    while (p < end) {
      const c = s.charCodeAt(p);
      if (c === C.space || c === C.lf || c === C.cr || c === C.tab) {
        p++;
        continue;
      }
      if (c === C.slash) {
        p = this.comment(p);
        continue;
      }
      if (c === 0xfeff && p === 0) {
        this.sink.add('byte-order-mark', 'warning', 'The file starts with a byte order mark (U+FEFF); strict JSON parsers such as TF Serving\'s reject it. Save the file as UTF-8 without BOM.', 0, 1);
        p++;
        continue;
      }
      this.pos = p;
      return c;
    }
    this.pos = p;
    return -1;
  }

  private comment(p: number): number {
    const s = this.src;
    const n = s.charCodeAt(p + 1);
    let q: number;
    if (n === C.slash) {
      q = p + 2;
      while (q < this.end && s.charCodeAt(q) !== C.lf && s.charCodeAt(q) !== C.cr) q++;
    } else if (n === 42) {
      const close = s.indexOf('*/', p + 2);
      if (close < 0 || close + 2 > this.end) this.fail(p, this.end, 'Expected "*/" to close this comment.');
      q = close + 2;
    } else {
      this.pos = p;
      this.expected('a value');
    }
    this.sink.add('comment', 'error', 'Comments are not JSON: Vertex AI, AI Platform and TF Serving reject the body. Remove the comment.', p, q, [
      { title: 'Remove the comment', edits: [{ start: p, end: q, newText: '' }], preferred: true },
    ]);
    return q;
  }

  // -- punctuation helpers --

  /** After a list element or member: consumes "," and returns true if another follows, false at the closer. */
  next(closer: number, what: string): boolean {
    const c = this.ws();
    if (c === C.comma) {
      const comma = this.pos;
      this.pos++;
      const d = this.ws();
      if (d === closer) {
        this.sink.add('trailing-comma', 'error', `A trailing comma is not JSON: remove it before "${String.fromCharCode(closer)}".`, comma, comma + 1, [
          { title: 'Remove the trailing comma', edits: [{ start: comma, end: comma + 1, newText: '' }], preferred: true },
        ]);
        this.pos++;
        return false;
      }
      return true;
    }
    if (c === closer) {
      this.pos++;
      return false;
    }
    this.expected(`"," or "${String.fromCharCode(closer)}" ${what}`);
  }

  /** Expects a ":" after a key. */
  colon(): void {
    if (this.ws() !== C.colon) this.expected('":" after the key');
    this.pos++;
  }

  // -- strings --

  /**
   * Scans a string starting at `pos` (a quote), validating escapes and control characters.
   * Returns true when it held an escape (callers that need the text must then decode).
   */
  skipString(): boolean {
    const s = this.src;
    const end = this.end;
    const start = this.pos;
    let p = start + 1;
    let escaped = false;
    // Short strings (most keys and words): a plain loop; long ones: a native search per run.
    const shortEnd = Math.min(end, p + 24);
    while (p < shortEnd) {
      const c = s.charCodeAt(p);
      if (c === C.quote) {
        this.pos = p + 1;
        return false;
      }
      if (c === C.backslash || c < 32) break;
      p++;
    }
    const re = STRING_SPECIAL;
    for (;;) {
      // The next quote, backslash or control character (a native search, no allocation).
      re.lastIndex = p;
      const q = re.test(s) ? re.lastIndex - 1 : s.length;
      if (q >= end) this.fail(start, end, 'Expected a closing quote: this string is not terminated.');
      const c = s.charCodeAt(q);
      if (c === C.quote) {
        this.pos = q + 1;
        return escaped;
      }
      if (c === C.backslash) {
        escaped = true;
        const e = s.charCodeAt(q + 1);
        if (e === 117) {
          for (let k = 2; k < 6; k++) {
            const h = s.charCodeAt(q + k);
            if (!((h >= 48 && h <= 57) || (h >= 65 && h <= 70) || (h >= 97 && h <= 102)) || q + k >= end) {
              this.fail(q, Math.min(q + 6, end), 'Expected four hex digits after "\\u".');
            }
          }
          p = q + 6;
          continue;
        }
        if (e === C.quote || e === C.backslash || e === C.slash || e === 98 || e === C.f || e === C.n || e === 114 || e === C.t) {
          p = q + 2;
          continue;
        }
        this.fail(q, q + 2, 'Expected an escape: \\" \\\\ \\/ \\b \\f \\n \\r \\t or \\uXXXX.');
      }
      this.fail(q, q + 1, 'Expected a closing quote: control characters (such as a line break) must be escaped inside strings.');
    }
  }

  /** Reads a string value into `str` (decoded). */
  readString(): string {
    const start = this.pos;
    const escaped = this.skipString();
    this.str = escaped ? (JSON.parse(this.src.slice(start, this.pos)) as string) : this.src.slice(start + 1, this.pos - 1);
    return this.str;
  }

  /**
   * Reads an object key at `pos` (must be a quote) into `str`. Keys seen before are recognised in
   * place without allocating (instance objects repeat the same few aliases).
   */
  readKey(): string {
    const s = this.src;
    const start = this.pos;
    if (s.charCodeAt(start) !== C.quote) this.expected('a key in double quotes');
    const cache = this.keyCache;
    for (let i = 0; i < cache.length; i++) {
      const k = cache[i]!;
      const close = start + 1 + k.length;
      // Cached keys hold no quote, backslash or control character, so the raw text equals the key.
      if (close < this.end && s.charCodeAt(close) === C.quote && s.startsWith(k, start + 1)) {
        this.pos = close + 1;
        this.str = k;
        return k;
      }
    }
    const k = this.readString();
    if (cache.length < 64 && PLAIN_KEY.test(k)) cache.push(k);
    return k;
  }

  // -- numbers and literals --

  /**
   * Reads a number at `pos` (strict JSON grammar, plus NaN/Infinity after an optional minus).
   * Returns K_INT, K_FRAC or K_NONFINITE; `num` holds an integer's value (approximate beyond 2^53).
   */
  scanNumber(): number {
    const s = this.src;
    const start = this.pos;
    let p = start;
    let c = s.charCodeAt(p);
    let neg = false;
    if (c === C.minus) {
      neg = true;
      c = s.charCodeAt(++p);
    }
    if (c === C.N || c === C.I) return this.scanNonFinite(start, p);
    let v = 0;
    const digitStart = p;
    if (c === C.zero) {
      c = s.charCodeAt(++p);
      if (c >= C.zero && c <= C.nine && p < this.end) this.fail(start, p + 1, 'Expected a number without leading zeros (JSON does not allow "0" before other digits).');
    } else if (c >= 49 && c <= C.nine && p < this.end) {
      do {
        v = v * 10 + (c - C.zero);
        c = s.charCodeAt(++p);
      } while (c >= C.zero && c <= C.nine && p < this.end);
    } else {
      this.pos = p;
      this.expected(neg ? 'a digit after "-"' : 'a value');
    }
    const intDigits = p - digitStart;
    let kind = K_INT;
    if (c === C.dot && p < this.end) {
      c = s.charCodeAt(++p);
      if (!(c >= C.zero && c <= C.nine) || p >= this.end) this.fail(start, p, 'Expected a digit after the decimal point.');
      do c = s.charCodeAt(++p);
      while (c >= C.zero && c <= C.nine && p < this.end);
      kind = K_FRAC;
    }
    let exp = 0;
    if ((c === C.e || c === C.E) && p < this.end) {
      c = s.charCodeAt(++p);
      let eneg = false;
      if (c === C.plus || c === C.minus) {
        eneg = c === C.minus;
        c = s.charCodeAt(++p);
      }
      if (!(c >= C.zero && c <= C.nine) || p >= this.end) this.fail(start, p, 'Expected a digit in the exponent.');
      do {
        if (exp < 100000) exp = exp * 10 + (c - C.zero);
        c = s.charCodeAt(++p);
      } while (c >= C.zero && c <= C.nine && p < this.end);
      if (eneg) exp = -exp;
      kind = K_FRAC;
    }
    this.pos = p;
    this.num = neg ? -v : v;
    this.numDigits = intDigits;
    this.numExp = exp;
    return kind;
  }

  private scanNonFinite(start: number, p: number): number {
    const s = this.src;
    let q = p;
    if (s.startsWith('NaN', p)) q = p + 3;
    else if (s.startsWith('Infinity', p)) q = p + 8;
    else if (s.startsWith('Inf', p)) q = p + 3;
    else {
      this.pos = start;
      this.expected('a value');
    }
    if (q > this.end) {
      this.pos = start;
      this.expected('a value');
    }
    this.pos = q;
    this.num = NaN;
    const nf = this.nonFinite;
    if (nf) {
      this.sink.add('non-finite-number', nf.severity, `${s.slice(start, q)} is not a JSON number; ${nf.why}`, start, q);
    }
    return K_NONFINITE;
  }

  /** True when the decimal just read is beyond float32's range (needs the exact value; rare). */
  private fracBeyond(start: number, limit: number): boolean {
    if (this.numDigits + this.numExp <= 38) return false;
    return Math.abs(Number(this.src.slice(start, this.pos))) > limit;
  }

  /** Reads true/false/null at `pos`; returns K_BOOL or K_NULL. */
  scanLiteral(c: number): number {
    const s = this.src;
    const p = this.pos;
    if (c === C.t && s.startsWith('true', p) && p + 4 <= this.end) {
      this.pos = p + 4;
      return K_BOOL;
    }
    if (c === C.f && s.startsWith('false', p) && p + 5 <= this.end) {
      this.pos = p + 5;
      return K_BOOL;
    }
    if (c === C.n && s.startsWith('null', p) && p + 4 <= this.end) {
      this.pos = p + 4;
      return K_NULL;
    }
    this.expected('a value');
  }

  // -- generic values --

  /** Skips any value at `pos`, validating its syntax. */
  skipValue(depth: number): void {
    const c = this.ws();
    if (c === C.openBrace) {
      if (depth >= MAX_DEPTH) this.tooDeep();
      this.pos++;
      if (this.ws() === C.closeBrace) {
        this.pos++;
        return;
      }
      do {
        this.ws();
        if (this.src.charCodeAt(this.pos) !== C.quote || this.pos >= this.end) this.expected('a key in double quotes');
        this.skipString();
        this.colon();
        this.skipValue(depth + 1);
      } while (this.next(C.closeBrace, 'after a member'));
      return;
    }
    if (c === C.openBracket) {
      if (depth >= MAX_DEPTH) this.tooDeep();
      this.pos++;
      if (this.ws() === C.closeBracket) {
        this.pos++;
        return;
      }
      do this.skipValue(depth + 1);
      while (this.next(C.closeBracket, 'after a list element'));
      return;
    }
    if (c === C.quote) {
      this.skipString();
      return;
    }
    if (c === C.minus || (c >= C.zero && c <= C.nine) || c === C.N || c === C.I) {
      this.scanNumber();
      return;
    }
    if (c < 0) this.expected('a value');
    this.scanLiteral(c);
  }

  tooDeep(): never {
    this.fail(this.pos, this.pos + 1, `Expected at most ${MAX_DEPTH} levels of nesting; this value nests deeper.`);
  }

  /**
   * At a "{": true when it is exactly `{"b64": "<string>"}` (TF Serving's test), leaving `pos`
   * after it, with the string's range in b64Start/b64End and its base64 verdict in b64Found;
   * otherwise `pos` is unchanged and nothing is reported.
   */
  peekB64(): boolean {
    const s = this.src;
    const end = this.end;
    const save = this.pos;
    let p = save + 1;
    const skip = () => {
      while (p < end) {
        const c = s.charCodeAt(p);
        if (c === C.space || c === C.lf || c === C.cr || c === C.tab) p++;
        else break;
      }
    };
    skip();
    if (!s.startsWith('"b64"', p)) return false;
    p += 5;
    skip();
    if (s.charCodeAt(p) !== C.colon) return false;
    p++;
    skip();
    if (s.charCodeAt(p) !== C.quote) return false;
    const strStart = p;
    // Fast path (base64 strings are the long ones): the closing quote found natively, no escape or
    // line break before it, and the content decoded natively by atob, whose rules (standard
    // alphabet, optional "=" padding, no length ≡ 1 mod 4) are absl's for such text.
    let verdict: B64Problem | -1 = -1;
    let strEnd: number;
    const close = s.indexOf('"', p + 1);
    if (close < 0 || close >= end) return false;
    if (!this.hasBefore(0, '\\', p + 1, close) && !this.hasBefore(1, '\n', p + 1, close) && !this.hasBefore(2, '\r', p + 1, close) && !this.hasBefore(3, '\t', p + 1, close) && !this.hasBefore(4, '\f', p + 1, close)) {
      strEnd = close + 1;
      try {
        atob(s.slice(p + 1, close));
        verdict = B64Problem.ok;
      } catch {
        verdict = b64Problem(s, p + 1, close);
      }
    } else {
      // Escapes or whitespace: find the closing quote without reporting, check slowly below.
      let q = p + 1;
      for (;;) {
        if (q >= end) return false;
        const c = s.charCodeAt(q);
        if (c === C.quote) break;
        if (c === C.backslash) q++;
        else if (c < 32 && c !== C.lf && c !== C.cr && c !== C.tab && c !== 12) return false;
        q++;
      }
      strEnd = q + 1;
    }
    p = strEnd;
    skip();
    if (s.charCodeAt(p) !== C.closeBrace || p >= end) return false;
    if (verdict === -1) {
      // Validate the string for real (escapes, raw control characters) now that the shape is known.
      this.pos = strStart;
      this.skipString();
      verdict = b64Problem(s, strStart + 1, strEnd - 1);
    }
    this.b64Start = strStart;
    this.b64End = strEnd;
    this.b64Found = verdict;
    this.pos = p + 1;
    return true;
  }
  /**
   * Whether `ch` occurs in src[from, to): a native search whose result is kept until the scan
   * passes it, so the searches over a whole text cost one pass per character searched for.
   */
  private hasBefore(slot: number, ch: string, from: number, to: number): boolean {
    let at = this.nextAt[slot]!;
    if (at !== -1 && at < from) at = this.nextAt[slot] = this.src.indexOf(ch, from);
    return at >= 0 && at < to;
  }
  /** Cached next positions of \\, \n, \r, \t, \f (-2: not searched yet; -1: none left). */
  private readonly nextAt = [-2, -2, -2, -2, -2];

  /** The string of the last `{"b64"}` object recognised by peekB64 (with quotes), and its verdict. */
  b64Start = -1;
  b64End = -1;
  b64Found: B64Problem = B64Problem.ok;

  // -- tensors --

  /**
   * Reads one tensor value (a scalar, a `{"b64"}` object or nested lists) at `pos` into `slot`'s
   * stats, and its shape by first elements into `dims`/`rank`. Reports, once per value, lists
   * that are not rectangular, lists of mixed types, and embedded objects.
   */
  scanTensor(slot: Slot, depth0: number): void {
    const s = this.src;
    const end = this.end;
    const sink = this.sink;
    let c = this.ws();
    const valueStart = this.pos;
    let p = valueStart;
    const dims = this.dims;
    const known = this.dimStamp; // known[d] === stamp: dims[d] is set for this value
    const stamp = (this.stamp = (this.stamp + 1) | 0) || (this.stamp = 1);
    const counts = this.counts;
    const starts = this.listStarts;
    let rank = -1; // depth of the first leaf, or known from the first closed empty list
    let depth = 0;
    let ragged = false;
    let mixedReported = false;
    let localClasses = 0;
    let lk = 0; // kinds seen in this value
    // Hot counters and integer range kept in locals, merged into the slot at the end.
    let cInt = 0;
    let cFrac = 0;
    let lMin = Infinity;
    let lMax = -Infinity;
    let lMinS = -1;
    let lMinE = -1;
    let lMaxS = -1;
    let lMaxE = -1;
    for (;;) {
      // -- one element, whose first character is c at p --
      if (c === C.openBracket) {
        if (depth + depth0 >= MAX_DEPTH) {
          this.pos = p;
          this.tooDeep();
        }
        if (!ragged && rank >= 0 && depth >= rank) {
          ragged = true;
          this.pos = p;
          this.raggedAt(valueStart, p, `a list where the first element path has ${rank === 0 ? 'a scalar' : `scalars at depth ${rank}`}`);
        }
        starts[depth] = p;
        counts[depth] = 0;
        depth++;
        c = s.charCodeAt(++p);
        if (c !== C.closeBracket && !(c >= C.zero && c <= C.nine) && c !== C.openBracket) {
          this.pos = p;
          c = this.ws();
          p = this.pos;
        }
        if (c !== C.closeBracket) continue;
        // An empty list: its length 0 is a dimension.
        p++;
        depth--;
        if (!ragged) {
          if (known[depth] !== stamp) {
            dims[depth] = 0;
            known[depth] = stamp;
            if (rank < 0) rank = depth + 1;
          } else if (dims[depth] !== 0) {
            ragged = true;
            this.pos = p;
            this.raggedAt(valueStart, starts[depth]!, `an empty list where the first list at this level has ${dims[depth]} element(s)`, p);
          }
        }
      } else {
        // -- a leaf --
        const leafStart = p;
        let bit: number;
        if ((c >= C.zero && c <= C.nine) || c === C.minus) {
          // Fast path for plain integers and decimals; anything else goes the careful way.
          let q = p;
          let v = 0;
          let ok = true;
          const neg = c === C.minus;
          if (neg) c = s.charCodeAt(++q);
          const digits = q;
          if (c >= 49 && c <= C.nine) {
            v = c - C.zero;
            c = s.charCodeAt(++q);
            while (c >= C.zero && c <= C.nine) {
              v = v * 10 + (c - C.zero);
              c = s.charCodeAt(++q);
            }
          } else if (c === C.zero) {
            c = s.charCodeAt(++q);
            if (c >= C.zero && c <= C.nine) ok = false;
          } else ok = false;
          bit = K_INT;
          if (ok && c === C.dot) {
            c = s.charCodeAt(++q);
            if (c >= C.zero && c <= C.nine) {
              do c = s.charCodeAt(++q);
              while (c >= C.zero && c <= C.nine);
              bit = K_FRAC;
            } else ok = false;
          }
          if (ok && (c === C.e || c === C.E || q > end || (bit === K_FRAC && q - digits > 38))) ok = false;
          if (ok) {
            p = q;
            if (neg) v = -v;
          } else {
            this.pos = leafStart;
            bit = this.scanNumber();
            v = this.num;
            p = this.pos;
            if (bit === K_FRAC && slot.bigFracStart < 0 && this.numDigits + this.numExp > 38 && this.fracBeyond(leafStart, FLT_MAX)) {
              slot.bigFracStart = leafStart;
              slot.bigFracEnd = p;
              slot.bigFracDouble = !Number.isFinite(Number(s.slice(leafStart, p)));
            }
          }
          if (bit === K_INT) {
            cInt++;
            if (v < lMin) {
              lMin = v;
              lMinS = leafStart;
              lMinE = p;
            }
            if (v > lMax) {
              lMax = v;
              lMaxS = leafStart;
              lMaxE = p;
            }
          } else if (bit === K_FRAC) cFrac++;
          else slot.counts[2]++;
        } else {
          this.pos = p;
          bit = this.otherLeaf(slot, c, depth + depth0);
          p = this.pos;
          slot.counts[kindIndex(bit)]++;
        }
        if ((lk & bit) === 0) {
          // The first leaf of this kind in the value: record it, and check the list stays one type.
          lk |= bit;
          if ((slot.kinds & bit) === 0) {
            const k = kindIndex(bit);
            slot.kinds |= bit;
            slot.first[k * 2] = leafStart;
            slot.first[k * 2 + 1] = p;
          }
          // The string "NaN" among numbers is how Google's docs mark a missing XGBoost feature: not a mix.
          const cls = bit === K_STRING && p - leafStart === 5 && s.startsWith('"NaN"', leafStart) ? 0 : kindClass(bit);
          if (cls !== 0 && (localClasses & cls) === 0) {
            if (localClasses !== 0 && depth > 0 && !mixedReported && cls !== K_OBJECT && cls !== K_NULL && (localClasses & ~(K_OBJECT | K_NULL)) !== 0) {
              mixedReported = true;
              sink.add('mixed-list', 'error', `A list holds values of one type: ${kindName(bit)} here, but earlier elements are ${classNames(localClasses)}. Strings and numbers cannot be mixed.`, leafStart, p);
            }
            localClasses |= cls;
          }
        } else if (bit === K_STRING && (localClasses & K_TEXT) === 0 && !(p - leafStart === 5 && s.startsWith('"NaN"', leafStart))) {
          // A string after only "NaN" strings: now strings count as a class.
          if (localClasses !== 0 && depth > 0 && !mixedReported && (localClasses & ~(K_OBJECT | K_NULL)) !== 0) {
            mixedReported = true;
            sink.add('mixed-list', 'error', `A list holds values of one type: ${kindName(bit)} here, but earlier elements are ${classNames(localClasses)}. Strings and numbers cannot be mixed.`, leafStart, p);
          }
          localClasses |= K_TEXT;
        }
        if (bit === K_STRING && slot.strings.length < SAMPLE_CAP * 2) slot.strings.push(leafStart, p);
        if (!ragged) {
          if (rank < 0) rank = depth;
          else if (depth !== rank) {
            ragged = true;
            this.pos = p;
            this.raggedAt(valueStart, leafStart, `a scalar at depth ${depth} where the first element path nests ${rank} deep`, p);
          }
        }
      }
      // -- hot path: the rest of a list of plain numbers, of kinds already seen in this value --
      // (The same grammar as the fast path above; anything else leaves p at the comma for the
      // general loop below.)
      if (depth > 0 && (ragged || depth === rank) && (lk & ~(K_INT | K_FRAC)) === 0) {
        const d = depth - 1;
        for (;;) {
          let q = p;
          c = s.charCodeAt(q);
          if (c !== C.comma) break;
          c = s.charCodeAt(++q);
          while (c === C.space) c = s.charCodeAt(++q);
          const numStart = q;
          const neg = c === C.minus;
          if (neg) c = s.charCodeAt(++q);
          let v = 0;
          if (c >= 49 && c <= C.nine) {
            v = c - C.zero;
            c = s.charCodeAt(++q);
            while (c >= C.zero && c <= C.nine) {
              v = v * 10 + (c - C.zero);
              c = s.charCodeAt(++q);
            }
          } else if (c === C.zero) {
            c = s.charCodeAt(++q);
            if (c >= C.zero && c <= C.nine) break;
          } else break;
          let k = K_INT;
          if (c === C.dot) {
            c = s.charCodeAt(++q);
            if (!(c >= C.zero && c <= C.nine)) break;
            do c = s.charCodeAt(++q);
            while (c >= C.zero && c <= C.nine);
            k = K_FRAC;
          }
          if (c === C.e || c === C.E || q > end || (k & lk) === 0 || (k === K_FRAC && q - numStart > 38)) break;
          counts[d]++;
          p = q;
          if (k === K_INT) {
            cInt++;
            if (neg) v = -v;
            if (v < lMin) {
              lMin = v;
              lMinS = numStart;
              lMinE = q;
            }
            if (v > lMax) {
              lMax = v;
              lMaxS = numStart;
              lMaxE = q;
            }
          } else cFrac++;
        }
      }
      // -- after an element --
      for (;;) {
        if (depth === 0) {
          this.pos = p;
          this.rank = ragged ? 0 : Math.max(rank, 0);
          this.ragged = ragged;
          slot.counts[0] += cInt;
          slot.counts[1] += cFrac;
          if (lMinS >= 0 && lMin < slot.intMin) {
            slot.intMin = lMin;
            slot.intMinStart = lMinS;
            slot.intMinEnd = lMinE;
          }
          if (lMaxS >= 0 && lMax > slot.intMax) {
            slot.intMax = lMax;
            slot.intMaxStart = lMaxS;
            slot.intMaxEnd = lMaxE;
          }
          if (slot.values === 0) {
            slot.valueStart = valueStart;
            slot.valueEnd = p;
          }
          slot.values++;
          return;
        }
        c = s.charCodeAt(p);
        if (c === C.space) {
          do c = s.charCodeAt(++p);
          while (c === C.space);
        }
        if (c !== C.comma && c !== C.closeBracket) {
          this.pos = p;
          c = this.ws();
          p = this.pos;
        }
        const d = depth - 1;
        if (c === C.comma) {
          counts[d]++;
          const comma = p;
          c = s.charCodeAt(++p);
          if (c === C.space) {
            do c = s.charCodeAt(++p);
            while (c === C.space);
          }
          if (!((c >= C.zero && c <= C.nine) || c === C.minus || c === C.openBracket || c === C.quote)) {
            this.pos = p;
            c = this.ws();
            p = this.pos;
          }
          if (c === C.closeBracket) {
            sink.add('trailing-comma', 'error', 'A trailing comma is not JSON: remove it before "]".', comma, comma + 1, [
              { title: 'Remove the trailing comma', edits: [{ start: comma, end: comma + 1, newText: '' }], preferred: true },
            ]);
            counts[d]--;
          } else {
            break; // the next element at the same depth
          }
        }
        if (c === C.closeBracket && p < end) {
          const n = counts[d]! + 1;
          p++;
          depth = d;
          if (!ragged) {
            if (known[d] !== stamp) {
              dims[d] = n;
              known[d] = stamp;
            } else if (dims[d] !== n) {
              ragged = true;
              this.pos = p;
              this.raggedAt(valueStart, starts[d]!, `a list of ${n} element(s) where the first list at this level has ${dims[d]}`, p);
            }
          }
          continue;
        }
        this.pos = p;
        this.expected('"," or "]" after a list element');
      }
    }
  }

  /** A leaf that is not a plain number: a string, {"b64"}, another object, a literal, NaN/Infinity. */
  private otherLeaf(slot: Slot, c: number, depth: number): number {
    const leafStart = this.pos;
    const sink = this.sink;
    if (c === C.quote) {
      this.skipString();
      return K_STRING;
    }
    if (c === C.N || c === C.I) return this.scanNumber();
    if (c === C.openBrace) {
      if (this.peekB64()) {
        const problem = this.b64Found;
        if (problem !== B64Problem.ok && slot.b64Bad.length < SAMPLE_CAP * 3) slot.b64Bad.push(this.b64Start, this.b64End, problem);
        return K_B64;
      }
      if (depth >= MAX_DEPTH) this.tooDeep();
      this.skipValue(depth);
      if (sink.wants('embedded-object')) {
        sink.add('embedded-object', 'error', 'Values are numbers, strings, booleans or lists of them: an embedded object is only allowed as {"b64": "<base64>"} for binary data.', leafStart, this.pos);
      } else sink.skip('embedded-object', 1);
      return K_OBJECT;
    }
    if (c < 0 || this.pos >= this.end) this.expected('a value');
    const bit = this.scanLiteral(c);
    if (bit === K_NULL) {
      if (sink.wants('null-value')) {
        sink.add('null-value', 'error', `null is not a tensor value${slot.name !== undefined ? ` (input "${slot.name}")` : ''}: TF Serving rejects it for every dtype. Give a number, string or boolean.`, leafStart, this.pos);
      } else sink.skip('null-value', 1);
    }
    return bit;
  }

  // Per-depth state of scanTensor, allocated once at full depth (no growth, no out-of-bounds deopts).
  private readonly counts = new Int32Array(MAX_DEPTH + 2);
  private readonly listStarts = new Int32Array(MAX_DEPTH + 2);
  private readonly dimStamp = new Int32Array(MAX_DEPTH + 2);
  private stamp = 0;

  private raggedAt(_valueStart: number, start: number, what: string, end?: number): void {
    if (!this.sink.wants('ragged-list')) {
      this.sink.skip('ragged-list', 1);
      return;
    }
    let e = end;
    if (e === undefined) {
      // The offending list: find its end cheaply by skipping it on a throwaway position.
      const save = this.pos;
      try {
        this.skipQuiet(start);
        e = this.quietEnd;
      } finally {
        this.pos = save;
      }
    }
    this.sink.add('ragged-list', 'error', `Lists must nest rectangularly (TF Serving reads the shape from the first elements): ${what}.`, start, e);
  }

  private quietEnd = 0;
  /** Finds the end of the value at `start` without reporting (brackets and strings only). */
  private skipQuiet(start: number): void {
    const s = this.src;
    let depth = 0;
    let p = start;
    while (p < this.end) {
      const c = s.charCodeAt(p);
      if (c === C.quote) {
        p++;
        while (p < this.end && s.charCodeAt(p) !== C.quote) p += s.charCodeAt(p) === C.backslash ? 2 : 1;
      } else if (c === C.openBracket || c === C.openBrace) depth++;
      else if (c === C.closeBracket || c === C.closeBrace) {
        depth--;
        if (depth <= 0) {
          p++;
          break;
        }
      } else if (depth === 0 && (c === C.comma || c === C.space || c === C.lf || c === C.cr || c === C.tab)) break;
      p++;
    }
    this.quietEnd = Math.min(p, this.end);
  }
}

function classNames(classes: number): string {
  const names: string[] = [];
  if (classes & K_NUMBER) names.push('numbers');
  if (classes & K_TEXT) names.push('strings');
  if (classes & K_BOOL) names.push('booleans');
  return names.join(' and ') || 'other values';
}

// ---------------------------------------------------------------------------- base64

/**
 * Checks the raw JSON string content src[start, end) (between the quotes, escapes undecoded) the
 * way absl::Base64Unescape decodes it (TF Serving): standard alphabet, whitespace skipped,
 * optional "=" padding at the end only, and no length ≡ 1 (mod 4).
 */
export function b64Problem(src: string, start: number, end: number): B64Problem {
  let data = 0;
  let pad = 0;
  let urlSafe = false;
  let bad = false;
  for (let p = start; p < end; p++) {
    let c = src.charCodeAt(p);
    if (c === C.backslash) {
      const e = src.charCodeAt(p + 1);
      if (e === 117) {
        c = parseInt(src.slice(p + 2, p + 6), 16);
        p += 5;
      } else {
        p++;
        c = e === C.n ? 10 : e === 114 ? 13 : e === C.t ? 9 : e === 98 || e === C.f ? 0 : e;
      }
    }
    if (c === C.space || c === C.lf || c === C.cr || c === C.tab || c === 11 || c === 12) continue;
    if (c === 61) {
      pad++;
      continue;
    }
    if (pad > 0) return B64Problem.badPadding;
    if ((c >= 65 && c <= 90) || (c >= 97 && c <= 122) || (c >= C.zero && c <= C.nine) || c === C.plus || c === C.slash) {
      data++;
      continue;
    }
    if (c === C.minus || c === 95) urlSafe = true;
    else bad = true;
    data++;
  }
  if (bad) return B64Problem.badChar;
  if (urlSafe) return B64Problem.urlSafe;
  if (data % 4 === 1) return B64Problem.badLength;
  if (pad > 0 && (pad > 2 || (data + pad) % 4 !== 0)) return B64Problem.badPadding;
  return B64Problem.ok;
}

/** Decodes the JSON string literal at [start, end) (with quotes). */
export function stringAt(src: string, start: number, end: number): string {
  const raw = src.slice(start, end);
  return raw.indexOf('\\') < 0 ? raw.slice(1, -1) : (JSON.parse(raw) as string);
}
