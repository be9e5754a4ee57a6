/**
 * Op usage of a graph that stays on disk: walks GraphDef.node and the function library's node_def
 * by field headers, reading only each node's `name` and `op`, and seeks over attrs and tensor
 * contents. The file is read forward through one window (1 MiB), parsed synchronously inside it,
 * so a graph of millions of small nodes costs about one sequential read, and a graph of a few
 * huge constants costs a few seeks. Memory stays bounded whatever the model's size.
 * Every length is checked against its enclosing message; corruption is a ModelFormatError.
 */
import { open, type FileHandle } from 'node:fs/promises';
import { IoError } from '../errors';
import type { ByteRange } from './lazy';
import type { OpUse } from './types';
import { formatError } from './wire';

const WINDOW = 1024 * 1024;
const SMALL_WINDOW = 16 * 1024;
/** Names longer than this are not names: the file is corrupt. */
const MAX_NAME_BYTES = 64 * 1024;

class OpCounter {
  readonly uses = new Map<string, OpUse>();
  constructor(private readonly maxNodes: number) {}
  wantsNode(op: string): boolean {
    const use = this.uses.get(op);
    return !use || use.nodes.length < this.maxNodes;
  }
  add(op: string, node?: string): void {
    let use = this.uses.get(op);
    if (!use) this.uses.set(op, (use = { op, count: 0, nodes: [] }));
    use.count++;
    if (node !== undefined && use.nodes.length < this.maxNodes) use.nodes.push(node);
  }
  result(): OpUse[] {
    return [...this.uses.values()].sort((a, b) => (a.op < b.op ? -1 : a.op > b.op ? 1 : 0));
  }
}

interface Field {
  field: number;
  wireType: number;
  start: number;
  valueStart: number;
  end: number;
}

/** A forward-moving window over a file, with synchronous parsing inside it. */
class Window {
  private buf = Buffer.allocUnsafe(WINDOW + 64);
  private start = 0;
  private len = 0;
  constructor(
    readonly file: string,
    private readonly handle: FileHandle,
    readonly size: number,
  ) {}

  /** Makes [pos, pos + want) readable (as far as the file goes). */
  async ensure(pos: number, want: number): Promise<void> {
    if (pos >= this.start && pos + want <= this.start + this.len) return;
    // Reading on from where the window ends is a scan of small nodes: read a large window. A jump
    // (over a large constant) reads a small one, so seeking over big tensors reads little.
    const sequential = pos >= this.start && pos <= this.start + this.len + SMALL_WINDOW;
    const len = Math.min(Math.max(want, sequential ? WINDOW : SMALL_WINDOW), this.size - pos);
    if (this.buf.length < len) this.buf = Buffer.allocUnsafe(len);
    let got = 0;
    while (got < len) {
      let n: number;
      try {
        ({ bytesRead: n } = await this.handle.read(this.buf, got, len - got, pos + got));
      } catch (err) {
        throw new IoError(this.file, err);
      }
      if (n === 0) break;
      got += n;
    }
    this.start = pos;
    this.len = got;
  }

  has(pos: number, n: number): boolean {
    return pos >= this.start && pos + n <= this.start + this.len;
  }

  /** A varint at `pos` inside the window; returns [value, next]. Values above 2^53 are refused. */
  varint(pos: number, end: number, what: string): [number, number] {
    let value = 0;
    let mul = 1;
    for (let i = 0; i < 10; i++) {
      const p = pos + i;
      if (p >= end) throw formatError(this.file, p, `the rest of ${what}`, 'the message ends inside a varint');
      const b = this.buf[p - this.start];
      value += (b & 0x7f) * mul;
      if (b < 0x80) {
        if (value > Number.MAX_SAFE_INTEGER) throw formatError(this.file, pos, `${what} below 2^53`);
        return [value, p + 1];
      }
      mul *= 128;
    }
    throw formatError(this.file, pos, `${what} of at most 10 bytes`);
  }

  /**
   * The field header at `pos` of a message ending at `end`, parsed synchronously when the window
   * holds it (the common case), else after moving the window. Groups are refused.
   */
  async field(pos: number, end: number): Promise<Field> {
    const f = this.fieldSync(pos, end);
    if (f) return f;
    await this.ensure(pos, 20);
    return this.fieldSync(pos, end, true) as Field;
  }

  /** Returns undefined when the header is not in the window (unless `final`, when it must be). */
  fieldSync(pos: number, end: number, final = false): Field | undefined {
    const winEnd = this.start + this.len;
    if (!final && (pos < this.start || pos + 20 > winEnd) && winEnd < Math.min(end, this.size)) return undefined;
    const limit = Math.min(end, winEnd);
    const [tag, p] = this.varint(pos, limit, 'a field tag');
    const field = Math.floor(tag / 8);
    const wireType = tag & 7;
    if (field === 0) throw formatError(this.file, pos, 'a field number above 0');
    let valueStart = p;
    let valueEnd: number;
    switch (wireType) {
      case 0:
        valueEnd = this.varint(p, limit, 'a varint value')[1];
        break;
      case 1:
        valueEnd = p + 8;
        break;
      case 5:
        valueEnd = p + 4;
        break;
      case 2: {
        const [len, q] = this.varint(p, limit, 'a length prefix');
        valueStart = q;
        valueEnd = q + len;
        break;
      }
      case 3:
        // Groups are obsolete and never written by TensorFlow; refuse them rather than walk them.
        throw formatError(this.file, pos, 'a NodeDef or FunctionDef field', `a group (field ${field})`);
      case 4:
        throw formatError(this.file, pos, 'a field tag', 'an end-group tag outside a group');
      default:
        throw formatError(this.file, pos, 'a field tag with wire type 0-5', `wire type ${wireType}`);
    }
    if (valueEnd > end) throw formatError(this.file, valueStart, `a value within its message (${end - valueStart} bytes left)`, `${valueEnd - valueStart} bytes`);
    return { field, wireType, start: pos, valueStart, end: valueEnd };
  }

