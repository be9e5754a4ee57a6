/**
 * Request validation: a prediction body (Vertex AI / AI Platform `instances`, TF Serving row,
 * columnar and classify/regress bodies) or a JSON Lines instances file, checked in one pass that
 * knows positions (scan.ts), structurally and against the bound model's signature.
 *
 * Every finding has a stable code (codes.ts), a severity, a message that names what the model
 * expects, the precise range of the offending value, and fixes as text edits where one exists.
 * Validation never throws for any input text.
 */
import type { Signature } from '../model/types';
import {
  type CheckEnv,
  checkB64,
  closest,
  dtypeClass,
  insertEdit,
  reportB64,
  replaceFix,
  targetName,
} from './checks';
import { convertFormat } from './tree';
import { checkColumnar, checkRows, onlyB64, RowState } from './rows';
import {
  b64Problem,
  B64Problem,
  FindingSink,
  K_B64,
  K_BOOL,
  K_FRAC,
  K_INT,
  K_NONFINITE,
  K_NULL,
  K_STRING,
  LineIndex,
  Scanner,
  type ScannerOptions,
  SyntaxStop,
} from './scan';
import type { RequestFinding, RequestFix, RequestFormat, TextRange, ValidateOptions, ValidateResult } from './types';

export { aliasAt, completionContext, type AliasAt, type CompletionContext, type CompletionItem } from './locate';
export { convertFormat } from './tree';
export { REQUEST_CODES } from './codes';

export const DEFAULT_SIGNATURE = 'serving_default';
const CLASSIFY = 'tensorflow/serving/classify';
const REGRESS = 'tensorflow/serving/regress';

/** Vertex AI refuses online prediction bodies over 1.5 MB. */
export const VERTEX_MAX_BODY_BYTES = 1.5 * 1024 * 1024;
const VERTEX_NEAR_BYTES = 1_500_000;
/** Convert fixes are offered for bodies up to this size (they re-read the body as a tree). */
const CONVERT_FIX_MAX_CHARS = 256 * 1024;

const TOP_LEVEL_KEYS = ['instances', 'inputs', 'examples', 'context', 'signature_name', 'parameters'];

function scannerOptions(opts: ValidateOptions): ScannerOptions {
  const t = opts.target;
  if (t === 'vertex') return { nonFinite: { severity: 'error', why: 'the bound target is Vertex AI, which rejects NaN and Infinity (TF Serving accepts them). Send a finite number, or encode missing values another way.' } };
  if (t === undefined) return { nonFinite: { severity: 'warning', why: 'TF Serving accepts NaN and Infinity, but Vertex AI and strict JSON parsers reject them.' } };
  return { nonFinite: { severity: 'info', why: `${targetName(t)} (the bound target) accepts it as TF Serving does; strict JSON parsers and Vertex AI do not.` } };
}

/** The signature a body is checked against, or the finding that says why there is none. */
function signatureFor(opts: ValidateOptions, bodyName: string | undefined): Signature | undefined {
  const name = bodyName ?? opts.signatureName ?? DEFAULT_SIGNATURE;
  return opts.signatures?.find((s) => s.name === name);
}

function candidates(sigs: readonly Signature[]): Signature[] {
  return sigs.filter((s) => s.inputs.length > 0);
}

function methodShort(m: string): string {
  return m.startsWith('tensorflow/serving/') ? m.slice('tensorflow/serving/'.length) : m || 'no method';
}

function structuralOnlyMessage(opts: ValidateOptions): string {
  switch (opts.target) {
    case 'vertex':
    case 'ai-platform':
      return `The signature of the bound ${targetName(opts.target)} model is not available: only the request's structure was checked (aliases, dtypes and shapes need the model's signature).`;
    case 'tf-serving':
      return 'The bound TF Serving model\'s metadata is not available: only the request\'s structure was checked.';
    default:
      return 'No model is bound to this file: only the request\'s structure was checked. Bind a model (.servelens.json or --model) to check aliases, dtypes and shapes.';
  }
}

interface Member {
  key: string;
  keyStart: number;
  keyEnd: number;
  valueStart: number;
  valueEnd: number;
}

// ---------------------------------------------------------------------------- JSON bodies

class BodyValidator {
  readonly sink: FindingSink;
  readonly sc: Scanner;
  readonly env: CheckEnv;
  readonly members: Member[] = [];
  topStart = -1;
  topEnd = -1;
  /** A top-level list taken as the instances (the Vertex SDK's form). */
  listBody = false;
  sigName: string | undefined;
  sigRange: TextRange | undefined;
  readonly row: RowState;
  readonly col: RowState;
  instancesMember: Member | undefined;
  inputsMember: Member | undefined;
  examplesMember: Member | undefined;
  contextMember: Member | undefined;
  examples = 0;
  readonly exampleFeatures = new Map<string, TextRange>();
  readonly contextFeatures = new Map<string, TextRange>();
  stopped = false;

  constructor(
    readonly src: string,
    readonly opts: ValidateOptions,
  ) {
    this.sink = new FindingSink(100, opts.maxFindings ?? 1000);
    this.sc = new Scanner(src, this.sink, 0, src.length, scannerOptions(opts));
    this.env = { src, sink: this.sink, target: opts.target, where: (s) => this.where(s) };
    this.row = new RowState(this.sc, this.sink, false);
    this.col = new RowState(this.sc, this.sink, false, undefined, () => '"inputs"');
  }

