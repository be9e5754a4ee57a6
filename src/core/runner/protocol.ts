/** The message protocol between RunnerHost (host.ts) and the engine worker (worker.ts). */
import type { Signature } from '../model/types';
import type { RunnerErrorData } from './errors';
import type { ExplainOptions, ExplainResult } from './explain';
import type { PredictOptions, PredictResult } from './predict';
import type { BackendName } from './tfjs';

export interface OpenRequest {
  type: 'open';
  id: number;
  model: string;
  version?: string;
  backend?: BackendName;
}

export interface PredictRequest {
  type: 'predict';
  id: number;
  body: string | object;
  opts: Omit<PredictOptions, 'signal'>;
}

export interface ExplainRequest {
  type: 'explain';
  id: number;
  body: string | object;
  opts: Omit<ExplainOptions, 'signal'>;
}

export type ToWorker = OpenRequest | PredictRequest | ExplainRequest;

export interface ModelInfo {
  format: 'savedmodel' | 'tfjs-graph';
  file: string;
  dir: string;
  version?: string;
  versions?: string[];
  signatures: Signature[];
}

export type FromWorker =
  | { type: 'opened'; id: number; info: ModelInfo }
  | { type: 'predicted'; id: number; result: PredictResult }
  | { type: 'explained'; id: number; result: ExplainResult }
  | { type: 'error'; id: number; error: RunnerErrorData };
