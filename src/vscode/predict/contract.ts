/**
 * What the Predict / Explain parts of the editor shell hand each other: the record of one call
 * (shown by the results view, kept by the history), and the small interfaces through which the
 * CodeLens controller, the results view, the history tree and the local runner reach each other.
 * No part imports another's classes: extension.ts wires them through these.
 */
import type { Signature } from '../../core/model/types';
import type { Diagnosis } from '../../core/predict/diagnose';
import type { CallHistory, HistoryEntry, NewEntry } from '../../core/predict/history';
import type { LocalPredict, PredictOp, PredictTarget } from '../../core/predict/target';

/** One Predict / Explain call as the results view shows it. */
export interface CallRecord {
  /** The history entry (id, time, op, target, file, status, latency, sizes, HTTP status, error). */
  entry: HistoryEntry;
  /** The request body as sent. */
  request?: string;
  /** The response body exactly as the service sent it (errors included, when they had a body). */
  response?: string;
  /** The failure explained against the signature (status 'error'); absent for calls read back from history. */
  diagnosis?: Diagnosis;
  /** The signature the request ran, when known (names the output columns). */
  signature?: Signature;
  /** The same call for a terminal (token elided): curl, gcloud (cloud targets), servelens. */
  commands?: { curl?: string; gcloud?: string; cli?: string };
  /** The target as sent (absent when read back from history: then `entry.target` names it). */
  target?: PredictTarget;
}

/** What the results view asks of the controller. */
export interface ResultsActions {
  /** Sends the same request to the same target again and shows the new result. */
  rerun(record: CallRecord): Promise<void>;
  /** The previous call of the same file to the same target (for "Compare with previous"). */
  previous(record: CallRecord): Promise<CallRecord | undefined>;
}

/** The results view (src/vscode/results). */
export interface ResultsView {
  /** Shows a call beside the active editor (one panel, reused). */
  show(record: CallRecord): Promise<void>;
  /** The record shown now, if any. */
  current(): CallRecord | undefined;
}

/** The history store, as the tree and the controller share it. Changes go through it, so they are told. */
export interface HistoryAccess {
  /** The store of the current workspace (per-workspace storage, else global), for reading. */
  store(): CallHistory;
  /** Adds a call, then fires onDidChange. */
  add(entry: NewEntry): Promise<HistoryEntry>;
  /** Deletes a call (false when it was not there), then fires onDidChange. */
  delete(id: string): Promise<boolean>;
  /** Deletes every call, then fires onDidChange. */
  clear(): Promise<void>;
  /** Fires after a call was added, deleted, the history cleared, or its bounds changed. */
  readonly onDidChange: (listener: () => void) => { dispose(): void };
}

/** The local runner in the editor (src/vscode/runner): one worker per model, loaded on first use. */
export interface LocalRunnerAccess {
  /** The runner entry point send() takes for local targets. */
  readonly predict: LocalPredict;
  /** The model's signatures (serving tag-set) as the runner sees them. */
  signatures(modelPath: string): Promise<Signature[]>;
}

export type { PredictOp, PredictTarget };
