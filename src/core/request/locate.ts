/**
 * What is at a position of a request text, for hover and completion in the editor. A tolerant
 * walk over the tokens up to (and past) the offset: it never fails on text being typed
 * (unterminated strings, missing commas), so completion works mid-edit.
 */
import type { Signature } from '../model/types';
import { shapeText } from './checks';
import type { TextRange } from './types';

const TOP_LEVEL_DOCS: Record<string, string> = {
  instances: 'Row format: a list of instances (objects of alias → value, or bare values for a single input).',
  inputs: 'Columnar format (TF Serving): one tensor per alias, or the tensor of the single input.',
  signature_name: 'The SignatureDef to call (default "serving_default").',
  examples: 'TF Serving :classify/:regress: a list of tf.Example feature objects.',
  context: 'TF Serving :classify/:regress: features shared by every example.',
  parameters: 'Vertex AI: parameters passed to the prediction container.',
};

type Phase = 'key' | 'colon' | 'value' | 'comma';

interface Frame {
  kind: 'object' | 'array';
  start: number;
  phase: Phase;
  /** object: the key of the member being read. */
  key: string | undefined;
  keyRange: TextRange | undefined;
  /** array: index of the current element. */
  index: number;
  /** object: every key seen in it. */
  keys: string[];
}

interface PathStep {
  kind: 'object' | 'array';
  key: string | undefined;
  index: number;
}

interface Hit {
  /** The frames enclosing the position, outermost first. */
  path: PathStep[];
  frame: Frame | undefined;
  phase: Phase | undefined;
  /** The token the position is in, when it is in one. */
  token?: { start: number; end: number; kind: 'string' | 'other'; text: string; unterminated: boolean };
}

interface Walk {
  hit: Hit | undefined;
  /** The top-level "signature_name" string, if written. */
  signatureName: string | undefined;
}

function snapshot(stack: Frame[]): PathStep[] {
  return stack.map((f) => ({ kind: f.kind, key: f.key, index: f.index }));
}

function decodeKey(raw: string): string {
  try {
    return JSON.parse(raw) as string;
  } catch {
    return raw.replace(/^"/, '').replace(/"$/, '');
  }
}

/**
 * Walks src[from, to) tolerantly. `inclusiveStart`: a position at a token's first character is in
 * it (hover); otherwise a position must be after the first character (completion while typing).
 */
function walk(src: string, offset: number, from: number, to: number, inclusiveStart: boolean): Walk {
  const stack: Frame[] = [];
  let hit: Hit | undefined;
  let signatureName: string | undefined;
  const top = () => stack[stack.length - 1];
  const valueDone = () => {
    const f = top();
    if (f) f.phase = 'comma';
  };
  let p = from;
  while (p < to) {
    const c = src.charCodeAt(p);
    if (c === 32 || c === 9 || c === 10 || c === 13) {
      p++;
      continue;
    }
    if (c === 47 && src.charCodeAt(p + 1) === 47) {
      while (p < to && src.charCodeAt(p) !== 10) p++;
      continue;
    }
    if (c === 47 && src.charCodeAt(p + 1) === 42) {
      const e = src.indexOf('*/', p + 2);
      p = e < 0 ? to : e + 2;
      continue;
    }
    const ts = p;
    // Token end.
    let te: number;
    let kind: 'string' | 'other' | 'punct';
    let unterminated = false;
    if (c === 34) {
      kind = 'string';
      let q = p + 1;
      for (;;) {
        if (q >= to) {
          unterminated = true;
          break;
        }
        const d = src.charCodeAt(q);
        if (d === 34) {
          q++;
          break;
        }
        if (d === 10 || d === 13) {
          unterminated = true;
          break;
        }
        q += d === 92 ? 2 : 1;
      }
      te = Math.min(q, to);
    } else if (c === 123 || c === 125 || c === 91 || c === 93 || c === 58 || c === 44) {
      kind = 'punct';
      te = p + 1;
    } else {
      kind = 'other';
      let q = p + 1;
      while (q < to && /[A-Za-z0-9+\-.]/.test(src[q]!)) q++;
      te = q;
    }
    if (!hit) {
      const inside = kind !== 'punct' && (inclusiveStart ? ts <= offset : ts < offset) && (offset < te || (unterminated && offset <= te) || (kind === 'other' && offset === te && !inclusiveStart));
      if (inside) {
        hit = { path: snapshot(stack), frame: top(), phase: top()?.phase, token: { start: ts, end: te, kind: kind as 'string' | 'other', text: src.slice(ts, te), unterminated } };
      } else if (offset <= ts) {
        hit = { path: snapshot(stack), frame: top(), phase: top()?.phase };
      }
    }
    // Consume the token.
    const f = top();
    switch (kind) {
      case 'punct':
        if (c === 123 || c === 91) {
          stack.push({ kind: c === 123 ? 'object' : 'array', start: ts, phase: c === 123 ? 'key' : 'value', key: undefined, keyRange: undefined, index: 0, keys: [] });
        } else if (c === 125 || c === 93) {
          const want = c === 125 ? 'object' : 'array';
          let i = stack.length - 1;
          while (i >= 0 && stack[i]!.kind !== want) i--;
          if (i >= 0) {
            stack.length = i;
            valueDone();
          }
        } else if (c === 58) {
          if (f?.kind === 'object') f.phase = 'value';
        } else if (f) {
          // ","
          if (f.kind === 'object') {
            f.phase = 'key';
            f.key = undefined;
            f.keyRange = undefined;
          } else {
            f.index++;
            f.phase = 'value';
          }
        }
        break;
      case 'string':
        if (f?.kind === 'object' && (f.phase === 'key' || f.phase === 'comma')) {
          f.key = decodeKey(src.slice(ts, te));
          f.keyRange = { start: ts, end: te };
          f.keys.push(f.key);
          f.phase = 'colon';
        } else {
          if (stack.length === 1 && f?.kind === 'object' && f.key === 'signature_name' && !unterminated) signatureName = decodeKey(src.slice(ts, te));
          valueDone();
        }
        break;
      default:
        valueDone();
    }
    p = te;
  }
  if (!hit) hit = { path: snapshot(stack), frame: top(), phase: top()?.phase };
  return { hit, signatureName };
}

