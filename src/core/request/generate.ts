/**
 * Example request bodies generated from a SignatureDef: the right aliases, dtypes and shapes,
 * filled with neutral values (floats 0.0, ints 0, bools false, strings "", binary `{"b64": "AA=="}`).
 *
 * Row format (`instances`, Google's prediction APIs and TF Serving): the first dimension of every
 * input is the batch dimension and is stripped; each instance is an object of alias → value, or
 * the bare value when the signature has exactly one input. Columnar format (`inputs`, TF Serving):
 * the full shape, with an unknown batch dimension set to the number of instances.
 * An unknown dimension becomes 1; an unknown rank becomes a scalar.
 *
 * Pure: no I/O, no editor.
 */
import { UsageError } from '../errors';
import type { Signature, TensorSpec } from '../model/types';

export type RequestFormat = 'row' | 'columnar';

export interface GenerateOptions {
  format: RequestFormat;
  /** How many instances (row) or the batch size (columnar). Default 1. */
  instances?: number;
  /** The signature name to put in `signature_name`; defaults to `sig.name`. Omitted for serving_default. */
  signatureName?: string;
}

/** The signature TF Serving and the Google prediction services use when none is named. */
export const DEFAULT_SIGNATURE = 'serving_default';

/** The placeholder for binary data: valid base64 (one zero byte). */
export const B64_PLACEHOLDER = 'AA==';

/** The most values one generated body may hold; beyond it the example would not fit a request. */
export const MAX_GENERATED_VALUES = 1 << 20;

const MAX_INSTANCES = 1000;

/** What a leaf of the example holds, before it is turned into JSON. */
export type LeafKind = 'float' | 'int' | 'bool' | 'string' | 'b64';

const FLOAT_DTYPES = new Set(['DT_FLOAT', 'DT_DOUBLE', 'DT_HALF', 'DT_BFLOAT16', 'DT_COMPLEX64', 'DT_COMPLEX128']);
const INT_DTYPES = new Set([
  'DT_INT8', 'DT_INT16', 'DT_INT32', 'DT_INT64', 'DT_UINT8', 'DT_UINT16', 'DT_UINT32', 'DT_UINT64',
  'DT_QINT8', 'DT_QINT16', 'DT_QINT32', 'DT_QUINT8', 'DT_QUINT16', 'DT_INT4', 'DT_UINT4',
]);

/** True when the alias names binary data by Google's convention: it ends in `_bytes` (or is `bytes`/`b64`). */
export function isBinaryAlias(alias: string): boolean {
  const a = alias.toLowerCase();
  return a.endsWith('_bytes') || a === 'bytes' || a === 'b64';
}

/** The kind of value an input takes, from its dtype (a `_REF` suffix ignored) and alias. */
export function leafKind(spec: Pick<TensorSpec, 'alias' | 'dtype'>): LeafKind {
  const dtype = spec.dtype.replace(/_REF$/, '');
  if (FLOAT_DTYPES.has(dtype)) return 'float';
  if (INT_DTYPES.has(dtype)) return 'int';
  if (dtype === 'DT_BOOL') return 'bool';
  if (dtype === 'DT_STRING') return isBinaryAlias(spec.alias) ? 'b64' : 'string';
  // DT_INVALID (a TensorInfo without a dtype, as in old text-format exports) and anything exotic:
  // a number is what such inputs take in practice.
  return 'float';
}

/** The dimensions a generated value has: unknown dims → 1, unknown rank → scalar. */
function concreteDims(shape: TensorSpec['shape'], batch: number | undefined): number[] {
  if (shape === null) return [];
  return shape.map((d, i) => (d >= 0 ? d : i === 0 && batch !== undefined ? batch : 1));
}

type Tree = Leaf | string | Tree[] | { [alias: string]: Tree };
class Leaf {
  constructor(readonly kind: LeafKind) {}
}

class Budget {
  used = 0;
  take(n: number, what: string): void {
    this.used += n;
    if (this.used > MAX_GENERATED_VALUES) {
      throw new UsageError(
        `The example for ${what} would hold more than ${MAX_GENERATED_VALUES} values`,
        'Generate it with fewer instances, or write the request by hand for inputs this large.',
      );
    }
  }
}

function filled(dims: number[], leaf: Leaf, budget: Budget, what: string): Tree {
  budget.take(dims.reduce((a, b) => a * b, 1), what);
  const build = (level: number): Tree => {
    if (level === dims.length) return leaf;
    const out: Tree[] = [];
    for (let i = 0; i < dims[level]; i++) out.push(build(level + 1));
    return out;
  };
  return build(0);
}

