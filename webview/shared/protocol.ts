/**
 * The message contract between the SavedModel inspector's webview and the extension host.
 * Both sides import this file: it uses no `vscode` and no DOM, only plain data and guards.
 *
 * Flow: the webview starts, posts `ready`; only then does the host post (`loading`, `model` or
 * `error`), again after every re-read. The webview answers each render with `rendered`, a text
 * snapshot of what it shows (the host keeps the last one per panel for tests and logs).
 * Every message is checked with the guards below on receipt; a message that fails is dropped.
 */
import type {
  LintFinding,
  ModelSummary,
  Shape,
  Signature,
  TensorSpec,
  VariableInfo,
} from '../../src/core/model/types';

/** What the inspector shows: the core's ModelInspection plus the versions found beside it. */
export interface InspectorModel {
  summary: ModelSummary;
  lint: LintFinding[];
  variables?: VariableInfo[];
  variablesError?: string;
  assets: { filename: string; bytes?: number }[];
  fileBytes: number;
  /** The numeric version folder this model sits in (TF Serving layout), if any. */
  version?: string;
  /** Every version folder beside it that holds a model, ascending (numerically); empty when none. */
  versions: string[];
  /** True while the graph's ops are still being scanned: the lint may gain custom-op findings. */
  opsPending?: boolean;
}

/** A typed error as the webview shows it. */
export interface InspectorError {
  /** The ServeLensError kind ("model-format", "io", ...) or "unknown". */
  kind: string;
  message: string;
  hint?: string;
  file?: string;
  offset?: number;
  line?: number;
  column?: number;
  expected?: string;
}

export type HostMessage =
  | { type: 'loading'; file: string }
  | { type: 'model'; file: string; model: InspectorModel }
  | { type: 'error'; file: string; error: InspectorError }
  | { type: 'notice'; text: string };

/** One tensor row as the webview rendered it (the cell texts). */
export interface RenderedTensor {
  alias: string;
  dtype: string;
  shape: string;
  tensor: string;
}

export interface RenderedSignature {
  tags: string[];
  name: string;
  method: string;
  inputs: RenderedTensor[];
  outputs: RenderedTensor[];
}

/** A snapshot of what the webview shows, read back from its DOM after a render. */
export interface RenderedSnapshot {
  state: 'loading' | 'model' | 'error';
  file: string;
  signatures: RenderedSignature[];
  /** The lint findings listed: "severity code" per line. */
  lint: string[];
  /** The error's message and hint as shown (state "error"). */
  error?: string;
  /** True while the view says the graph's ops are still being scanned. */
  opsPending?: boolean;
  /** The whole visible text (bounded). */
  text: string;
}

export type WebviewMessage =
  | { type: 'ready' }
  | { type: 'copySignature'; metaGraph: number; signature: string }
  | { type: 'newRequest'; metaGraph: number; signature: string }
  | { type: 'openVersion'; version: string }
  | { type: 'reload' }
  | { type: 'rendered'; snapshot: RenderedSnapshot };

/** What the webview keeps with setState/getState. */
export interface InspectorViewState {
  tab: string;
  scrollY: number;
}

/** Upper bounds for strings crossing the boundary; a message beyond them is refused. */
export const LIMITS = {
  name: 4096,
  text: 1_000_000,
  list: 100_000,
} as const;

// ---------------------------------------------------------------- guards

type Rec = Record<string, unknown>;

function isRec(x: unknown): x is Rec {
  return typeof x === 'object' && x !== null && !Array.isArray(x);
}
function isStr(x: unknown, max: number = LIMITS.name): x is string {
  return typeof x === 'string' && x.length <= max;
}
function optStr(x: unknown, max: number = LIMITS.name): boolean {
  return x === undefined || isStr(x, max);
}
function isNum(x: unknown): x is number {
  return typeof x === 'number' && Number.isFinite(x);
}
function optNum(x: unknown): boolean {
  return x === undefined || isNum(x);
}
function isIndex(x: unknown): x is number {
  return Number.isInteger(x) && (x as number) >= 0 && (x as number) < LIMITS.list;
}
function isList<T>(x: unknown, item: (v: unknown) => v is T, max: number = LIMITS.list): x is T[] {
  return Array.isArray(x) && x.length <= max && x.every(item);
}
function isStrList(x: unknown): x is string[] {
  return isList(x, (v): v is string => isStr(v));
}

export function isShape(x: unknown): x is Shape {
  return x === null || isList(x, (v): v is number => Number.isInteger(v) && (v as number) >= -1);
}

export function isTensorSpec(x: unknown): x is TensorSpec {
  return isRec(x) && isStr(x.alias) && isStr(x.dtype) && isShape(x.shape) && isStr(x.tensor);
}

export function isSignature(x: unknown): x is Signature {
  return (
    isRec(x) &&
    isStr(x.name) &&
    isStr(x.method) &&
    isList(x.inputs, isTensorSpec) &&
    isList(x.outputs, isTensorSpec)
  );
}