  /** "instance 3" for a position inside the instances list. */
  where(offset: number): string {
    const st = this.row.starts;
    let lo = 0;
    let hi = st.length - 1;
    if (hi < 0 || offset < st.get(0)) return this.inputsMember ? '"inputs"' : 'the body';
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (st.get(mid) <= offset) lo = mid;
      else hi = mid - 1;
    }
    return `instance ${lo}`;
  }

  run(): void {
    try {
      this.body();
    } catch (e) {
      if (!(e instanceof SyntaxStop)) throw e;
      this.stopped = true;
    }
  }

  private body(): void {
    const sc = this.sc;
    const c = sc.ws();
    if (c < 0) {
      this.sink.add('empty-file', 'error', 'The file is empty: expected a JSON object such as {"instances": [...]}.', 0, 0);
      this.stopped = true;
      return;
    }
    if (c === 91) {
      const start = sc.pos;
      this.scanInstances();
      this.listBody = true;
      this.sink.add('top-level-not-object', 'error', 'The body must be a JSON object: a bare list is what the Vertex AI SDK takes, but the REST API needs {"instances": [...]}.', start, sc.pos, [
        { title: 'Wrap in {"instances": ...}', edits: [insertEdit(start, '{"instances": '), insertEdit(sc.pos, '}')], preferred: true },
      ]);
      this.end();
      return;
    }
    if (c !== 123) {
      const start = sc.pos;
      sc.skipValue(0);
      this.sink.add('top-level-not-object', 'error', 'The body must be a JSON object such as {"instances": [...]}.', start, sc.pos);
      this.end();
      return;
    }
    this.topStart = sc.pos;
    sc.pos++;
    if (sc.ws() === 125) {
      sc.pos++;
    } else {
      const seen = new Set<string>();
      do {
        sc.ws();
        const keyStart = sc.pos;
        const key = sc.readKey();
        const keyEnd = sc.pos;
        sc.colon();
        const vc = sc.ws();
        const valueStart = sc.pos;
        const m: Member = { key, keyStart, keyEnd, valueStart, valueEnd: valueStart };
        if (seen.has(key)) {
          this.sink.add('duplicate-key', 'error', `"${key}" appears twice at the top level; parsers disagree on which one counts. Keep one.`, keyStart, keyEnd);
          sc.skipValue(1);
        } else {
          seen.add(key);
          this.member(m, vc);
        }
        m.valueEnd = sc.pos;
        this.members.push(m);
      } while (sc.next(125, 'after a member'));
    }
    this.topEnd = sc.pos;
    this.end();
  }

  private end(): void {
    const sc = this.sc;
    if (sc.ws() >= 0) sc.fail(sc.pos, sc.pos + 1, 'Expected the end of the text after the top-level value.');
  }

  private member(m: Member, c: number): void {
    const sc = this.sc;
    const sink = this.sink;
    const other = this.instancesMember ?? this.inputsMember ?? this.examplesMember;
    switch (m.key) {
      case 'instances':
      case 'inputs':
      case 'examples':
        if (other) {
          sink.add('conflicting-formats', 'error', `A body has one of "instances" (row), "inputs" (columnar) and "examples" (classify/regress); this one also has "${other.key}".`, m.keyStart, m.keyEnd, [
            replaceFix(`Remove "${m.key}"`, ...this.memberDeletion(m)),
          ]);
          sc.skipValue(1);
          return;
        }
        if (m.key === 'instances') {
          this.instancesMember = m;
          if (c !== 91) return this.notList(m, 'instances');
          this.scanInstances();
        } else if (m.key === 'inputs') {
          this.inputsMember = m;
          this.scanColumnar();
        } else {
          this.examplesMember = m;
          if (c !== 91) return this.notList(m, 'examples');
          this.scanExamples();
        }
        return;
      case 'context':
        this.contextMember = m;
        if (c !== 123) {
          sc.skipValue(1);
          sink.add('example-not-object', 'error', '"context" must be an object of feature → value (shared by all examples).', m.valueStart, sc.pos);
          return;
        }
        this.exampleObject(this.contextFeatures);
        return;
      case 'signature_name':
        if (c === 34) {
          this.sigName = sc.readString();
          this.sigRange = { start: m.valueStart, end: sc.pos };
        } else {
          sc.skipValue(1);
          sink.add('signature-name-not-string', 'error', '"signature_name" must be a string naming a signature of the model.', m.valueStart, sc.pos);
        }
        return;
      case 'parameters':
        sc.skipValue(1);
        if (c !== 123) sink.add('parameters-not-object', 'error', '"parameters" must be an object.', m.valueStart, sc.pos);
        return;
      default:
        sc.skipValue(1);
    }
  }

  private notList(m: Member, key: string): void {
    const sc = this.sc;
    sc.skipValue(1);
    this.sink.add('instances-not-list', 'error', `"${key}" must be a list${key === 'instances' ? ' of instances' : ' of example objects'}.`, m.valueStart, sc.pos);
  }

  /** The range that removes member m (with one comma). */
  memberDeletion(m: Member): [number, number, string] {
    const i = this.members.indexOf(m);
    const at = i < 0 ? this.members.length : i;
    const prev = at > 0 ? this.members[at - 1] : undefined;
    if (prev) return [prev.valueEnd, m.valueEnd, ''];
    return [m.keyStart, m.valueEnd, ''];
  }

  private scanInstances(): void {
    const sc = this.sc;
    const open = sc.pos;
    sc.pos++;
    if (sc.ws() === 93) {
      sc.pos++;
      this.sink.add('empty-instances', 'error', '"instances" is empty: give at least one instance (TF Serving answers "No values in \'instances\' array").', open, sc.pos);
      return;
    }
    const row = this.row;
    let i = 0;
    do {
      const c = sc.ws();
      const vs = sc.pos;
      let isObject = false;
      if (c === 123) {
        isObject = !sc.peekB64();
        sc.pos = vs;
      }
      const kind = isObject ? 'object' : 'bare';
      if (row.kind === undefined) row.kind = kind;
      if (isObject) row.instanceObject(i);
      else row.bareInstance(i);
      if (row.kind !== kind) {
        this.sink.add('instances-mixed', 'error', row.kind === 'object'
          ? `Instance ${i} is a bare value but the first instance is an object of alias → value; TF Serving takes one form for all instances.`
          : `Instance ${i} is an object but the first instance is a bare value; TF Serving takes one form for all instances.`, vs, sc.pos);
      }
      i++;
    } while (sc.next(93, 'after an instance'));
    row.count = i;
  }

  private scanColumnar(): void {
    const sc = this.sc;
    const c = sc.ws();
    const vs = sc.pos;
    const col = this.col;
    if (c === 123 && !sc.peekB64()) {
      sc.pos = vs;
      col.kind = 'object';
      col.instanceObject(0);
    } else {
      sc.pos = vs;
      col.kind = 'bare';
      col.bareInstance(0);
    }
    col.count = 1;
  }

  // -- classify / regress --

  private scanExamples(): void {
    const sc = this.sc;
    const open = sc.pos;
    sc.pos++;
    if (sc.ws() === 93) {
      sc.pos++;
      this.sink.add('empty-instances', 'error', '"examples" is empty: give at least one example.', open, sc.pos);
      return;
    }
    let n = 0;
    do {
      const c = sc.ws();
      const vs = sc.pos;
      if (c !== 123) {
        sc.skipValue(2);
        this.sink.add('example-not-object', 'error', `Example ${n} must be an object of feature name → value or list of values (a tf.Example).`, vs, sc.pos);
      } else {
        this.exampleObject(this.exampleFeatures);
      }
      n++;
    } while (sc.next(93, 'after an example'));
    this.examples = n;
  }

  /** An example or the context: feature → value | flat list of values (tf.Example features). */
  private exampleObject(names: Map<string, TextRange>): void {
    const sc = this.sc;
    sc.pos++;
    if (sc.ws() === 125) {
      sc.pos++;
      return;
    }
    do {
      sc.ws();
      const ks = sc.pos;
      const key = sc.readKey();
      const ke = sc.pos;
      sc.colon();
      if (!names.has(key) && names.size < 1000) names.set(key, { start: ks, end: ke });
      this.featureValue(key);
    } while (sc.next(125, 'after a feature'));
  }

  private featureValue(name: string): void {
    const sc = this.sc;
    const c = sc.ws();
    let featureClass = 0;
    let reported = false;
    const leaf = () => {
      const s = sc.pos;
      const bit = this.featureLeaf(name);
      // TF Serving builds one Feature per key: int64 (integers, booleans), float (decimals) or bytes.
      const cls = bit & (K_INT | K_BOOL) ? 1 : bit & (K_FRAC | K_NONFINITE) ? 2 : bit & (K_STRING | K_B64) ? 3 : 0;
      if (cls === 0) return;
      if (featureClass === 0) featureClass = cls;
      else if (cls !== featureClass && !reported) {
        reported = true;
        const kinds = ['', 'int64 (integers and booleans)', 'float (decimals)', 'bytes (strings)'];
        const fixes: RequestFix[] = [];
        if (featureClass === 2 && cls === 1 && bit === K_INT) fixes.push(replaceFix(`Write ${sc.src.slice(s, sc.pos)}.0`, s, sc.pos, `${sc.src.slice(s, sc.pos)}.0`, true));
        this.sink.add('example-mixed-feature', 'error', `Feature "${name}" mixes value types: it began as ${kinds[featureClass]} and this is ${kinds[cls]}; a tf.Example feature holds one type (TF Serving: "Unexpected element type in feature").${featureClass === 2 && cls === 1 ? ' Write integers as decimals (1.0) in a float feature.' : ''}`, s, sc.pos, fixes);
      }
    };
    if (c === 91) {
      sc.pos++;
      if (sc.ws() === 93) {
        sc.pos++;
        return;
      }
      do {
        const d = sc.ws();
        if (d === 91) {
          const s = sc.pos;
          sc.skipValue(3);
          this.sink.add('example-nested-list', 'error', `Feature "${name}" holds a list of lists; a tf.Example feature is a flat list of values.`, s, sc.pos);
        } else {
          leaf();
        }
      } while (sc.next(93, 'after a value'));
      return;
    }
    leaf();
  }

  private featureLeaf(name: string): number {
    const sc = this.sc;
    const c = sc.ws();
    const s = sc.pos;
    if (c === 34) {
      sc.skipString();
      return K_STRING;
    }
    if (c === 45 || (c >= 48 && c <= 57) || c === 78 || c === 73) return sc.scanNumber();
    if (c === 123) {
      if (sc.peekB64()) {
        const p = b64Problem(sc.src, sc.b64Start + 1, sc.b64End - 1);
        if (p !== B64Problem.ok) reportB64(this.env, sc.b64Start, sc.b64End, p, ` in feature "${name}"`);
        return K_B64;
      }
      sc.skipValue(3);
      this.sink.add('embedded-object', 'error', `Feature "${name}": values are numbers, strings or booleans; an object is only allowed as {"b64": "<base64>"}.`, s, sc.pos);
      return 0;
    }
    if (c < 0) sc.expected('a value');
    const bit = sc.scanLiteral(c);
    if (bit === K_NULL) this.sink.add('null-value', 'error', `Feature "${name}": null is not a feature value (TF Serving: "unexpected JSON type").`, s, sc.pos);
    return bit;
  }

  // -- after the pass --

  format(): RequestFormat {
    if (this.instancesMember || this.listBody) return 'row';
    if (this.inputsMember) return 'columnar';
    if (this.examplesMember) return 'examples';
    return 'unknown';
  }

  /** The key finding ranges prefer: the instances/inputs/examples key, else the opening brace. */
  anchor(): TextRange {
    const m = this.instancesMember ?? this.inputsMember ?? this.examplesMember;
    if (m) return { start: m.keyStart, end: m.keyEnd };
    if (this.topStart >= 0) return { start: this.topStart, end: this.topStart + 1 };
    return { start: 0, end: Math.min(1, this.src.length) };
  }

  finalize(): Signature | undefined {
    const sink = this.sink;
    const opts = this.opts;
    const format = this.format();
    const t = opts.target;
    if (format === 'unknown' && this.topStart >= 0) {
      sink.add('missing-instances', 'error', 'The body has none of "instances" (row format), "inputs" (columnar) or "examples" (classify/regress).', this.topStart, this.topStart + 1);
    }
    this.topLevelKeys(format);
    if (this.contextMember && this.examplesMember) {
      for (const [name, r] of this.contextFeatures) {
        if (this.exampleFeatures.has(name)) {
          sink.add('context-feature-repeated', 'warning', `Feature "${name}" is in "context" and in the examples; TF Serving's docs say context features must not appear in examples.`, r.start, r.end);
        }
      }
    }
    if (t === 'vertex' && !this.listBody) {
      const bytes = Buffer.byteLength(this.src, 'utf8');
      if (bytes > VERTEX_MAX_BODY_BYTES) {
        const a = this.anchor();
        sink.add('body-too-large', 'error', `The body is ${bytes} bytes; Vertex AI online prediction takes at most 1.5 MB (${VERTEX_MAX_BODY_BYTES} bytes). Split the instances over several requests, or use batch prediction.`, a.start, a.end);
      } else if (bytes > VERTEX_NEAR_BYTES) {
        const a = this.anchor();
        sink.add('body-too-large', 'warning', `The body is ${bytes} bytes, at the edge of Vertex AI's 1.5 MB online prediction limit.`, a.start, a.end);
      }
    }
    if (!opts.signatures) {
      const a = this.topStart >= 0 ? { start: this.topStart, end: this.topStart + 1 } : this.anchor();
      sink.add('structural-only', 'info', structuralOnlyMessage(opts), a.start, a.end);
      structuralChecks(this.env, this.row);
      structuralChecks(this.env, this.col);
      return undefined;
    }
    const sig = this.resolveSignature(format);
    if (!sig) return undefined;
    this.methodCheck(sig, format);
    if (format === 'row') {
      checkRows(this.env, this.row, sig, { from: 0, to: this.row.count, batch: this.row.count, shapeOnce: false });
    } else if (format === 'columnar') {
      checkColumnar(this.env, this.col, sig);
    }
    return sig;
  }

  private topLevelKeys(format: RequestFormat): void {
    const sink = this.sink;
    const t = this.opts.target;
    for (const m of this.members) {
      const known = TOP_LEVEL_KEYS.includes(m.key);
      if (t === 'vertex' && m.key !== 'instances' && m.key !== 'parameters') {
        const fixes: RequestFix[] = [];
        if (m.key === 'inputs' && this.src.length <= CONVERT_FIX_MAX_CHARS) {
          const edits = convertFormat(this.src, 'row');
          if (edits) fixes.push({ title: 'Convert to row format ("instances")', edits, preferred: true });
        }
        fixes.push(replaceFix(`Remove "${m.key}"`, ...this.memberDeletion(m)));
        const why =
          m.key === 'signature_name'
            ? ' Vertex AI serves the model\'s default signature through :predict; use :rawPredict with a TF Serving body, or export the signature as serving_default.'
            : m.key === 'inputs'
              ? ' Vertex AI takes the row format: convert "inputs" to "instances".'
              : m.key === 'examples' || m.key === 'context'
                ? ' :classify/:regress bodies are TF Serving only.'
                : '';
        sink.add('unsupported-field', 'error', `Vertex AI's predict request has only "instances" and "parameters"; it rejects "${m.key}" ("Invalid JSON payload received. Unknown name").${why}`, m.keyStart, m.keyEnd, fixes);
        continue;
      }
      if (t === 'ai-platform' && (m.key === 'inputs' || m.key === 'examples' || m.key === 'context')) {
        sink.add('unsupported-field', 'warning', `AI Platform Prediction documents only "instances" (and "signature_name") in a predict body; "${m.key}" is TF Serving's.`, m.keyStart, m.keyEnd);
        continue;
      }
      if (known) continue;
      const target = closest(m.key, format === 'unknown' ? TOP_LEVEL_KEYS : TOP_LEVEL_KEYS.filter((k) => !this.members.some((x) => x.key === k)));
      const fixes: RequestFix[] = [];
      if (target && !this.members.some((x) => x.key === target)) fixes.push(replaceFix(`Rename "${m.key}" to "${target}"`, m.keyStart, m.keyEnd, JSON.stringify(target), true));
      fixes.push(replaceFix(`Remove "${m.key}"`, ...this.memberDeletion(m)));
      const severity = format === 'unknown' && target && ['instances', 'inputs', 'examples'].includes(target) ? 'error' : 'warning';
      sink.add('unknown-key', severity, `"${m.key}" is not a request field${target ? `; did you mean "${target}"?` : ''} ${targetName(t) === 'the target' ? 'Services ignore or reject unknown fields' : `${targetName(t)} ignores or rejects it`}. Request fields: ${TOP_LEVEL_KEYS.map((k) => `"${k}"`).join(', ')}.`, m.keyStart, m.keyEnd, fixes);
    }
  }

  private signatureFixes(sigs: Signature[], preferred: string | undefined, format: RequestFormat): RequestFix[] {
    const ordered = [...sigs].sort((a, b) => Number(b.name === preferred) - Number(a.name === preferred) || fitScore(b, format) - fitScore(a, format));
    return ordered.slice(0, 10).map((s, i) => {
      const title = `Use signature "${s.name}"`;
      if (this.sigRange) return replaceFix(title, this.sigRange.start, this.sigRange.end, JSON.stringify(s.name), i === 0);
      if (this.topStart < 0) return { title, edits: [] };
      return { title, edits: [insertEdit(this.topStart + 1, signatureInsertText(this.src, this.topStart, s.name))], preferred: i === 0 };
    }).filter((f) => f.edits.length > 0);
  }

  private resolveSignature(format: RequestFormat): Signature | undefined {
    const opts = this.opts;
    const sigs = opts.signatures!;
    const usable = candidates(sigs);
    const list = usable.map((s) => `"${s.name}" (${methodShort(s.method)})`).join(', ') || '(none with inputs)';
    const sig = signatureFor(opts, this.sigName);
    if (!sig) {
      if (this.sigName !== undefined && this.sigRange) {
        const near = closest(this.sigName, usable.map((s) => s.name));
        this.sink.add('unknown-signature', 'error', `The model has no signature "${this.sigName}"${near ? `; did you mean "${near}"?` : '.'} Its signatures: ${list}.`, this.sigRange.start, this.sigRange.end, this.signatureFixes(usable, near, format));
      } else if (this.sigName === undefined) {
        const name = opts.signatureName ?? DEFAULT_SIGNATURE;
        const a = this.anchor();
        this.sink.add('missing-signature-name', 'error', `The body names no signature, and the model has no "${name}" signature to default to. Add "signature_name" with one of: ${list}.`, a.start, a.end, this.signatureFixes(usable, undefined, format));
      }
      return undefined;
    }
    if (sig.inputs.length === 0) {
      const r = this.sigRange ?? this.anchor();
      this.sink.add('signature-without-inputs', 'error', `Signature "${sig.name}" has no inputs, so no request can feed it. Use one of: ${list}.`, r.start, r.end, this.signatureFixes(usable, undefined, format));
      return undefined;
    }
    return sig;
  }

  private methodCheck(sig: Signature, format: RequestFormat): void {
    const m = sig.method;
    const sink = this.sink;
    const oneString = sig.inputs.length === 1 && dtypeClass(sig.inputs[0]!.dtype) === 'string';
    const sigs = candidates(this.opts.signatures ?? []);
    if (format === 'examples') {
      if (m === CLASSIFY || m === REGRESS) return;
      const a = this.anchor();
      if (oneString) {
        sink.add('examples-on-predict-signature', 'info', `Signature "${sig.name}" is declared as ${methodShort(m)} (as TF2 exports every signature) with one string input; TF Serving runs :classify/:regress on it when its outputs fit (classes/scores, or outputs).`, a.start, a.end);
        return;
      }
      const fitting = sigs.filter((s) => s.method === CLASSIFY || s.method === REGRESS || (s.inputs.length === 1 && dtypeClass(s.inputs[0]!.dtype) === 'string'));
      sink.add('method-mismatch', 'error', `"examples" is a :classify/:regress body, but signature "${sig.name}" is a ${methodShort(m)} signature with input(s) ${sig.inputs.map((i) => `"${i.alias}" (${i.dtype})`).join(', ')}; classify/regress need one input that takes serialized tf.Example.${fitting.length ? ` Signatures that fit: ${fitting.map((s) => `"${s.name}"`).join(', ')}.` : ' Send {"instances": [...]} to :predict instead.'}`, a.start, a.end, this.signatureFixes(fitting, undefined, format));
      return;
    }
    if ((format === 'row' || format === 'columnar') && (m === CLASSIFY || m === REGRESS) && oneString) {
      const alias = sig.inputs[0]!.alias;
      const slot = format === 'row' ? (this.row.kind === 'bare' ? this.row.bare : this.row.slots.get(alias)) : this.col.kind === 'bare' ? this.col.bare : this.col.slots.get(alias);
      if (slot && onlyB64(slot)) return; // serialized tf.Examples sent through :predict: fine
      const a = this.anchor();
      sink.add('method-mismatch', 'warning', `Signature "${sig.name}" is a ${methodShort(m)} signature: its input "${alias}" takes serialized tf.Example protos. Send the features as {"examples": [{...}]} to :${methodShort(m)}, or send serialized Examples as {"b64": ...}.`, a.start, a.end);
    }
  }

  result(): ValidateResult {
    let sig: Signature | undefined;
    if (!this.stopped) sig = this.finalize();
    const findings = this.sink.finish(this.src, this.anchor());
    const format = this.format();
    const res: ValidateResult = {
      findings,
      format,
      instances: format === 'row' ? this.row.count : format === 'columnar' ? columnarBatch(this.col) : format === 'examples' ? this.examples : 0,
    };
    if (sig) res.signature = sig.name;
    else if (!this.stopped && this.opts.signatures) {
      const s = signatureFor(this.opts, this.sigName);
      if (s) res.signature = s.name;
    }
    return res;
  }
}

