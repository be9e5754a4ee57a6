/**
 * A small, bounded reader of the protobuf wire format.
 *
 * Two halves share one set of rules:
 * - `scanFields` / `WireView` walk a message held in memory (a few KB: a SignatureDef, a MetaInfoDef).
 * - `FileWireReader` walks a message that stays on disk: it reads field headers (tag varint + length
 *   varint) with small positioned reads and seeks over the fields nobody asked for, so a 500 MB
 *   `saved_model.pb` can be listed by reading a few KB of it.
 *
 * The rules: every length is checked against what is left of the enclosing message (and of the
 * file); a varint is at most 10 bytes; groups nest at most `MAX_NESTING` deep; wire types 6 and 7
 * are refused. Any violation is a `ModelFormatError` naming the file, the absolute byte offset and
 * what was expected there. Nothing here allocates more than the bytes a caller asks for, and a
 * caller can only ask for bytes that lie inside the file.
 */
import type { FileHandle } from 'node:fs/promises';
import type * as protobuf from 'protobufjs';
import { open } from 'node:fs/promises';
import { IoError, ModelFormatError } from '../errors';

export const WIRE_VARINT = 0;
export const WIRE_FIXED64 = 1;
export const WIRE_LEN = 2;
export const WIRE_START_GROUP = 3;
export const WIRE_END_GROUP = 4;
export const WIRE_FIXED32 = 5;

/** The longest varint protobuf allows (a 64-bit value in 7-bit groups). */
export const MAX_VARINT_BYTES = 10;
/**
 * Deepest nesting of groups / messages a walker follows before it gives up: protobuf's default
 * recursion limit (C++ CodedInputStream, and protobufjs' `util.recursionLimit`).
 */
export const MAX_NESTING = 100;
/** The largest field number protobuf allows (2^29 - 1). */
export const MAX_FIELD_NUMBER = 0x1fffffff;

/** One field as seen on the wire. Offsets are absolute (into the file). */
export interface WireField {
  field: number;
  wireType: number;
  /** Offset of the tag's first byte. */
  start: number;
  /** Offset of the value: after the tag, and after the length prefix for length-delimited fields. */
  valueStart: number;
  /** Offset just past the value. For a group, just past its end-group tag. */
  end: number;
  /** Varint and fixed values, as the low and high 32 bits (unsigned). 0 for other wire types. */
  lo: number;
  hi: number;
}

/** Where a reader is: the file name (for errors) and the absolute offset of byte 0 of its buffer. */
export interface WireContext {
  file: string;
  /** Absolute offset of `bytes[0]` in the file. */
  base: number;
}

export function formatError(file: string, offset: number, expected: string, detail?: string): ModelFormatError {
  return new ModelFormatError({ file, offset }, expected, detail);
}

interface VarintResult {
  lo: number;
  hi: number;
  /** Index just past the varint. */
  next: number;
}

/**
 * Decodes a varint from `bytes[pos..limit)`. Returns null when the bytes end before the varint
 * does (the caller decides whether that is a truncation or a reason to read more). Throws when the
 * varint is longer than 10 bytes.
 */
function decodeVarint(bytes: Uint8Array, pos: number, limit: number, ctx: WireContext, what: string): VarintResult | null {
  let lo = 0;
  let hi = 0;
  for (let i = 0; i < MAX_VARINT_BYTES; i++) {
    if (pos + i >= limit) return null;
    const b = bytes[pos + i]!;
    const bits = b & 0x7f;
    if (i < 4) lo |= bits << (7 * i);
    else if (i === 4) {
      lo |= bits << 28;
      hi |= bits >>> 4;
    } else hi |= bits << (7 * i - 32);
    if (b < 0x80) {
      if (i === MAX_VARINT_BYTES - 1 && b > 1) {
        throw formatError(ctx.file, ctx.base + pos, what, 'a varint wider than 64 bits');
      }
      return { lo: lo >>> 0, hi: hi >>> 0, next: pos + i + 1 };
    }
  }
  throw formatError(ctx.file, ctx.base + pos, what, `a varint longer than ${MAX_VARINT_BYTES} bytes`);
}

