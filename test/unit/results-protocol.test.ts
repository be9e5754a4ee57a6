// The results webview's message contract (webview/shared/results.ts): a record passes the guard
// only with the core's own entry and diagnosis shapes, within the bounds.
import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import { RESULTS_LIMITS, isResultsRecord } from '../../webview/shared/results';

const entry = {
  id: 'abc12345',
  time: '2026-12-07T20:00:00.000Z',
  op: 'predict',
  target: { kind: 'vertex', name: 'projects/p/locations/us-central1/endpoints/1', label: 'Vertex AI endpoint 1 (us-central1)' },
  requestHash: 'ff',
  requestBytes: 31,
  status: 'error',
  httpStatus: 400,
};
const diagnosis = { code: 'signature-not-found', summary: 'no signature "x"', nextSteps: ['use serving_default'], expected: ['serving_default'] };

describe('results webview messages', () => {
  it('takes a record with the core shapes and refuses what is not one', () => {
    assert.equal(isResultsRecord({ entry, request: '{}', response: '{"error": "x"}', diagnosis }), true);
    assert.equal(isResultsRecord({ entry: { ...entry, target: { ...entry.target, kind: 'ftp' } } }), false, 'an unknown target kind');
    assert.equal(isResultsRecord({ entry, diagnosis: { ...diagnosis, code: 'made-up' } }), false, 'an unknown diagnosis code');
    assert.equal(isResultsRecord({ entry: { ...entry, op: 'train' } }), false);
    assert.equal(isResultsRecord({ entry, response: 'x'.repeat(RESULTS_LIMITS.body + 1) }), false, 'a body past the bound');
    assert.equal(isResultsRecord({ entry, diagnosis: { ...diagnosis, shapes: [{ alias: 'x', expected: null, sent: [2, 3] }] } }), true, 'unknown rank is null');
  });
});
