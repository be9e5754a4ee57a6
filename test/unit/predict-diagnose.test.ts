/**
 * diagnose(): real error texts of TF Serving, Vertex AI and AI Platform (as they appear in public
 * issues and in the emulator's answers) explained against half_plus_two's real signatures, and the
 * next steps of 401/403/404/429.
 */
import { strict as assert } from 'node:assert';
import { before, describe, it } from 'node:test';
import { CloudApiError, CloudAuthError } from '../../src/core/cloud/errors';
import { readModel } from '../../src/core/model/inspect';
import type { Signature } from '../../src/core/model/types';
import { diagnose, diagnosisText, didYouMean, requestShapes, serverText, shapeMismatches } from '../../src/core/predict/diagnose';
import { servingSignatures } from '../../src/core/request/binding';
import { savedModel } from '../helpers/fixtures';

let sigs: Signature[];
before(async () => {
  sigs = servingSignatures(await readModel(savedModel('saved_model_half_plus_two_cpu', '00000123')));
});

const VERTEX_URL = 'https://us-central1-aiplatform.googleapis.com/v1/projects/demo/locations/us-central1/endpoints/123:predict';
const vertexError = (httpStatus: number, status: string, message: string, details?: unknown[]) =>
  new CloudApiError({ service: 'vertex', method: 'POST', url: VERTEX_URL }, { httpStatus, rpc: { code: httpStatus, status, message, ...(details ? { details } : {}) } });
const tfsError = (httpStatus: number, message: string) =>
  new CloudApiError({ service: 'tfserving', method: 'POST', url: 'http://localhost:8501/v1/models/m:predict' }, { httpStatus, rpc: { message } });

describe('diagnose: the signature', () => {
  it('a signature the model lacks → the names it has, with did-you-mean (TF Serving text)', () => {
    const d = diagnose(tfsError(400, 'Serving signature name: "serving_defualt" not found in signature def'), { signatures: sigs, signature: 'serving_defualt' });
    assert.equal(d.code, 'signature-not-found');
    assert.equal(d.asked, 'serving_defualt');
    assert.equal(d.didYouMean, 'serving_default');
    assert.deepEqual([...d.expected!].sort(), ['classify_x_to_y', 'regress_x2_to_y3', 'regress_x_to_y', 'regress_x_to_y2', 'serving_default']);
    assert.match(d.summary, /has no signature "serving_defualt"; it has "serving_default", /);
    assert.match(d.nextSteps[0]!, /Did you mean "serving_default"/);
    assert.equal(d.httpStatus, 400);
  });

  it('Vertex AI wraps the model server text in google.rpc.Status.message as JSON: unwrapped', () => {
    const wrapped = JSON.stringify({ error: 'Serving signature name: "predict" not found in signature def' }, null, 4);
    const d = diagnose(vertexError(400, 'FAILED_PRECONDITION', wrapped), { signatures: sigs });
    assert.equal(d.code, 'signature-not-found');
    assert.equal(d.serverMessage, 'Serving signature name: "predict" not found in signature def');
    assert.equal(serverText(wrapped), d.serverMessage);
  });

  it('the escaped form of the text (as printed in JSON logs) is read too', () => {
    const d = diagnose(new Error('{ "error": "Serving signature name: \\"serving_default\\" not found in signature def" }'), { signatures: [sigs[1]!] });
    assert.equal(d.code, 'signature-not-found');
    assert.equal(d.asked, 'serving_default');
    assert.ok(d.nextSteps.some((s) => /rawPredict/.test(s)), 'says how to run another signature on Vertex AI');
  });
});