/** An unsigned 64-bit value as a JS number, or -1 when it exceeds Number.MAX_SAFE_INTEGER. */
function safeNumber(lo: number, hi: number): number {
  if (hi > 0x1fffff) return -1;
  return hi * 0x100000000 + lo;
}

export function uint64(lo: number, hi: number): bigint {
  return (BigInt(hi) << 32n) | BigInt(lo);
}

export function int64(lo: number, hi: number): bigint {
  return BigInt.asIntN(64, uint64(lo, hi));
}

/** An int64 as a JS number (exact up to 2^53; TensorFlow dims and versions always are). */
export function int64Number(lo: number, hi: number): number {
  return Number(int64(lo, hi));
}

/** protobuf int32 / enum semantics: the low 32 bits, signed. */
export function int32(lo: number): number {
  return lo | 0;
}

/**
 * Parses one field header at local index `pos` of an in-memory message that ends at local index
 * `end`. For varint and fixed fields the value is read too; for length-delimited fields the length
 * is checked against `end`; groups are walked (bounded by `end` and `MAX_NESTING`) to find their
 * end. The offsets in the result are absolute (`ctx.base` added).
 */
export function readFieldAt(bytes: Uint8Array, pos: number, end: number, ctx: WireContext, depth = 0): WireField {
  const at = (i: number): number => ctx.base + i;
  const tag = decodeVarint(bytes, pos, end, ctx, 'a field tag');
  if (!tag) throw formatError(ctx.file, at(pos), 'a field tag', 'the message ends inside a varint');
  if (tag.hi !== 0) throw formatError(ctx.file, at(pos), 'a field tag', 'tag wider than 32 bits');
  const field = tag.lo >>> 3;
  const wireType = tag.lo & 7;
  if (field === 0) throw formatError(ctx.file, at(pos), 'a field tag', 'field number 0');
  const p = tag.next;
  switch (wireType) {
    case WIRE_VARINT: {
      const v = decodeVarint(bytes, p, end, ctx, `the varint value of field ${field}`);
      if (!v) throw formatError(ctx.file, at(p), `the varint value of field ${field}`, 'the message ends inside a varint');
      return { field, wireType, start: at(pos), valueStart: at(p), end: at(v.next), lo: v.lo, hi: v.hi };
    }
    case WIRE_FIXED64: {
      if (end - p < 8) throw formatError(ctx.file, at(p), `8 bytes of field ${field}`, `only ${end - p} left in the message`);
      const lo = (bytes[p]! | (bytes[p + 1]! << 8) | (bytes[p + 2]! << 16) | (bytes[p + 3]! << 24)) >>> 0;
      const hi = (bytes[p + 4]! | (bytes[p + 5]! << 8) | (bytes[p + 6]! << 16) | (bytes[p + 7]! << 24)) >>> 0;
      return { field, wireType, start: at(pos), valueStart: at(p), end: at(p + 8), lo, hi };
    }
    case WIRE_FIXED32: {
      if (end - p < 4) throw formatError(ctx.file, at(p), `4 bytes of field ${field}`, `only ${end - p} left in the message`);
      const lo = (bytes[p]! | (bytes[p + 1]! << 8) | (bytes[p + 2]! << 16) | (bytes[p + 3]! << 24)) >>> 0;
      return { field, wireType, start: at(pos), valueStart: at(p), end: at(p + 4), lo, hi: 0 };
    }
    case WIRE_LEN: {
      const what = `the length of field ${field}`;
      const v = decodeVarint(bytes, p, end, ctx, what);
      if (!v) throw formatError(ctx.file, at(p), what, 'the message ends inside a varint');
      const len = safeNumber(v.lo, v.hi);
      const left = end - v.next;
      if (len < 0 || len > left) {
        throw formatError(ctx.file, at(p), `${what} to fit in the enclosing message`, `length ${uint64(v.lo, v.hi)}, ${left} bytes left`);
      }
      return { field, wireType, start: at(pos), valueStart: at(v.next), end: at(v.next + len), lo: 0, hi: 0 };
    }
    case WIRE_START_GROUP: {
      if (depth >= MAX_NESTING) throw formatError(ctx.file, at(pos), `groups nested at most ${MAX_NESTING} deep`);
      let q = p;
      for (;;) {
        if (q >= end) throw formatError(ctx.file, at(q), `the end-group tag of field ${field}`, 'the message ends inside a group');
        const inner = readFieldAt(bytes, q, end, ctx, depth + 1);
        if (inner.wireType === WIRE_END_GROUP) {
          if (inner.field !== field) throw formatError(ctx.file, at(q), `the end-group tag of field ${field}`, `end-group of field ${inner.field}`);
          return { field, wireType, start: at(pos), valueStart: at(p), end: inner.end, lo: 0, hi: 0 };
        }
        q = inner.end - ctx.base;
      }
    }
    case WIRE_END_GROUP:
      if (depth === 0) throw formatError(ctx.file, at(pos), 'a field tag', `an end-group tag (field ${field}) outside a group`);
      return { field, wireType, start: at(pos), valueStart: at(p), end: at(p), lo: 0, hi: 0 };
    default:
      throw formatError(ctx.file, at(pos), 'a field tag with wire type 0-5', `wire type ${wireType}`);
  }
}

