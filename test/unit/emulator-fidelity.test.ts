/**
 * Fidelity of the emulator against Google's own Node client (@google-cloud/aiplatform v1 in REST
 * fallback mode) and against the v1 protos that client ships: what the official client lists, gets,
 * creates and polls from the emulator is what the seed says, errors decode to the same reasons the
 * real service gives, and every JSON response the emulator sends fits the proto schema exactly
 * (no unknown field, int64 as strings, enums as numbers with `enum-encoding=int`, RFC 3339 times).
 */
import { strict as assert } from 'node:assert';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { v1 } from '@google-cloud/aiplatform';
import { GoogleAuth, OAuth2Client } from 'google-auth-library';
import { GoogleError } from 'google-gax';
import { startEmulator, type Emulator } from '../emulator/server';

const TOKEN = 'ya29.servelens-test-token';
const PARENT = 'projects/servelens-demo/locations/us-central1';
const NUMBERED = 'projects/123456789012/locations/us-central1';

function tokenClient(token = TOKEN): OAuth2Client {
  const c = new OAuth2Client();
  c.setCredentials({ access_token: token, expiry_date: Date.now() + 3600_000, token_type: 'Bearer' });
  return c;
}

function clientOptions(emu: Emulator, auth: unknown = tokenClient()): ConstructorParameters<typeof v1.EndpointServiceClient>[0] {
  return { apiEndpoint: '127.0.0.1', port: emu.port, protocol: 'http', fallback: true, authClient: auth } as never;
}

/**
 * A REST-mode failure as the official client surfaces it. Quirk of google-gax 5 with
 * google-auth-library 10: the auth client's fetch throws a GaxiosError for a non-2xx answer before
 * gax decodes the body, so the error carries the HTTP status and the raw body; decode the body with
 * gax's own parser (what gRPC mode and older versions hand back as a GoogleError).
 */
function decoded(err: unknown, httpStatus: number): GoogleError & { reason?: string; errorInfoMetadata?: Record<string, string> } {
  const e = err as { status?: number; message?: string };
  assert.equal(e.status, httpStatus, `HTTP status of ${String(err)}`);
  return GoogleError.parseHttpError(JSON.parse(e.message ?? '')) as GoogleError & { reason?: string; errorInfoMetadata?: Record<string, string> };
}

// ---------------------------------------------------------------------------------------------
// A validator of proto3 JSON against the protobufjs JSON descriptor the client ships.

interface Descriptor {
  nested?: Record<string, Descriptor>;
  fields?: Record<string, { type: string; rule?: string; keyType?: string }>;
  values?: Record<string, number>;
}

const protosPath = require.resolve('@google-cloud/aiplatform/build/protos/protos.json');
const ROOT = JSON.parse(readFileSync(protosPath, 'utf8')) as Descriptor;

function at(path: string[]): Descriptor | undefined {
  let d: Descriptor | undefined = ROOT;
  for (const p of path) d = d?.nested?.[p];
  return d;
}

/** Resolves a type name as protobufjs does: from the innermost scope outwards. */
function resolveType(name: string, scope: string[]): [string[], Descriptor] | undefined {
  const parts = name.replace(/^\./, '').split('.');
  for (let i = scope.length; i >= 0; i--) {
    const path = [...scope.slice(0, i), ...parts];
    const d = at(path);
    if (d && (d.fields || d.values)) return [path, d];
  }
  return undefined;
}

const INT32 = new Set(['int32', 'uint32', 'sint32', 'fixed32', 'sfixed32']);
const INT64 = new Set(['int64', 'uint64', 'sint64', 'fixed64', 'sfixed64']);
const RFC3339 = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{1,9})?Z$/;