/** What can be checked of the values without a signature: base64 validity. */
function structuralChecks(env: CheckEnv, row: RowState): void {
  for (const slot of row.touched) checkB64(env, slot, slot.name === undefined ? '' : ` in "${slot.name}"`);
}

function columnarBatch(col: RowState): number {
  if (col.kind === 'bare') return col.bare.ref?.[0] ?? 1;
  for (const s of col.slots.values()) if (s.ref && s.ref.length) return s.ref[0]!;
  return col.slots.size ? 1 : 0;
}

function fitScore(s: Signature, format: RequestFormat): number {
  const ex = s.method === CLASSIFY || s.method === REGRESS;
  return format === 'examples' ? Number(ex) : Number(!ex) + Number(s.name === DEFAULT_SIGNATURE);
}

/** Text inserted after the top-level "{" to add a signature_name, following the body's layout. */
function signatureInsertText(src: string, open: number, name: string): string {
  let p = open + 1;
  while (p < src.length && (src[p] === ' ' || src[p] === '\t')) p++;
  const member = `"signature_name": ${JSON.stringify(name)}`;
  if (src[p] === '\n' || src[p] === '\r') {
    let q = p;
    while (q < src.length && (src[q] === '\n' || src[q] === '\r')) q++;
    let indent = '';
    while (q < src.length && (src[q] === ' ' || src[q] === '\t')) indent += src[q++];
    const empty = src[q] === '}';
    return `\n${indent || '  '}${member}${empty ? '' : ','}`;
  }
  return src[p] === '}' ? member : `${member}, `;
}