/**
 * Every field of the message `bytes[start..end)` (local indices), in wire order. The fields'
 * offsets are absolute (`ctx.base` added).
 */
export function* scanFields(bytes: Uint8Array, ctx: WireContext, start = 0, end = bytes.length): Generator<WireField> {
  let p = start;
  while (p < end) {
    const f = readFieldAt(bytes, p, end, ctx);
    p = f.end - ctx.base;
    yield f;
  }
}

/**
 * An in-memory message (a slice of the file read once) with typed accessors that keep absolute
 * offsets for errors.
 */
export class WireView {
  constructor(
    readonly bytes: Uint8Array,
    readonly ctx: WireContext,
    readonly depth = 0,
  ) {
    if (depth > MAX_NESTING) throw formatError(ctx.file, ctx.base, `messages nested at most ${MAX_NESTING} deep`);
  }

  fields(): Generator<WireField> {
    return scanFields(this.bytes, this.ctx);
  }

  /** The embedded message in a length-delimited field. */
  message(f: WireField, what: string): WireView {
    this.expectWireType(f, WIRE_LEN, what);
    return new WireView(this.bytes.subarray(f.valueStart - this.ctx.base, f.end - this.ctx.base), { file: this.ctx.file, base: f.valueStart }, this.depth + 1);
  }

  string(f: WireField, what: string): string {
    this.expectWireType(f, WIRE_LEN, what);
    return Buffer.from(this.bytes.buffer, this.bytes.byteOffset + f.valueStart - this.ctx.base, f.end - f.valueStart).toString('utf8');
  }

  raw(f: WireField, what: string): Uint8Array {
    this.expectWireType(f, WIRE_LEN, what);
    return this.bytes.subarray(f.valueStart - this.ctx.base, f.end - this.ctx.base);
  }

  /** A varint as int64 (exact as a number up to 2^53). */
  int64(f: WireField, what: string): number {
    this.expectWireType(f, WIRE_VARINT, what);
    return int64Number(f.lo, f.hi);
  }

  int32(f: WireField, what: string): number {
    this.expectWireType(f, WIRE_VARINT, what);
    return int32(f.lo);
  }

  bool(f: WireField, what: string): boolean {
    this.expectWireType(f, WIRE_VARINT, what);
    return f.lo !== 0 || f.hi !== 0;
  }

  expectWireType(f: WireField, wireType: number, what: string): void {
    if (f.wireType !== wireType) {
      throw formatError(this.ctx.file, f.start, `${what} (field ${f.field}) with wire type ${wireType}`, `wire type ${f.wireType}`);
    }
  }
}

/** Window size of the file reader's cache: one read serves every header and small field near it. */
const WINDOW = 16 * 1024;

/**
 * Positioned, bounded reads of a protobuf message on disk. Offsets are absolute file offsets.
 * Create with `FileWireReader.open(file)` and always `close()` it.
 */