function validate(value: unknown, typeName: string, scope: string[], where: string, numericEnums: boolean, errors: string[]): void {
  if (typeName === 'string' || typeName === 'bytes') {
    if (typeof value !== 'string') errors.push(`${where}: expected a string, got ${JSON.stringify(value)}`);
    return;
  }
  if (typeName === 'bool') {
    if (typeof value !== 'boolean') errors.push(`${where}: expected a boolean`);
    return;
  }
  if (INT32.has(typeName)) {
    if (typeof value !== 'number' || !Number.isInteger(value)) errors.push(`${where}: expected an int32 number, got ${JSON.stringify(value)}`);
    return;
  }
  if (INT64.has(typeName)) {
    if (typeof value !== 'string' || !/^-?\d+$/.test(value)) errors.push(`${where}: expected an int64 as a decimal string, got ${JSON.stringify(value)}`);
    return;
  }
  if (typeName === 'double' || typeName === 'float') {
    if (typeof value !== 'number') errors.push(`${where}: expected a number`);
    return;
  }
  const resolved = resolveType(typeName, scope);
  if (!resolved) {
    errors.push(`${where}: unknown type ${typeName}`);
    return;
  }
  const [path, d] = resolved;
  const full = path.join('.');
  if (d.values) {
    if (numericEnums ? typeof value !== 'number' || !Object.values(d.values).includes(value) : typeof value !== 'string' || !(value in d.values)) {
      errors.push(`${where}: ${JSON.stringify(value)} is not a ${numericEnums ? 'numeric' : 'named'} ${full} value`);
    }
    return;
  }
  switch (full) {
    case 'google.protobuf.Timestamp':
      if (typeof value !== 'string' || !RFC3339.test(value)) errors.push(`${where}: expected an RFC 3339 UTC timestamp, got ${JSON.stringify(value)}`);
      return;
    case 'google.protobuf.Duration':
      if (typeof value !== 'string' || !/^-?\d+(\.\d+)?s$/.test(value)) errors.push(`${where}: expected a duration string`);
      return;
    case 'google.protobuf.Value':
    case 'google.protobuf.Struct':
    case 'google.protobuf.ListValue':
      return;
    case 'google.protobuf.Any': {
      const t = (value as { '@type'?: unknown })?.['@type'];
      if (typeof t !== 'string' || !t.startsWith('type.googleapis.com/')) {
        errors.push(`${where}: an Any needs "@type"`);
        return;
      }
      const inner = t.slice('type.googleapis.com/'.length);
      if (inner === 'google.protobuf.Empty') {
        if (Object.keys(value as object).length !== 1) errors.push(`${where}: Empty has fields`);
        return;
      }
      const { '@type': _t, ...rest } = value as Record<string, unknown>;
      validate(rest, `.${inner}`, [], `${where}<${inner}>`, numericEnums, errors);
      return;
    }
  }
  if (!value || typeof value !== 'object' || Array.isArray(value)) {
    errors.push(`${where}: expected an object for ${full}`);
    return;
  }
  for (const [key, v] of Object.entries(value)) {
    const f = d.fields?.[key];
    if (!f) {
      errors.push(`${where}.${key}: not a field of ${full}`);
      continue;
    }
    if (f.keyType) {
      if (!v || typeof v !== 'object' || Array.isArray(v)) errors.push(`${where}.${key}: expected a map`);
      else for (const [k, x] of Object.entries(v)) validate(x, f.type, path, `${where}.${key}[${k}]`, numericEnums, errors);
    } else if (f.rule === 'repeated') {
      if (!Array.isArray(v)) errors.push(`${where}.${key}: expected an array`);
      else v.forEach((x, i) => validate(x, f.type, path, `${where}.${key}[${i}]`, numericEnums, errors));
    } else {
      validate(v, f.type, path, `${where}.${key}`, numericEnums, errors);
    }
  }
}

function assertFits(body: unknown, type: string, numericEnums: boolean): void {
  const errors: string[] = [];
  validate(body, `.google.cloud.aiplatform.v1.${type}`, [], type, numericEnums, errors);
  assert.deepEqual(errors, [], `${type}:\n${errors.join('\n')}`);
}

// ---------------------------------------------------------------------------------------------

