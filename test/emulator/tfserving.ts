/**
 * TensorFlow Serving's REST API (status and metadata) for the models of each configured server:
 *   GET {prefix}/v1/models/{m}[/versions/{v}|/labels/{l}]            → {"model_version_status":[...]}
 *   GET {prefix}/v1/models/{m}[/versions/{v}|/labels/{l}]/metadata   → {"model_spec", "metadata"}
 * The metadata is built from the real SavedModel with ServeLens's own model reader, in TF Serving's
 * JSON (proto field names, dims as strings, `unknown_rank`, the SignatureDefMap nested twice).
 * `:predict`, `:classify`, `:regress` run the configured Predictor (the local runner) on the version
 * folder, after checking the signature name and method; without one they answer 501. Errors are
 * `{"error": "..."}`.
 */
import { readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { readModel } from '../../src/core/model/inspect';
import type { ModelSummary, TensorSpec } from '../../src/core/model/types';
import type { EmuContext } from './context';
import { decodeSegment, jsonResponse, tfServingError, type EmuRequest, type EmuResponse, EmuHttpError } from './http';
import { isJsonObject, isRefusal, noPredictor, runModel } from './predict';
import { gcsFolder } from './storage';
import type { EmulatorState, TfServingModel, TfServingServer } from './types';

function fail(status: number, message: string): never {
  throw new EmuHttpError(tfServingError(status, message));
}

interface ServedVersion {
  version: string;
  dir: string;
}

/** The numeric version folders of a model's base path (version numbers without leading zeros). */
async function versionFolders(state: EmulatorState, model: TfServingModel): Promise<ServedVersion[]> {
  const base = model.basePath.startsWith('gs://') ? await gcsFolder(state, model.basePath) : model.basePath;
  if (!base) return [];
  let names: string[];
  try {
    names = await readdir(base);
  } catch {
    return [];
  }
  const out: ServedVersion[] = [];
  for (const n of names) {
    if (!/^\d+$/.test(n)) continue;
    try {
      if ((await stat(join(base, n))).isDirectory()) out.push({ version: BigInt(n).toString(), dir: join(base, n) });
    } catch {
      // not readable: not served
    }
  }
  return out.sort((a, b) => (BigInt(b.version) > BigInt(a.version) ? 1 : -1)); // latest first, as TF Serving lists them
}

/** The versions a model serves: the configured ones, or the latest only (TF Serving's default policy). */
async function served(state: EmulatorState, model: TfServingModel): Promise<ServedVersion[]> {
  const all = await versionFolders(state, model);
  if (model.versions) {
    const want = new Set(model.versions.map((v) => BigInt(v).toString()));
    return all.filter((v) => want.has(v.version));
  }
  return all.slice(0, 1);
}

function statusEntry(model: TfServingModel, version: string): Record<string, unknown> {
  const o = model.versionStates?.[version];
  return {
    version,
    state: o?.state ?? 'AVAILABLE',
    status: { error_code: o?.errorCode ?? 'OK', error_message: o?.errorMessage ?? '' },
  };
}

function tensorShape(shape: number[] | null): Record<string, unknown> {
  if (shape === null) return { dim: [], unknown_rank: true };
  return { dim: shape.map((d) => ({ size: String(d), name: '' })), unknown_rank: false };
}

function tensorInfo(t: TensorSpec): Record<string, unknown> {
  if (t.encoding === 'coo_sparse' && t.cooSparse) {
    return {
      coo_sparse: { values_tensor_name: t.cooSparse.values, indices_tensor_name: t.cooSparse.indices, dense_shape_tensor_name: t.cooSparse.denseShape },
      dtype: t.dtype,
      tensor_shape: tensorShape(t.shape),
    };
  }
  if (t.encoding === 'composite' && t.composite) {
    return {
      composite_tensor: { type_spec: { type_spec_class_name: t.composite.typeSpec }, components: t.composite.components.map(tensorInfo) },
      dtype: t.dtype,
      tensor_shape: tensorShape(t.shape),
    };
  }
  return { dtype: t.dtype, tensor_shape: tensorShape(t.shape), name: t.tensor };
}

/** The `signature_def` map of the serving meta graph, as TF Serving's GetModelMetadata prints it. */
export function signatureDefMap(summary: ModelSummary): Record<string, unknown> {
  const mg = summary.metaGraphs.find((g) => g.tags.includes('serve')) ?? summary.metaGraphs[0];
  const out: Record<string, unknown> = {};
  for (const sig of mg?.signatures ?? []) {
    const inputs: Record<string, unknown> = {};
    for (const t of sig.inputs) inputs[t.alias] = tensorInfo(t);
    const outputs: Record<string, unknown> = {};
    for (const t of sig.outputs) outputs[t.alias] = tensorInfo(t);
    out[sig.name] = { inputs, outputs, method_name: sig.method, defaults: {} };
  }
  return out;
}

const summaries = new Map<string, Promise<ModelSummary>>();

export function summaryOf(dir: string): Promise<ModelSummary> {
  let p = summaries.get(dir);
  if (!p) {
    p = readModel(dir);
    summaries.set(dir, p);
    p.catch(() => summaries.delete(dir));
  }
  return p;
}

/** The metadata response for one served version. */
export async function metadataResponse(name: string, v: ServedVersion): Promise<Record<string, unknown>> {
  let summary: ModelSummary;
  try {
    summary = await summaryOf(v.dir);
  } catch (err) {
    fail(500, `Failed to read the SavedModel of ${name} version ${v.version}: ${err instanceof Error ? err.message : String(err)}`);
  }
  return {
    model_spec: { name, signature_name: '', version: v.version },
    metadata: {
      // TF Serving unpacks the SignatureDefMap Any itself: no "@type" (its own REST test compares
      // the response to expected/half_plus_two_model_metadata.json for equality).
      signature_def: { signature_def: signatureDefMap(summary) },
    },
  };
}

function normalizePrefix(p: string | undefined): string {
  if (!p) return '';
  const s = p.startsWith('/') ? p : `/${p}`;
  return s.replace(/\/+$/, '');
}

/** The server whose prefix this path falls under (the longest prefix), and the rest of the path. */
function serverOf(state: EmulatorState, rawPath: string): [TfServingServer, string] | undefined {
  const servers = [...(state.tfServing ?? [])].sort((a, b) => normalizePrefix(b.prefix).length - normalizePrefix(a.prefix).length);
  for (const s of servers) {
    const prefix = normalizePrefix(s.prefix);
    if (rawPath === `${prefix}/v1/models` || rawPath.startsWith(`${prefix}/v1/models/`)) return [s, rawPath.slice(prefix.length)];
  }
  return undefined;
}

/** Answers a TF Serving request, or undefined when no configured server has this path. */
export async function handleTfServing(req: EmuRequest, ctx: EmuContext, rawPath: string): Promise<EmuResponse | undefined> {
  const hit = serverOf(ctx.state, rawPath);
  if (!hit) return undefined;
  const [server, path] = hit;
  const malformed = () => fail(400, `Malformed request: ${req.method} ${rawPath}`);
  const parts = path.split('/').slice(3).map((s) => decodeSegment(s)); // after "", "v1", "models"
  if (parts.length === 0 || parts.some((p) => p === undefined || p === '')) malformed();
  const segs = parts as string[];

  // A verb on the last segment: {m}:predict, {m}/versions/{v}:classify, ...
  const last = segs[segs.length - 1]!;
  const colon = last.lastIndexOf(':');
  const verb = colon > 0 ? last.slice(colon + 1) : undefined;
  if (verb) segs[segs.length - 1] = last.slice(0, colon);

  const name = segs[0]!;
  let selector: { kind: 'latest' } | { kind: 'version'; v: string } | { kind: 'label'; l: string } = { kind: 'latest' };
  let i = 1;
  if (segs[i] === 'versions' || segs[i] === 'labels') {
    const value = segs[i + 1];
    if (value === undefined) malformed();
    if (segs[i] === 'versions') {
      if (!/^\d+$/.test(value)) malformed();
      selector = { kind: 'version', v: BigInt(value).toString() };
    } else {
      selector = { kind: 'label', l: value };
    }
    i += 2;
  }
  const metadata = segs[i] === 'metadata';
  if (metadata) i++;
  if (i !== segs.length) malformed();

  if (verb) {
    if (req.method !== 'POST' || metadata || !['predict', 'classify', 'regress'].includes(verb)) malformed();
  } else if (req.method !== 'GET') {
    malformed();
  }

  const model = server.models.find((m) => m.name === name);
  const versions = model ? await served(ctx.state, model) : [];
  const sel = selector;
  const specific = sel.kind === 'version' ? `Specific(${name}, ${sel.v})` : sel.kind === 'label' ? `Label(${name}, ${sel.l})` : `Latest(${name})`;
  if (!model || versions.length === 0) {
    fail(404, verb || metadata ? `Servable not found for request: ${specific}` : `Could not find any versions of model ${name}`);
  }

  let chosen: ServedVersion | undefined;
  if (sel.kind === 'latest') chosen = undefined;
  else if (sel.kind === 'version') {
    chosen = versions.find((v) => v.version === sel.v);
    if (!chosen) fail(404, verb || metadata ? `Servable not found for request: ${specific}` : `Could not find version ${sel.v} of model ${name}`);
  } else {
    const target = model.labels?.[sel.l];
    chosen = target === undefined ? undefined : versions.find((v) => v.version === BigInt(target).toString());
    if (!chosen) fail(404, `Unrecognized servable version label: ${sel.l}`);
  }

  if (verb || metadata) {
    const v = chosen ?? versions.find((x) => (model.versionStates?.[x.version]?.state ?? 'AVAILABLE') === 'AVAILABLE');
    if (!v || (model.versionStates?.[v.version]?.state ?? 'AVAILABLE') !== 'AVAILABLE') fail(404, `Servable not found for request: ${specific}`);
    if (metadata) return jsonResponse(200, await metadataResponse(name, v));
    if (!ctx.predictor) return noPredictor(`${name} version ${v.version}:${verb}`);
    const body = await req.json();
    if (!isJsonObject(body)) fail(400, 'JSON Parse error: The document root must be an object');
    const run = await runModel(ctx.predictor, 'predict', v.dir, body, verb as 'predict' | 'classify' | 'regress');
    if (isRefusal(run)) fail(run.status, run.refused);
    return jsonResponse(200, run.answer);
  }
  const list = chosen ? [chosen] : versions;
  return jsonResponse(200, { model_version_status: list.map((v) => statusEntry(model, v.version)) });
}