/** The value for one input: the whole tensor (columnar) or one instance of it (row). */
function inputValue(spec: TensorSpec, format: RequestFormat, instances: number, budget: Budget): Tree {
  const leaf = new Leaf(leafKind(spec));
  if (format === 'row') {
    const dims = concreteDims(spec.shape, undefined).slice(1);
    return filled(dims, leaf, budget, `input "${spec.alias}"`);
  }
  return filled(concreteDims(spec.shape, instances), leaf, budget, `input "${spec.alias}"`);
}

function buildTree(sig: Signature, opts: GenerateOptions): Tree {
  const instances = opts.instances ?? 1;
  if (!Number.isInteger(instances) || instances < 1 || instances > MAX_INSTANCES) {
    throw new UsageError(`instances must be a whole number from 1 to ${MAX_INSTANCES} (got ${instances})`);
  }
  if (opts.format !== 'row' && opts.format !== 'columnar') {
    throw new UsageError(`format must be "row" or "columnar" (got ${String(opts.format)})`);
  }
  const budget = new Budget();
  const body: { [key: string]: Tree } = {};
  const name = opts.signatureName ?? sig.name;
  if (name && name !== DEFAULT_SIGNATURE) body.signature_name = name;

  const single = sig.inputs.length === 1;
  if (opts.format === 'row') {
    const list: Tree[] = [];
    for (let i = 0; i < instances; i++) {
      if (single) {
        list.push(inputValue(sig.inputs[0], 'row', instances, budget));
      } else {
        const inst: { [alias: string]: Tree } = {};
        for (const spec of sig.inputs) inst[spec.alias] = inputValue(spec, 'row', instances, budget);
        list.push(inst);
      }
    }
    body.instances = list;
  } else if (single) {
    body.inputs = inputValue(sig.inputs[0], 'columnar', instances, budget);
  } else {
    const cols: { [alias: string]: Tree } = {};
    for (const spec of sig.inputs) cols[spec.alias] = inputValue(spec, 'columnar', instances, budget);
    body.inputs = cols;
  }
  return body;
}

function leafValue(kind: LeafKind): unknown {
  switch (kind) {
    case 'float':
    case 'int':
      return 0;
    case 'bool':
      return false;
    case 'string':
      return '';
    case 'b64':
      return { b64: B64_PLACEHOLDER };
  }
}

function toPlain(t: Tree): unknown {
  if (t instanceof Leaf) return leafValue(t.kind);
  if (typeof t === 'string') return t;
  if (Array.isArray(t)) return t.map(toPlain);
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(t)) out[k] = toPlain(v);
  return out;
}

/**
 * An example body for `sig`: `{"signature_name"?, "instances": [...]}` (row) or
 * `{"signature_name"?, "inputs": ...}` (columnar). Throws `UsageError` for a bad option or a body
 * that would exceed `MAX_GENERATED_VALUES`.
 */
export function generateRequest(sig: Signature, opts: GenerateOptions): object {
  return toPlain(buildTree(sig, opts)) as object;
}

const INLINE_WIDTH = 80;

function leafText(kind: LeafKind): string {
  switch (kind) {
    case 'float':
      return '0.0';
    case 'int':
      return '0';
    case 'bool':
      return 'false';
    case 'string':
      return '""';
    case 'b64':
      return `{"b64": ${JSON.stringify(B64_PLACEHOLDER)}}`;
  }
}

function render(t: Tree, indent: string): string {
  if (t instanceof Leaf) return leafText(t.kind);
  if (typeof t === 'string') return JSON.stringify(t);
  const inner = indent + '  ';
  if (Array.isArray(t)) {
    if (t.length === 0) return '[]';
    const parts = t.map((x) => render(x, inner));
    const flat = `[${parts.join(', ')}]`;
    if (!flat.includes('\n') && flat.length + indent.length <= INLINE_WIDTH) return flat;
    return `[\n${parts.map((p) => inner + p).join(',\n')}\n${indent}]`;
  }
  const entries = Object.entries(t);
  if (entries.length === 0) return '{}';
  const parts = entries.map(([k, v]) => `${JSON.stringify(k)}: ${render(v, inner)}`);
  return `{\n${parts.map((p) => inner + p).join(',\n')}\n${indent}}`;
}

/**
 * The same body as `generateRequest`, as the text of a `*.request.json` file: floats written as
 * `0.0` (so the dtype reads at a glance), short arrays kept on one line, and a final newline.
 */
export function generateRequestText(sig: Signature, opts: GenerateOptions): string {
  return render(buildTree(sig, opts), '') + '\n';
}
