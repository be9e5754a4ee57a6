/**
 * Typed cloud errors (src/core/cloud/errors.ts): a table of error bodies as Google's APIs, AI
 * Platform and TF Serving send them → reason, fields and the hint that names the next step.
 */
import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import { CloudApiError, errorFromStatus, isCloudError, parseErrorBody, type CallContext, type CloudApiReason } from '../../src/core/cloud/errors';
import { ServeLensError, describeError } from '../../src/core/errors';

const VERTEX_LIST: CallContext = { service: 'vertex', method: 'GET', url: 'https://us-central1-aiplatform.googleapis.com/v1/projects/demo-project/locations/us-central1/endpoints?pageSize=100' };

const errorInfo = (reason: string, metadata: Record<string, string> = {}) => ({ '@type': 'type.googleapis.com/google.rpc.ErrorInfo', reason, domain: 'googleapis.com', metadata });

interface Case {
  name: string;
  status: number;
  body: unknown;
  ctx?: Partial<CallContext>;
  reason: CloudApiReason;
  hint: RegExp;
}

const CASES: Case[] = [
  {
    name: '401 expired token',
    status: 401,
    body: { error: { code: 401, status: 'UNAUTHENTICATED', message: 'Request had invalid authentication credentials.', details: [errorInfo('ACCESS_TOKEN_EXPIRED')] } },
    reason: 'unauthenticated',
    hint: /gcloud auth application-default login/,
  },
  {
    name: '401 with gcloud credentials names gcloud auth login',
    status: 401,
    body: { error: { code: 401, status: 'UNAUTHENTICATED', message: 'Request had invalid authentication credentials.' } },
    ctx: { credentialKind: 'gcloud' },
    reason: 'unauthenticated',
    hint: /gcloud auth login/,
  },
  {
    name: '401 with SERVELENS_ACCESS_TOKEN',
    status: 401,
    body: { error: { code: 401, status: 'UNAUTHENTICATED', message: 'Request had invalid authentication credentials.' } },
    ctx: { credentialKind: 'env-token' },
    reason: 'unauthenticated',
    hint: /SERVELENS_ACCESS_TOKEN.*gcloud auth print-access-token/,
  },
  {
    name: '403 IAM permission denied names the role and the permission',
    status: 403,
    body: {
      error: {
        code: 403,
        status: 'PERMISSION_DENIED',
        message: "Permission 'aiplatform.endpoints.list' denied on resource '//aiplatform.googleapis.com/projects/demo-project/locations/us-central1' (or it may not exist).",
        details: [errorInfo('IAM_PERMISSION_DENIED', { permission: 'aiplatform.endpoints.list', resource: 'projects/demo-project/locations/us-central1' })],
      },
    },
    ctx: { account: 'dev@example.com' },
    reason: 'permission-denied',
    hint: /dev@example\.com lacks the permission aiplatform\.endpoints\.list.*Vertex AI User \(roles\/aiplatform\.user\) on project demo-project/,
  },
  {
    name: '403 SERVICE_DISABLED gives the enable command and the activation URL',
    status: 403,
    body: {
      error: {
        code: 403,
        status: 'PERMISSION_DENIED',
        message: 'Vertex AI API has not been used in project 123456789 before or it is disabled.',
        details: [
          errorInfo('SERVICE_DISABLED', { service: 'aiplatform.googleapis.com', consumer: 'projects/123456789', activationUrl: 'https://console.developers.google.com/apis/api/aiplatform.googleapis.com/overview?project=123456789' }),
          { '@type': 'type.googleapis.com/google.rpc.Help', links: [{ description: 'Google developers console API activation', url: 'https://console.developers.google.com/apis/api/aiplatform.googleapis.com/overview?project=123456789' }] },
        ],
      },
    },
    reason: 'api-not-enabled',
    hint: /gcloud services enable aiplatform\.googleapis\.com --project 123456789`, or open https:\/\/console\.developers\.google\.com\/apis\/api\/aiplatform\.googleapis\.com\/overview\?project=123456789/,
  },
  {
    name: '403 disabled API recognised from the message alone (older bodies)',
    status: 403,
    body: { error: { code: 403, message: 'AI Platform Training & Prediction API has not been used in project demo-project before or it is disabled.', status: 'PERMISSION_DENIED' } },
    ctx: { service: 'aiplatform', url: 'https://ml.googleapis.com/v1/projects/demo-project/models' },
    reason: 'api-not-enabled',
    hint: /gcloud services enable ml\.googleapis\.com --project demo-project/,
  },
  {
    name: '403 billing disabled',
    status: 403,
    body: { error: { code: 403, status: 'PERMISSION_DENIED', message: 'This API method requires billing to be enabled.', details: [errorInfo('BILLING_DISABLED', { consumer: 'projects/123' })] } },
    reason: 'billing-disabled',
    hint: /billing\/linkedaccount\?project=demo-project/,
  },
  {
    name: '404 names the project and region',
    status: 404,
    body: { error: { code: 404, status: 'NOT_FOUND', message: 'Endpoint `projects/demo-project/locations/us-central1/endpoints/42` not found.' } },
    ctx: { url: 'https://us-central1-aiplatform.googleapis.com/v1/projects/demo-project/locations/us-central1/endpoints/42' },
    reason: 'not-found',
    hint: /project \(demo-project\) and the region \(us-central1\)/,
  },
  {
    name: '403 CONSUMER_INVALID (a project that does not exist) reads as not found',
    status: 403,
    body: { error: { code: 403, status: 'PERMISSION_DENIED', message: 'Permission denied on resource project nope-project.', details: [errorInfo('CONSUMER_INVALID', { consumer: 'projects/nope-project' })] } },
    reason: 'not-found',
    hint: /Check the project/,
  },
  {
    name: '400 lists the field violations',
    status: 400,
    body: {
      error: {
        code: 400,
        status: 'INVALID_ARGUMENT',
        message: 'List of found errors: 1.Field: page_size; Message: must be at most 1000.',
        details: [{ '@type': 'type.googleapis.com/google.rpc.BadRequest', fieldViolations: [{ field: 'page_size', description: 'must be at most 1000' }] }],
      },
    },
    reason: 'invalid-argument',
    hint: /page_size: must be at most 1000/,
  },
  {
    name: '429 quota names the metric',
    status: 429,
    body: {
      error: {
        code: 429,
        status: 'RESOURCE_EXHAUSTED',
        message: 'Quota exceeded for quota metric "Resource management (CRUD) requests" and limit "per minute per region".',
        details: [errorInfo('RATE_LIMIT_EXCEEDED', { quota_metric: 'aiplatform.googleapis.com/resource_management_requests', quota_limit: 'ResourceManagementRequestsPerMinutePerProjectPerRegion' })],
      },
    },
    reason: 'quota',
    hint: /aiplatform\.googleapis\.com\/resource_management_requests.*Quotas.*demo-project/,
  },
  {
    name: '409 conflict',
    status: 409,
    body: { error: { code: 409, status: 'ALREADY_EXISTS', message: 'exists' } },
    reason: 'conflict',
    hint: /already exists/,
  },
  {
    name: '503 unavailable',
    status: 503,
    body: { error: { code: 503, status: 'UNAVAILABLE', message: 'The service is currently unavailable.' } },
    reason: 'unavailable',
    hint: /try again/,
  },
  {
    name: '504 deadline exceeded',
    status: 504,
    body: { error: { code: 504, status: 'DEADLINE_EXCEEDED', message: 'Deadline expired before operation could complete.' } },
    reason: 'timeout',
    hint: /network/,
  },
  {
    name: 'Cloud Storage 403 (its own error shape: no status field)',
    status: 403,
    body: { error: { code: 403, message: 'dev@example.com does not have storage.objects.get access to the Google Cloud Storage object.', errors: [{ domain: 'global', reason: 'forbidden', message: '...' }] } },
    ctx: { service: 'storage', url: 'https://storage.googleapis.com/storage/v1/b/bucket/o/m%2Fsaved_model.pb' },
    reason: 'permission-denied',
    hint: /Storage Object Viewer \(roles\/storage\.objectViewer\) on the bucket/,
  },
  {
    name: 'AI Platform prediction {"error": "..."} body',
    status: 400,
    body: { error: 'Prediction failed: Error during model execution: <_MultiThreadedRendezvous of RPC that terminated with: status = StatusCode.INVALID_ARGUMENT>' },
    ctx: { service: 'aiplatform', method: 'POST', url: 'https://ml.googleapis.com/v1/projects/demo-project/models/m:predict' },
    reason: 'invalid-argument',
    hint: /^$/,
  },
  {
    name: 'an array-wrapped Status (some Google front ends)',
    status: 404,
    body: [{ error: { code: 404, status: 'NOT_FOUND', message: 'gone' } }],
    reason: 'not-found',
    hint: /Check the project/,
  },
];

describe('cloud errors: bodies → reason and hint', () => {
  for (const c of CASES) {
    it(c.name, () => {
      const rpc = parseErrorBody(JSON.stringify(c.body));
      assert.ok(rpc, 'the body is read');
      const err = new CloudApiError({ ...VERTEX_LIST, ...c.ctx }, { httpStatus: c.status, rpc });
      assert.equal(err.reason, c.reason);
      assert.equal(err.kind, 'cloud');
      assert.ok(ServeLensError.is(err, 'cloud'));
      assert.ok(isCloudError(err, c.reason));
      assert.equal(err.httpStatus, c.status);
      assert.match(err.hint ?? '', c.hint);
      assert.ok(err.message.includes(String(c.status)), 'the message has the status');
      if (rpc.message) assert.ok(err.message.includes(rpc.message.slice(0, 30)), 'the message has the server text');
      assert.match(describeError(err), /\.$|\. /);
    });
  }

  it('reads ErrorInfo, Help links, field violations and the scope of the call', () => {
    const rpc = parseErrorBody(JSON.stringify(CASES[4]!.body))!;
    const err = new CloudApiError(VERTEX_LIST, { httpStatus: 403, rpc });
    assert.equal(err.errorInfo?.reason, 'SERVICE_DISABLED');
    assert.equal(err.errorInfo?.metadata.service, 'aiplatform.googleapis.com');
    assert.equal(err.helpLinks[0]?.description, 'Google developers console API activation');
    assert.equal(err.project, 'demo-project');
    assert.equal(err.location, 'us-central1');
    assert.equal(err.status, 'PERMISSION_DENIED');
    assert.equal(err.details.length, 2);
  });

  it('bodies that are not errors are not read as one', () => {
    assert.equal(parseErrorBody('<html>Bad Gateway</html>'), undefined);
    assert.equal(parseErrorBody(''), undefined);
    assert.equal(parseErrorBody('{"endpoints": []}'), undefined);
  });

  it('a failed operation or batch job: the google.rpc.Code number becomes the status and reason', () => {
    const err = errorFromStatus({ code: 3, message: 'Invalid input: gs://bucket/missing.jsonl does not exist.' }, { service: 'vertex', method: 'operation', url: 'https://us-central1-aiplatform.googleapis.com/v1/projects/p/locations/us-central1/operations/1' });
    assert.equal(err.status, 'INVALID_ARGUMENT');
    assert.equal(err.httpStatus, 400);
    assert.equal(err.reason, 'invalid-argument');
    assert.equal(errorFromStatus({ code: 8, message: 'quota' }, VERTEX_LIST).reason, 'quota');
    assert.equal(errorFromStatus({ code: 14, message: 'down' }, VERTEX_LIST).reason, 'unavailable');
  });
});