export class FileWireReader {
  /** Number of `read` calls made and bytes they returned (for benchmarks and tests). */
  reads = 0;
  bytesRead = 0;
  private window: Buffer = Buffer.alloc(0);
  private windowStart = 0;
  private windowLen = 0;

  private constructor(
    readonly file: string,
    private readonly handle: FileHandle,
    readonly size: number,
  ) {}

  /**
   * Opens `file`. The size (fstat) and the first window of the file are read concurrently, since
   * every message walk starts at offset 0: one round trip to the thread pool less per listing.
   */
  static async open(file: string): Promise<FileWireReader> {
    let handle: FileHandle;
    try {
      handle = await open(file, 'r');
    } catch (err) {
      throw new IoError(file, err);
    }
    try {
      const window = Buffer.allocUnsafe(WINDOW);
      const [st, first] = await Promise.all([handle.stat(), handle.read(window, 0, WINDOW, 0)]);
      const reader = new FileWireReader(file, handle, st.size);
      reader.reads = 1;
      reader.bytesRead = first.bytesRead;
      // A file that grew between the read and the stat keeps only the bytes within its stat size.
      reader.window = window;
      reader.windowStart = 0;
      reader.windowLen = Math.min(first.bytesRead, st.size);
      return reader;
    } catch (err) {
      await handle.close().catch(() => undefined);
      throw new IoError(file, err);
    }
  }

  async close(): Promise<void> {
    await this.handle.close();
  }

  /** Fills `target[0..len)` from `pos`, looping over short reads. Returns how many bytes the file had. */
  private async readInto(target: Buffer, len: number, pos: number): Promise<number> {
    let got = 0;
    while (got < len) {
      let n: number;
      try {
        ({ bytesRead: n } = await this.handle.read(target, got, len - got, pos + got));
      } catch (err) {
        throw new IoError(this.file, err);
      }
      this.reads++;
      this.bytesRead += n;
      if (n === 0) break;
      got += n;
    }
    return got;
  }

  /** Makes the cache window cover at least `[pos, pos + want)` where the file allows. */
  private async ensure(pos: number, want: number): Promise<void> {
    if (pos >= this.windowStart && pos + want <= this.windowStart + this.windowLen) return;
    const len = Math.min(Math.max(want, WINDOW), this.size - pos);
    if (len <= 0) {
      this.windowStart = pos;
      this.windowLen = 0;
      return;
    }
    if (this.window.length < len) this.window = Buffer.allocUnsafe(len);
    this.windowStart = pos;
    this.windowLen = await this.readInto(this.window, len, pos);
  }

