/**
 * One entry point for reading any model ServeLens understands, used by the editor, the CLI and
 * (later) the runner: resolve the path, read the signatures the cheapest way the format allows,
 * and add what the inspector shows (lint, variables, assets).
 */
import { readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { IoError, ModelFormatError, describeError } from '../errors';
import { openBundle } from './bundle/bundle';
import { readFingerprint } from './fingerprint';
import { listSignaturesLazy } from './lazy';
import { lintModel } from './lint';
import { scanGraphOps } from './opscan';
import { parseSavedModelText } from './pbtxt';
import { resolveModelPath, type ResolvedModel } from './resolve';
import { readFileBounded, summarizeSavedModel, type SummaryLocation } from './savedmodel';
import { readTfjsModel } from './tfjs';
import type { LintFinding, ModelSummary, VariableInfo } from './types';

export interface ReadOptions {
  /** A version folder of a TF Serving base directory ("124" or "00000124"). */
  version?: string;
  signal?: AbortSignal;
}

export interface InspectOptions extends ReadOptions {
  /** Passed to the lint: the model and version names a deploy will use. */
  modelName?: string;
  versionName?: string;
  /** Skip the op scan of the graph (lint then relies on meta_info_def's stripped op list). */
  skipOps?: boolean;
}

export interface ModelInspection {
  summary: ModelSummary;
  lint: LintFinding[];
  /** SavedModel with a variables/ folder: every variable in the checkpoint. */
  variables?: VariableInfo[];
  /** Why the variables could not be read, when they could not. */
  variablesError?: string;
  assets: { filename: string; bytes?: number }[];
  /** Size of the model file in bytes. */
  fileBytes: number;
  /** How long each part took, in milliseconds. */
  timings: { signaturesMs: number; opsMs: number; variablesMs: number };
}

/** The largest saved_model.pbtxt read (text SavedModels are small; a huge one is a mistake). */
const MAX_PBTXT_BYTES = 256 * 1024 * 1024;

function where(r: ResolvedModel): SummaryLocation {
  const w: SummaryLocation = { dir: r.dir, file: r.file };
  if (r.version !== undefined) w.version = r.version;
  if (r.versions !== undefined) w.versions = r.versions;
  return w;
}

function withVersion(summary: ModelSummary, r: ResolvedModel): ModelSummary {
  if (r.version !== undefined) summary.version = r.version;
  if (r.versions !== undefined) summary.versions = r.versions;
  return summary;
}

async function readResolved(r: ResolvedModel): Promise<{ summary: ModelSummary; graphRanges?: (import('./lazy').ByteRange | undefined)[] }> {
  switch (r.kind) {
    case 'savedmodel-pb': {
      const [lazy, fingerprint] = await Promise.all([listSignaturesLazy(r.file), readFingerprint(r.dir)]);
      const summary: ModelSummary = {
        format: 'savedmodel',
        dir: r.dir,
        file: r.file,
        schemaVersion: lazy.schemaVersion,
        metaGraphs: lazy.metaGraphs,
      };
      withVersion(summary, r);
      if (fingerprint) summary.fingerprint = fingerprint;
      return { summary, graphRanges: lazy.layout.map((l) => l.graphDef) };
    }
    case 'savedmodel-pbtxt': {
      const bytes = await readFileBounded(r.file, MAX_PBTXT_BYTES);
      const message = parseSavedModelText(new TextDecoder('utf-8').decode(bytes), r.file);
      const w = where(r);
      const fingerprint = await readFingerprint(r.dir);
      if (fingerprint) w.fingerprint = fingerprint;
      return { summary: summarizeSavedModel(message, w) };
    }
    case 'tfjs':
      return { summary: withVersion(await readTfjsModel(r.file), r) };
  }
}

/** The model's summary: signatures and facts, without lint or variables. Fast for any model size. */
export async function readModel(path: string, opts: ReadOptions = {}): Promise<ModelSummary> {
  const r = await resolveModelPath(path, { version: opts.version });
  return (await readResolved(r)).summary;
}

async function listAssets(dir: string): Promise<{ filename: string; bytes?: number }[]> {
  const assetsDir = join(dir, 'assets');
  let names: string[];
  try {
    names = await readdir(assetsDir);
  } catch {
    return [];
  }
  const out: { filename: string; bytes?: number }[] = [];
  for (const name of names.sort()) {
    try {
      const st = await stat(join(assetsDir, name));
      if (st.isFile()) out.push({ filename: name, bytes: st.size });
    } catch {
      out.push({ filename: name });
    }
  }
  return out;
}

async function readVariables(dir: string): Promise<{ variables?: VariableInfo[]; variablesError?: string }> {
  const varsDir = join(dir, 'variables');
  try {
    if (!(await stat(join(varsDir, 'variables.index'))).isFile()) return {};
  } catch {
    return {};
  }
  try {
    const bundle = await openBundle(varsDir);
    return { variables: bundle.list() };
  } catch (err) {
    if (err instanceof ModelFormatError || err instanceof IoError) return { variablesError: describeError(err) };
    throw err;
  }
}

/** Everything the inspector and `servelens inspect`/`lint` show. */
export async function inspectModel(path: string, opts: InspectOptions = {}): Promise<ModelInspection> {
  const r = await resolveModelPath(path, { version: opts.version });
  const t0 = performance.now();
  const { summary, graphRanges } = await readResolved(r);
  const t1 = performance.now();
  if (graphRanges && !opts.skipOps) {
    for (let i = 0; i < summary.metaGraphs.length; i++) {
      const range = graphRanges[i];
      if (range && range.length > 0) summary.metaGraphs[i].ops = await scanGraphOps(r.file, range, { signal: opts.signal });
    }
  }
  const t2 = performance.now();
  const isSavedModel = summary.format === 'savedmodel';
  const [vars, assets, st] = await Promise.all([
    isSavedModel ? readVariables(r.dir) : Promise.resolve({}),
    isSavedModel ? listAssets(r.dir) : Promise.resolve([]),
    stat(r.file).catch((err: unknown) => {
      throw new IoError(r.file, err);
    }),
  ]);
  const t3 = performance.now();
  return {
    summary,
    lint: lintModel(summary, { modelName: opts.modelName, versionName: opts.versionName }),
    ...vars,
    assets,
    fileBytes: st.size,
    timings: { signaturesMs: t1 - t0, opsMs: t2 - t1, variablesMs: t3 - t2 },
  };
}
