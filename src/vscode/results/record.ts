/**
 * What crosses to the Results webview: a CallRecord as plain data without its target (a TF
 * Serving URL may hold a password; the entry's target is already redacted), a response too long
 * for a message cut to its beginning, and compare() of two responses with its values bounded.
 */
import type { HistoryEntry, ResponseDiff } from '../../core/predict/history';
import type { CompareChange, CompareResult, ResultsRecord } from '../../../webview/shared/results';
import type { CallRecord } from '../predict/contract';

/** Bodies longer than this are not sent whole: the view gets the beginning of a response, no request. */
export const VIEW_BODY_CHARS = 8 * 1024 * 1024;
const CUT_RESPONSE_CHARS = 256 * 1024;
const VALUE_CHARS = 200;

export function toResultsRecord(record: CallRecord): ResultsRecord {
  const out: ResultsRecord = { entry: record.entry };
  if (record.request !== undefined && record.request.length <= VIEW_BODY_CHARS) out.request = record.request;
  if (record.response !== undefined) {
    if (record.response.length <= VIEW_BODY_CHARS) {
      out.response = record.response;
    } else {
      out.response = record.response.slice(0, CUT_RESPONSE_CHARS);
      out.responseCut = true;
    }
  }
  if (record.diagnosis) out.diagnosis = record.diagnosis;
  if (record.signature) out.signature = record.signature;
  if (record.commands) out.commands = record.commands;
  return out;
}

/** A record the webview kept in its state (after a reload), as the host's CallRecord. */
export function fromResultsRecord(r: ResultsRecord): CallRecord {
  const out: CallRecord = { entry: r.entry };
  // A cut response is not the response: Save and Compare need the whole body.
  if (r.response !== undefined && !r.responseCut) out.response = r.response;
  if (r.request !== undefined) out.request = r.request;
  if (r.diagnosis) out.diagnosis = r.diagnosis;
  if (r.signature) out.signature = r.signature;
  if (r.commands) out.commands = r.commands;
  return out;
}

/** A changed value as the compare view shows it: its JSON, cut to VALUE_CHARS. */
function valueText(v: unknown): string {
  let s: string;
  try {
    s = JSON.stringify(v) ?? String(v);
  } catch {
    s = String(v);
  }
  return s.length > VALUE_CHARS ? `${s.slice(0, VALUE_CHARS)}…` : s;
}

const finite = (n: number) => (Number.isFinite(n) ? n : 0);

/** compare(previous, current) as the view shows it. */
export function toCompareResult(diff: ResponseDiff, previous: HistoryEntry): CompareResult {
  const changes = diff.changes.map((c) => {
    const out: CompareChange = { path: c.path, kind: c.kind };
    if ('previous' in c) out.previous = valueText(c.previous);
    if ('current' in c) out.current = valueText(c.current);
    if (c.delta !== undefined && Number.isFinite(c.delta)) out.delta = c.delta;
    return out;
  });
  const result: CompareResult = {
    kind: 'diff',
    previous: { id: previous.id, time: previous.time },
    same: diff.same,
    numbers: diff.numbers,
    changedNumbers: diff.changedNumbers,
    maxAbsDelta: finite(diff.maxAbsDelta),
    meanAbsDelta: finite(diff.meanAbsDelta),
    instances: diff.instances.map((i) => ({
      index: i.index,
      outputs: Object.fromEntries(Object.entries(i.outputs).map(([k, v]) => [k, finite(v)])),
      structural: i.structural,
    })),
    changes,
    truncated: diff.truncated,
  };
  if (diff.notJson) result.notJson = true;
  return result;
}