  /**
   * Reads the field header at `pos` of a message that ends at `end` (itself within the file):
   * the tag, then the varint value, fixed value or length prefix. Groups are walked to their end.
   */
  async field(pos: number, end: number, depth = 0): Promise<WireField> {
    if (end > this.size) throw formatError(this.file, this.size, `${end - this.size} more bytes`, 'the file is truncated');
    // A tag and a length are at most 20 bytes; read the window at pos and parse in memory.
    await this.ensure(pos, Math.min(2 * MAX_VARINT_BYTES, end - pos));
    const localEnd = Math.min(end, this.windowStart + this.windowLen) - this.windowStart;
    const ctx = { file: this.file, base: this.windowStart };
    const local = pos - this.windowStart;
    // Parse the header with the message end as the bound for lengths but the window as the
    // bound for the header bytes themselves.
    const tag = decodeVarint(this.window, local, localEnd, ctx, 'a field tag');
    if (!tag) throw formatError(this.file, pos, 'a field tag', 'the message ends inside a varint');
    if (tag.hi !== 0) throw formatError(this.file, pos, 'a field tag', 'tag wider than 32 bits');
    const field = tag.lo >>> 3;
    const wireType = tag.lo & 7;
    if (field === 0) throw formatError(this.file, pos, 'a field tag', 'field number 0');
    const p = this.windowStart + tag.next;
    switch (wireType) {
      case WIRE_LEN: {
        const what = `the length of field ${field}`;
        const v = decodeVarint(this.window, tag.next, localEnd, ctx, what);
        if (!v) throw formatError(this.file, p, what, 'the message ends inside a varint');
        const len = safeNumber(v.lo, v.hi);
        const valueStart = this.windowStart + v.next;
        const left = end - valueStart;
        if (len < 0 || len > left) {
          throw formatError(this.file, p, `${what} to fit in the enclosing message`, `length ${uint64(v.lo, v.hi)}, ${left} bytes left`);
        }
        return { field, wireType, start: pos, valueStart, end: valueStart + len, lo: 0, hi: 0 };
      }
      case WIRE_VARINT: {
        const what = `the varint value of field ${field}`;
        const v = decodeVarint(this.window, tag.next, localEnd, ctx, what);
        if (!v) throw formatError(this.file, p, what, 'the message ends inside a varint');
        return { field, wireType, start: pos, valueStart: p, end: this.windowStart + v.next, lo: v.lo, hi: v.hi };
      }
      case WIRE_FIXED64:
      case WIRE_FIXED32: {
        const n = wireType === WIRE_FIXED64 ? 8 : 4;
        if (end - p < n) throw formatError(this.file, p, `${n} bytes of field ${field}`, `only ${end - p} left in the message`);
        await this.ensure(p, n);
        const b = this.window;
        const q = p - this.windowStart;
        const lo = (b[q]! | (b[q + 1]! << 8) | (b[q + 2]! << 16) | (b[q + 3]! << 24)) >>> 0;
        const hi = n === 8 ? (b[q + 4]! | (b[q + 5]! << 8) | (b[q + 6]! << 16) | (b[q + 7]! << 24)) >>> 0 : 0;
        return { field, wireType, start: pos, valueStart: p, end: p + n, lo, hi };
      }
      case WIRE_START_GROUP: {
        if (depth >= MAX_NESTING) throw formatError(this.file, pos, `groups nested at most ${MAX_NESTING} deep`);
        let q = p;
        for (;;) {
          if (q >= end) throw formatError(this.file, q, `the end-group tag of field ${field}`, 'the message ends inside a group');
          const inner = await this.field(q, end, depth + 1);
          if (inner.wireType === WIRE_END_GROUP) {
            if (inner.field !== field) throw formatError(this.file, q, `the end-group tag of field ${field}`, `end-group of field ${inner.field}`);
            return { field, wireType, start: pos, valueStart: p, end: inner.end, lo: 0, hi: 0 };
          }
          q = inner.end;
        }
      }
      case WIRE_END_GROUP:
        if (depth === 0) throw formatError(this.file, pos, 'a field tag', `an end-group tag (field ${field}) outside a group`);
        return { field, wireType, start: pos, valueStart: p, end: p, lo: 0, hi: 0 };
      default:
        throw formatError(this.file, pos, 'a field tag with wire type 0-5', `wire type ${wireType}`);
    }
  }

  /** Iterates the fields of the message `[start, end)` by headers only, seeking over values. */
  async *fields(start: number, end: number): AsyncGenerator<WireField> {
    let p = start;
    while (p < end) {
      const f = await this.field(p, end);
      p = f.end;
      yield f;
    }
  }

  /** The bytes `[start, end)`, which must lie in the file. The result is a copy the caller owns. */
  async bytes(start: number, end: number): Promise<Uint8Array> {
    const len = end - start;
    if (start < 0 || len < 0) throw formatError(this.file, start, 'a byte range inside the file');
    if (end > this.size) throw formatError(this.file, this.size, `${end - this.size} more bytes`, 'the file is truncated');
    if (len <= WINDOW) {
      await this.ensure(start, len);
      if (start + len > this.windowStart + this.windowLen) {
        throw formatError(this.file, this.windowStart + this.windowLen, `${len} bytes`, 'the file ended early (it changed while being read?)');
      }
      const q = start - this.windowStart;
      return Uint8Array.prototype.slice.call(this.window, q, q + len);
    }
    const out = Buffer.allocUnsafe(len);
    const got = await this.readInto(out, len, start);
    if (got < len) throw formatError(this.file, start + got, `${len} bytes`, 'the file ended early (it changed while being read?)');
    return new Uint8Array(out.buffer, out.byteOffset, len);
  }

