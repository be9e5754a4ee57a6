import { strict as assert } from 'node:assert';
import { readFile } from 'node:fs/promises';
import { after, before, describe, it } from 'node:test';
import { startLocalServer, type LocalServer } from '../../src/core/runner/index';
import { savedModel, SAVEDMODELS } from '../helpers/fixtures';
import { join } from 'node:path';

async function call(url: string, body?: unknown): Promise<{ status: number; json: Record<string, unknown> }> {
  const res = await fetch(url, body === undefined ? {} : { method: 'POST', body: typeof body === 'string' ? body : JSON.stringify(body), headers: { 'content-type': 'application/json' } });
  return { status: res.status, json: (await res.json()) as Record<string, unknown> };
}

describe('local server: TF Serving REST and Vertex-style routes on 127.0.0.1', () => {
  let hpt: LocalServer;
  let tf2: LocalServer;
  before(async () => {
    // TF Serving's own test serves half_plus_two as "default".
    hpt = await startLocalServer({ model: savedModel('saved_model_half_plus_two_cpu'), name: 'default' });
    tf2 = await startLocalServer({ model: savedModel('saved_model_half_plus_two_tf2_cpu') });
  });
  after(async () => {
    await hpt?.close();
    await tf2?.close();
  });

  it('binds to 127.0.0.1 and names the model after its base folder by default', () => {
    assert.match(hpt.url, /^http:\/\/127\.0\.0\.1:\d+$/);
    assert.equal(tf2.name, 'saved_model_half_plus_two_tf2_cpu');
    assert.deepEqual(tf2.versions, ['123']);
  });

  it('status and metadata are TF Serving\'s (metadata equal to expected/half_plus_two_model_metadata.json)', async () => {
    const status = await call(`${hpt.url}/v1/models/default`);
    assert.deepEqual(status.json, { model_version_status: [{ version: '123', state: 'AVAILABLE', status: { error_code: 'OK', error_message: '' } }] });
    const meta = await call(`${hpt.url}/v1/models/default/metadata`);
    const expected = JSON.parse(await readFile(join(SAVEDMODELS, 'expected', 'half_plus_two_model_metadata.json'), 'utf8')) as unknown;
    assert.deepEqual(meta.json, expected);
    const v = await call(`${hpt.url}/v1/models/default/versions/123/metadata`);
    assert.deepEqual(v.json, expected);
  });

  it(':predict row and columnar, :classify and :regress answer what TF Serving\'s REST tests assert', async () => {
    assert.deepEqual((await call(`${hpt.url}/v1/models/default:predict`, { instances: [2.0, 3.0, 4.0] })).json, { predictions: [3, 3.5, 4] });
    assert.deepEqual((await call(`${hpt.url}/v1/models/default:predict`, { inputs: [2.0, 3.0, 4.0] })).json, { outputs: [3, 3.5, 4] });
    assert.deepEqual((await call(`${hpt.url}/v1/models/default:classify`, { signature_name: 'classify_x_to_y', examples: [{ x: 2.0 }] })).json, { results: [[['', 3]]] });
    assert.deepEqual((await call(`${hpt.url}/v1/models/default/versions/123:regress`, { signature_name: 'regress_x_to_y', examples: [{ x: 2.0 }] })).json, { results: [3] });
    assert.deepEqual((await call(`${tf2.url}/v1/models/${tf2.name}:classify`, { signature_name: 'classify_x_to_y', examples: [{ x: 2.0 }] })).json, { results: [[['', 3]]] });
    assert.deepEqual((await call(`${tf2.url}/v1/models/${tf2.name}:regress`, { signature_name: 'regress_x_to_y2', examples: [{ x: 2.0 }] })).json, { results: [4] });
  });

  it('Vertex-style :predict and :explain on any project/location/endpoint', async () => {
    const p = await call(`${hpt.url}/v1/projects/p1/locations/us-central1/endpoints/123:predict`, { instances: [1.0, 2.0, 5.0] });
    assert.equal(p.status, 200);
    assert.deepEqual(p.json.predictions, [2.5, 3, 4.5]);
    assert.equal(p.json.deployedModelId, 'local');
    const e = await call(`${hpt.url}/v1/projects/x/locations/y/endpoints/z:explain`, { instances: [2.0], parameters: { sampledShapleyAttribution: { pathCount: 2 } } });
    assert.equal(e.status, 200);
    const at = (e.json.explanations as { attributions: { featureAttributions: { x: number }; instanceOutputValue: number; baselineOutputValue: number }[] }[])[0]!.attributions[0]!;
    assert.equal(at.featureAttributions.x, 1);
    assert.equal(at.instanceOutputValue - at.baselineOutputValue, 1);
  });

  it('errors are {"error": "..."} with TF Serving\'s statuses', async () => {
    const unknown = await call(`${hpt.url}/v1/models/other`);
    assert.equal(unknown.status, 404);
    assert.match(String(unknown.json.error), /Servable not found.*other/);
    const version = await call(`${hpt.url}/v1/models/default/versions/7:predict`, { instances: [1.0] });
    assert.equal(version.status, 404);
    const bad = await call(`${hpt.url}/v1/models/default:predict`, { instances: [{ y: 1.0 }] });
    assert.equal(bad.status, 400);
    assert.deepEqual(Object.keys(bad.json), ['error']);
    assert.match(String(bad.json.error), /"y"/);
    const notJson = await call(`${hpt.url}/v1/models/default:predict`, 'nope');
    assert.equal(notJson.status, 400);
    const sig = await call(`${hpt.url}/v1/models/default:predict`, { signature_name: 'missing', instances: [1.0] });
    assert.equal(sig.status, 400);
  });
});
