/**
 * The emulator's route families against the real fixtures: Vertex AI (paging, filters, models and
 * versions, batch job lifecycle, operations), AI Platform, auth and access refusals, Cloud Storage
 * (listing, metadata, media bytes, ranges, preconditions, traversal), TF Serving (status and the
 * metadata TF Serving's own test expects), the metadata server.
 */
import { strict as assert } from 'node:assert';
import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, beforeEach, describe, it } from 'node:test';
import { startEmulator, type Emulator } from '../emulator/server';
import type { EmulatorState } from '../emulator/types';
import { FIXTURES, savedModel } from '../helpers/fixtures';

const TOKEN = 'ya29.servelens-test-token';
const P = 'projects/servelens-demo/locations/us-central1';
const N = 'projects/123456789012/locations/us-central1';

/** Response bodies are read loosely in assertions; each test states the fields it checks. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Json = any;

let emu: Emulator;

async function call(path: string, init: RequestInit & { token?: string | null } = {}): Promise<{ status: number; headers: Headers; body: Json; text: string }> {
  const headers = new Headers(init.headers);
  if (init.token !== null) headers.set('authorization', `Bearer ${init.token ?? TOKEN}`);
  if (init.body) headers.set('content-type', 'application/json');
  const res = await fetch(`${emu.url}${path}`, { ...init, headers });
  const text = await res.text();
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    body = undefined;
  }
  return { status: res.status, headers: res.headers, body, text };
}

function assertRpcError(r: { status: number; body: Json }, http: number, status: string): void {
  assert.equal(r.status, http, JSON.stringify(r.body));
  assert.equal(r.body.error.code, http);
  assert.equal(r.body.error.status, status);
  assert.equal(typeof r.body.error.message, 'string');
}

before(async () => {
  emu = await startEmulator();
});
after(async () => {
  await emu.close();
});
beforeEach(() => {
  emu.reset();
  emu.state.timing = { jobStepMs: 0, operationDoneMs: 0 };
});

describe('emulator: Vertex AI endpoints', () => {
  it('pages with an opaque nextPageToken bound to the listing; empty lists are {}', async () => {
    const first = await call(`/v1/${P}/endpoints?pageSize=2`);
    assert.equal(first.status, 200);
    assert.equal(first.body.endpoints.length, 2);
    assert.equal(typeof first.body.nextPageToken, 'string');
    const second = await call(`/v1/${P}/endpoints?pageSize=2&pageToken=${encodeURIComponent(first.body.nextPageToken)}`);
    assert.deepEqual(second.body.endpoints.map((e: Json) => e.displayName), ['empty-endpoint']);
    assert.equal(second.body.nextPageToken, undefined);
    // A token from another listing (here: another filter) is refused.
    const foreign = await call(`/v1/${P}/endpoints?pageSize=2&filter=labels.env%3Dprod&pageToken=${encodeURIComponent(first.body.nextPageToken)}`);
    assertRpcError(foreign, 400, 'INVALID_ARGUMENT');
    assertRpcError(await call(`/v1/${P}/endpoints?pageToken=garbage`), 400, 'INVALID_ARGUMENT');
    assertRpcError(await call(`/v1/${P}/endpoints?pageSize=abc`), 400, 'INVALID_ARGUMENT');
    const empty = await call('/v1/projects/servelens-demo/locations/us-east1/endpoints');
    assert.equal(empty.status, 200);
    assert.deepEqual(empty.body, {});
    assertRpcError(await call('/v1/projects/servelens-demo/locations/mars-north1/endpoints'), 400, 'INVALID_ARGUMENT');
  });

  it('default page size is 100: 120 generated endpoints come in pages of 100 and 20', async () => {
    const a = await call('/v1/projects/servelens-demo/locations/europe-west4/endpoints');
    assert.equal(a.body.endpoints.length, 100);
    const b = await call(`/v1/projects/servelens-demo/locations/europe-west4/endpoints?pageToken=${a.body.nextPageToken}`);
    assert.equal(b.body.endpoints.length, 20);
    assert.equal(b.body.endpoints[19].displayName, 'generated-endpoint-0120');
  });

  it('filters display_name, displayName, endpoint, labels; refuses OR and unknown fields', async () => {
    const names = async (f: string) => (await call(`/v1/${P}/endpoints?filter=${encodeURIComponent(f)}`)).body.endpoints?.map((e: Json) => e.displayName) ?? [];
    assert.deepEqual(await names('display_name="empty-endpoint"'), ['empty-endpoint']);
    assert.deepEqual(await names('displayName!="empty-endpoint"'), ['half-plus-two-prod', 'half-plus-three-staging']);
    assert.deepEqual(await names('endpoint=8763221140365918208'), ['half-plus-three-staging']);
    assert.deepEqual(await names('labels.env="prod"'), ['half-plus-two-prod']);
    assert.deepEqual(await names('labels.env:*'), ['half-plus-two-prod', 'half-plus-three-staging']);
    assert.deepEqual(await names('labels.env=prod AND display_name="half-plus-two-prod"'), ['half-plus-two-prod']);
    assertRpcError(await call(`/v1/${P}/endpoints?filter=${encodeURIComponent('display_name=a OR display_name=b')}`), 400, 'INVALID_ARGUMENT');
    assertRpcError(await call(`/v1/${P}/endpoints?filter=${encodeURIComponent('color=red')}`), 400, 'INVALID_ARGUMENT');
  });

  it('get by project id or number gives the same endpoint, named with the project number; 404 NOT_FOUND otherwise', async () => {
    const byId = await call(`/v1/${P}/endpoints/2281564539145093120`);
    const byNumber = await call(`/v1/${N}/endpoints/2281564539145093120`);
    assert.deepEqual(byId.body, byNumber.body);
    const e = byId.body;
    assert.equal(e.name, `${N}/endpoints/2281564539145093120`);
    assert.deepEqual(e.trafficSplit, { '6025781412435673088': 90, '3395926227162546176': 10 });
    assert.equal(e.deployedModels[0].model, `${N}/models/4471256745123258368`);
    assert.equal(e.deployedModels[0].dedicatedResources.machineSpec.machineType, 'n1-standard-2');
    assert.equal(e.deployedModels[1].dedicatedResources.machineSpec.acceleratorType, 'NVIDIA_TESLA_T4');
    // A deployed model without a version in the seed gets the model's default version.
    const staging = await call(`/v1/${P}/endpoints/8763221140365918208`);
    assert.equal(staging.body.deployedModels[0].modelVersionId, '1');
    assert.deepEqual(staging.body.deployedModels[0].automaticResources, { minReplicaCount: 1, maxReplicaCount: 2 });
    const missing = await call(`/v1/${P}/endpoints/42`);
    assertRpcError(missing, 404, 'NOT_FOUND');
    assert.match(missing.body.error.message, /endpoints\/42/);
  });

  it(':predict without a predictor (local runner) is 501 UNIMPLEMENTED; unknown paths get the HTML 404 of Google\'s front end', async () => {
    const r = await call(`/v1/${P}/endpoints/2281564539145093120:predict`, { method: 'POST', body: '{"instances":[1.0]}' });
    assertRpcError(r, 501, 'UNIMPLEMENTED');
    assertRpcError(await call(`/v1/${P}/endpoints/1:explain`, { method: 'POST', body: '{}' }), 404, 'NOT_FOUND');
    const html = await call(`/v1/${P}/widgets`);
    assert.equal(html.status, 404);
    assert.match(html.headers.get('content-type')!, /^text\/html/);
    assert.match(html.text, /That’s an error/);
    assert.equal((await call(`/v1/${P}/endpoints`, { method: 'DELETE' })).status, 404);
  });

  it('enum-encoding=int turns enum fields into numbers', async () => {
    const q = '$alt=json%3Benum-encoding%3Dint';
    const e = await call(`/v1/${P}/endpoints/2281564539145093120?${q}`);
    assert.equal(e.body.deployedModels[1].dedicatedResources.machineSpec.acceleratorType, 5);
    const m = await call(`/v1/${P}/models/4471256745123258368?${q}`);
    assert.deepEqual(m.body.supportedDeploymentResourcesTypes, [1]);
    const j = await call(`/v1/${P}/batchPredictionJobs/1122334455667788990?${q}`);
    assert.equal(j.body.state, 4);
    const named = await call(`/v1/${P}/batchPredictionJobs/1122334455667788990`);
    assert.equal(named.body.state, 'JOB_STATE_SUCCEEDED');
  });

  it('locations list includes every region with data and the Vertex AI regions', async () => {
    const r = await call('/v1/projects/servelens-demo/locations?pageSize=1000');
    const ids = r.body.locations.map((l: Json) => l.locationId);
    assert.ok(ids.includes('us-central1') && ids.includes('europe-west4') && ids.includes('asia-northeast1'));
  });
});

describe('emulator: Vertex AI models and versions', () => {
  it('lists each model once at its default version, with aliases, artifactUri and deployment references', async () => {
    const r = await call(`/v1/${P}/models`);
    assert.deepEqual(r.body.models.map((m: Json) => [m.displayName, m.versionId]), [['half_plus_two', '1'], ['half_plus_three', '1'], ['times_three_float', '1']]);
    const m = r.body.models[0];
    assert.equal(m.name, `${N}/models/4471256745123258368`);
    assert.deepEqual(m.versionAliases, ['default', 'stable']);
    assert.equal(m.artifactUri, 'gs://servelens-fixtures/savedmodels/saved_model_half_plus_two_cpu/00000123');
    assert.deepEqual(m.deployedModels, [{ endpoint: `${N}/endpoints/2281564539145093120`, deployedModelId: '6025781412435673088' }]);
    // A seed version without aliases becomes the default one.
    assert.deepEqual(r.body.models[2].versionAliases, ['default']);
    const filtered = await call(`/v1/${P}/models?filter=${encodeURIComponent('display_name="half_plus_three"')}`);
    assert.deepEqual(filtered.body.models.map((x: Json) => x.displayName), ['half_plus_three']);
  });

  it('gets model@version and model@alias; listVersions pages; unknown version or alias is 404', async () => {
    const byId = await call(`/v1/${P}/models/4471256745123258368@2`);
    const byAlias = await call(`/v1/${P}/models/4471256745123258368%40canary`);
    assert.deepEqual(byId.body, byAlias.body);
    assert.equal(byId.body.versionId, '2');
    assert.deepEqual(byId.body.deployedModels, [{ endpoint: `${N}/endpoints/2281564539145093120`, deployedModelId: '3395926227162546176' }]);
    assertRpcError(await call(`/v1/${P}/models/4471256745123258368@nope`), 404, 'NOT_FOUND');
    const page1 = await call(`/v1/${P}/models/4471256745123258368:listVersions?pageSize=1`);
    assert.deepEqual(page1.body.models.map((m: Json) => m.versionId), ['1']);
    const page2 = await call(`/v1/${P}/models/4471256745123258368:listVersions?pageSize=1&pageToken=${page1.body.nextPageToken}`);
    assert.deepEqual(page2.body.models.map((m: Json) => m.versionId), ['2']);
    assert.equal(page2.body.nextPageToken, undefined);
    assertRpcError(await call(`/v1/${P}/models/999:listVersions`), 404, 'NOT_FOUND');
  });
});

describe('emulator: Vertex AI batch prediction jobs and operations', () => {
  const body = {
    displayName: 'unit-job',
    model: `${P}/models/4471256745123258368@canary`,
    inputConfig: { instancesFormat: 'jsonl', gcsSource: { uris: ['gs://servelens-demo-data/in.jsonl'] } },
    outputConfig: { predictionsFormat: 'jsonl', gcsDestination: { outputUriPrefix: 'gs://servelens-demo-data/out/' } },
  };

  it('create validates the body like Vertex AI: every missing field listed, unknown fields refused, snake_case accepted', async () => {
    const missing = await call(`/v1/${P}/batchPredictionJobs`, { method: 'POST', body: JSON.stringify({ model: body.model }) });
    assertRpcError(missing, 400, 'INVALID_ARGUMENT');
    assert.match(missing.body.error.message, /^List of found errors:\t1\.Field: batch_prediction_job\.display_name; Message: Required field is not set\./);
    const fields = missing.body.error.details[0].fieldViolations.map((v: Json) => v.field);
    assert.deepEqual(fields, ['batch_prediction_job.display_name', 'batch_prediction_job.input_config', 'batch_prediction_job.output_config']);
    assert.equal(missing.body.error.details[0]['@type'], 'type.googleapis.com/google.rpc.BadRequest');

    const unknown = await call(`/v1/${P}/batchPredictionJobs`, { method: 'POST', body: JSON.stringify({ ...body, colour: 'red' }) });
    assertRpcError(unknown, 400, 'INVALID_ARGUMENT');
    assert.match(unknown.body.error.message, /Unknown name "colour"/);
    const badFormat = await call(`/v1/${P}/batchPredictionJobs`, { method: 'POST', body: JSON.stringify({ ...body, inputConfig: { instancesFormat: 'xml', gcsSource: { uris: ['gs://b/x'] } } }) });
    assert.match(badFormat.body.error.message, /instances_format; Message: Unsupported instances format "xml"/);
    const elsewhere = await call(`/v1/${P}/batchPredictionJobs`, { method: 'POST', body: JSON.stringify({ ...body, model: 'projects/servelens-demo/locations/europe-west4/models/1' }) });
    assertRpcError(elsewhere, 400, 'INVALID_ARGUMENT');
    assertRpcError(await call(`/v1/${P}/batchPredictionJobs`, { method: 'POST', body: JSON.stringify({ ...body, model: `${P}/models/404` }) }), 404, 'NOT_FOUND');
    assertRpcError(await call(`/v1/${P}/batchPredictionJobs`, { method: 'POST', body: '{not json' }), 400, 'INVALID_ARGUMENT');

    const snake = await call(`/v1/${P}/batchPredictionJobs`, {
      method: 'POST',
      body: JSON.stringify({
        display_name: 'snake', model: body.model,
        input_config: { instances_format: 'jsonl', gcs_source: { uris: ['gs://b/in'] } },
        output_config: { predictions_format: 'jsonl', gcs_destination: { output_uri_prefix: 'gs://b/out' } },
        labels: { some_label: 'x' },
      }),
    });
    assert.equal(snake.status, 200, JSON.stringify(snake.body));
    assert.equal(snake.body.displayName, 'snake');
    assert.deepEqual(snake.body.labels, { some_label: 'x' });
  });

  it('a created job goes PENDING → RUNNING → SUCCEEDED, one step per read, and appears in the list', async () => {
    const created = await call(`/v1/${P}/batchPredictionJobs`, { method: 'POST', body: JSON.stringify(body) });
    assert.equal(created.status, 200);
    assert.equal(created.body.state, 'JOB_STATE_PENDING');
    assert.equal(created.body.modelVersionId, '2');
    assert.equal(created.body.model, `${N}/models/4471256745123258368`);
    assert.ok(created.body.createTime && !created.body.startTime);
    const path = `/v1/${created.body.name}`;
    const running = await call(path);
    assert.equal(running.body.state, 'JOB_STATE_RUNNING');
    assert.ok(running.body.startTime);
    const done = await call(path);
    assert.equal(done.body.state, 'JOB_STATE_SUCCEEDED');
    assert.deepEqual(done.body.completionStats, { successfulCount: '3', failedCount: '0', incompleteCount: '0' });
    assert.match(done.body.outputInfo.gcsOutputDirectory, /^gs:\/\/servelens-demo-data\/out\/prediction-half_plus_two-\d{4}_\d\d_\d\dT\d\d_\d\d_\d\d_\d{3}Z$/);
    const list = await call(`/v1/${P}/batchPredictionJobs?filter=${encodeURIComponent('display_name="unit-job"')}`);
    assert.deepEqual(list.body.batchPredictionJobs.map((j: Json) => j.state), ['JOB_STATE_SUCCEEDED']);
  });

  it('jobStepMs holds a job in its state until that long has passed; emulator-outcome: failed ends FAILED with an error', async () => {
    emu.state.timing = { jobStepMs: 60_000 };
    const slow = await call(`/v1/${P}/batchPredictionJobs`, { method: 'POST', body: JSON.stringify(body) });
    assert.equal((await call(`/v1/${slow.body.name}`)).body.state, 'JOB_STATE_PENDING');
    emu.state.timing = { jobStepMs: 0 };
    const failing = await call(`/v1/${P}/batchPredictionJobs`, { method: 'POST', body: JSON.stringify({ ...body, labels: { 'emulator-outcome': 'failed' } }) });
    await call(`/v1/${failing.body.name}`);
    const failed = await call(`/v1/${failing.body.name}`);
    assert.equal(failed.body.state, 'JOB_STATE_FAILED');
    assert.equal(failed.body.error.code, 3);
  });

  it('cancel answers {} then CANCELLING → CANCELLED with error code 1; a finished job cannot be cancelled; delete is an operation', async () => {
    const created = await call(`/v1/${P}/batchPredictionJobs`, { method: 'POST', body: JSON.stringify(body) });
    const cancel = await call(`/v1/${created.body.name}:cancel`, { method: 'POST', body: '{}' });
    assert.equal(cancel.status, 200);
    assert.deepEqual(cancel.body, {});
    emu.state.timing = { jobStepMs: 60_000 };
    assert.equal((await call(`/v1/${created.body.name}`)).body.state, 'JOB_STATE_CANCELLING');
    assertRpcError(await call(`/v1/${created.body.name}`, { method: 'DELETE' }), 400, 'FAILED_PRECONDITION');
    emu.state.timing = { jobStepMs: 0 };
    const cancelled = await call(`/v1/${created.body.name}`);
    assert.equal(cancelled.body.state, 'JOB_STATE_CANCELLED');
    assert.deepEqual(cancelled.body.error, { code: 1, message: 'CANCELED' });
    assertRpcError(await call(`/v1/${P}/batchPredictionJobs/1122334455667788990:cancel`, { method: 'POST' }), 400, 'FAILED_PRECONDITION');

    const del = await call(`/v1/${created.body.name}`, { method: 'DELETE' });
    assert.equal(del.status, 200);
    assert.match(del.body.name, /^projects\/123456789012\/locations\/us-central1\/operations\/\d+$/);
    assert.equal(del.body.done, true);
    assert.deepEqual(del.body.response, { '@type': 'type.googleapis.com/google.protobuf.Empty' });
    assert.equal(del.body.metadata['@type'], 'type.googleapis.com/google.cloud.aiplatform.v1.DeleteOperationMetadata');
    assertRpcError(await call(`/v1/${created.body.name}`), 404, 'NOT_FOUND');
    const op = await call(`/v1/${del.body.name}`);
    assert.deepEqual(op.body, del.body);
  });

  it('endpoints:create returns a running operation under the endpoint; /v1 and /ui polls see it done with the Endpoint', async () => {
    emu.state.timing = { operationDoneMs: 60_000 };
    const op = await call(`/v1/${P}/endpoints?endpointId=new-endpoint`, { method: 'POST', body: JSON.stringify({ display_name: 'New endpoint', labels: { a: 'b' } }) });
    assert.equal(op.status, 200);
    assert.equal(op.body.name.startsWith(`${N}/endpoints/new-endpoint/operations/`), true);
    assert.equal(op.body.done, undefined); // false is omitted, as proto3 JSON does
    assert.equal(op.body.metadata['@type'], 'type.googleapis.com/google.cloud.aiplatform.v1.CreateEndpointOperationMetadata');
    assert.equal((await call(`/ui/${op.body.name}`)).body.done, undefined);
    assertRpcError(await call(`/v1/${P}/endpoints/new-endpoint`), 404, 'NOT_FOUND');
    emu.state.timing = { operationDoneMs: 0 };
    const done = await call(`/ui/${op.body.name}`);
    assert.equal(done.body.done, true);
    assert.equal(done.body.response['@type'], 'type.googleapis.com/google.cloud.aiplatform.v1.Endpoint');
    assert.equal(done.body.response.name, `${N}/endpoints/new-endpoint`);
    assert.deepEqual((await call(`/v1/${op.body.name}`)).body, done.body);
    assert.equal((await call(`/v1/${P}/endpoints/new-endpoint`)).body.displayName, 'New endpoint');
    const ops = await call(`/v1/${P}/operations`);
    assert.ok(ops.body.operations.some((o: Json) => o.name === op.body.name));
    assertRpcError(await call(`/v1/${P}/endpoints?endpointId=new-endpoint`, { method: 'POST', body: '{"displayName":"again"}' }), 409, 'ALREADY_EXISTS');
    assertRpcError(await call(`/v1/${P}/endpoints`, { method: 'POST', body: '{}' }), 400, 'INVALID_ARGUMENT');
    assertRpcError(await call(`/ui/${P}/operations/123`), 404, 'NOT_FOUND');
    assert.equal((await call(`/ui/${P}/endpoints`)).status, 404); // /ui serves operations only
  });
});

describe('emulator: AI Platform (legacy)', () => {
  it('models embed the default version; versions mark it; names use the project id', async () => {
    const r = await call('/v1/projects/servelens-demo/models');
    assert.equal(r.status, 200);
    const [hpt, hp3] = r.body.models;
    assert.equal(hpt.name, 'projects/servelens-demo/models/half_plus_two');
    assert.equal(hpt.defaultVersion.name, 'projects/servelens-demo/models/half_plus_two/versions/v1');
    assert.equal(hpt.defaultVersion.isDefault, true);
    assert.deepEqual(hpt.regions, ['us-central1']);
    assert.equal(hpt.onlinePredictionLogging, true);
    assert.equal(hp3.defaultVersion.state, 'FAILED');
    assert.match(hp3.defaultVersion.errorMessage, /Bad model detected/);
    const versions = await call('/v1/projects/servelens-demo/models/half_plus_two/versions');
    const [v1, v2] = versions.body.versions;
    assert.equal(v1.isDefault, true);
    assert.equal(v2.isDefault, undefined);
    assert.deepEqual(v1.autoScaling, { minNodes: 1, maxNodes: 4 });
    assert.deepEqual(v2.manualScaling, { nodes: 2 });
    assert.equal(v2.deploymentUri, 'gs://servelens-fixtures/savedmodels/saved_model_half_plus_two_2_versions/00000124');
    assert.equal(v2.framework, 'TENSORFLOW');
    assert.equal(v2.runtimeVersion, '2.11');
    assert.deepEqual((await call('/v1/projects/servelens-demo/models/half_plus_two/versions/v2')).body, v2);
    assert.deepEqual((await call('/v1/projects/servelens-demo/models/half_plus_two')).body, hpt);
    const missing = await call('/v1/projects/servelens-demo/models/nope');
    assertRpcError(missing, 404, 'NOT_FOUND');
    assert.match(missing.body.error.message, /was not found/);
    assertRpcError(await call('/v1/projects/servelens-demo/models/half_plus_two/versions/v9'), 404, 'NOT_FOUND');
    assertRpcError(await call('/v1/projects/servelens-demo/models/half_plus_two/versions/v1:predict', { method: 'POST', body: '{"instances":[1]}' }), 501, 'UNIMPLEMENTED');
  });

  it('pageSize defaults to 20, at most 100; a project without models answers {}', async () => {
    const many: EmulatorState = {
      projects: {
        big: { number: '1', aiPlatform: { models: Array.from({ length: 125 }, (_, i) => ({ name: `m${String(i).padStart(3, '0')}`, versions: [{ name: 'v1', state: 'READY' }] })) } },
        none: { number: '2' },
      },
    };
    const local = await startEmulator({ state: many });
    try {
      const get = async (q: string) => (await (await fetch(`${local.url}/v1/projects/big/models${q}`)).json()) as { models: { name: string }[]; nextPageToken?: string };
      const a = await get('');
      assert.equal(a.models.length, 20);
      assert.equal((await get('?pageSize=500')).models.length, 100);
      const b = await get(`?pageToken=${a.nextPageToken}&pageSize=100`);
      assert.equal(b.models.length, 100);
      assert.equal(b.models[0]!.name, 'projects/big/models/m020');
      assert.deepEqual(await (await fetch(`${local.url}/v1/projects/none/models`)).json(), {});
    } finally {
      await local.close();
    }
  });
});

describe('emulator: authentication and access', () => {
  it('401 UNAUTHENTICATED with the ErrorInfo reason Google gives: missing, invalid, expired; access_token also accepted', async () => {
    const missing = await call(`/v1/${P}/endpoints`, { token: null });
    assertRpcError(missing, 401, 'UNAUTHENTICATED');
    assert.equal(missing.body.error.details[0].reason, 'CREDENTIALS_MISSING');
    assert.equal(missing.body.error.details[0].metadata.method, 'google.cloud.aiplatform.v1.EndpointService.ListEndpoints');
    assert.match(missing.headers.get('www-authenticate')!, /^Bearer/);
    assert.equal((await call(`/v1/${P}/endpoints`, { token: 'ya29.nope' })).body.error.details[0].reason, 'ACCESS_TOKEN_TYPE_UNSUPPORTED');
    assert.equal((await call(`/v1/${P}/endpoints`, { token: 'ya29.servelens-expired-token' })).body.error.details[0].reason, 'ACCESS_TOKEN_EXPIRED');
    assert.equal((await call('/v1/projects/servelens-demo/models', { token: null })).status, 401);
    assert.equal((await call(`/v1/${P}/endpoints?access_token=${TOKEN}`, { token: null })).status, 200);
    // The metadata server's token is accepted too.
    assert.equal((await call(`/v1/${P}/endpoints`, { token: 'ya29.servelens-emulator-token' })).status, 200);
    emu.state.auth = { required: false };
    assert.equal((await call(`/v1/${P}/endpoints`, { token: null })).status, 200);
  });

  it('unknown and refused projects: 403 IAM_PERMISSION_DENIED naming the permission; SERVICE_DISABLED per service', async () => {
    const unknown = await call('/v1/projects/nobody/locations/us-central1/endpoints');
    assertRpcError(unknown, 403, 'PERMISSION_DENIED');
    assert.match(unknown.body.error.message, /^Permission 'aiplatform\.endpoints\.list' denied on resource '\/\/aiplatform\.googleapis\.com\/projects\/nobody\/locations\/us-central1' \(or it may not exist\)\.$/);
    assert.deepEqual(unknown.body.error.details[0], {
      '@type': 'type.googleapis.com/google.rpc.ErrorInfo', reason: 'IAM_PERMISSION_DENIED', domain: 'aiplatform.googleapis.com',
      metadata: { permission: 'aiplatform.endpoints.list', resource: 'projects/nobody/locations/us-central1' },
    });
    const legacy = await call('/v1/projects/servelens-denied/models');
    assertRpcError(legacy, 403, 'PERMISSION_DENIED');
    assert.equal(legacy.body.error.details[0].metadata.permission, 'ml.models.list');

    emu.setAccess('servelens-demo', 'SERVICE_DISABLED', 'aiplatform.googleapis.com');
    const disabled = await call(`/v1/${P}/models`);
    assertRpcError(disabled, 403, 'PERMISSION_DENIED');
    const info = disabled.body.error.details[0];
    assert.equal(info.reason, 'SERVICE_DISABLED');
    assert.equal(info.domain, 'googleapis.com');
    assert.equal(info.metadata.service, 'aiplatform.googleapis.com');
    assert.equal(info.metadata.consumer, 'projects/123456789012');
    assert.match(disabled.body.error.message, /^Vertex AI API has not been used in project 123456789012 before or it is disabled\./);
    assert.equal((await call('/v1/projects/servelens-demo/models')).status, 200, 'AI Platform still served');
    // Over HTTP, as integration tests do it.
    const reset = await fetch(`${emu.url}/__emulator/access`, { method: 'POST', body: JSON.stringify({ project: 'servelens-demo', mode: null, service: 'aiplatform.googleapis.com' }) });
    assert.equal(reset.status, 200);
    assert.equal((await call(`/v1/${P}/models`)).status, 200);
    await fetch(`${emu.url}/__emulator/access`, { method: 'POST', body: JSON.stringify({ project: 'servelens-demo', mode: 'PERMISSION_DENIED' }) });
    assert.equal((await call('/storage/v1/b/servelens-fixtures/o')).status, 403);
    assert.equal((await fetch(`${emu.url}/__emulator/access`, { method: 'POST', body: '{"project":"servelens-demo","mode":"MAYBE"}' })).status, 400);
  });
});

describe('emulator: Cloud Storage', () => {
  const HPT = 'savedmodels/saved_model_half_plus_two_cpu/00000123/';
  const o = (name: string) => `/storage/v1/b/servelens-fixtures/o/${encodeURIComponent(name)}`;

  it('lists with prefix and delimiter, sizes and generations as strings, md5Hash of the real bytes', async () => {
    const dirs = await call(`/storage/v1/b/servelens-fixtures/o?prefix=${encodeURIComponent(HPT)}&delimiter=/`);
    assert.equal(dirs.body.kind, 'storage#objects');
    assert.deepEqual(dirs.body.prefixes, [`${HPT}assets/`, `${HPT}variables/`]);
    assert.deepEqual(dirs.body.items.map((i: Json) => i.name), [`${HPT}saved_model.pb`]);
    const pb = dirs.body.items[0];
    const bytes = readFileSync(savedModel('saved_model_half_plus_two_cpu', '00000123', 'saved_model.pb'));
    assert.equal(pb.size, String(bytes.length));
    assert.equal(pb.md5Hash, createHash('md5').update(bytes).digest('base64'));
    assert.match(pb.generation, /^\d+$/);
    assert.equal(pb.bucket, 'servelens-fixtures');
    const all = await call(`/storage/v1/b/servelens-fixtures/o?prefix=${encodeURIComponent(HPT)}`);
    assert.deepEqual(all.body.items.map((i: Json) => i.name.slice(HPT.length)), ['assets/foo.txt', 'saved_model.pb', 'variables/variables.data-00000-of-00001', 'variables/variables.index']);
    assert.equal(all.body.prefixes, undefined);
  });

  it('pages with maxResults; unknown bucket is 404 in the Cloud Storage error shape', async () => {
    const a = await call(`/storage/v1/b/servelens-fixtures/o?prefix=${encodeURIComponent(HPT)}&maxResults=3`);
    assert.equal(a.body.items.length, 3);
    const b = await call(`/storage/v1/b/servelens-fixtures/o?prefix=${encodeURIComponent(HPT)}&maxResults=3&pageToken=${a.body.nextPageToken}`);
    assert.deepEqual(b.body.items.map((i: Json) => i.name), [`${HPT}variables/variables.index`]);
    assert.equal(b.body.nextPageToken, undefined);
    const nb = await call('/storage/v1/b/no-such-bucket/o');
    assert.equal(nb.status, 404);
    assert.deepEqual(nb.body.error.errors[0], { message: 'The specified bucket does not exist.', domain: 'global', reason: 'notFound' });
    assert.deepEqual((await call('/storage/v1/b/servelens-demo-data/o')).body, { kind: 'storage#objects' });
  });

  it('media bytes equal the fixture file (both download paths), with x-goog-hash; Range gives 206', async () => {
    const file = savedModel('saved_model_half_plus_two_cpu', '00000123', 'variables', 'variables.index');
    const bytes = readFileSync(file);
    for (const base of ['/storage/v1/b', '/download/storage/v1/b']) {
      const res = await fetch(`${emu.url}${base}/servelens-fixtures/o/${encodeURIComponent(`${HPT}variables/variables.index`)}?alt=media`, { headers: { authorization: `Bearer ${TOKEN}` } });
      assert.equal(res.status, 200);
      assert.deepEqual(Buffer.from(await res.arrayBuffer()), bytes);
      assert.equal(res.headers.get('x-goog-hash'), `crc32c=${(await call(o(`${HPT}variables/variables.index`))).body.crc32c},md5=${createHash('md5').update(bytes).digest('base64')}`);
    }
    const ranged = await fetch(`${emu.url}${o(`${HPT}variables/variables.index`)}?alt=media`, { headers: { authorization: `Bearer ${TOKEN}`, range: 'bytes=4-9' } });
    assert.equal(ranged.status, 206);
    assert.equal(ranged.headers.get('content-range'), `bytes 4-9/${bytes.length}`);
    assert.deepEqual(Buffer.from(await ranged.arrayBuffer()), bytes.subarray(4, 10));
    const tail = await fetch(`${emu.url}${o(`${HPT}variables/variables.index`)}?alt=media`, { headers: { authorization: `Bearer ${TOKEN}`, range: 'bytes=-5' } });
    assert.deepEqual(Buffer.from(await tail.arrayBuffer()), bytes.subarray(bytes.length - 5));
    assert.equal((await fetch(`${emu.url}${o(`${HPT}variables/variables.index`)}?alt=media`, { headers: { authorization: `Bearer ${TOKEN}`, range: `bytes=${bytes.length}-` } })).status, 416);
    assert.equal((await call('/download/storage/v1/b/servelens-fixtures/o/x')).status, 404, 'download needs alt=media');
  });

  it('object metadata; generation and ifGenerationMatch preconditions', async () => {
    const meta = await call(o(`${HPT}saved_model.pb`));
    assert.equal(meta.body.kind, 'storage#object');
    assert.equal(meta.body.name, `${HPT}saved_model.pb`);
    assert.equal(meta.body.mediaLink, `${emu.url}/download/storage/v1/b/servelens-fixtures/o/${encodeURIComponent(`${HPT}saved_model.pb`)}?generation=${meta.body.generation}&alt=media`);
    const gen = meta.body.generation as string;
    assert.equal((await call(`${o(`${HPT}saved_model.pb`)}?generation=${gen}`)).status, 200);
    assert.equal((await call(`${o(`${HPT}saved_model.pb`)}?generation=1`)).status, 404);
    const pre = await call(`${o(`${HPT}saved_model.pb`)}?alt=media&ifGenerationMatch=1`);
    assert.equal(pre.status, 412);
    assert.equal(pre.body.error.errors[0].reason, 'conditionNotMet');
    assert.equal((await call(`${o(`${HPT}saved_model.pb`)}?alt=media&ifGenerationMatch=${gen}`)).status, 200);
    const missing = await call(o(`${HPT}nope.pb`));
    assert.equal(missing.status, 404);
    assert.equal(missing.body.error.message, `No such object: servelens-fixtures/${HPT}nope.pb`);
    assert.equal(missing.body.error.errors[0].reason, 'notFound');
  });

  it('refuses every way out of a mounted folder: .., encoded .., backslash, absolute, symlinks', async () => {
    const root = mkdtempSync(join(tmpdir(), 'sl-gcs-'));
    try {
      mkdirSync(join(root, 'mount', 'sub'), { recursive: true });
      writeFileSync(join(root, 'secret.txt'), 'secret');
      writeFileSync(join(root, 'mount', 'sub', 'check.txt'), '123456789');
      symlinkSync(join(root, 'secret.txt'), join(root, 'mount', 'link.txt'));
      symlinkSync(root, join(root, 'mount', 'up'));
      const local = await startEmulator({ state: { projects: { p: { number: '1' } }, buckets: { b: { mounts: [{ prefix: 'm/', dir: join(root, 'mount') }] } } } });
      try {
        const get = async (raw: string) => {
          const r = await fetch(`${local.url}/storage/v1/b/b/o/${raw}?alt=media`);
          return { status: r.status, text: await r.text() };
        };
        const ok = await get(encodeURIComponent('m/sub/check.txt'));
        assert.deepEqual(ok, { status: 200, text: '123456789' });
        for (const raw of [
          encodeURIComponent('m/../secret.txt'), 'm%2F..%2Fsecret.txt', 'm%2F%2E%2E%2Fsecret.txt', encodeURIComponent('m/sub/../../secret.txt'),
          encodeURIComponent('m/..\\secret.txt'), encodeURIComponent(`m/${join(root, 'secret.txt')}`), encodeURIComponent('m//etc/passwd'),
          encodeURIComponent('m/link.txt'), encodeURIComponent('m/up/secret.txt'), encodeURIComponent('secret.txt'), encodeURIComponent('m/sub'),
        ]) {
          const r = await get(raw);
          assert.equal(r.status, 404, raw);
          assert.doesNotMatch(r.text, /^secret$/, raw);
        }
        // crc32c of "123456789" is the standard check value 0xE3069283.
        const meta = (await (await fetch(`${local.url}/storage/v1/b/b/o/${encodeURIComponent('m/sub/check.txt')}`)).json()) as { crc32c: string };
        assert.equal(meta.crc32c, Buffer.from([0xe3, 0x06, 0x92, 0x83]).toString('base64'));
        const listed = (await (await fetch(`${local.url}/storage/v1/b/b/o`)).json()) as { items: { name: string }[] };
        assert.deepEqual(listed.items.map((i) => i.name), ['m/sub/check.txt'], 'symlinks are not listed');
      } finally {
        await local.close();
      }
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });
});

describe('emulator: TF Serving', () => {
  it('metadata equals the response TF Serving\'s own test expects (expected/half_plus_two_model_metadata.json)', async () => {
    const local = await startEmulator({ state: { projects: {}, tfServing: [{ models: [{ name: 'default', basePath: savedModel('saved_model_half_plus_two_cpu') }] }] } });
    try {
      const got = await (await fetch(`${local.url}/v1/models/default/metadata`)).json();
      const expected = JSON.parse(readFileSync(join(FIXTURES, 'savedmodels', 'expected', 'half_plus_two_model_metadata.json'), 'utf8'));
      assert.deepEqual(got, expected);
      assert.deepEqual(await (await fetch(`${local.url}/v1/models/default/versions/123/metadata`)).json(), expected);
      assert.deepEqual(await (await fetch(`${local.url}/v1/models/default`)).json(), {
        model_version_status: [{ version: '123', state: 'AVAILABLE', status: { error_code: 'OK', error_message: '' } }],
      });
    } finally {
      await local.close();
    }
  });

  it('metadata of the 2-version and TF2 models equals their expected files', async () => {
    const state: EmulatorState = {
      projects: {},
      tfServing: [
        { models: [{ name: 'saved_model_half_plus_two_2_versions', basePath: savedModel('saved_model_half_plus_two_2_versions'), versions: ['123', '124'] }] },
        { prefix: '/tf2', models: [{ name: 'saved_model_half_plus_two_2_versions', basePath: savedModel('saved_model_half_plus_two_tf2_cpu') }] },
      ],
    };
    const local = await startEmulator({ state });
    try {
      const expected = (f: string) => JSON.parse(readFileSync(join(FIXTURES, 'savedmodels', 'expected', f), 'utf8'));
      const v123 = await (await fetch(`${local.url}/v1/models/saved_model_half_plus_two_2_versions/versions/123/metadata`)).json();
      assert.deepEqual(v123, expected('saved_model_half_plus_two_2_versions_metadata.json'));
      const tf2 = (await (await fetch(`${local.url}/tf2/v1/models/saved_model_half_plus_two_2_versions/metadata`)).json()) as Json;
      // The expected file has no "defaults" on __saved_model_init_op alone; every other field matches.
      delete tf2.metadata.signature_def.signature_def.__saved_model_init_op.defaults;
      assert.deepEqual(tf2, expected('saved_model_half_plus_two_tf2_2_versions_metadata.json'));
    } finally {
      await local.close();
    }
  });

  it('status: latest only by default, configured versions latest first, labels; errors as {"error"}', async () => {
    const get = async (path: string, init?: RequestInit) => {
      const r = await fetch(`${emu.url}${path}`, init);
      return { status: r.status, body: (await r.json()) as Json };
    };
    const two = await get('/v1/models/half_plus_two_2_versions');
    assert.deepEqual(two.body.model_version_status.map((s: Json) => s.version), ['124', '123']);
    assert.deepEqual((await get('/v1/models/half_plus_two_2_versions/labels/stable')).body.model_version_status.map((s: Json) => s.version), ['123']);
    assert.equal((await get('/v1/models/half_plus_two_2_versions/labels/canary/metadata')).body.model_spec.version, '124');
    assert.equal((await get('/v1/models/half_plus_two_2_versions/versions/00000123/metadata')).body.model_spec.version, '123');
    assert.deepEqual(await get('/v1/models/nope'), { status: 404, body: { error: 'Could not find any versions of model nope' } });
    assert.deepEqual(await get('/v1/models/half_plus_two/versions/7'), { status: 404, body: { error: 'Could not find version 7 of model half_plus_two' } });
    assert.deepEqual(await get('/v1/models/half_plus_two/labels/beta'), { status: 404, body: { error: 'Unrecognized servable version label: beta' } });
    assert.deepEqual(await get('/v1/models/nope/metadata'), { status: 404, body: { error: 'Servable not found for request: Latest(nope)' } });
    assert.equal((await get('/v1/models/half_plus_two/extra')).status, 400);
    const predict = await get('/v1/models/half_plus_two:predict', { method: 'POST', body: '{"instances":[1.0]}' });
    assert.equal(predict.status, 501, 'no predictor: the emulator says so instead of making up numbers');
    assert.equal(predict.body.error.status, 'UNIMPLEMENTED');
    assert.match(predict.body.error.message, /started without a local runner/);
    // A second server under a prefix, with a version that failed to load.
    const broken = await get('/tfs-broken/v1/models/half_plus_two');
    assert.deepEqual(broken.body.model_version_status[0], { version: '123', state: 'END', status: { error_code: 'UNKNOWN', error_message: 'Failed to load servable: out of memory (emulated)' } });
    assert.equal((await get('/tfs-broken/v1/models/half_plus_two/metadata')).status, 404);
    // TF Serving needs no token.
    assert.equal((await get('/v1/models/half_plus_three/metadata')).body.metadata.signature_def.signature_def['tensorflow/serving/regress'].method_name, 'tensorflow/serving/regress');
  });
});

describe('emulator: metadata server', () => {
  it('hands out the token only with Metadata-Flavor: Google; every answer carries the header', async () => {
    const before = emu.tokenRequests;
    const tokenUrl = `${emu.url}/computeMetadata/v1/instance/service-accounts/default/token?scopes=x`;
    const ok = await fetch(tokenUrl, { headers: { 'metadata-flavor': 'Google' } });
    assert.equal(ok.status, 200);
    assert.equal(ok.headers.get('metadata-flavor'), 'Google');
    assert.deepEqual(await ok.json(), { access_token: 'ya29.servelens-emulator-token', expires_in: 3599, token_type: 'Bearer' });
    assert.equal(emu.tokenRequests, before + 1);
    const refused = await fetch(tokenUrl);
    assert.equal(refused.status, 403);
    assert.equal(refused.headers.get('metadata-flavor'), 'Google');
    const probe = await fetch(`${emu.url}/`);
    assert.equal(probe.status, 200);
    assert.equal(probe.headers.get('metadata-flavor'), 'Google');
    const text = async (p: string) => {
      const r = await fetch(`${emu.url}/computeMetadata/v1/${p}`, { headers: { 'metadata-flavor': 'Google' } });
      assert.equal(r.headers.get('metadata-flavor'), 'Google', p);
      return [r.status, await r.text()] as const;
    };
    assert.deepEqual(await text('project/project-id'), [200, 'servelens-demo']);
    assert.deepEqual(await text('project/numeric-project-id'), [200, '123456789012']);
    assert.deepEqual(await text('instance/service-accounts/default/email'), [200, 'emulator@servelens-demo.iam.gserviceaccount.com']);
    assert.equal((await text('instance'))[0], 200);
    assert.equal((await text('universe/universe-domain'))[1], 'googleapis.com');
    assert.equal((await text('instance/nothing'))[0], 404);
    const id = await text('instance/service-accounts/default/identity?audience=https://example.test');
    assert.equal(JSON.parse(Buffer.from(id[1].split('.')[1]!, 'base64url').toString()).aud, 'https://example.test');
  });
});