  /** A length-delimited field's payload read into memory as a `WireView` with absolute offsets. */
  async view(f: WireField, what: string): Promise<WireView> {
    if (f.wireType !== WIRE_LEN) {
      throw formatError(this.file, f.start, `${what} (field ${f.field}) with wire type ${WIRE_LEN}`, `wire type ${f.wireType}`);
    }
    const bytes = await this.bytes(f.valueStart, f.end);
    return new WireView(bytes, { file: this.file, base: f.valueStart }, 1);
  }
}

// ---------------------------------------------------------------- schema-driven bounded decode

/**
 * Which fields to decode: `true` for the whole (sub)message, or an object naming the fields to
 * keep, each with its own projection. Fields not named are skipped without being decoded.
 */
export type Projection = true | { readonly [field: string]: Projection };

/** A decoded message as a plain object (the shape the schema's `I*` interfaces describe). */
export type PlainMessage = Record<string, unknown>;

const scratch = new DataView(new ArrayBuffer(8));

function isMessageType(t: protobuf.Type | protobuf.Enum | null): t is protobuf.Type {
  return t !== null && 'fieldsById' in t;
}

const VARINT_TYPES = new Set(['int32', 'uint32', 'sint32', 'int64', 'uint64', 'sint64', 'bool', 'enum']);
const FIXED32_TYPES = new Set(['fixed32', 'sfixed32', 'float']);
const FIXED64_TYPES = new Set(['fixed64', 'sfixed64', 'double']);

function scalarWireType(type: string): number {
  if (VARINT_TYPES.has(type)) return WIRE_VARINT;
  if (FIXED32_TYPES.has(type)) return WIRE_FIXED32;
  if (FIXED64_TYPES.has(type)) return WIRE_FIXED64;
  return WIRE_LEN;
}

/** A scalar from its wire value. 64-bit integers are exact `bigint`s; enums are numbers. */
function scalarValue(type: string, lo: number, hi: number): unknown {
  switch (type) {
    case 'int32':
    case 'enum':
      return lo | 0;
    case 'uint32':
    case 'fixed32':
      return lo >>> 0;
    case 'sint32':
      return (lo >>> 1) ^ -(lo & 1);
    case 'sfixed32':
      return lo | 0;
    case 'int64':
    case 'sfixed64':
      return int64(lo, hi);
    case 'uint64':
    case 'fixed64':
      return uint64(lo, hi);
    case 'sint64': {
      const u = uint64(lo, hi);
      return (u >> 1n) ^ -(u & 1n);
    }
    case 'bool':
      return lo !== 0 || hi !== 0;
    case 'float':
      scratch.setUint32(0, lo, true);
      return scratch.getFloat32(0, true);
    case 'double':
      scratch.setUint32(0, lo, true);
      scratch.setUint32(4, hi, true);
      return scratch.getFloat64(0, true);
    default:
      throw new Error(`not a scalar type: ${type}`);
  }
}

function scalarDefault(type: string): unknown {
  if (type === 'string') return '';
  if (type === 'bytes') return new Uint8Array(0);
  if (type === 'bool') return false;
  if (type === 'int64' || type === 'uint64' || type === 'sint64' || type === 'fixed64' || type === 'sfixed64') return 0n;
  return 0;
}

/** Decodes one non-repeated value of `field` (type `type`, resolved `resolved`) at `f`. */
function decodeValue(
  view: WireView,
  f: WireField,
  type: string,
  resolved: protobuf.Type | protobuf.Enum | null,
  projection: Projection,
  what: string,
): unknown {
  if (isMessageType(resolved)) return decodeMessage(view.message(f, what), resolved, projection);
  const t = resolved ? 'enum' : type;
  if (t === 'string') return view.string(f, what);
  if (t === 'bytes') return view.raw(f, what).slice();
  view.expectWireType(f, scalarWireType(t), what);
  return scalarValue(t, f.lo, f.hi);
}