/**
 * Validates a request body (fileKind 'json') or a JSON Lines instances file ('jsonl', in memory;
 * for large files use validateJsonLinesStream). Never throws.
 */
export function validateRequest(text: string, opts: ValidateOptions): ValidateResult {
  if (opts.fileKind === 'jsonl') return validateJsonLines(text, opts);
  const v = new BodyValidator(text, opts);
  v.run();
  return v.result();
}

// ---------------------------------------------------------------------------- JSON Lines

/**
 * 64-bit fingerprints of key values in an open-addressing table that grows up to a fixed capacity
 * (bounded memory: at most MAX_KEYS keys, 12 bytes a slot); past it, checking stops.
 */
export class KeySet {
  static readonly MAX_SLOTS = 1 << 21;
  private h: Uint32Array;
  private lines: Uint32Array;
  private slots: number;
  size = 0;
  full = false;

  constructor(private readonly maxSlots = KeySet.MAX_SLOTS) {
    this.slots = Math.min(1 << 12, maxSlots);
    this.h = new Uint32Array(this.slots * 2);
    this.lines = new Uint32Array(this.slots);
  }

  /** Returns the line of an earlier equal key, 0 when new; -1 once the table is full. */
  add(src: string, start: number, end: number, line: number): number {
    let a = 0x811c9dc5;
    let b = 0x9747b28c;
    for (let p = start; p < end; p++) {
      const c = src.charCodeAt(p);
      a = Math.imul(a ^ c, 0x01000193);
      b = Math.imul(b ^ c, 0x5bd1e995);
      b ^= b >>> 15;
    }
    a >>>= 0;
    b = (b | 1) >>> 0; // never 0: 0 marks an empty slot
    const found = this.find(a, b);
    if (found >= 0) return this.lines[found]!;
    if (this.size + 1 > (this.slots * 3) / 4) {
      if (this.slots >= this.maxSlots) {
        this.full = true;
        return -1;
      }
      this.grow();
    }
    const i = ~this.find(a, b);
    this.h[i * 2] = a;
    this.h[i * 2 + 1] = b;
    this.lines[i] = line;
    this.size++;
    return 0;
  }

