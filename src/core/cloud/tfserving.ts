/**
 * TensorFlow Serving REST: model status (`GET /v1/models/{m}[/versions/{v}|/labels/{l}]`) and
 * metadata (`.../metadata`), whose signature_def map becomes the same `Signature[]` the model
 * reader gives for a local SavedModel (through savedmodel.ts `tensorSpecOf`).
 *
 * No Google token is ever sent to a TF Serving server (`auth: false`). A base URL with
 * `user:password@` is sent as HTTP Basic authorization instead, and the password is treated as a
 * secret (kept out of logs and errors).
 */
import type { TfServingMetadata, TfServingModelStatus } from './contract';
import { CloudError } from './errors';
import type { CallOptions, HttpClient, RequestSpec } from './http';
import { errorInBody, jsonCall, postPrediction, type PredictBody, type PredictCall } from './predict';
import { rememberSecret } from './secrets';
import { UsageError } from '../errors';
import { tensorSpecOf } from '../model/savedmodel';
import { DATA_TYPE_VALUES, root, type ITensorInfo } from '../model/proto/schema';
import type { Signature, TensorSpec } from '../model/types';

/** Which servable: the latest version (neither set), a version number, or a version label. */
export interface ServableSelector {
  version?: string | number;
  label?: string;
}

export interface TfServingClientOptions {
  http: HttpClient;
  /** e.g. http://localhost:8501 (TF Serving's --rest_api_port). */
  baseUrl: string;
}

