/**
 * Op usage of a graph that stays on disk: walks GraphDef.node and the function library's node_def
 * by field headers, reading only each node's `name` and `op`, and seeks over attrs and tensor
 * contents. Memory stays bounded whatever the model's size; the cost is one small read per window
 * of nodes. Used for lint on models too large to decode whole.
 */
import type { OpUse } from './types';
import { FileWireReader, WIRE_LEN, formatError, type WireField } from './wire';
import type { ByteRange } from './lazy';

/** Names longer than this are not names: the file is corrupt. */
const MAX_NAME_BYTES = 64 * 1024;
const utf8 = new TextDecoder('utf-8');

class OpCounter {
  readonly uses = new Map<string, OpUse>();
  constructor(private readonly maxNodes: number) {}
  add(op: string, node: string): void {
    let use = this.uses.get(op);
    if (!use) this.uses.set(op, (use = { op, count: 0, nodes: [] }));
    use.count++;
    if (use.nodes.length < this.maxNodes) use.nodes.push(node);
  }
  result(): OpUse[] {
    return [...this.uses.values()].sort((a, b) => (a.op < b.op ? -1 : a.op > b.op ? 1 : 0));
  }
}

async function str(r: FileWireReader, f: WireField, what: string): Promise<string> {
  if (f.wireType !== WIRE_LEN) throw formatError(r.file, f.start, `${what} as a string`, `wire type ${f.wireType}`);
  if (f.end - f.valueStart > MAX_NAME_BYTES) throw formatError(r.file, f.valueStart, `${what} of at most ${MAX_NAME_BYTES} bytes`);
  return utf8.decode(await r.bytes(f.valueStart, f.end));
}

/** NodeDef: name = 1, op = 2. Stops reading the node as soon as both are known. */
async function nodeNameAndOp(r: FileWireReader, node: WireField): Promise<{ name: string; op: string }> {
  let name = '';
  let op = '';
  let seen = 0;
  for await (const f of r.fields(node.valueStart, node.end)) {
    if (f.field === 1) {
      name = await str(r, f, 'NodeDef.name');
      seen |= 1;
    } else if (f.field === 2) {
      op = await str(r, f, 'NodeDef.op');
      seen |= 2;
    }
    if (seen === 3) break;
  }
  return { name, op };
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
  const r = await FileWireReader.open(file);
  try {
    const end = range.offset + range.length;
    const functions: WireField[] = [];
    let n = 0;
    for await (const f of r.fields(range.offset, end)) {
      if ((++n & 1023) === 0) checkAborted(opts.signal);
      if (f.field === 1 && f.wireType === WIRE_LEN) {
        const { name, op } = await nodeNameAndOp(r, f);
        counter.add(op, name);
      } else if (f.field === 2 && f.wireType === WIRE_LEN) {
        // FunctionDefLibrary.function = 1
        for await (const lf of r.fields(f.valueStart, f.end)) if (lf.field === 1 && lf.wireType === WIRE_LEN) functions.push(lf);
      }
    }
    for (const fn of functions) {
      checkAborted(opts.signal);
      // FunctionDef: signature = 1 (OpDef, name = 1), node_def = 3.
      let fnName = '';
      const nodes: WireField[] = [];
      for await (const f of r.fields(fn.valueStart, fn.end)) {
        if (f.field === 1 && f.wireType === WIRE_LEN) {
          for await (const sf of r.fields(f.valueStart, f.end)) {
            if (sf.field === 1) {
              fnName = await str(r, sf, 'OpDef.name');
              break;
            }
          }
        } else if (f.field === 3 && f.wireType === WIRE_LEN) {
          nodes.push(f);
        }
      }
      for (const node of nodes) {
        const { name, op } = await nodeNameAndOp(r, node);
        counter.add(op, `${fnName}/${name}`);
      }
    }
  } finally {
    await r.close();
  }
  return counter.result();
}