  /** The slot holding (a, b), or ~(the empty slot where it would go). */
  private find(a: number, b: number): number {
    const mask = this.slots - 1;
    let i = (a ^ Math.imul(b, 0x9e3779b1)) & mask;
    for (;;) {
      const hb = this.h[i * 2 + 1]!;
      if (hb === 0) return ~i;
      if (hb === b && this.h[i * 2] === a) return i;
      i = (i + 1) & mask;
    }
  }

  private grow(): void {
    const oldH = this.h;
    const oldLines = this.lines;
    const n = this.slots;
    this.slots = n * 2;
    this.h = new Uint32Array(this.slots * 2);
    this.lines = new Uint32Array(this.slots);
    for (let j = 0; j < n; j++) {
      const b = oldH[j * 2 + 1]!;
      if (b === 0) continue;
      const i = ~this.find(oldH[j * 2]!, b);
      this.h[i * 2] = oldH[j * 2]!;
      this.h[i * 2 + 1] = b;
      this.lines[i] = oldLines[j]!;
    }
  }
}

/**
 * Validates JSON Lines one line at a time: each non-blank line is one instance (an object of
 * alias → value, or a bare value). The signature is known up front, so every line is checked as
 * it is read and nothing but bounded summaries is kept.
 */
class LinesValidator {
  readonly sink: FindingSink;
  readonly env: CheckEnv;
  readonly row: RowState;
  readonly sig: Signature | undefined;
  readonly keyField: string;
  readonly keys = new KeySet();
  instances = 0;
  lines = 0;
  private keysFullReported = false;
  private currentLine = 0;

