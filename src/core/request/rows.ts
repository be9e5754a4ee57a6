/**
 * Reading instances (row format), the columnar `inputs` object and JSON Lines lines into Slots,
 * and checking them against a signature. Shared by the JSON body validator (one check after the
 * pass: `signature_name` may come after `instances`) and the JSON Lines validator (a check per
 * line: the signature is known up front), so both report the same findings.
 */
import type { Signature, TensorSpec } from '../model/types';
import {
  type CheckEnv,
  checkB64,
  checkShape,
  checkValues,
  closest,
  dimsText,
  exampleValueText,
  insertEdit,
  replaceFix,
} from './checks';
import { type FindingSink, K_B64, type Scanner, Slot } from './scan';
import type { RequestFix } from './types';

const MAX_SLOTS = 1000;

/** Where the instances of one body start (single: only the last one, for JSON Lines). */
export class Starts {
  private a = new Int32Array(64);
  length = 0;
  private lastIndex = -1;
  private lastAt = -1;
  constructor(private readonly single = false) {}
  set(i: number, at: number): void {
    if (this.single) {
      this.lastIndex = i;
      this.lastAt = at;
      this.length = i + 1;
      return;
    }
    if (i >= this.a.length) {
      const b = new Int32Array(Math.max(this.a.length * 2, i + 1));
      b.set(this.a);
      this.a = b;
    }
    this.a[i] = at;
    if (i >= this.length) this.length = i + 1;
  }
  get(i: number): number {
    if (this.single) return i === this.lastIndex ? this.lastAt : -1;
    return this.a[i]!;
  }
}

/**
 * The slots of one row-format body (instances), one JSON Lines file, or one columnar `inputs`
 * object (read as a single "instance").
 */
export class RowState {
  readonly slots = new Map<string, Slot>();
  readonly bare = new Slot(undefined);
  /** Whether instances are objects of alias → value or bare values (the first decides). */
  kind: 'object' | 'bare' | undefined;
  /** Instances read. */
  count = 0;
  readonly starts: Starts;
  /** Slots touched in the current period (JSON Lines: the current line). */
  touched: Slot[] = [];
  period = 0;
  /** JSON Lines: the key field's value range in the current line, when present. */
  keyStart = -1;
  keyEnd = -1;
  private readonly overflow = new Slot('\u0000overflow');

  constructor(
    readonly sc: Scanner,
    readonly sink: FindingSink,
    /** true: presence per instance is tracked with lastInstance only (JSON Lines, checked per line). */
    readonly perLine: boolean,
    /** JSON Lines: the key field (recorded, never an unknown alias when the signature lacks it). */
    readonly keyField?: string,
    /** Describes an instance index for messages ("instance 3", "line 12"). */
    readonly label: (i: number) => string = (i) => `instance ${i}`,
  ) {
    this.starts = new Starts(perLine);
  }

  private touch(slot: Slot): void {
    if (slot.period !== this.period) {
      slot.period = this.period;
      this.touched.push(slot);
    }
  }

  /** Reads an instance object at `pos` ("{"), instance index i. */
  instanceObject(i: number): void {
    const sc = this.sc;
    this.starts.set(i, sc.pos);
    sc.pos++;
    if (sc.ws() === 125) {
      sc.pos++;
      return;
    }
    let prevEnd = -1;
    let firstSlot: Slot | undefined;
    let firstQuad = -1;
    do {
      sc.ws();
      const ks = sc.pos;
      const key = sc.readKey();
      const ke = sc.pos;
      if (firstSlot && firstQuad >= 0 && prevEnd >= 0 && firstSlot.keyRanges[firstQuad + 3] === -2) firstSlot.keyRanges[firstQuad + 3] = ks;
      sc.colon();
      let slot = this.slots.get(key);
      if (!slot) {
        if (this.slots.size < MAX_SLOTS) this.slots.set(key, (slot = new Slot(key)));
        else slot = this.overflow;
      }
      this.touch(slot);
      const duplicate = slot.lastInstance === i;
      if (!duplicate) {
        slot.lastInstance = i;
        slot.count++;
        if (!this.perLine) slot.markPresent(i);
      }
      sc.ws();
      const vs = sc.pos;
      sc.scanTensor(slot, 3);
      const ve = sc.pos;
      if (duplicate) {
        this.sink.add('duplicate-key', 'error', `"${key}" appears twice in ${this.label(i)}; TF Serving reads both values into the batch and fails. Keep one.`, ks, ke, [
          replaceFix(`Remove this "${key}"`, prevEnd >= 0 ? prevEnd : ks, ve, '', true),
        ]);
      } else {
        this.afterValue(slot, vs, ve, i);
      }
      if (key === this.keyField) {
        this.keyStart = vs;
        this.keyEnd = ve;
      }
      const q = slot.addKeyRange(ks, ke, prevEnd >= 0 ? prevEnd : ks, prevEnd >= 0 ? ve : -2);
      if (prevEnd < 0) {
        firstSlot = slot;
        firstQuad = q;
      }
      prevEnd = ve;
    } while (sc.next(125, 'after a member'));
    // A single member: deleting it leaves "{}".
    if (firstSlot && firstQuad >= 0 && firstSlot.keyRanges[firstQuad + 3] === -2) firstSlot.keyRanges[firstQuad + 3] = prevEnd;
  }

