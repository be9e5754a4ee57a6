/**
 * The records of a Predict / Explain call that cross from the host to the results webview: the
 * history entry and the diagnosis of a failure. Pure types (and the list of diagnosis codes), with
 * no Node import, so the webview's type check reads the very same declarations.
 */
import type { Shape } from '../model/types';
import type { TargetKind } from '../request/types';

/** Every diagnosis code (diagnose()), in one list the webview's message guard checks against. */
export const DIAGNOSIS_CODES = [
  'signature-not-found',
  'input-alias',
  'input-missing',
  'input-shape',
  'input-dtype',
  'base64',
  'request-format',
  'vertex-field',
  'unauthenticated',
  'permission-denied',
  'api-not-enabled',
  'not-found',
  'quota',
  'unavailable',
  'timeout',
  'network',
  'cancelled',
  'other',
] as const;

export type DiagnosisCode = (typeof DIAGNOSIS_CODES)[number];

export interface InputShapeFinding {
  alias: string;
  /** The signature's shape (-1 unknown; null unknown rank). */
  expected: Shape;
  /** The shape the request sends, batch dimension included. */
  sent: number[];
}

export interface Diagnosis {
  code: DiagnosisCode;
  /** One line: what went wrong, in terms of the signature. */
  summary: string;
  /** What to do, most useful first. */
  nextSteps: string[];
  /** The server's own message (Vertex AI's wrapping removed), redacted. */
  serverMessage?: string;
  httpStatus?: number;
  /** The signature the request used. */
  signature?: string;
  /** The signature names / input aliases the model has, for the codes about names. */
  expected?: string[];
  /** The name asked for and the closest expected one. */
  asked?: string;
  didYouMean?: string;
  /** Inputs whose request shape does not fit the signature. */
  shapes?: InputShapeFinding[];
}

export interface HistoryTarget {
  kind: TargetKind;
  /** The full name (endpoint, model/version, TF Serving URL without credentials, model path). */
  name: string;
  /** A short label for lists. */
  label: string;
}

export interface HistoryEntry {
  id: string;
  /** ISO 8601. */
  time: string;
  op: 'predict' | 'explain';
  target: HistoryTarget;
  /** The request file, when the call came from one. */
  file?: string;
  /** sha256 (hex) of the request body as sent. */
  requestHash: string;
  requestBytes: number;
  status: 'ok' | 'error';
  latencyMs?: number;
  responseBytes?: number;
  httpStatus?: number;
  /** One line: what went wrong (status 'error'). */
  error?: string;
  /** The deployed model that answered (Vertex AI). */
  deployedModelId?: string;
  /** The bodies were too large for the byte bound and were not kept. */
  bodiesDropped?: boolean;
}
