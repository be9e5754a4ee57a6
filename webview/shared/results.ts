/**
 * The message contract between the Results view's webview (one Predict / Explain call) and the
 * extension host. Both sides import this file: plain data and guards, no `vscode`, no DOM.
 *
 * Flow: the webview starts, draws what its saved state holds (after a reload or when shown again),
 * and posts `ready`; only then does the host post `show` with the call, again for every new call.
 * Buttons post `action` with the id of the call they belong to; the host answers `compare` (the
 * diff with the previous call), `busy` while an action runs and `notice` when it is done. The
 * webview answers every render with `rendered`, a text snapshot of what it shows.
 * Every message is checked with the guards below on receipt; one that fails is dropped.
 *
 * The records are the core's own HistoryEntry and Diagnosis (src/core/predict/records.ts, which
 * has no Node import, so the webview's type check reads it as is).
 */
import type { Signature } from '../../src/core/model/types';
import { DIAGNOSIS_CODES, type Diagnosis, type HistoryEntry } from '../../src/core/predict/records';
import { isSignature } from './protocol';

/** The history entry of a call, as the host keeps it. */
export type ResultsEntry = HistoryEntry;

/** A failure explained against the signature, as the host's diagnose() gives it. */
export type ResultsDiagnosis = Diagnosis;

/** One call as the webview gets it: the host's CallRecord without the target (it may hold a password). */
export interface ResultsRecord {
  entry: ResultsEntry;
  request?: string;
  response?: string;
  /** The response was longer than the view takes: `response` holds its beginning only. */
  responseCut?: boolean;
  diagnosis?: ResultsDiagnosis;
  signature?: Signature;
  /** Terminal commands, the token already elided. */
  commands?: { curl?: string; gcloud?: string; cli?: string };
}

/** The buttons. */
export const RESULTS_ACTIONS = ['save', 'copyCurl', 'copyGcloud', 'rerun', 'compare'] as const;
export type ResultsAction = (typeof RESULTS_ACTIONS)[number];

export interface CompareChange {
  path: string;
  kind: 'changed' | 'added' | 'removed' | 'type';
  /** Compact JSON, bounded. */
  previous?: string;
  current?: string;
  delta?: number;
}

/** "Compare with Previous": the diff of the two response bodies, or why there is none. */
export type CompareResult =
  | { kind: 'none'; message: string }
  | {
      kind: 'diff';
      previous: { id: string; time: string };
      same: boolean;
      notJson?: boolean;
      numbers: number;
      changedNumbers: number;
      maxAbsDelta: number;
      meanAbsDelta: number;
      instances: { index: number; outputs: Record<string, number>; structural: number }[];
      changes: CompareChange[];
      truncated: boolean;
    };

export type ResultsHostMessage =
  | { type: 'show'; record: ResultsRecord }
  | { type: 'compare'; entryId: string; result: CompareResult }
  | { type: 'busy'; action: ResultsAction; busy: boolean }
  | { type: 'notice'; text: string; error?: boolean };

/** One chart as drawn: its title and the labels of its bars, in order. */
export interface RenderedChart {
  title: string;
  bars: string[];
  /** "N more" when features were left out. */
  more?: string;
}

/** A text snapshot of what the Results view shows, read back from its DOM after every render. */
export interface RenderedResults {
  /** The call shown ('' when none). */
  entryId: string;
  state: 'empty' | 'ok' | 'error';
  op: string;
  /** The answer's format as present.ts detected it. */
  format: string;
  /** The active tab's id. */
  tab: string;
  /** Every tab's title, in order. */
  tabs: string[];
  /** The predictions table's column headers and cell texts (folded cells: their one-line summary). */
  columns: string[];
  rows: string[][];
  /** [label, value] of the call's facts. */
  meta: string[][];
  /** The error summary shown (the diagnosis, else the entry's error or the service's message). */
  error?: string;
  nextSteps: string[];
  charts: RenderedChart[];
  /** The compare result as shown. */
  compare?: string;
  /** The action buttons shown, by label. */
  actions: string[];
  /** The whole visible text (bounded). */
  text: string;
}

export type ResultsWebviewMessage =
  | { type: 'ready' }
  | { type: 'action'; action: ResultsAction; entryId: string }
  | { type: 'rendered'; snapshot: RenderedResults };

/** What the webview keeps with setState/getState, and what the panel serializer gets back. */
export interface ResultsViewState {
  record?: ResultsRecord;
  /** The compare result of `record`, when asked for. */
  compare?: CompareResult;
  tab: string;
  /** The raw tab shows the body formatted or exactly as sent. */
  raw: 'pretty' | 'exact';
  scrollY: number;
}

/** Bounds for what crosses the boundary; a message beyond them is refused. */
export const RESULTS_LIMITS = {
  name: 4096,
  /** Request and response bodies (the host cuts a longer response, see `responseCut`). */
  body: 16 * 1024 * 1024,
  text: 1_000_000,
  list: 100_000,
} as const;

// ---------------------------------------------------------------- guards
// Small combinators: each returns a guard, and `shape` checks an object field by field (a field
// whose guard accepts undefined is optional).

type Guard<T> = (x: unknown) => x is T;

const str =
  (max: number = RESULTS_LIMITS.name): Guard<string> =>
  (x): x is string =>
    typeof x === 'string' && x.length <= max;