  /** Reads a bare instance value (a scalar, a list or {"b64"}) at `pos`. */
  bareInstance(i: number): void {
    const sc = this.sc;
    sc.ws();
    const vs = sc.pos;
    this.starts.set(i, vs);
    const slot = this.bare;
    this.touch(slot);
    slot.lastInstance = i;
    slot.count++;
    sc.scanTensor(slot, 2);
    this.afterValue(slot, vs, sc.pos, i);
  }

  private afterValue(slot: Slot, vs: number, ve: number, i: number): void {
    const sc = this.sc;
    if (slot.ref === undefined) {
      if (slot.refRagged) return;
      if (sc.ragged) {
        slot.refRagged = true;
        return;
      }
      slot.ref = sc.dims.slice(0, sc.rank);
      slot.refStart = vs;
      slot.refEnd = ve;
      slot.refIndex = i;
      return;
    }
    if (slot.refRagged || sc.ragged) return;
    const ref = slot.ref;
    let same = ref.length === sc.rank;
    for (let d = 0; same && d < ref.length; d++) same = ref[d] === sc.dims[d];
    if (!same && !this.sink.wants('instance-shape-differs')) this.sink.skip('instance-shape-differs', 1);
    else if (!same) {
      const name = slot.name === undefined ? 'The input' : `Input "${slot.name}"`;
      this.sink.add(
        'instance-shape-differs',
        'error',
        `${name} has shape ${dimsText(sc.dims.slice(0, sc.rank))} here but ${dimsText(ref)} in ${this.label(slot.refIndex)}; instances are batched into one tensor per input, so every instance must give the same shape (use the columnar "inputs" format for inputs of different sizes).`,
        vs,
        ve,
      );
    }
  }

  /** Ends a period (a JSON Lines line): clears the per-line stats and key ranges. */
  endPeriod(): void {
    for (const s of this.touched) {
      s.resetStats();
      s.keyRanges = [];
      s.keyCount = 0;
    }
    this.touched = [];
    this.period++;
    this.keyStart = this.keyEnd = -1;
  }
}

// ---------------------------------------------------------------------------- checks

export interface RowCheck {
  /** First and last (exclusive) instance index this check covers. */
  from: number;
  to: number;
  /** Total instances in the body (row JSON) for batch checks; undefined for JSON Lines. */
  batch: number | undefined;
  /** Signature shape checks run once per slot (JSON Lines checks the first line's shape). */
  shapeOnce: boolean;
}

function present(row: RowState, slot: Slot | undefined, i: number): boolean {
  if (!slot) return false;
  return row.perLine ? slot.lastInstance === i : slot.isPresent(i);
}

/** Inserting `"alias": value` into the object at `open` ("{"). */
function addAliasFix(src: string, open: number, spec: TensorSpec, format: 'row' | 'columnar', batch: number): RequestFix[] {
  const value = exampleValueText(spec, format, batch);
  if (value === undefined) return [];
  let p = open + 1;
  while (p < src.length && /\s/.test(src[p]!)) p++;
  const empty = src.charCodeAt(p) === 125;
  return [{ title: `Add "${spec.alias}"`, edits: [insertEdit(open + 1, `"${spec.alias}": ${value}${empty ? '' : ', '}`)], preferred: true }];
}

function unknownAliasFixes(slot: Slot, target: string | undefined, removable: boolean): RequestFix[] {
  const fixes: RequestFix[] = [];
  const q = slot.keyRanges;
  if (target !== undefined) {
    const all = slot.keyCount * 4 === q.length && slot.keyCount > 1;
    fixes.push({ title: `Rename "${slot.name}" to "${target}"`, edits: [{ start: q[0]!, end: q[1]!, newText: JSON.stringify(target) }], preferred: !all });
    if (all) {
      const edits = [];
      for (let i = 0; i < q.length; i += 4) edits.push({ start: q[i]!, end: q[i + 1]!, newText: JSON.stringify(target) });
      fixes.push({ title: `Rename "${slot.name}" to "${target}" in all ${slot.keyCount} instances`, edits, preferred: true });
    }
  }
  if (removable) {
    fixes.push({ title: `Remove "${slot.name}"`, edits: [{ start: q[2]!, end: q[3]!, newText: '' }] });
  }
  return fixes;
}

