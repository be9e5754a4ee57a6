/**
 * Copy as curl / gcloud / servelens: exact command strings for every target, the token elided as
 * `$(gcloud auth print-access-token)`, TF Serving passwords never printed, file names quoted.
 */
import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import { cliCommand, curlCommand, gcloudCommand, requestUrl, shellQuote } from '../../src/core/predict/commands';
import type { PredictTarget } from '../../src/core/predict/target';

const vertex: PredictTarget = { kind: 'vertex', endpoint: 'projects/demo/locations/europe-west4/endpoints/123' };
const legacy: PredictTarget = { kind: 'ai-platform', model: 'projects/demo/models/half_plus_two', version: 'v2' };
const tfs: PredictTarget = { kind: 'tf-serving', url: 'http://alice:pa55word@localhost:8501', model: 'half_plus_two', version: '2' };

describe('curl', () => {
  it('Vertex AI predict with the token placeholder and the request file as bytes', () => {
    assert.equal(
      curlCommand(vertex, { requestFile: 'requests/a.request.json', op: 'predict' }),
      [
        'curl -X POST',
        '-H "Authorization: Bearer $(gcloud auth print-access-token)"',
        '-H "Content-Type: application/json; charset=utf-8"',
        '--data-binary @requests/a.request.json',
        'https://europe-west4-aiplatform.googleapis.com/v1/projects/demo/locations/europe-west4/endpoints/123:predict',
      ].join(' \\\n  '),
    );
  });

  it('explain, another signature (rawPredict), the API endpoint override, a quoted file name', () => {
    assert.match(curlCommand(vertex, { requestFile: 'a.json', op: 'explain' }), /endpoints\/123:explain$/);
    assert.match(curlCommand(vertex, { requestFile: 'a.json', op: 'predict', signature: 'classify_x_to_y' }), /endpoints\/123:rawPredict$/);
    assert.match(curlCommand(vertex, { requestFile: 'a.json', op: 'predict', signature: 'serving_default' }), /:predict$/);
    const o = curlCommand(vertex, { requestFile: "my file's.json", op: 'predict', apiEndpoint: 'http://127.0.0.1:8089/' });
    assert.match(o, /--data-binary @'my file'\\''s\.json'/);
    assert.match(o, /http:\/\/127\.0\.0\.1:8089\/v1\/projects\/demo/);
  });

  it('AI Platform on the global and a regional host', () => {
    assert.match(curlCommand(legacy, { requestFile: 'a.json', op: 'predict' }), /'?https:\/\/ml\.googleapis\.com\/v1\/projects\/demo\/models\/half_plus_two\/versions\/v2:predict'?$/);
    assert.match(curlCommand({ kind: 'ai-platform', model: 'projects/demo/models/m', region: 'us-central1' }, { requestFile: 'a.json', op: 'explain' }), /https:\/\/us-central1-ml\.googleapis\.com\/v1\/projects\/demo\/models\/m:explain$/);
  });

  it('TF Serving: no Google token, the user without the password, the verb', () => {
    const c = curlCommand(tfs, { requestFile: 'a.json', op: 'predict', method: 'classify' });
    assert.ok(!c.includes('pa55word'));
    assert.ok(!c.includes('Authorization'));
    assert.match(c, /-u alice/);
    assert.match(c, /http:\/\/localhost:8501\/v1\/models\/half_plus_two\/versions\/2:classify$/);
    assert.equal(requestUrl({ kind: 'tf-serving', url: 'http://h:8501', model: 'm', label: 'stable' }, { requestFile: 'a', op: 'predict' }), 'http://h:8501/v1/models/m/labels/stable:predict');
  });
});

describe('gcloud', () => {
  it('gcloud ai endpoints predict / explain / raw-predict', () => {
    assert.equal(gcloudCommand(vertex, { requestFile: 'a.json', op: 'predict' }), 'gcloud ai endpoints predict 123 \\\n  --project=demo \\\n  --region=europe-west4 \\\n  --json-request=a.json');
    assert.equal(
      gcloudCommand({ ...vertex, deployedModelId: '42' } as PredictTarget, { requestFile: 'a.json', op: 'explain' }),
      'gcloud ai endpoints explain 123 \\\n  --project=demo \\\n  --region=europe-west4 \\\n  --json-request=a.json \\\n  --deployed-model-id=42',
    );
    assert.match(gcloudCommand(vertex, { requestFile: 'a.json', op: 'predict', signature: 'regress_x_to_y' })!, /^gcloud ai endpoints raw-predict 123 .*--request=@a\.json/s);
    assert.match(gcloudCommand(vertex, { requestFile: 'a.json', op: 'predict', apiEndpoint: 'http://127.0.0.1:9' })!, /^CLOUDSDK_API_ENDPOINT_OVERRIDES_AIPLATFORM=http:\/\/127\.0\.0\.1:9\/ gcloud ai endpoints predict/);
  });

  it('gcloud ai-platform predict with --model, --version, --signature-name; none for TF Serving', () => {
    assert.equal(
      gcloudCommand(legacy, { requestFile: 'a.json', op: 'predict', signature: 'serving_default' }),
      'gcloud ai-platform predict --model=half_plus_two \\\n  --version=v2 \\\n  --project=demo \\\n  --signature-name=serving_default \\\n  --json-request=a.json',
    );
    assert.match(gcloudCommand({ kind: 'ai-platform', model: 'projects/demo/models/m', region: 'europe-west1' }, { requestFile: 'a.json', op: 'explain' })!, /^gcloud ai-platform explain --model=m \\\n {2}--project=demo \\\n {2}--region=europe-west1/);
    assert.equal(gcloudCommand(tfs, { requestFile: 'a.json', op: 'predict' }), undefined);
  });

  it('never a token: only the placeholder', () => {
    for (const t of [vertex, legacy, tfs]) {
      for (const op of ['predict', 'explain'] as const) {
        const all = `${curlCommand(t, { requestFile: 'a.json', op })} ${gcloudCommand(t, { requestFile: 'a.json', op }) ?? ''}`;
        assert.ok(!/ya29\.|Bearer [A-Za-z0-9]/.test(all), all);
      }
    }
  });
});

describe('servelens command line', () => {
  it('the same call as servelens predict / explain', () => {
    assert.equal(cliCommand(vertex, { requestFile: 'a.json', op: 'predict' }), 'servelens predict a.json --endpoint projects/demo/locations/europe-west4/endpoints/123');
    assert.equal(cliCommand(legacy, { requestFile: 'a.json', op: 'explain' }), 'servelens explain a.json --version projects/demo/models/half_plus_two/versions/v2');
    assert.equal(cliCommand(tfs, { requestFile: 'a.json', op: 'predict', signature: 's' }), 'servelens predict a.json --tf-serving http://localhost:8501/v1/models/half_plus_two/versions/2 --signature s');
    assert.equal(curlCommand({ kind: 'local', modelPath: '/m/half plus two' }, { requestFile: 'a.json', op: 'predict' }), "servelens predict a.json --model '/m/half plus two'");
    assert.equal(shellQuote('plain-file_1.json'), 'plain-file_1.json');
  });
});