function isLintFinding(x: unknown): x is LintFinding {
  return (
    isRec(x) &&
    isStr(x.code) &&
    (x.severity === 'error' || x.severity === 'warning' || x.severity === 'info') &&
    isStr(x.message, LIMITS.text) &&
    optStr(x.fix, LIMITS.text) &&
    (x.tags === undefined || isStrList(x.tags)) &&
    optStr(x.signature) &&
    optStr(x.alias) &&
    optStr(x.op) &&
    optStr(x.node)
  );
}

function isVariable(x: unknown): x is VariableInfo {
  return (
    isRec(x) &&
    isStr(x.key) &&
    isStr(x.dtype) &&
    isList(x.shape, (v): v is number => Number.isInteger(v)) &&
    isNum(x.bytes) &&
    isNum(x.shard)
  );
}

function isMetaGraph(x: unknown): x is Rec {
  return (
    isRec(x) &&
    isStrList(x.tags) &&
    isList(x.signatures, isSignature) &&
    optStr(x.tfVersion) &&
    optStr(x.tfGitVersion) &&
    typeof x.hasObjectGraph === 'boolean' &&
    isList(x.assets, (a): a is Rec => isRec(a) && isStr(a.filename) && optStr(a.tensor))
  );
}

function isSummary(x: unknown): x is ModelSummary {
  return (
    isRec(x) &&
    (x.format === 'savedmodel' || x.format === 'tfjs-graph' || x.format === 'tfjs-layers') &&
    isStr(x.dir) &&
    isStr(x.file) &&
    optStr(x.version) &&
    (x.versions === undefined || isStrList(x.versions)) &&
    optNum(x.schemaVersion) &&
    isList(x.metaGraphs, isMetaGraph) &&
    (x.fingerprint === undefined || isRec(x.fingerprint)) &&
    (x.weights === undefined || isRec(x.weights)) &&
    optStr(x.generatedBy) &&
    optStr(x.convertedBy)
  );
}

export function isInspectorModel(x: unknown): x is InspectorModel {
  return (
    isRec(x) &&
    isSummary(x.summary) &&
    isList(x.lint, isLintFinding) &&
    (x.variables === undefined || isList(x.variables, isVariable)) &&
    optStr(x.variablesError, LIMITS.text) &&
    isList(x.assets, (a): a is Rec => isRec(a) && isStr(a.filename) && optNum(a.bytes)) &&
    isNum(x.fileBytes) &&
    optStr(x.version) &&
    isStrList(x.versions) &&
    (x.opsPending === undefined || typeof x.opsPending === 'boolean')
  );
}

function isInspectorError(x: unknown): x is InspectorError {
  return (
    isRec(x) &&
    isStr(x.kind) &&
    isStr(x.message, LIMITS.text) &&
    optStr(x.hint, LIMITS.text) &&
    optStr(x.file) &&
    optNum(x.offset) &&
    optNum(x.line) &&
    optNum(x.column) &&
    optStr(x.expected, LIMITS.text)
  );
}

export function isHostMessage(x: unknown): x is HostMessage {
  if (!isRec(x)) return false;
  switch (x.type) {
    case 'loading':
      return isStr(x.file);
    case 'model':
      return isStr(x.file) && isInspectorModel(x.model);
    case 'error':
      return isStr(x.file) && isInspectorError(x.error);
    case 'notice':
      return isStr(x.text, LIMITS.text);
    default:
      return false;
  }
}

function isRenderedTensor(x: unknown): x is RenderedTensor {
  return isRec(x) && isStr(x.alias) && isStr(x.dtype) && isStr(x.shape) && isStr(x.tensor);
}

function isRenderedSignature(x: unknown): x is RenderedSignature {
  return (
    isRec(x) &&
    isStrList(x.tags) &&
    isStr(x.name) &&
    isStr(x.method) &&
    isList(x.inputs, isRenderedTensor) &&
    isList(x.outputs, isRenderedTensor)
  );
}

export function isRenderedSnapshot(x: unknown): x is RenderedSnapshot {
  return (
    isRec(x) &&
    (x.state === 'loading' || x.state === 'model' || x.state === 'error') &&
    isStr(x.file) &&
    isList(x.signatures, isRenderedSignature) &&
    isStrList(x.lint) &&
    optStr(x.error, LIMITS.text) &&
    (x.opsPending === undefined || typeof x.opsPending === 'boolean') &&
    isStr(x.text, LIMITS.text)
  );
}

export function isWebviewMessage(x: unknown): x is WebviewMessage {
  if (!isRec(x)) return false;
  switch (x.type) {
    case 'ready':
    case 'reload':
      return true;
    case 'copySignature':
    case 'newRequest':
      return isIndex(x.metaGraph) && isStr(x.signature);
    case 'openVersion':
      return isStr(x.version) && /^\d+$/.test(x.version);
    case 'rendered':
      return isRenderedSnapshot(x.snapshot);
    default:
      return false;
  }
}

export function isViewState(x: unknown): x is InspectorViewState {
  return isRec(x) && isStr(x.tab) && isNum(x.scrollY);
}

/** A shape as the inspector writes it: `[-1, 1]`, `[]` (scalar) or `unknown rank`. */
export function formatShape(shape: Shape): string {
  return shape === null ? 'unknown rank' : `[${shape.join(', ')}]`;
}