  constructor(
    readonly sc: Scanner,
    readonly opts: ValidateOptions,
    sink: FindingSink,
  ) {
    this.sink = sink;
    this.keyField = opts.keyField ?? 'key';
    // Instances are indexed by their line number, so messages can name the line of any instance.
    this.row = new RowState(sc, sink, true, this.keyField, (i) => `line ${i}`);
    this.env = { src: sc.src, sink, target: opts.target, where: () => `line ${this.currentLine}` };
    this.sig = opts.signatures ? signatureFor(opts, undefined) : undefined;
  }

  /** Before the first line: reports a missing signature once. */
  start(at: TextRange): void {
    const opts = this.opts;
    if (!opts.signatures) {
      this.sink.add('structural-only', 'info', structuralOnlyMessage(opts), at.start, at.end);
      return;
    }
    if (!this.sig) {
      const name = opts.signatureName ?? DEFAULT_SIGNATURE;
      const list = candidates(opts.signatures).map((s) => `"${s.name}"`).join(', ');
      this.sink.add('missing-signature-name', 'error', `The model has no signature "${name}" to check the instances against. Choose one of: ${list} (the binding's "signature", or --signature).`, at.start, at.end);
    }
  }

  /** Validates the line src[start, end) (no line break), 1-based line number `lineNo`. */
  line(lineNo: number, start: number, end: number): void {
    const sc = this.sc;
    const src = sc.src;
    let p = start;
    while (p < end) {
      const c = src.charCodeAt(p);
      if (c === 32 || c === 9 || c === 13 || (c === 0xfeff && p === 0)) p++;
      else break;
    }
    this.lines++;
    if (p >= end) return; // a blank line
    this.currentLine = lineNo;
    this.env.src = src;
    sc.pos = start;
    sc.end = end;
    const row = this.row;
    const i = lineNo;
    try {
      const c = sc.ws();
      const vs = sc.pos;
      let isObject = false;
      if (c === 123) {
        isObject = !sc.peekB64();
        sc.pos = vs;
      }
      const kind = isObject ? 'object' : 'bare';
      if (row.kind === undefined) row.kind = kind;
      if (isObject) row.instanceObject(i);
      else row.bareInstance(i);
      if (sc.ws() >= 0) sc.fail(sc.pos, sc.pos + 1, 'Expected the end of the line: a JSON Lines file holds one instance per line.');
      this.instances++;
      if (row.kind !== kind) {
        this.sink.add('instances-mixed', 'error', row.kind === 'object'
          ? 'This line is a bare value but the first instance is an object of alias → value; one form for all instances.'
          : 'This line is an object but the first instance is a bare value; one form for all instances.', vs, sc.pos);
      } else if (this.sig) {
        checkRows(this.env, row, this.sig, { from: i, to: i + 1, batch: undefined, shapeOnce: true });
      } else {
        structuralChecks(this.env, row);
      }
      if (row.keyStart >= 0) this.checkKey(row.keyStart, row.keyEnd, lineNo);
    } catch (e) {
      if (!(e instanceof SyntaxStop)) throw e;
    } finally {
      row.endPeriod();
    }
  }