describe('diagnose: inputs', () => {
  it('an unknown alias (TF Serving row format) → the aliases expected, did-you-mean', () => {
    const text = "Failed to process element: 0 key: X of 'instances' list. Error: INVALID_ARGUMENT: JSON object: does not have named input: X";
    const d = diagnose(tfsError(400, text), { signatures: sigs, request: { instances: [{ X: [1.0] }] } });
    assert.equal(d.code, 'input-alias');
    assert.equal(d.asked, 'X');
    assert.deepEqual(d.expected, ['x']);
    assert.equal(d.didYouMean, 'x');
    assert.match(d.summary, /Signature "serving_default" has no input "X"; its inputs are x \(float \[-1, 1\]\)/);
  });

  it('"input tensor alias not found in signature" with the expected set, without the model', () => {
    const d = diagnose(tfsError(400, 'input tensor alias not found in signature: imgs. Inputs expected to be in the set {images,phase}.'));
    assert.equal(d.code, 'input-alias');
    assert.deepEqual(d.expected, ['images', 'phase']);
    assert.equal(d.didYouMean, 'images');
  });

  it('AI Platform "Prediction failed: ..." in a 200 answer: read through the prefix', () => {
    const err = new CloudApiError({ service: 'aiplatform', method: 'POST', url: 'https://ml.googleapis.com/v1/projects/p/models/m:predict' }, {
      reason: 'invalid-argument',
      rpc: { message: "Prediction failed: Error during model execution: Failed to process element: 0 key: age of 'instances' list. Error: INVALID_ARGUMENT: JSON object: does not have named input: age" },
    });
    const d = diagnose(err, { signatures: sigs });
    assert.equal(d.code, 'input-alias');
    assert.equal(d.asked, 'age');
    assert.equal(d.didYouMean, undefined, 'age is not close to x');
  });

  it('a shape message → the input whose request shape differs from the signature', () => {
    const text = 'Input to reshape is a tensor with 6 values, but the requested shape has 3\n\t [[{{node Reshape}}]]';
    const request = { instances: [[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]] };
    const d = diagnose(vertexError(400, 'FAILED_PRECONDITION', JSON.stringify({ error: text }, null, 4)), { signatures: sigs, request });
    assert.equal(d.code, 'input-shape');
    assert.deepEqual(d.shapes, [{ alias: 'x', expected: [-1, 1], sent: [3, 2] }]);
    assert.match(d.summary, /x is sent as \[3, 2\], the signature wants \[-1, 1\]/);
  });

  it('"Incompatible shapes" when the request fits the signature: says the model needs another size', () => {
    const d = diagnose(tfsError(400, 'Incompatible shapes: [43,8] vs. [58,8]'), { signatures: sigs, request: { instances: [[1.0]] } });
    assert.equal(d.code, 'input-shape');
    assert.equal(d.shapes, undefined);
    assert.match(d.summary, /fit signature "serving_default"/);
  });

  it('request shapes: row objects, bare rows, columnar', () => {
    const sig = sigs[0]!;
    assert.deepEqual([...requestShapes({ instances: [{ x: [1] }, { x: [2] }] }, sig)], [['x', [2, 1]]]);
    assert.deepEqual([...requestShapes({ instances: [1, 2, 3] }, sig)], [['x', [3]]]);
    assert.deepEqual([...requestShapes({ inputs: { x: [[1], [2]] } }, sig)], [['x', [2, 1]]]);
    assert.deepEqual(shapeMismatches({ instances: [[1]] }, sig), []);
    assert.deepEqual(shapeMismatches({ inputs: [[[1]]] }, sig), [{ alias: 'x', expected: [-1, 1], sent: [1, 1, 1] }]);
  });

  it('"Unable to base64 decode" → the standard alphabet, not URL-safe', () => {
    const d = diagnose(tfsError(400, "Failed to process element: 0 of 'instances' list. Error: Invalid argument: Unable to base64 decode"));
    assert.equal(d.code, 'base64');
    assert.match(d.nextSteps[0]!, /URL-safe alphabet \(- and _/);
  });

  it('a value of the wrong type → the dtypes expected', () => {
    const d = diagnose(tfsError(400, 'Failed to process element: 0 of \'instances\' list. JSON Value: "a" Type: String is not of expected type: float'), { signatures: sigs });
    assert.equal(d.code, 'input-dtype');
    assert.match(d.nextSteps[0]!, /x \(float \[-1, 1\]\)/);
  });

  it('Vertex AI refuses signature_name in a predict body → rawPredict', () => {
    const d = diagnose(vertexError(400, 'INVALID_ARGUMENT', 'Invalid JSON payload received. Unknown name "signature_name": Cannot find field.'));
    assert.equal(d.code, 'vertex-field');
    assert.match(d.nextSteps[0]!, /rawPredict/);
    assert.equal(diagnose(tfsError(400, "Missing 'inputs' or 'instances' key")).code, 'request-format');
  });

  it('didYouMean: close names only', () => {
    assert.equal(didYouMean('serving_defalt', ['serving_default', 'predict']), 'serving_default');
    assert.equal(didYouMean('images', ['image']), 'image');
    assert.equal(didYouMean('zzz', ['serving_default']), undefined);
  });
});

describe('diagnose: access, missing resources, quota', () => {
  it('401 → sign in; 403 → the IAM role of the service', () => {
    const u = diagnose(vertexError(401, 'UNAUTHENTICATED', 'Request had invalid authentication credentials.'));
    assert.equal(u.code, 'unauthenticated');
    assert.match(u.nextSteps.join(' '), /gcloud auth/);
    const p = diagnose(vertexError(403, 'PERMISSION_DENIED', "Permission 'aiplatform.endpoints.predict' denied on resource", [
      { '@type': 'type.googleapis.com/google.rpc.ErrorInfo', reason: 'IAM_PERMISSION_DENIED', domain: 'aiplatform.googleapis.com', metadata: { permission: 'aiplatform.endpoints.predict' } },
    ]));
    assert.equal(p.code, 'permission-denied');
    assert.match(p.nextSteps[0]!, /roles\/aiplatform\.user/);
    assert.match(p.summary, /aiplatform\.endpoints\.predict in project demo/);
    const ml = diagnose(new CloudApiError({ service: 'aiplatform', method: 'POST', url: 'https://ml.googleapis.com/v1/projects/p/models/m:predict' }, { httpStatus: 403, rpc: { status: 'PERMISSION_DENIED', message: 'denied' } }));
    assert.match(ml.nextSteps[0]!, /roles\/ml\.developer/);
    const auth = diagnose(new CloudAuthError('no-credentials', 'adc', 'No credentials.', 'Run gcloud auth application-default login.'));
    assert.equal(auth.code, 'unauthenticated');
  });

  it('404 → the resource does not exist in that project/region; 429 → wait or ask for quota', () => {
    const n = diagnose(vertexError(404, 'NOT_FOUND', 'Endpoint `projects/1/locations/us-central1/endpoints/123` not found.'), { targetName: 'projects/demo/locations/us-central1/endpoints/123' });
    assert.equal(n.code, 'not-found');
    assert.match(n.summary, /does not exist in project demo, region us-central1/);
    assert.match(n.nextSteps.join(' '), /check the name/i);
    const q = diagnose(vertexError(429, 'RESOURCE_EXHAUSTED', 'Quota exceeded for aiplatform.googleapis.com/online_prediction_requests_per_base_model'));
    assert.equal(q.code, 'quota');
    assert.match(q.nextSteps.join(' '), /Wait a minute/);
    assert.match(q.nextSteps.join(' '), /more quota/);
  });

  it('text rendering names the summary, the steps and the server message', () => {
    const t = diagnosisText(diagnose(tfsError(400, 'Serving signature name: "a" not found in signature def'), { signatures: sigs }));
    assert.match(t, /^The model has no signature "a"/);
    assert.match(t, /server said \(HTTP 400\): Serving signature name/);
  });
});
