/**
 * `servelens predict|explain <request>` against a cloud target:
 *
 *   --endpoint projects/P/locations/R/endpoints/E [--deployed-model ID]   Vertex AI
 *   --version projects/P/models/M[/versions/V] [--region R]              AI Platform (default version without /versions/V)
 *   --tf-serving URL [--model-name NAME]                                 TF Serving (URL http://host:port/v1/models/NAME[/versions/N|/labels/L],
 *                                                                        or http://host:port with --model-name)
 *   common: --signature S  --api-endpoint URL  --key-file F  --timeout S  --json
 *
 * The request file is sent byte for byte. stdout gets the response body exactly as the service
 * sent it (with --json: one object with the response, latency, sizes and the deployed model). On
 * failure the error is explained against the model's signature (TF Serving's /metadata, or the
 * saved_model.pb of the model's artifact in Cloud Storage) and the exit code is 1; 2 on usage.
 *
 * Sign-in as the listing commands (cloud.ts): SERVELENS_ACCESS_TOKEN, else --key-file, else
 * Application Default Credentials, else the gcloud CLI; --api-endpoint or SERVELENS_API_ENDPOINT.
 * TF Serving never gets the Google token.
 */
import { readFile } from 'node:fs/promises';
import { defaultCredentialSource } from '../core/cloud/auth';
import { resolveApiEndpoint } from '../core/cloud/endpoint';
import { CloudApiError, isCloudError } from '../core/cloud/errors';
import { HttpClient, type CallOptions } from '../core/cloud/http';
import { verbForMethod, type TfServingVerb } from '../core/cloud/tfserving';
import { IoError, ServeLensError, UsageError, describeError } from '../core/errors';
import type { Signature } from '../core/model/types';
import { diagnose, diagnosisText, type Diagnosis } from '../core/predict/diagnose';
import { targetSignatures } from '../core/predict/signatures';
import { parseTfServingUrl, send, targetName, type PredictOp, type PredictTarget, type SendResult } from '../core/predict/target';
import type { CliValues } from './commands';
import { ExitCode, toJson, type CliIo } from './io';

export const CLOUD_PREDICT_OPTIONS = {
  endpoint: { type: 'string' },
  'deployed-model': { type: 'string' },
  version: { type: 'string' },
  region: { type: 'string' },
  'tf-serving': { type: 'string' },
  'model-name': { type: 'string' },
  signature: { type: 'string' },
  'api-endpoint': { type: 'string' },
  'key-file': { type: 'string' },
  timeout: { type: 'string' },
} as const;

const TARGET_HELP = [
  '  --endpoint E          a Vertex AI endpoint: projects/P/locations/R/endpoints/E',
  '  --version V           an AI Platform model or version: projects/P/models/M[/versions/V]',
  '                        (the default version without /versions/V); --region R for a regional endpoint',
  '  --tf-serving URL      TF Serving: http://host:port/v1/models/NAME[/versions/N|/labels/L], or',
  '                        http://host:port with --model-name NAME (user:password@ for Basic auth)',
  '  --signature S         the signature to run (Vertex AI: another than serving_default goes through',
  '                        :rawPredict); TF Serving: its method picks :predict, :classify or :regress',
  '  --timeout S           seconds to wait for each attempt (default 30)',
  '  --json                {"ok", "response", "latencyMs", "requestBytes", "responseBytes", "deployedModelId", ...}',
  '                        or {"ok": false, "error", "diagnosis"}',
  '  --api-endpoint URL    send Google API calls to this base URL (or SERVELENS_API_ENDPOINT): private',
  '                        endpoints, the local emulator; plain http only to 127.0.0.1',
  '  --key-file PATH       sign in with this service-account key file',
  '',
  'The request file is sent as is; stdout gets the response body exactly as the service sent it.',
  'Only 429 and 503 are retried (with back-off and Retry-After): a prediction is never sent twice',
  'after a 400, a 500 or a broken connection. On failure the error is explained against the model\'s',
  'signature and the exit code is 1; 2 on usage errors.',
  '',
  'Sign-in: SERVELENS_ACCESS_TOKEN when set (CI), else --key-file, else Application Default Credentials',
  '(gcloud auth application-default login), else the gcloud CLI. TF Serving never gets the Google token.',
];

export const CLOUD_PREDICT_HELP = {
  predict: ['Sends a Predict to Vertex AI, AI Platform or TF Serving and prints the answer.', '', ...TARGET_HELP].join('\n'),
  explain: [
    'Sends an Explain to a Vertex AI endpoint (--deployed-model ID picks the deployed model; else the',
    'traffic split does) or an AI Platform version, and prints the attributions.',
    '',
    '  --deployed-model ID   the deployed model of the endpoint to explain with',
    ...TARGET_HELP,
  ].join('\n'),
};