/**
 * Checks the instances [from, to) read into `row` against `sig`. Row format: bare values need a
 * single-input signature; objects must name every input once and nothing else.
 */
/** What checks derive from a signature, computed once per signature (JSON Lines check every line). */
interface SigInfo {
  byAlias: Map<string, TensorSpec>;
  names: string;
  aliases: string[];
}
const sigInfos = new WeakMap<Signature, SigInfo>();
function sigInfo(sig: Signature): SigInfo {
  let i = sigInfos.get(sig);
  if (!i) {
    i = { byAlias: new Map(sig.inputs.map((s) => [s.alias, s] as const)), names: sig.inputs.map((s) => `"${s.alias}"`).join(', '), aliases: sig.inputs.map((s) => s.alias) };
    sigInfos.set(sig, i);
  }
  return i;
}

export function checkRows(env: CheckEnv, row: RowState, sig: Signature, x: RowCheck): void {
  const { src, sink } = env;
  const specs = sig.inputs;
  const { byAlias, names, aliases } = sigInfo(sig);
  if (row.kind === 'bare') {
    const bare = row.bare;
    if (specs.length > 1) {
      if (bare.values > 0) {
        sink.add('bare-instance-multiple-inputs', 'error', `Signature "${sig.name}" has ${specs.length} inputs (${names}): each instance must be an object of alias → value, not a bare value.`, bare.valueStart, bare.valueEnd);
      }
      return;
    }
    const spec = specs[0]!;
    checkValues(env, bare, spec);
    checkB64(env, bare, ` for input "${spec.alias}"`);
    if (!x.shapeOnce || !bare.refChecked) {
      checkShape(env, bare, spec, { mode: 'row', instances: x.batch });
      bare.refChecked = true;
    }
    return;
  }
  if (row.kind !== 'object') return;
  const keyIsField = row.keyField !== undefined && !byAlias.has(row.keyField);
  const lacking = specs.filter((s) => {
    const slot = row.slots.get(s.alias);
    for (let i = x.from; i < x.to; i++) if (!present(row, slot, i)) return true;
    return false;
  });
  const lackingNames = lacking.map((s) => s.alias);
  /** Unknown keys by the alias they are likely a typo of: that alias is then not reported missing too. */
  const typoOf = new Map<string, Slot[]>();
  for (const slot of row.touched) {
    const name = slot.name!;
    const spec = byAlias.get(name);
    if (spec) {
      checkValues(env, slot, spec);
      checkB64(env, slot, ` for input "${name}"`);
      if (!x.shapeOnce || !slot.refChecked) {
        checkShape(env, slot, spec, { mode: 'row', instances: x.batch });
        slot.refChecked = true;
      }
      continue;
    }
    if (keyIsField && name === row.keyField) {
      checkB64(env, slot, ` in "${name}"`);
      continue;
    }
    if (slot.keyRanges.length === 0) continue;
    checkB64(env, slot, ` in "${name}"`);
    let message: string;
    let target: string | undefined;
    if (row.perLine && (name === 'instances' || name === 'inputs')) {
      message = `Each line of a JSON Lines instances file is one instance (an object of alias → value, or a bare value), not a request body with "${name}". Signature "${sig.name}" takes ${names}.`;
    } else {
      target = closest(name, aliases, lackingNames);
      if (target !== undefined && lackingNames.includes(target)) typoOf.set(target, [...(typoOf.get(target) ?? []), slot]);
      message = `Signature "${sig.name}" has no input "${name}"${target ? `; did you mean "${target}"?` : '.'} Its inputs: ${names}.`;
    }
    const code = row.perLine && (name === 'instances' || name === 'inputs') ? 'jsonl-body-per-line' : 'unknown-alias';
    const q = slot.keyRanges;
    const fixes = unknownAliasFixes(slot, target, true);
    for (let i = 0; i < q.length; i += 4) {
      if (!sink.wants(code)) {
        sink.skip(code, slot.keyCount - i / 4);
        break;
      }
      // The first occurrence carries the fixes for all; later ones fix themselves.
      const own = i === 0 ? fixes : unknownAliasFixes(oneOccurrence(slot, i), target, true);
      sink.add(code, 'error', message, q[i]!, q[i + 1]!, own);
    }
  }
  // A JSON Lines line holding a whole body is reported as such, not as lacking every input.
  const bodyLine = row.perLine && row.touched.some((s) => (s.name === 'instances' || s.name === 'inputs') && !byAlias.has(s.name));
  for (const spec of bodyLine ? [] : lacking) {
    const slot = row.slots.get(spec.alias);
    const typos = typoOf.get(spec.alias) ?? [];
    for (let i = x.from; i < x.to; i++) {
      if (present(row, slot, i)) continue;
      // The instance has a likely typo of this alias: the unknown-alias finding (with its rename) says it all.
      if (typos.some((t) => present(row, t, i))) continue;
      if (!sink.wants('missing-alias')) {
        let n = 0;
        for (let j = i; j < x.to; j++) if (!present(row, slot, j)) n++;
        sink.skip('missing-alias', n);
        break;
      }
      const open = row.starts.get(i);
      if (open < 0 || src.charCodeAt(open) !== 123) continue; // a bare value among objects: reported as instances-mixed
      sink.add('missing-alias', 'error', `${row.label(i)[0]!.toUpperCase()}${row.label(i).slice(1)} lacks input ${`"${spec.alias}"`} (${spec.dtype}, shape ${spec.shape === null ? 'unknown rank' : `[${spec.shape.join(', ')}]`}); signature "${sig.name}" needs ${names}.`, open, open + 1, addAliasFix(src, open, spec, 'row', 1));
    }
  }
}