function bad(path: string, expected: string): CloudError {
  return new CloudError('bad-response', `TF Serving metadata: ${path} should be ${expected}.`, 'The server may not be TF Serving, or a proxy changed the answer.');
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

let typeSpecClasses: Readonly<Record<string, number>> | undefined;
function typeSpecClass(name: string): number | undefined {
  typeSpecClasses ??= root.lookupEnum('TypeSpecProto.TypeSpecClass').values;
  return typeSpecClasses[name];
}

/** A size from JSON: int64 fields arrive as strings ("-1"), sometimes as numbers. */
function sizeOf(v: unknown, path: string): number {
  if (typeof v === 'number' && Number.isInteger(v)) return v;
  if (typeof v === 'string' && /^-?\d{1,18}$/.test(v)) return Number(v);
  if (v === undefined) return 0; // proto3 JSON may omit a zero
  throw bad(path, 'an integer (a string of digits)');
}

/** TF Serving's JSON for one TensorInfo (proto field names) as the schema's ITensorInfo. */
function tensorInfoOf(json: unknown, path: string, depth = 0): ITensorInfo {
  if (!isObject(json)) throw bad(path, 'an object (TensorInfo)');
  if (depth > 32) throw bad(path, 'nested at most 32 levels deep');
  const info: ITensorInfo = {};
  if (json.dtype !== undefined) {
    if (typeof json.dtype === 'string') {
      const value = DATA_TYPE_VALUES.get(json.dtype);
      info.dtype = value ?? -1; // tensorSpecOf names an unknown value DT_UNKNOWN_-1; fixed up below
    } else if (typeof json.dtype === 'number') info.dtype = json.dtype;
    else throw bad(`${path}.dtype`, 'a DataType name');
  }
  if (json.tensor_shape !== undefined) {
    const shape = json.tensor_shape;
    if (!isObject(shape)) throw bad(`${path}.tensor_shape`, 'an object');
    const dims = shape.dim ?? [];
    if (!Array.isArray(dims)) throw bad(`${path}.tensor_shape.dim`, 'an array');
    info.tensor_shape = {
      unknown_rank: shape.unknown_rank === true,
      dim: dims.map((d, i) => {
        if (!isObject(d)) throw bad(`${path}.tensor_shape.dim[${i}]`, 'an object');
        return { size: sizeOf(d.size, `${path}.tensor_shape.dim[${i}].size`), name: typeof d.name === 'string' ? d.name : '' };
      }),
    };
  }
  if (typeof json.name === 'string') {
    info.name = json.name;
    info.encoding = 'name';
  } else if (isObject(json.coo_sparse)) {
    const c = json.coo_sparse;
    const s = (k: string) => (typeof c[k] === 'string' ? (c[k] as string) : '');
    info.coo_sparse = { values_tensor_name: s('values_tensor_name'), indices_tensor_name: s('indices_tensor_name'), dense_shape_tensor_name: s('dense_shape_tensor_name') };
    info.encoding = 'coo_sparse';
  } else if (isObject(json.composite_tensor)) {
    const c = json.composite_tensor;
    const components = c.components ?? [];
    if (!Array.isArray(components)) throw bad(`${path}.composite_tensor.components`, 'an array');
    const ts = isObject(c.type_spec) ? c.type_spec : {};
    const cls = typeof ts.type_spec_class === 'string' ? typeSpecClass(ts.type_spec_class) : typeof ts.type_spec_class === 'number' ? ts.type_spec_class : undefined;
    info.composite_tensor = {
      type_spec: {
        ...(cls !== undefined ? { type_spec_class: cls } : {}),
        ...(typeof ts.type_spec_class_name === 'string' ? { type_spec_class_name: ts.type_spec_class_name } : {}),
      },
      components: components.map((x, i) => tensorInfoOf(x, `${path}.composite_tensor.components[${i}]`, depth + 1)),
    };
    info.encoding = 'composite_tensor';
  }
  return info;
}

function specsOf(map: unknown, path: string): TensorSpec[] {
  if (map === undefined) return [];
  if (!isObject(map)) throw bad(path, 'an object of alias → TensorInfo');
  return Object.entries(map).map(([alias, json]) => {
    const spec = tensorSpecOf(alias, tensorInfoOf(json, `${path}.${alias}`));
    const rawDtype = (json as Record<string, unknown>).dtype;
    if (typeof rawDtype === 'string' && !DATA_TYPE_VALUES.has(rawDtype)) spec.dtype = rawDtype; // a newer TensorFlow's dtype, named as sent
    return spec;
  });
}

/** The signatures of a TF Serving metadata answer, in the order the server sent them. */
export function signaturesFromMetadata(meta: unknown): Signature[] {
  if (!isObject(meta) || !isObject(meta.metadata)) throw bad('the answer', 'an object with "metadata"');
  const outer = meta.metadata.signature_def;
  if (outer === undefined) return [];
  if (!isObject(outer)) throw bad('metadata.signature_def', 'an object (SignatureDefMap)');
  const defs = outer.signature_def ?? {};
  if (!isObject(defs)) throw bad('metadata.signature_def.signature_def', 'an object of name → SignatureDef');
  return Object.entries(defs).map(([name, def]) => {
    const path = `metadata.signature_def.signature_def.${name}`;
    if (!isObject(def)) throw bad(path, 'an object (SignatureDef)');
    return {
      name,
      method: typeof def.method_name === 'string' ? def.method_name : '',
      inputs: specsOf(def.inputs, `${path}.inputs`),
      outputs: specsOf(def.outputs, `${path}.outputs`),
    };
  });
}

/** The REST verbs of TF Serving's prediction API. */
export type TfServingVerb = 'predict' | 'classify' | 'regress';

/**
 * The verb a signature is called with, from its method name: `tensorflow/serving/classify` →
 * classify, `.../regress` → regress, anything else (predict, empty, custom) → predict.
 */
export function verbForMethod(method: string | undefined): TfServingVerb {
  if (method === 'tensorflow/serving/classify') return 'classify';
  if (method === 'tensorflow/serving/regress') return 'regress';
  return 'predict';
}

export class TfServingClient {
  readonly #http: HttpClient;
  /** The base URL without credentials. */
  readonly baseUrl: string;
  readonly #authorization?: string;

  constructor(opts: TfServingClientOptions) {
    this.#http = opts.http;
    let u: URL;
    try {
      u = new URL(opts.baseUrl);
    } catch {
      throw new UsageError(`'${opts.baseUrl}' is not a TF Serving URL (e.g. http://localhost:8501).`);
    }
    if (u.protocol !== 'http:' && u.protocol !== 'https:') throw new UsageError(`'${u.protocol}' URLs are not supported for TF Serving; use http:// or https://.`);
    if (u.username || u.password) {
      const user = decodeURIComponent(u.username);
      const password = decodeURIComponent(u.password);
      if (password) rememberSecret(password);
      const basic = Buffer.from(`${user}:${password}`).toString('base64');
      rememberSecret(basic);
      this.#authorization = `Basic ${basic}`;
    }
    this.baseUrl = `${u.protocol}//${u.host}${u.pathname.replace(/\/+$/, '')}`;
  }

  #path(model: string, sel: ServableSelector = {}): string {
    if (!model || /[/?#]/.test(model)) throw new UsageError(`'${model}' is not a TF Serving model name.`);
    let path = `/v1/models/${encodeURIComponent(model)}`;
    if (sel.version !== undefined) {
      if (!/^\d{1,19}$/.test(String(sel.version))) throw new UsageError(`'${sel.version}' is not a model version number.`);
      path += `/versions/${String(sel.version).replace(/^0+(?=\d)/, '')}`;
    } else if (sel.label !== undefined) {
      if (!/^[A-Za-z0-9_.-]{1,128}$/.test(sel.label)) throw new UsageError(`'${sel.label}' is not a version label.`);
      path += `/labels/${sel.label}`;
    }
    return path;
  }

  #spec(path: string, opts: CallOptions): RequestSpec {
    const spec: RequestSpec = { method: 'GET', url: `${this.baseUrl}${path}`, service: 'tfserving', auth: false, ...opts };
    if (this.#authorization) spec.headers = { authorization: this.#authorization };
    return spec;
  }

  /** `model_version_status` of the model (every loaded version), or of one version / label. */
  getModelStatus(model: string, sel?: ServableSelector, opts: CallOptions = {}): Promise<TfServingModelStatus> {
    return this.#http.json(this.#spec(this.#path(model, sel), opts));
  }

  /** The raw metadata answer (`model_spec` and `metadata.signature_def`). */
  getMetadata(model: string, sel?: ServableSelector, opts: CallOptions = {}): Promise<TfServingMetadata> {
    return this.#http.json(this.#spec(`${this.#path(model, sel)}/metadata`, opts));
  }

  /**
   * `POST /v1/models/{m}[/versions/{v}|/labels/{l}]:{verb}`. Predict takes `{instances}` (→
   * `predictions`) or `{inputs}` (→ `outputs`); classify and regress `{examples, context?}` (→
   * `results`); all take `signature_name`. `{"error": "..."}` answers are CloudApiErrors (also in a
   * 2xx answer). Only 429 and 503 are retried.
   */
  async call(verb: TfServingVerb, model: string, body: PredictBody, sel?: ServableSelector, opts: CallOptions = {}): Promise<PredictCall> {
    if (verb !== 'predict' && verb !== 'classify' && verb !== 'regress') throw new UsageError(`'${String(verb)}' is not a TF Serving verb (predict, classify, regress).`);
    const url = `${this.baseUrl}${this.#path(model, sel)}:${verb}`;
    const headers: Record<string, string> = this.#authorization ? { authorization: this.#authorization } : {};
    const text = typeof body === 'string' ? body : JSON.stringify(body);
    const a = await postPrediction(this.#http, { url, service: 'tfserving', body: text, contentType: 'application/json', auth: false, headers }, opts);
    const out = jsonCall(a, 'tfserving');
    const failed = errorInBody(out, 'tfserving');
    if (failed) throw failed;
    return out;
  }

  predict(model: string, body: PredictBody, sel?: ServableSelector, opts?: CallOptions): Promise<PredictCall> {
    return this.call('predict', model, body, sel, opts);
  }

  classify(model: string, body: PredictBody, sel?: ServableSelector, opts?: CallOptions): Promise<PredictCall> {
    return this.call('classify', model, body, sel, opts);
  }

  regress(model: string, body: PredictBody, sel?: ServableSelector, opts?: CallOptions): Promise<PredictCall> {
    return this.call('regress', model, body, sel, opts);
  }

  /** The served model's signatures, and the version the server answered for. */
  async getSignatures(model: string, sel?: ServableSelector, opts: CallOptions = {}): Promise<{ version?: string; signatures: Signature[] }> {
    const meta = await this.getMetadata(model, sel, opts);
    const out: { version?: string; signatures: Signature[] } = { signatures: signaturesFromMetadata(meta) };
    const version = (meta as Partial<TfServingMetadata>).model_spec?.version;
    if (typeof version === 'string' && version) out.version = version;
    return out;
  }
}