const str = (v: string | boolean | undefined): string | undefined => (typeof v === 'string' && v.trim() ? v.trim() : undefined);

interface Parsed {
  file: string;
  target: PredictTarget;
  signature?: string;
  timeoutMs?: number;
  apiEndpoint?: string;
  keyFile?: string;
}

function parse(values: CliValues, positionals: string[], op: PredictOp): Parsed {
  if (positionals.length === 0) throw new UsageError(`give the request file: servelens ${op} <request.json> --endpoint E | --version V | --tf-serving URL`);
  if (positionals.length > 1) throw new UsageError(`unexpected argument '${positionals[1]}'`);
  const endpoint = str(values.endpoint);
  const version = str(values.version);
  const tfServing = str(values['tf-serving']);
  const given = [endpoint && '--endpoint', version && '--version', tfServing && '--tf-serving'].filter(Boolean);
  if (given.length === 0) throw new UsageError('give one target: --endpoint E, --version V or --tf-serving URL');
  if (given.length > 1) throw new UsageError(`give one target, not ${given.join(' and ')}`);
  let target: PredictTarget;
  const deployed = str(values['deployed-model']);
  if (deployed && !endpoint) throw new UsageError('--deployed-model goes with --endpoint');
  if (str(values['model-name']) && !tfServing) throw new UsageError('--model-name goes with --tf-serving');
  if (str(values.region) && !version) throw new UsageError('--region goes with --version (AI Platform); a Vertex AI endpoint names its region');
  if (endpoint) {
    if (!/^projects\/[^/]+\/locations\/[^/]+\/endpoints\/[^/]+$/.test(endpoint)) throw new UsageError(`--endpoint must look like projects/P/locations/R/endpoints/E (got ${endpoint})`);
    if (deployed && op === 'predict') throw new UsageError('Vertex AI predictions follow the endpoint\'s traffic split; --deployed-model applies to explain');
    if (deployed && !/^\d{1,20}$/.test(deployed)) throw new UsageError(`--deployed-model takes the deployed model's numeric id (got ${deployed})`);
    target = deployed ? { kind: 'vertex', endpoint, deployedModelId: deployed } : { kind: 'vertex', endpoint };
  } else if (version) {
    const m = /^(projects\/[^/]+\/models\/[^/]+)(?:\/versions\/([^/]+))?$/.exec(version);
    if (!m) throw new UsageError(`--version must look like projects/P/models/M or projects/P/models/M/versions/V (got ${version})`);
    target = { kind: 'ai-platform', model: m[1]! };
    if (m[2]) target.version = m[2];
    const region = str(values.region);
    if (region) target.region = region;
  } else {
    const name = str(values['model-name']);
    if (/\/v1\/models\//.test(tfServing!)) {
      if (name) throw new UsageError('the --tf-serving URL already names the model; drop --model-name');
      target = parseTfServingUrl(tfServing!);
    } else {
      if (!name) throw new UsageError('--tf-serving takes http://host:port/v1/models/NAME, or http://host:port with --model-name NAME');
      target = { kind: 'tf-serving', url: tfServing!.replace(/\/+$/, ''), model: name };
    }
  }
  const out: Parsed = { file: positionals[0]!, target };
  const signature = str(values.signature);
  if (signature) out.signature = signature;
  if (values.timeout !== undefined) {
    const s = Number(values.timeout);
    if (!Number.isFinite(s) || s <= 0 || s > 3600) throw new UsageError('--timeout takes seconds (a positive number, at most 3600)');
    out.timeoutMs = Math.round(s * 1000);
  }
  if (target.kind !== 'tf-serving') {
    const ep = resolveApiEndpoint({ setting: str(values['api-endpoint']), env: process.env });
    if (ep) out.apiEndpoint = ep.url;
  }
  const keyFile = str(values['key-file']);
  if (keyFile) out.keyFile = keyFile;
  return out;
}

/**
 * The model's signatures, for choosing TF Serving's verb and for explaining a failure. Undefined
 * when they cannot be read (no permission on the bucket, a model that is not a SavedModel, ...).
 */
async function signaturesOf(http: HttpClient, p: Parsed, call: CallOptions): Promise<Signature[] | undefined> {
  try {
    return (await targetSignatures(p.target, { http, ...(p.apiEndpoint ? { apiEndpoint: p.apiEndpoint } : {}) }, call))?.signatures;
  } catch {
    return undefined;
  }
}