function oneOccurrence(slot: Slot, i: number): Slot {
  const s = new Slot(slot.name);
  s.keyRanges = slot.keyRanges.slice(i, i + 4);
  s.keyCount = 1;
  return s;
}

/** Checks a columnar `inputs` value read into `col` (one "instance", index 0). */
export function checkColumnar(env: CheckEnv, col: RowState, sig: Signature): void {
  const { src, sink } = env;
  const specs = sig.inputs;
  const names = specs.map((s) => `"${s.alias}"`).join(', ');
  if (col.kind === 'bare') {
    const bare = col.bare;
    if (specs.length > 1) {
      sink.add('bare-instance-multiple-inputs', 'error', `Signature "${sig.name}" has ${specs.length} inputs (${names}): "inputs" must be an object of alias → tensor.`, bare.valueStart, bare.valueEnd);
      return;
    }
    const spec = specs[0]!;
    checkValues(env, bare, spec);
    checkB64(env, bare, ` for input "${spec.alias}"`);
    checkShape(env, bare, spec, { mode: 'columnar' });
    return;
  }
  if (col.kind !== 'object') return;
  const byAlias = new Map(specs.map((s) => [s.alias, s] as const));
  const lacking = specs.filter((s) => !col.slots.has(s.alias));
  for (const slot of col.touched) {
    const spec = byAlias.get(slot.name!);
    if (spec) {
      checkValues(env, slot, spec);
      checkB64(env, slot, ` for input "${spec.alias}"`);
      checkShape(env, slot, spec, { mode: 'columnar' });
      continue;
    }
    checkB64(env, slot, ` in "${slot.name}"`);
    const target = closest(slot.name!, specs.map((s) => s.alias), lacking.map((s) => s.alias));
    const q = slot.keyRanges;
    if (q.length === 0) continue;
    const severity = lacking.length ? 'error' : 'warning';
    sink.add('unknown-alias', severity, `Signature "${sig.name}" has no input "${slot.name}"${target ? `; did you mean "${target}"?` : '.'} Its inputs: ${names}.${severity === 'warning' ? ' TF Serving ignores it.' : ''}`, q[0]!, q[1]!, unknownAliasFixes(slot, target, true));
  }
  const open = col.starts.get(0);
  for (const spec of lacking) {
    const batch = batchOf(col, specs) ?? 1;
    sink.add('missing-alias', 'error', `"inputs" lacks input "${spec.alias}" (${spec.dtype}, shape ${spec.shape === null ? 'unknown rank' : `[${spec.shape.join(', ')}]`}); signature "${sig.name}" needs ${names}.`, open, open + 1, addAliasFix(src, open, spec, 'columnar', batch));
  }
  // Batch dimensions: inputs whose signature shape starts with -1 are batched together.
  let first: { spec: TensorSpec; n: number } | undefined;
  for (const spec of specs) {
    const slot = col.slots.get(spec.alias);
    if (!slot?.ref || slot.refRagged || slot.ref.length === 0 || spec.shape === null || spec.shape.length === 0 || spec.shape[0] !== -1) continue;
    const n = slot.ref[0]!;
    if (!first) first = { spec, n };
    else if (n !== first.n) {
      sink.add('batch-size-mismatch', 'warning', `Input "${spec.alias}" has a batch dimension of ${n} but "${first.spec.alias}" has ${first.n}; both are declared with a batch dimension (-1), and most models need them to agree.`, slot.refStart, slot.refEnd);
    }
  }
}

function batchOf(col: RowState, specs: readonly TensorSpec[]): number | undefined {
  for (const spec of specs) {
    const slot = col.slots.get(spec.alias);
    if (slot?.ref && slot.ref.length > 0) return slot.ref[0];
  }
  return undefined;
}

/** True when a classify/regress-style input is being fed serialized Examples as {"b64"}. */
export function onlyB64(slot: Slot): boolean {
  return slot.kinds === K_B64;
}