const num: Guard<number> = (x): x is number => typeof x === 'number' && Number.isFinite(x);
const bool: Guard<boolean> = (x): x is boolean => typeof x === 'boolean';
const opt =
  <T>(g: Guard<T>): Guard<T | undefined> =>
  (x): x is T | undefined =>
    x === undefined || g(x);
const oneOf =
  <T extends string>(...values: T[]): Guard<T> =>
  (x): x is T =>
    values.includes(x as T);
const listOf =
  <T>(g: Guard<T>, max: number = RESULTS_LIMITS.list): Guard<T[]> =>
  (x): x is T[] =>
    Array.isArray(x) && x.length <= max && x.every(g);
const record = (x: unknown): x is Record<string, unknown> => typeof x === 'object' && x !== null && !Array.isArray(x);
const shape =
  <T>(fields: Record<string, Guard<unknown>>): Guard<T> =>
  (x): x is T =>
    record(x) && Object.entries(fields).every(([k, g]) => g(x[k]));
const dict =
  <T>(g: Guard<T>): Guard<Record<string, T>> =>
  (x): x is Record<string, T> =>
    record(x) && Object.keys(x).length <= RESULTS_LIMITS.list && Object.values(x).every(g);

const name = str();
const text = str(RESULTS_LIMITS.text);
const body = str(RESULTS_LIMITS.body);
const count: Guard<number> = (x): x is number => Number.isInteger(x) && (x as number) >= 0;
const dims = listOf((x): x is number => Number.isInteger(x) && (x as number) >= -1, 64);

const isEntry = shape<ResultsEntry>({
  id: name,
  time: name,
  op: oneOf('predict', 'explain'),
  target: shape({ kind: oneOf('local', 'vertex', 'ai-platform', 'tf-serving'), name: text, label: text }),
  file: opt(text),
  requestHash: name,
  requestBytes: count,
  status: oneOf('ok', 'error'),
  latencyMs: opt(num),
  responseBytes: opt(count),
  httpStatus: opt(count),
  error: opt(text),
  deployedModelId: opt(name),
  bodiesDropped: opt(bool),
});

const isDiagnosis = shape<ResultsDiagnosis>({
  code: oneOf(...DIAGNOSIS_CODES),
  summary: text,
  nextSteps: listOf(text, 100),
  serverMessage: opt(text),
  httpStatus: opt(count),
  signature: opt(name),
  expected: opt(listOf(name)),
  asked: opt(name),
  didYouMean: opt(name),
  shapes: opt(listOf(shape({ alias: name, expected: (x: unknown) => x === null || dims(x), sent: dims }), 1000)),
});

export const isResultsRecord = shape<ResultsRecord>({
  entry: isEntry,
  request: opt(body),
  response: opt(body),
  responseCut: opt(bool),
  diagnosis: opt(isDiagnosis),
  signature: opt(isSignature),
  commands: opt(shape({ curl: opt(text), gcloud: opt(text), cli: opt(text) })),
});

const isAction = oneOf(...RESULTS_ACTIONS);

const isChange = shape<CompareChange>({
  path: text,
  kind: oneOf('changed', 'added', 'removed', 'type'),
  previous: opt(text),
  current: opt(text),
  delta: opt(num),
});

export const isCompareResult: Guard<CompareResult> = (x): x is CompareResult => {
  if (!record(x)) return false;
  if (x.kind === 'none') return text(x.message);
  return shape({
    kind: oneOf('diff'),
    previous: shape({ id: name, time: name }),
    same: bool,
    notJson: opt(bool),
    numbers: count,
    changedNumbers: count,
    maxAbsDelta: num,
    meanAbsDelta: num,
    instances: listOf(shape({ index: count, outputs: dict(num), structural: count })),
    changes: listOf(isChange, 1000),
    truncated: bool,
  })(x);
};

export function isResultsHostMessage(x: unknown): x is ResultsHostMessage {
  if (!record(x)) return false;
  switch (x.type) {
    case 'show':
      return isResultsRecord(x.record);
    case 'compare':
      return name(x.entryId) && isCompareResult(x.result);
    case 'busy':
      return isAction(x.action) && bool(x.busy);
    case 'notice':
      return text(x.text) && opt(bool)(x.error);
    default:
      return false;
  }
}

const textList = listOf(text);

export const isRenderedResults = shape<RenderedResults>({
  entryId: name,
  state: oneOf('empty', 'ok', 'error'),
  op: name,
  format: name,
  tab: name,
  tabs: listOf(name, 20),
  columns: listOf(text, 10_000),
  rows: listOf(textList),
  meta: listOf(listOf(text, 2), 100),
  error: opt(text),
  nextSteps: textList,
  charts: listOf(shape({ title: text, bars: textList, more: opt(text) }), 10_000),
  compare: opt(text),
  actions: listOf(name, 20),
  text,
});

export function isResultsWebviewMessage(x: unknown): x is ResultsWebviewMessage {
  if (!record(x)) return false;
  switch (x.type) {
    case 'ready':
      return true;
    case 'action':
      return isAction(x.action) && name(x.entryId);
    case 'rendered':
      return isRenderedResults(x.snapshot);
    default:
      return false;
  }
}

export const isResultsViewState = shape<ResultsViewState>({
  record: opt(isResultsRecord),
  compare: opt(isCompareResult),
  tab: name,
  raw: oneOf('pretty', 'exact'),
  scrollY: num,
});
