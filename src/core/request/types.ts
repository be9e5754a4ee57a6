/**
 * The request-file contract shared by the validator (src/core/request), the editor shell
 * (diagnostics, quick fixes, hover, completion) and `servelens validate`.
 */
import type { Signature } from '../model/types';

/** Where a target runs decides some rules (Vertex refuses NaN, limits the body to 1.5 MB, ...). */
export type TargetKind = 'local' | 'vertex' | 'ai-platform' | 'tf-serving';

/** A range in the text: UTF-16 offsets (as VS Code and JS strings count), end exclusive. */
export interface TextRange {
  start: number;
  end: number;
}

export interface TextEdit extends TextRange {
  newText: string;
}

export interface RequestFix {
  title: string;
  edits: TextEdit[];
  /** The one fix to apply with "Fix all" / the lightbulb's first choice. */
  preferred?: boolean;
}

export type FindingSeverity = 'error' | 'warning' | 'info';

/** One validation finding. Line/column are 1-based, end exclusive (the CLI's --json contract). */
export interface RequestFinding {
  /** Stable code, e.g. "unknown-alias". */
  code: string;
  severity: FindingSeverity;
  /** Says what is wrong and what the model expects (alias, dtype, shape). */
  message: string;
  range: TextRange;
  line: number;
  column: number;
  endLine: number;
  endColumn: number;
  fixes?: RequestFix[];
}

export type RequestFormat = 'row' | 'columnar' | 'examples' | 'unknown';

export interface ValidateOptions {
  /** 'jsonl': one instance per line (batch / gcloud instance files). */
  fileKind: 'json' | 'jsonl';
  /** The bound model's signatures (all of the serving tag-set), when a model is bound. */
  signatures?: Signature[];
  /** The signature to check against when the body names none (default "serving_default"). */
  signatureName?: string;
  target?: TargetKind;
  /** JSON Lines: the field that holds each instance's key (Vertex batch `instanceConfig.keyField`); default "key". */
  keyField?: string;
  /** The most findings returned (default 1000; also at most 100 per code). */
  maxFindings?: number;
}

export interface ValidateResult {
  findings: RequestFinding[];
  format: RequestFormat;
  /** The signature the body was checked against, when one was found. */
  signature?: string;
  /** Instances (row), batch size (columnar) or examples counted. */
  instances: number;
}
