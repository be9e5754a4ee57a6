// The Results view inside a real editor: hand-built calls (half_plus_two's predict on Vertex AI,
// an explain, a failed call with its diagnosis) shown through the extension's API, and what the
// webview rendered — read back from its DOM and posted to the host — compared with what a user
// should see. One panel is reused for every call.
import * as assert from 'node:assert/strict';
import * as vscode from 'vscode';
import type { ServeLensApi } from '../../src/extension';
import type { CallRecord } from '../../src/vscode/predict/contract';
import type { RenderedResults } from '../../webview/shared/results';
import { rendered as renderedOf } from '../helpers/rendered';

const EXTENSION_ID = 'servelens.servelens';
const ENDPOINT = 'projects/demo-project/locations/us-central1/endpoints/1234567890';
const TARGET = { kind: 'vertex' as const, name: ENDPOINT, label: 'half-plus-two (us-central1)' };

async function serveLens(): Promise<ServeLensApi> {
  const ext = vscode.extensions.getExtension<ServeLensApi>(EXTENSION_ID);
  assert.ok(ext, `${EXTENSION_ID} is not installed`);
  return ext.activate();
}

const rendered = (api: ServeLensApi, id: string, accept?: (s: RenderedResults) => boolean, timeoutMs?: number) => renderedOf(api.results, id, accept, timeoutMs);

function resultsTabs(): vscode.Tab[] {
  return vscode.window.tabGroups.all
    .flatMap((g) => g.tabs)
    .filter((t) => t.input instanceof vscode.TabInputWebview && t.input.viewType.endsWith(WEBVIEW_TYPE));
}
const WEBVIEW_TYPE = 'servelens.results';

const meta = (s: RenderedResults, label: string) => s.meta.find(([l]) => l === label)?.[1];

function entry(id: string, over: Partial<CallRecord['entry']> = {}): CallRecord['entry'] {
  return {
    id,
    time: '2026-03-01T10:00:00.000Z',
    op: 'predict',
    target: TARGET,
    file: '/work/requests/half_plus_two.request.json',
    requestHash: 'a'.repeat(64),
    requestBytes: 31,
    status: 'ok',
    latencyMs: 12.5,
    responseBytes: 141,
    httpStatus: 200,
    ...over,
  };
}

const HALF_PLUS_TWO = {
  name: 'serving_default',
  method: 'tensorflow/serving/predict' as const,
  inputs: [{ alias: 'x', dtype: 'DT_FLOAT' as const, shape: [-1, 1], tensor: 'x:0' }],
  outputs: [{ alias: 'y', dtype: 'DT_FLOAT' as const, shape: [-1, 1], tensor: 'y:0' }],
};