/** The body's top-level "signature_name" as written (read tolerantly: the body may hold errors). */
export function signatureNameOf(text: string): string | undefined {
  return walk(text, -1, 0, text.length, false).signatureName;
}

function lineBounds(text: string, offset: number): { start: number; end: number; index: number } {
  const start = text.lastIndexOf('\n', offset - 1) + 1;
  let end = text.indexOf('\n', offset);
  if (end < 0) end = text.length;
  let index = 0;
  for (let p = text.indexOf('\n'); p >= 0 && p < start; p = text.indexOf('\n', p + 1)) index++;
  return { start, end, index };
}

export interface AliasAt {
  alias: string;
  /** The key token, with its quotes. */
  range: TextRange;
  /** Row format / JSON Lines: which instance (JSON Lines: the 0-based line). Columnar: undefined. */
  instanceIndex: number | undefined;
  format: 'row' | 'columnar';
}

/** Which request position kind an object at `path` is: an instance, the inputs map, or the top level. */
function objectRole(path: PathStep[], fileKind: 'json' | 'jsonl'): { role: 'top' | 'instance' | 'inputs'; index?: number } | undefined {
  if (fileKind === 'jsonl') return path.length === 1 && path[0]!.kind === 'object' ? { role: 'instance' } : undefined;
  if (path.length === 1 && path[0]!.kind === 'object') return { role: 'top' };
  if (path.length === 2 && path[0]!.kind === 'object' && path[0]!.key === 'inputs' && path[1]!.kind === 'object') return { role: 'inputs' };
  if (path.length === 3 && path[0]!.kind === 'object' && path[0]!.key === 'instances' && path[1]!.kind === 'array' && path[2]!.kind === 'object') {
    return { role: 'instance', index: path[1]!.index };
  }
  return undefined;
}

/** The input alias written at `offset` (for hover), if the position is on an alias key. */
export function aliasAt(text: string, offset: number, fileKind: 'json' | 'jsonl' = 'json'): AliasAt | undefined {
  let from = 0;
  let to = text.length;
  let line = 0;
  if (fileKind === 'jsonl') {
    const b = lineBounds(text, offset);
    from = b.start;
    to = b.end;
    line = b.index;
  }
  const { hit } = walk(text, offset, from, to, true);
  const tok = hit?.token;
  if (!hit || !tok || tok.kind !== 'string' || tok.unterminated) return undefined;
  const f = hit.frame;
  if (!f || f.kind !== 'object' || (hit.phase !== 'key' && hit.phase !== 'comma')) return undefined;
  const role = objectRole(hit.path, fileKind);
  if (!role || role.role === 'top') return undefined;
  return {
    alias: decodeKey(tok.text),
    range: { start: tok.start, end: tok.end },
    instanceIndex: fileKind === 'jsonl' ? line : role.index,
    format: role.role === 'inputs' ? 'columnar' : 'row',
  };
}