  private checkKey(s: number, e: number, lineNo: number): void {
    if (this.keys.full) return;
    const src = this.sc.src;
    const first = this.keys.add(src, s, e, lineNo);
    if (first > 0) {
      this.sink.add('duplicate-instance-key', 'error', `Instance key ${src.slice(s, Math.min(e, s + 60))} is already used on line ${first}; batch prediction matches results to instances by "${this.keyField}", so keys must be unique.`, s, e);
    } else if (first < 0 && !this.keysFullReported) {
      this.keysFullReported = true;
      this.sink.add('instance-keys-not-checked', 'info', `Stopped checking "${this.keyField}" for duplicates after ${this.keys.size} instances (bounded memory).`, s, e);
    }
  }

  result(findings: RequestFinding[]): ValidateResult {
    const res: ValidateResult = { findings, format: 'row', instances: this.instances };
    if (this.sig) res.signature = this.sig.name;
    return res;
  }
}

/** Validates a JSON Lines text held in memory (editor buffers up to a few MB). Never throws. */
export function validateJsonLines(text: string, opts: ValidateOptions): ValidateResult {
  const sink = new FindingSink(100, opts.maxFindings ?? 1000);
  const sc = new Scanner(text, sink, 0, text.length, scannerOptions(opts));
  const v = new LinesValidator(sc, opts, sink);
  let firstLineEnd = text.indexOf('\n');
  if (firstLineEnd < 0) firstLineEnd = text.length;
  v.start({ start: 0, end: Math.min(1, firstLineEnd) });
  let start = 0;
  let lineNo = 1;
  while (start <= text.length) {
    let end = text.indexOf('\n', start);
    const next = end < 0 ? text.length + 1 : end + 1;
    if (end < 0) end = text.length;
    let e = end;
    if (e > start && text.charCodeAt(e - 1) === 13) e--;
    v.line(lineNo, start, e);
    start = next;
    lineNo++;
  }
  return v.result(sink.finish(text));
}