describe('emulator fidelity: the official @google-cloud/aiplatform client (REST fallback)', () => {
  let emu: Emulator;
  before(async () => {
    emu = await startEmulator({ state: undefined });
    emu.state.timing = { jobStepMs: 0, operationDoneMs: 0 };
  });
  after(async () => {
    await emu.close();
  });

  it('EndpointServiceClient lists the seeded endpoints through several pages, with $alt enum-encoding=int', async () => {
    const client = new v1.EndpointServiceClient(clientOptions(emu));
    emu.clearRequests();
    const names: string[] = [];
    const byName = new Map<string, Record<string, unknown>>();
    for await (const e of client.listEndpointsAsync({ parent: PARENT, pageSize: 2 }, { autoPaginate: false })) {
      names.push(e.displayName!);
      byName.set(e.displayName!, e as unknown as Record<string, unknown>);
    }
    assert.deepEqual(names, ['half-plus-two-prod', 'half-plus-three-staging', 'empty-endpoint']);
    const prod = byName.get('half-plus-two-prod') as unknown as {
      name: string; trafficSplit: Record<string, number>;
      deployedModels: { id: string; model: string; modelVersionId: string; dedicatedResources: { machineSpec: { acceleratorType: string; acceleratorCount: number }; maxReplicaCount: number } }[];
    };
    assert.equal(prod.name, `${NUMBERED}/endpoints/2281564539145093120`);
    assert.deepEqual(prod.trafficSplit, { '6025781412435673088': 90, '3395926227162546176': 10 });
    assert.equal(prod.deployedModels.length, 2);
    assert.equal(prod.deployedModels[1]!.model, `${NUMBERED}/models/4471256745123258368`);
    assert.equal(prod.deployedModels[1]!.modelVersionId, '2');
    assert.equal(prod.deployedModels[1]!.dedicatedResources.machineSpec.acceleratorType, 'NVIDIA_TESLA_T4'); // sent as 5, decoded by the client
    assert.equal(prod.deployedModels[0]!.dedicatedResources.maxReplicaCount, 3);

    const calls = emu.requests().filter((r) => r.path === `/v1/${PARENT}/endpoints`);
    assert.equal(calls.length, 2, 'two pages of two');
    assert.ok(calls.every((r) => r.authorization && decodeURIComponent(r.query).includes('$alt=json;enum-encoding=int')));
    assert.match(calls[1]!.query, /pageToken=/);
    await client.close();
  });

  it('pages through 120 generated endpoints in europe-west4 (pageSize 50: 3 requests, no duplicates)', async () => {
    const client = new v1.EndpointServiceClient(clientOptions(emu));
    emu.clearRequests();
    const names = new Set<string>();
    for await (const e of client.listEndpointsAsync({ parent: 'projects/servelens-demo/locations/europe-west4', pageSize: 50 }, { autoPaginate: false })) names.add(e.displayName!);
    assert.equal(names.size, 120);
    assert.ok(names.has('generated-endpoint-0001') && names.has('generated-endpoint-0120'));
    assert.equal(emu.requests().length, 3);
    // The filter the reference documents.
    const [one] = await client.listEndpoints({ parent: 'projects/servelens-demo/locations/europe-west4', filter: 'display_name="generated-endpoint-0042"' }, { autoPaginate: false });
    assert.deepEqual(one.map((e) => e.displayName), ['generated-endpoint-0042']);
    const [ep] = await client.getEndpoint({ name: 'projects/servelens-demo/locations/europe-west4/endpoints/900000000000000042' });
    assert.equal(ep.displayName, 'generated-endpoint-0042');
    await client.close();
  });

  it('ModelServiceClient lists models with versions and aliases, lists versions, gets model@alias', async () => {
    const client = new v1.ModelServiceClient(clientOptions(emu));
    const [models] = await client.listModels({ parent: PARENT });
    assert.deepEqual(models.map((m) => m.displayName), ['half_plus_two', 'half_plus_three', 'times_three_float']);
    const hpt = models[0]!;
    assert.equal(hpt.versionId, '1');
    assert.deepEqual(hpt.versionAliases, ['default', 'stable']);
    assert.equal(hpt.artifactUri, 'gs://servelens-fixtures/savedmodels/saved_model_half_plus_two_cpu/00000123');
    assert.deepEqual(hpt.supportedDeploymentResourcesTypes, ['DEDICATED_RESOURCES']);
    assert.deepEqual(hpt.deployedModels!.map((d) => d.deployedModelId), ['6025781412435673088']);

    emu.clearRequests();
    const versions: { versionId?: string | null; versionAliases?: string[] | null }[] = [];
    for await (const v of client.listModelVersionsAsync({ name: `${PARENT}/models/4471256745123258368`, pageSize: 1 }, { autoPaginate: false })) versions.push(v);
    assert.deepEqual(versions.map((v) => [v.versionId, v.versionAliases]), [['1', ['default', 'stable']], ['2', ['canary']]]);
    assert.equal(emu.requests().length, 2, 'one version per page');
    const [canary] = await client.getModel({ name: `${PARENT}/models/4471256745123258368@canary` });
    assert.equal(canary.versionId, '2');
    assert.equal(canary.artifactUri, 'gs://servelens-fixtures/savedmodels/saved_model_half_plus_two_tf2_cpu/00000123');
    await client.close();
  });

  it('JobServiceClient: list (states decoded), create (PENDING → RUNNING → SUCCEEDED), cancel → CANCELLED', async () => {
    const client = new v1.JobServiceClient(clientOptions(emu));
    const [jobs] = await client.listBatchPredictionJobs({ parent: PARENT, filter: 'state!=JOB_STATE_RUNNING' });
    const seeded = jobs.filter((j) => j.displayName !== 'weekly-backfill');
    assert.deepEqual(seeded.slice(0, 2).map((j) => [j.displayName, j.state]), [['nightly-scoring', 'JOB_STATE_SUCCEEDED'], ['bad-input-scoring', 'JOB_STATE_FAILED']]);
    assert.equal(jobs[0]!.completionStats!.successfulCount, '1000');
    assert.equal(jobs[1]!.error!.code, 3);

    const [created] = await client.createBatchPredictionJob({
      parent: PARENT,
      batchPredictionJob: {
        displayName: 'fidelity-job',
        model: `${PARENT}/models/4471256745123258368`,
        inputConfig: { instancesFormat: 'jsonl', gcsSource: { uris: ['gs://servelens-demo-data/in.jsonl'] } },
        outputConfig: { predictionsFormat: 'jsonl', gcsDestination: { outputUriPrefix: 'gs://servelens-demo-data/out' } },
      },
    });
    assert.equal(created.state, 'JOB_STATE_PENDING');
    assert.equal(created.modelVersionId, '1');
    assert.match(created.name!, /^projects\/123456789012\/locations\/us-central1\/batchPredictionJobs\/\d+$/);
    const [running] = await client.getBatchPredictionJob({ name: created.name! });
    assert.equal(running.state, 'JOB_STATE_RUNNING');
    const [done] = await client.getBatchPredictionJob({ name: created.name! });
    assert.equal(done.state, 'JOB_STATE_SUCCEEDED');
    assert.match(done.outputInfo!.gcsOutputDirectory!, /^gs:\/\/servelens-demo-data\/out\/prediction-half_plus_two-\d{4}_\d\d_\d\dT/);

    const [second] = await client.createBatchPredictionJob({
      parent: PARENT,
      batchPredictionJob: {
        displayName: 'to-cancel', model: `${PARENT}/models/1862093542123765760`,
        inputConfig: { instancesFormat: 'jsonl', gcsSource: { uris: ['gs://b/in.jsonl'] } },
        outputConfig: { predictionsFormat: 'jsonl', gcsDestination: { outputUriPrefix: 'gs://b/out' } },
      },
    });
    await client.cancelBatchPredictionJob({ name: second.name! });
    const [cancelled] = await client.getBatchPredictionJob({ name: second.name! });
    assert.equal(cancelled.state, 'JOB_STATE_CANCELLED');
    assert.equal(cancelled.error!.code, 1);

    await assert.rejects(
      client.createBatchPredictionJob({ parent: PARENT, batchPredictionJob: { displayName: 'no-input', model: `${PARENT}/models/4471256745123258368` } }),
      (err: unknown) => {
        const g = decoded(err, 400);
        assert.equal(g.code, 3); // INVALID_ARGUMENT
        assert.match(g.message, /input_config; Message: Required field is not set/);
        return true;
      },
    );
    await client.close();
  });

  it('createEndpoint returns a long-running operation the client polls at /ui/ until it resolves to the endpoint', async () => {
    const client = new v1.EndpointServiceClient(clientOptions(emu));
    emu.clearRequests();
    const [operation] = await client.createEndpoint({ parent: PARENT, endpoint: { displayName: 'created-by-the-client' } });
    const [endpoint] = await operation.promise();
    assert.equal(endpoint.displayName, 'created-by-the-client');
    assert.match(endpoint.name!, /^projects\/123456789012\/locations\/us-central1\/endpoints\/\d+$/);
    const polls = emu.requests().filter((r) => r.path.startsWith('/ui/') && r.path.includes('/operations/'));
    assert.ok(polls.length >= 1, `polled at /ui/: ${JSON.stringify(emu.requests().map((r) => r.path))}`);
    assert.ok(polls.every((p) => p.status === 200));
    const [again] = await client.getEndpoint({ name: endpoint.name! });
    assert.equal(again.displayName, 'created-by-the-client');
    await client.close();
  });

  it('errors decode as the real service sends them: 403 IAM_PERMISSION_DENIED, SERVICE_DISABLED, 401, 404', async () => {
    const client = new v1.EndpointServiceClient(clientOptions(emu));
    await assert.rejects(client.listEndpoints({ parent: 'projects/servelens-denied/locations/us-central1' }), (err: unknown) => {
      const g = decoded(err, 403);
      assert.equal(g.code, 7); // PERMISSION_DENIED
      assert.equal(g.reason, 'IAM_PERMISSION_DENIED');
      assert.equal(g.errorInfoMetadata?.permission, 'aiplatform.endpoints.list');
      return true;
    });
    await assert.rejects(client.listEndpoints({ parent: 'projects/servelens-disabled/locations/us-central1' }), (err: unknown) => {
      const g = decoded(err, 403);
      assert.equal(g.code, 7);
      assert.equal(g.reason, 'SERVICE_DISABLED');
      assert.equal(g.errorInfoMetadata?.service, 'aiplatform.googleapis.com');
      assert.equal(g.errorInfoMetadata?.consumer, 'projects/555555555555');
      return true;
    });
    await assert.rejects(client.getEndpoint({ name: `${PARENT}/endpoints/1` }), (err: unknown) => decoded(err, 404).code === 5);
    const expired = new v1.EndpointServiceClient(clientOptions(emu, tokenClient('ya29.servelens-expired-token')));
    await assert.rejects(expired.listEndpoints({ parent: PARENT }), (err: unknown) => {
      const g = decoded(err, 401);
      return g.code === 16 && g.reason === 'ACCESS_TOKEN_EXPIRED';
    });
    await client.close();
    await expired.close();
  });

  it('google-auth-library ADC through the emulator metadata server (GCE_METADATA_HOST) authorizes the client', async () => {
    const saved = { ...process.env };
    const config = mkdtempSync(join(tmpdir(), 'sl-gcloud-'));
    try {
      process.env.GCE_METADATA_HOST = `127.0.0.1:${emu.port}`;
      process.env.CLOUDSDK_CONFIG = config; // no gcloud ADC file
      delete process.env.GOOGLE_APPLICATION_CREDENTIALS;
      const before = emu.tokenRequests;
      const auth = new GoogleAuth({ scopes: ['https://www.googleapis.com/auth/cloud-platform'] });
      assert.equal((await auth.getClient()).constructor.name, 'Compute', 'ADC found the metadata server');
      const client = new v1.ModelServiceClient({ apiEndpoint: '127.0.0.1', port: emu.port, protocol: 'http', fallback: true, auth } as never);
      const [models] = await client.listModels({ parent: PARENT });
      assert.equal(models.length, 3);
      assert.ok(emu.tokenRequests > before, 'the token came from the metadata server');
      await client.close();
    } finally {
      process.env = saved;
      rmSync(config, { recursive: true, force: true });
    }
  });

  it('every Vertex AI response fits the v1 proto schema (numeric and named enums)', async () => {
    const get = async (path: string, numeric: boolean, init: RequestInit = {}) => {
      const sep = path.includes('?') ? '&' : '?';
      const res = await fetch(`${emu.url}/v1/${path}${numeric ? `${sep}$alt=json%3Benum-encoding%3Dint` : ''}`, {
        ...init,
        headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' },
      });
      assert.equal(res.status, 200, `${path}: ${res.status}`);
      return res.json() as Promise<Record<string, unknown>>;
    };
    for (const numeric of [true, false]) {
      assertFits(await get(`${PARENT}/endpoints`, numeric), 'ListEndpointsResponse', numeric);
      assertFits(await get(`${PARENT}/endpoints/2281564539145093120`, numeric), 'Endpoint', numeric);
      assertFits(await get(`${PARENT}/models`, numeric), 'ListModelsResponse', numeric);
      assertFits(await get(`${PARENT}/models/4471256745123258368:listVersions`, numeric), 'ListModelVersionsResponse', numeric);
      assertFits(await get(`${PARENT}/models/4471256745123258368@canary`, numeric), 'Model', numeric);
      assertFits(await get(`${PARENT}/batchPredictionJobs`, numeric), 'ListBatchPredictionJobsResponse', numeric);
      const op = await get(`${PARENT}/endpoints?endpointId=fits-${numeric}`, numeric, { method: 'POST', body: JSON.stringify({ displayName: 'fits' }) });
      const errors: string[] = [];
      validate(op, '.google.longrunning.Operation', [], 'Operation', numeric, errors);
      const done = await get((op.name as string), numeric);
      validate(done, '.google.longrunning.Operation', [], 'Operation(done)', numeric, errors);
      assert.equal(done.done, true);
      assert.deepEqual(errors, []);
    }
    // The validator does catch what it is for.
    const errors: string[] = [];
    validate({ name: 'x', trafficSplit: { a: '90' }, bogus: 1, createTime: '2024-01-01' }, '.google.cloud.aiplatform.v1.Endpoint', [], 'Endpoint', true, errors);
    assert.equal(errors.length, 3, errors.join('\n'));
  });
});