  /** A string field's value when the window holds it, else undefined. */
  stringSync(f: Field, what: string, ascii = false): string | undefined {
    if (f.wireType !== 2) throw formatError(this.file, f.start, `${what} as a string`, `wire type ${f.wireType}`);
    const n = f.end - f.valueStart;
    if (n > MAX_NAME_BYTES) throw formatError(this.file, f.valueStart, `${what} of at most ${MAX_NAME_BYTES} bytes`);
    if (!this.has(f.valueStart, n)) return undefined;
    const s = f.valueStart - this.start;
    // Op type names are ASCII identifiers: latin1 decodes them without a UTF-8 pass.
    return this.buf.toString(ascii ? 'latin1' : 'utf8', s, s + n);
  }

  async string(f: Field, what: string, ascii = false): Promise<string> {
    const n = f.end - f.valueStart;
    if (n <= MAX_NAME_BYTES && !this.has(f.valueStart, n)) await this.ensure(f.valueStart, n);
    return this.stringSync(f, what, ascii) as string;
  }
}

/**
 * NodeDef: name = 1, op = 2. Reads the op, and the name only when the counter still lists nodes
 * for that op (the first few per op): most names are never decoded.
 */
async function countNode(w: Window, node: Field, counter: OpCounter, prefix: string): Promise<void> {
  let nameField: Field | undefined;
  let op: string | undefined;
  for (let p = node.valueStart; p < node.end && (op === undefined || nameField === undefined); ) {
    const f = w.fieldSync(p, node.end) ?? (await w.field(p, node.end));
    if (f.field === 1) nameField = f;
    else if (f.field === 2) op = w.stringSync(f, 'NodeDef.op', true) ?? (await w.string(f, 'NodeDef.op', true));
    p = f.end;
  }
  op ??= '';
  if (!counter.wantsNode(op)) return counter.add(op);
  const name = nameField ? (w.stringSync(nameField, 'NodeDef.name') ?? (await w.string(nameField, 'NodeDef.name'))) : '';
  counter.add(op, prefix + name);
}

function checkAborted(signal: AbortSignal | undefined): void {
  if (signal?.aborted) throw signal.reason instanceof Error ? signal.reason : new Error('aborted');
}

/**
 * Op usage of the GraphDef at `range` of `file` (as found by the lazy reader's layout), in the
 * same shape as `collectOpUsage` of the full decode: nodes inside a library function are named
 * `<function name>/<node name>`.
 */
export async function scanGraphOps(
  file: string,
  range: ByteRange,
  opts: { maxNodes?: number; signal?: AbortSignal } = {},
): Promise<OpUse[]> {
  const counter = new OpCounter(opts.maxNodes ?? 3);
  let handle: FileHandle;
  try {
    handle = await open(file, 'r');
  } catch (err) {
    throw new IoError(file, err);
  }
  try {
    const size = (await handle.stat()).size;
    const end = range.offset + range.length;
    if (end > size) throw formatError(file, size, `${end - size} more bytes of GraphDef`, 'the file is truncated');
    const w = new Window(file, handle, size);
    const functions: Field[] = [];
    let n = 0;
    for (let p = range.offset; p < end; ) {
      if ((++n & 4095) === 0) checkAborted(opts.signal);
      const f = w.fieldSync(p, end) ?? (await w.field(p, end));
      if (f.field === 1 && f.wireType === 2) {
        await countNode(w, f, counter, '');
      } else if (f.field === 2 && f.wireType === 2) {
        // FunctionDefLibrary.function = 1
        for (let q = f.valueStart; q < f.end; ) {
          const lf = await w.field(q, f.end);
          if (lf.field === 1 && lf.wireType === 2) functions.push(lf);
          q = lf.end;
        }
      }
      p = f.end;
    }
    for (const fn of functions) {
      checkAborted(opts.signal);
      // FunctionDef: signature = 1 (OpDef, name = 1), node_def = 3.
      let fnName = '';
      const nodes: Field[] = [];
      for (let p = fn.valueStart; p < fn.end; ) {
        const f = await w.field(p, fn.end);
        if (f.field === 1 && f.wireType === 2) {
          for (let q = f.valueStart; q < f.end; ) {
            const sf = await w.field(q, f.end);
            if (sf.field === 1) {
              fnName = await w.string(sf, 'OpDef.name');
              break;
            }
            q = sf.end;
          }
        } else if (f.field === 3 && f.wireType === 2) {
          nodes.push(f);
        }
        p = f.end;
      }
      for (const node of nodes) await countNode(w, node, counter, `${fnName}/`);
    }
  } finally {
    await handle.close();
  }
  return counter.result();
}