export interface CompletionItem {
  label: string;
  detail?: string;
  documentation?: string;
}

export interface CompletionContext {
  kind: 'top-level-key' | 'alias' | 'signature-name';
  /** What a completion replaces: the partial string token (with its quotes), or an empty range at the cursor. */
  range: TextRange;
  /** True when the cursor is inside a string (insert the bare name), false between tokens (insert with quotes). */
  inString: boolean;
  /** Keys already written in the object (not offered again). */
  present: string[];
  /** Row format / JSON Lines: the instance; columnar: undefined. */
  instanceIndex?: number;
  format?: 'row' | 'columnar';
  /** The body's "signature_name", if written. */
  signatureName?: string;
  /** Suggestions, when signatures were given. */
  items: CompletionItem[];
}

export interface CompletionOptions {
  fileKind?: 'json' | 'jsonl';
  signatures?: Signature[];
  /** The signature used when the body names none (the binding's; default serving_default). */
  signatureName?: string;
}

/** What to offer at `offset`: top-level keys, the signature's aliases, or signature names. */
export function completionContext(text: string, offset: number, opts: CompletionOptions = {}): CompletionContext | undefined {
  const fileKind = opts.fileKind ?? 'json';
  let from = 0;
  let to = text.length;
  let line = 0;
  if (fileKind === 'jsonl') {
    const b = lineBounds(text, offset);
    from = b.start;
    to = b.end;
    line = b.index;
  }
  const { hit, signatureName } = walk(text, offset, from, to, false);
  if (!hit) return undefined;
  const tok = hit.token;
  if (tok && tok.kind !== 'string') return undefined;
  const range = tok ? { start: tok.start, end: tok.end } : { start: offset, end: offset };
  const inString = tok !== undefined;
  const f = hit.frame;
  if (!f || f.kind !== 'object') return undefined;
  const role = objectRole(hit.path, fileKind);
  const base = { range, inString, present: f.keys.filter((k) => !tok || k !== decodeKey(tok.text)), items: [] as CompletionItem[] };
  const fallback = opts.signatureName ?? 'serving_default';
  const sig = opts.signatures?.find((s) => s.name === (signatureName ?? fallback)) ?? opts.signatures?.find((s) => s.name === fallback);
  if (hit.phase === 'key' || (hit.phase === 'colon' && tok) || (hit.phase === 'comma' && tok)) {
    if (!role) return undefined;
    if (role.role === 'top') {
      const ctx: CompletionContext = { ...base, kind: 'top-level-key' };
      if (signatureName !== undefined) ctx.signatureName = signatureName;
      ctx.items = Object.keys(TOP_LEVEL_DOCS).filter((k) => !ctx.present.includes(k)).map((k) => ({ label: k, documentation: TOP_LEVEL_DOCS[k] }));
      return ctx;
    }
    const ctx: CompletionContext = { ...base, kind: 'alias', format: role.role === 'inputs' ? 'columnar' : 'row' };
    const idx = fileKind === 'jsonl' ? line : role.index;
    if (idx !== undefined) ctx.instanceIndex = idx;
    if (signatureName !== undefined) ctx.signatureName = signatureName;
    if (sig) {
      ctx.items = sig.inputs.filter((i) => !ctx.present.includes(i.alias)).map((i) => ({ label: i.alias, detail: `${i.dtype} ${shapeText(i.shape)}`, documentation: `Input of signature "${sig.name}" (tensor ${i.tensor}).` }));
    }
    return ctx;
  }
  const memberKey = hit.path[hit.path.length - 1]?.key; // as it was at the cursor (the frame has moved on)
  if (hit.phase === 'value' && role?.role === 'top' && memberKey === 'signature_name' && fileKind === 'json') {
    const ctx: CompletionContext = { ...base, kind: 'signature-name', present: [] };
    if (signatureName !== undefined) ctx.signatureName = signatureName;
    ctx.items = (opts.signatures ?? []).filter((s) => s.inputs.length > 0).map((s) => ({
      label: s.name,
      detail: s.method.replace('tensorflow/serving/', ''),
      documentation: `Inputs: ${s.inputs.map((i) => `${i.alias} (${i.dtype} ${shapeText(i.shape)})`).join(', ')}`,
    }));
    return ctx;
  }
  return undefined;
}