describe('Results view', function () {
  let api: ServeLensApi;

  before(async () => {
    api = await serveLens();
  });
  afterEach(async () => {
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
    // The panel's close reaches the extension host a moment later: wait, so the next test opens a new one.
    const deadline = Date.now() + 5_000;
    while (api.results.isOpen() && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
  });

  it("shows half_plus_two's Vertex AI predictions as a table, with the call's facts and its actions", async () => {
    const record: CallRecord = {
      entry: entry('hp2predict0001', { deployedModelId: '5550001' }),
      request: '{"instances": [1.0, 2.0, 5.0]}',
      response:
        '{\n  "predictions": [2.5, 3.0, 4.5],\n  "deployedModelId": "5550001",\n  "model": "projects/123/locations/us-central1/models/777",\n  "modelDisplayName": "half_plus_two",\n  "modelVersionId": "2"\n}\n',
      signature: HALF_PLUS_TWO,
      commands: { curl: 'curl -X POST -H "Authorization: Bearer $(gcloud auth print-access-token)" ...' },
    };
    await api.results.show(record);
    const s = await rendered(api, 'hp2predict0001');
    assert.equal(s.state, 'ok');
    assert.equal(s.op, 'predict');
    assert.equal(s.format, 'predictions');
    assert.equal(s.tab, 'tab-table');
    assert.deepEqual(s.tabs, ['Predictions (3)', 'Raw JSON', 'Request']);
    assert.deepEqual(s.columns, ['#', 'Instance', 'y']);
    assert.deepEqual(s.rows, [
      ['0', '1.0', '2.5'],
      ['1', '2.0', '3.0'],
      ['2', '5.0', '4.5'],
    ]);
    assert.equal(meta(s, 'Latency'), '12.5 ms');
    assert.equal(meta(s, 'HTTP'), '200');
    assert.equal(meta(s, 'Deployed model'), '5550001');
    assert.equal(meta(s, 'Model'), 'half_plus_two');
    assert.equal(meta(s, 'Model version'), '2');
    assert.equal(meta(s, 'Target'), TARGET.label);
    assert.equal(meta(s, 'Op'), 'Predict');
    assert.deepEqual(s.actions, ['Save Response…', 'Copy as curl', 'Re-run', 'Compare with Previous'], 'no gcloud command: no gcloud button');
    assert.equal(s.error, undefined);
    assert.equal(api.results.current(), record);
    assert.equal(resultsTabs().length, 1);
  });

  it('charts the attributions of an ExplainResponse per instance', async () => {
    const response = JSON.stringify({
      explanations: [
        { attributions: [{ baselineOutputValue: 2, instanceOutputValue: 2.5, featureAttributions: { x: 0.5 }, outputIndex: [0], outputName: 'y', approximationError: 0.001 }] },
        { attributions: [{ baselineOutputValue: 2, instanceOutputValue: 4.5, featureAttributions: { x: 2.5, bias: -0.25 }, outputIndex: [0], outputName: 'y', approximationError: 0 }] },
      ],
      deployedModelId: '5550001',
      predictions: [2.5, 4.5],
    });
    // A call is on show already: the explanation must replace it in the same panel.
    const before: CallRecord = { entry: entry('hp2before0001'), request: '{"instances": [1.0]}', response: '{"predictions": [2.5]}' };
    await api.results.show(before);
    await rendered(api, before.entry.id);
    assert.equal(resultsTabs().length, 1);
    const record: CallRecord = { entry: entry('hp2explain0001', { op: 'explain' }), request: '{"instances": [1.0, 5.0]}', response, signature: HALF_PLUS_TWO };
    await api.results.show(record);
    const s = await rendered(api, 'hp2explain0001');
    assert.equal(s.state, 'ok');
    assert.equal(s.format, 'explain');
    assert.equal(s.tab, 'tab-explain');
    assert.deepEqual(s.tabs, ['Explanations (2)', 'Predictions (2)', 'Raw JSON', 'Request']);
    assert.deepEqual(
      s.charts.map((c) => [c.title, c.bars]),
      [
        ['Instance 0 · y [0]', ['x']],
        ['Instance 1 · y [0]', ['x', 'bias']],
      ],
    );
    assert.match(s.text, /Baseline output\s*2/);
    assert.match(s.text, /Approximation error\s*0\.001/);
    assert.equal(resultsTabs().length, 1, 'one Results panel, reused');
  });

  it('shows a failed call with its diagnosis, the next steps and the raw body', async () => {
    const body = JSON.stringify({
      error: {
        code: 400,
        message: JSON.stringify({ error: 'Serving signature name: "serving_defualt" not found in signature def' }),
        status: 'FAILED_PRECONDITION',
      },
    });
    const record: CallRecord = {
      entry: entry('hp2error00001', { status: 'error', httpStatus: 400, error: 'Signature "serving_defualt" is not in the model.' }),
      request: '{"signature_name": "serving_defualt", "instances": [1.0]}',
      response: body,
      diagnosis: {
        code: 'signature-not-found',
        summary: 'The model has no signature "serving_defualt".',
        nextSteps: ['Use "serving_default" (did you mean it?).', 'Or leave signature_name out to use serving_default.'],
        serverMessage: 'Serving signature name: "serving_defualt" not found in signature def',
        httpStatus: 400,
        expected: ['serving_default', 'classify_x_to_y'],
        asked: 'serving_defualt',
        didYouMean: 'serving_default',
      },
    };
    await api.results.show(record);
    const s = await rendered(api, 'hp2error00001');
    assert.equal(s.state, 'error');
    assert.equal(s.error, 'The model has no signature "serving_defualt".');
    assert.deepEqual(s.nextSteps, record.diagnosis!.nextSteps);
    assert.equal(s.tab, 'tab-raw', 'a failure opens on the response body');
    assert.deepEqual(s.tabs, ['Raw JSON', 'Request']);
    assert.match(s.text, /Did you mean "serving_default" instead of "serving_defualt"\?/);
    assert.match(s.text, /Expected one of\s*serving_default, classify_x_to_y/);
    assert.match(s.text, /FAILED_PRECONDITION/, 'the raw body is shown');
    assert.equal(meta(s, 'HTTP'), '400');
  });

  it('a call read back from history without a diagnosis shows its error and a body that is not JSON', async () => {
    const record: CallRecord = {
      entry: entry('hp2error00002', { status: 'error', httpStatus: 502, error: 'The service answered 502 Bad Gateway.' }),
      response: '<html><body>502 Bad Gateway</body></html>',
    };
    await api.results.show(record);
    const s = await rendered(api, 'hp2error00002');
    assert.equal(s.state, 'error');
    assert.equal(s.error, 'The service answered 502 Bad Gateway.');
    assert.equal(s.format, 'text');
    assert.match(s.text, /<html><body>502 Bad Gateway<\/body><\/html>/);
    assert.deepEqual(s.actions, ['Save Response…', 'Re-run', 'Compare with Previous']);
  });
});