export interface StreamProgress {
  bytes: number;
  lines: number;
  instances: number;
}

export interface StreamResult extends ValidateResult {
  lines: number;
  bytes: number;
}

/** The longest line a stream accepts (one instance, in UTF-16 units); longer lines are reported and skipped. */
export const MAX_LINE_CHARS = 64 * 1024 * 1024;

/**
 * Validates a JSON Lines stream (files up to hundreds of MB) line by line in bounded memory: the
 * text is never held, only the current chunk (decoded once, lines scanned in place), the
 * per-input summaries and a bounded table of instance keys. Findings carry line numbers; `range`
 * offsets count UTF-16 units from the start of the stream. `onProgress` is called about every 4 MB.
 */
export async function validateJsonLinesStream(
  readable: AsyncIterable<Uint8Array | string>,
  opts: ValidateOptions,
  onProgress?: (p: StreamProgress) => void,
): Promise<StreamResult> {
  const sink = new FindingSink(100, opts.maxFindings ?? 1000);
  const sc = new Scanner('', sink, 0, 0, scannerOptions(opts));
  const v = new LinesValidator(sc, opts, sink);
  const decoder = new TextDecoder('utf-8');
  sink.origin = { line: 1, offset: 0 };
  v.start({ start: 0, end: 0 });
  let bytes = 0;
  let lineNo = 1;
  /** Stream offset (UTF-16 units) of the start of line `lineNo`. */
  let charOffset = 0;
  /** The start of a line that continues in the next chunk. */
  let carry = '';
  /** Inside an overlong line: how many of its characters were skipped so far. */
  let skipped = -1;
  let nextProgress = 4 * 1024 * 1024;

  /** Validates str[start, end) (one line, no "\n"), scanning it in place. */
  const runLine = (str: string, start: number, end: number): void => {
    let e = end;
    if (e > start && str.charCodeAt(e - 1) === 13) e--;
    const before = sink.findings.length;
    sink.origin = { line: lineNo, offset: start };
    if (sc.src !== str) sc.reset(str, start, e);
    v.line(lineNo, start, e);
    // Findings were made with offsets in `str`; move them to offsets in the stream.
    for (let k = before; k < sink.findings.length; k++) shift(sink.findings[k]!, charOffset - start);
    charOffset += end - start + 1;
    lineNo++;
  };
  const tooLong = (): void => {
    sink.origin = { line: lineNo, offset: charOffset };
    sink.add('syntax', 'error', `Line ${lineNo} is longer than ${MAX_LINE_CHARS} characters; it was not checked (one instance per line).`, charOffset, charOffset + 1);
  };
  const feed = (text: string): void => {
    let from = 0;
    if (carry !== '' || skipped >= 0) {
      const nl = text.indexOf('\n');
      if (nl < 0) {
        if (skipped >= 0) skipped += text.length;
        else if (carry.length + text.length > MAX_LINE_CHARS) {
          tooLong();
          skipped = carry.length + text.length;
          carry = '';
        } else carry += text;
        return;
      }
      if (skipped >= 0) {
        charOffset += skipped + nl + 1;
        lineNo++;
        skipped = -1;
      } else {
        const line = carry + text.slice(0, nl);
        carry = '';
        runLine(line, 0, line.length);
      }
      from = nl + 1;
    }
    for (;;) {
      const nl = text.indexOf('\n', from);
      if (nl < 0) {
        if (text.length - from > MAX_LINE_CHARS) {
          tooLong();
          skipped = text.length - from;
        } else carry = text.slice(from);
        return;
      }
      runLine(text, from, nl);
      from = nl + 1;
    }
  };

  for await (const chunk of readable) {
    if (typeof chunk === 'string') {
      bytes += Buffer.byteLength(chunk, 'utf8');
      feed(chunk);
    } else {
      bytes += chunk.length;
      // stream: a UTF-8 sequence split across chunks is completed by the next one.
      feed(decoder.decode(chunk, { stream: true }));
    }
    if (onProgress && bytes >= nextProgress) {
      nextProgress = bytes + 4 * 1024 * 1024;
      onProgress({ bytes, lines: v.lines, instances: v.instances });
    }
  }
  const rest = decoder.decode();
  if (rest) feed(rest);
  if (carry !== '') runLine(carry, 0, carry.length);
  onProgress?.({ bytes, lines: v.lines, instances: v.instances });
  sink.origin = undefined;
  const findings = sink.finish(undefined);
  for (const f of findings) {
    if (f.line === 0) {
      // Summaries (more-findings) made after the stream: point at the first line.
      f.line = f.endLine = 1;
      f.column = f.endColumn = 1;
    }
  }
  return { ...v.result(findings), lines: v.lines, bytes };
}

function shift(f: RequestFinding, by: number): void {
  if (by === 0) return;
  f.range = { start: f.range.start + by, end: f.range.end + by };
  for (const fix of f.fixes ?? []) {
    for (const e of fix.edits) {
      e.start += by;
      e.end += by;
    }
  }
}

/** The line/column of an offset in a text (1-based), for callers that map ranges themselves. */
export function positionAt(text: string, offset: number): { line: number; column: number } {
  return new LineIndex(text).position(offset);
}

