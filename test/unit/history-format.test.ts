// How the History view writes a call (label, relative time, latency, sizes, tooltip) and reads its
// bounds from the settings: the pure half of src/vscode/history (no editor needed).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { HistoryEntry } from '../../src/core/predict/history';
import {
  callDescription,
  callLabel,
  callTooltip,
  escapeMarkdown,
  formatBytes,
  formatLatency,
  historyLimits,
  relativeTime,
} from '../../src/vscode/history/format';

const NOW = Date.parse('2025-03-01T12:00:00.000Z');
const ago = (ms: number) => new Date(NOW - ms).toISOString();

function entry(over: Partial<HistoryEntry> = {}): HistoryEntry {
  return {
    id: 'm7abc0123456789',
    time: ago(5 * 60_000),
    op: 'predict',
    target: { kind: 'local', name: '/models/saved_model_half_plus_two_cpu', label: 'local models/saved_model_half_plus_two_cpu' },
    requestHash: 'f'.repeat(64),
    requestBytes: 31,
    status: 'ok',
    latencyMs: 35,
    responseBytes: 44,
    httpStatus: 200,
    ...over,
  };
}

describe('history: relative time, latency and sizes', () => {
  it('relativeTime steps from seconds to days, then the date', () => {
    const table: [number, string][] = [
      [0, 'just now'],
      [4_000, 'just now'],
      [42_000, '42 s ago'],
      [5 * 60_000, '5 min ago'],
      [3 * 3600_000 + 59 * 60_000, '3 h ago'],
      [2 * 86400_000, '2 d ago'],
      [30 * 86400_000, '2025-01-30'],
    ];
    for (const [ms, text] of table) assert.equal(relativeTime(ago(ms), NOW), text, `${ms} ms`);
    assert.equal(relativeTime('not a time', NOW), 'unknown time');
    // A clock that moved back a little still reads "just now".
    assert.equal(relativeTime(new Date(NOW + 2_000).toISOString(), NOW), 'just now');
  });

  it('formatLatency and formatBytes', () => {
    assert.deepEqual([0, 35.4, 999, 1250, 12_340, 125_000].map(formatLatency), ['0 ms', '35 ms', '999 ms', '1.25 s', '12.3 s', '2 min 5 s']);
    assert.equal(formatLatency(-1), '');
    assert.deepEqual([0, 512, 1024, 1536, 10 * 1024, 2.5 * 1024 * 1024, 3 * 1024 ** 3].map(formatBytes), ['0 B', '512 B', '1.0 KB', '1.5 KB', '10 KB', '2.5 MB', '3.0 GB']);
  });
});

describe('history: how a call reads in the tree', () => {
  it('label "Predict · <target label>" / "Explain · …"; description time · latency (· failed)', () => {
    assert.equal(callLabel(entry()), 'Predict · local models/saved_model_half_plus_two_cpu');
    assert.equal(callLabel(entry({ op: 'explain', target: { kind: 'vertex', name: 'projects/p/locations/us-central1/endpoints/1', label: 'Vertex AI endpoint 1 (us-central1)' } })), 'Explain · Vertex AI endpoint 1 (us-central1)');
    assert.equal(callDescription(entry(), NOW), '5 min ago · 35 ms');
    const failed = entry({ status: 'error', latencyMs: undefined });
    assert.equal(callDescription(failed, NOW), '5 min ago · failed');
  });

  it('tooltip: target name, file, status, HTTP status, sizes, error — markdown escaped', () => {
    const tip = callTooltip(entry({ file: '/w/requests/a.request.json', status: 'error', httpStatus: 400, error: 'input "x" expects [-1, 1] (got *3*)', deployedModelId: '42' }));
    for (const part of ['Target: `/models/saved_model_half_plus_two_cpu`', 'File: `/w/requests/a.request.json`', 'Status: failed', 'HTTP status: 400', 'Latency: 35 ms', 'Request: 31 B', 'Response: 44 B', 'Deployed model: 42']) {
      assert.ok(tip.includes(part), `${part} in:\n${tip}`);
    }
    assert.ok(tip.includes('**Error:** input "x" expects \\[\\-1, 1\\] \\(got \\*3\\*\\)'), tip);
    assert.ok(!callTooltip(entry()).includes('Error'));
    assert.match(callTooltip(entry({ bodiesDropped: true })), /not kept/);
    assert.equal(escapeMarkdown('a_b*c'), 'a\\_b\\*c');
  });
});

describe('history: bounds from the settings', () => {
  const config = (values: Record<string, unknown>) => ({ get: (k: string) => values[k] });
  it('maxEntries and maxMegabytes become the store limits; unusable values fall back to the defaults', () => {
    assert.deepEqual(historyLimits(config({ 'history.maxEntries': 200, 'history.maxMegabytes': 50 })), { maxEntries: 200, maxBytes: 50 * 1024 * 1024 });
    assert.deepEqual(historyLimits(config({ 'history.maxEntries': 10.7, 'history.maxMegabytes': 0.5 })), { maxEntries: 10, maxBytes: 512 * 1024 });
    assert.deepEqual(historyLimits(config({ 'history.maxMegabytes': 0 })), { maxBytes: 0 });
    assert.deepEqual(historyLimits(config({ 'history.maxEntries': 0, 'history.maxMegabytes': -1 })), {});
    assert.deepEqual(historyLimits(config({ 'history.maxEntries': 'x', 'history.maxMegabytes': null })), {});
    assert.deepEqual(historyLimits(config({})), {});
  });
});