/** The elements of a packed repeated scalar field. Each element takes at least one byte. */
function decodePacked(view: WireView, f: WireField, type: string, what: string): unknown[] {
  const out: unknown[] = [];
  const wt = scalarWireType(type);
  const bytes = view.bytes;
  const base = view.ctx.base;
  let p = f.valueStart - base;
  const end = f.end - base;
  if (wt === WIRE_VARINT) {
    while (p < end) {
      const v = decodeVarint(bytes, p, end, view.ctx, `a packed varint of ${what}`);
      if (!v) throw formatError(view.ctx.file, base + p, `a packed varint of ${what}`, 'the field ends inside a varint');
      out.push(scalarValue(type, v.lo, v.hi));
      p = v.next;
    }
    return out;
  }
  const size = wt === WIRE_FIXED32 ? 4 : 8;
  if ((end - p) % size !== 0) {
    throw formatError(view.ctx.file, f.valueStart, `a packed ${what} whose length is a multiple of ${size}`, `length ${end - p}`);
  }
  for (; p < end; p += size) {
    const lo = (bytes[p]! | (bytes[p + 1]! << 8) | (bytes[p + 2]! << 16) | (bytes[p + 3]! << 24)) >>> 0;
    const hi = size === 8 ? (bytes[p + 4]! | (bytes[p + 5]! << 8) | (bytes[p + 6]! << 16) | (bytes[p + 7]! << 24)) >>> 0 : 0;
    out.push(scalarValue(type, lo, hi));
  }
  return out;
}

/** Sets `obj[key] = value` as an own enumerable property, even for keys like "__proto__". */
function setOwn(obj: Record<string, unknown>, key: string, value: unknown): void {
  if (key === '__proto__') Object.defineProperty(obj, key, { value, enumerable: true, writable: true, configurable: true });
  else obj[key] = value;
}

/**
 * Decodes the message in `view` as `type` into a plain object, bounded like everything here:
 * nesting is limited by `WireView` (MAX_NESTING), every length by its enclosing message.
 *
 * The result follows protobufjs' decoded shape closely enough for code written against the schema's
 * `I*` interfaces: field names as in the schema, repeated fields as arrays, maps as plain objects,
 * enums as numbers, bytes as Uint8Array, 64-bit integers as exact bigints (where protobufjs gives
 * Long; the schema's `toNumber`/`toBigInt` accept both). Absent fields are absent. A singular
 * message field seen twice keeps the last occurrence, as protobufjs does. Unknown fields are
 * skipped. A known field with the wrong wire type is a ModelFormatError.
 *
 * Passing `out` decodes into an existing object: decoding the fields of one message in several
 * pieces (e.g. single fields read separately from a file) then gives the same result as one decode.
 */
export function decodeMessage(view: WireView, type: protobuf.Type, projection: Projection = true, out: PlainMessage = {}): PlainMessage {
  for (const f of view.fields()) {
    const field = type.fieldsById[f.field];
    if (!field) continue;
    const sub = projection === true ? true : projection[field.name];
    if (sub === undefined) continue;
    const what = `${type.name}.${field.name}`;
    if (field.map) {
      const keyType = (field as unknown as protobuf.MapField).keyType;
      const entry = view.message(f, what);
      let key: unknown = scalarDefault(keyType);
      let value: unknown = isMessageType(field.resolvedType) ? {} : field.resolvedType ? 0 : scalarDefault(field.type);
      for (const e of entry.fields()) {
        if (e.field === 1) key = decodeValue(entry, e, keyType, null, true, `${what} key`);
        else if (e.field === 2) value = decodeValue(entry, e, field.type, field.resolvedType, sub, `${what} value`);
      }
      const map = (out[field.name] ??= {}) as Record<string, unknown>;
      setOwn(map, typeof key === 'string' ? key : String(key), value);
    } else if (field.repeated) {
      const list = (out[field.name] ??= []) as unknown[];
      const scalar = !isMessageType(field.resolvedType) && field.type !== 'string' && field.type !== 'bytes';
      if (scalar && f.wireType === WIRE_LEN) {
        for (const v of decodePacked(view, f, field.resolvedType ? 'enum' : field.type, what)) list.push(v);
      } else {
        list.push(decodeValue(view, f, field.type, field.resolvedType, sub, what));
      }
    } else {
      out[field.name] = decodeValue(view, f, field.type, field.resolvedType, sub, what);
    }
  }
  return out;
}