function printResult(io: CliIo, values: CliValues, r: SendResult): void {
  if (values.json) {
    const out: Record<string, unknown> = { ok: true, op: r.op, target: targetName(r.target), status: r.status, latencyMs: r.latencyMs, requestBytes: r.requestBytes, responseBytes: r.responseBytes, attempts: r.attempts };
    for (const k of ['deployedModelId', 'model', 'modelVersionId', 'modelDisplayName'] as const) if (r[k]) out[k] = r[k];
    out.response = r.json;
    io.out(toJson(out));
    return;
  }
  io.out(r.text.endsWith('\n') ? r.text : `${r.text}\n`);
  const who = r.deployedModelId ? `; deployed model ${r.deployedModelId}${r.modelDisplayName ? ` (${r.modelDisplayName}${r.modelVersionId ? ` v${r.modelVersionId}` : ''})` : ''}` : '';
  io.err(`${r.op}: HTTP ${r.status} in ${r.latencyMs} ms, ${r.requestBytes} B sent, ${r.responseBytes} B received${r.attempts > 1 ? `, ${r.attempts} attempts` : ''}${who}`);
}

function printFailure(io: CliIo, values: CliValues, op: PredictOp, p: Parsed, err: unknown, d: Diagnosis): void {
  if (values.json) {
    const error: Record<string, unknown> = { message: describeError(err) };
    if (isCloudError(err)) error.reason = err.reason;
    if (err instanceof CloudApiError && err.httpStatus !== undefined) error.httpStatus = err.httpStatus;
    io.out(toJson({ ok: false, op, target: targetName(p.target), error, diagnosis: d }));
    return;
  }
  io.err(`servelens ${op}: ${err instanceof ServeLensError ? err.message : describeError(err)}`);
  io.err(diagnosisText(d));
}

async function run(op: PredictOp, values: CliValues, positionals: string[], io: CliIo): Promise<number> {
  let p: Parsed;
  try {
    p = parse(values, positionals, op);
  } catch (err) {
    if (!ServeLensError.is(err, 'usage')) throw err;
    io.err(`servelens ${op}: ${describeError(err)}`);
    return ExitCode.usage;
  }
  let text: string;
  try {
    text = await readFile(p.file, 'utf8');
  } catch (err) {
    io.err(`servelens ${op}: ${describeError(new IoError(p.file, err))}`);
    return ExitCode.inputErrors;
  }
  let request: unknown;
  try {
    request = JSON.parse(text);
  } catch (err) {
    io.err(`servelens ${op}: ${p.file} is not JSON (${(err as Error).message}); run servelens validate ${p.file} to see where.`);
    return ExitCode.inputErrors;
  }
  const http = new HttpClient(p.target.kind === 'tf-serving' ? {} : { credentials: defaultCredentialSource({ env: process.env, ...(p.keyFile ? { keyFile: p.keyFile } : {}) }) });
  const call: CallOptions = p.timeoutMs !== undefined ? { timeoutMs: p.timeoutMs } : {};
  let signatures: Signature[] | undefined;
  let method: TfServingVerb | undefined;
  if (p.target.kind === 'tf-serving' && p.signature !== undefined) {
    signatures = await signaturesOf(http, p, call);
    const sig = signatures?.find((s) => s.name === p.signature);
    if (sig) method = verbForMethod(sig.method);
  }
  try {
    const r = await send(p.target, text, op, { http, ...(p.apiEndpoint ? { apiEndpoint: p.apiEndpoint } : {}) }, { ...call, ...(p.signature ? { signature: p.signature } : {}), ...(method ? { method } : {}) });
    printResult(io, values, r);
    return ExitCode.ok;
  } catch (err) {
    if (ServeLensError.is(err, 'usage')) {
      io.err(`servelens ${op}: ${describeError(err)}`);
      return ExitCode.usage;
    }
    const aboutInput = isCloudError(err) && ['invalid-argument', 'failed-precondition', 'internal', 'unknown'].includes(err.reason);
    if (aboutInput && signatures === undefined) signatures = await signaturesOf(http, p, call);
    const service = p.target.kind === 'vertex' ? 'vertex' : p.target.kind === 'ai-platform' ? 'aiplatform' : 'tfserving';
    const d = diagnose(err, {
      ...(signatures ? { signatures } : {}),
      ...(p.signature ? { signature: p.signature } : typeof (request as { signature_name?: unknown })?.signature_name === 'string' ? { signature: (request as { signature_name: string }).signature_name } : {}),
      request,
      service,
      targetName: targetName(p.target),
    });
    printFailure(io, values, op, p, err, d);
    return ExitCode.inputErrors;
  }
}

/** `servelens predict <request> --endpoint E | --version V | --tf-serving URL ...` */
export function runCloudPredict(values: CliValues, positionals: string[], io: CliIo): Promise<number> {
  return run('predict', values, positionals, io);
}

/** `servelens explain <request> --endpoint E [--deployed-model ID] | --version V ...` */
export function runCloudExplain(values: CliValues, positionals: string[], io: CliIo): Promise<number> {
  return run('explain', values, positionals, io);
}
