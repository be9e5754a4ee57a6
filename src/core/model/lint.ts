import type { LintFinding, MetaGraphSummary, ModelSummary, OpUse, Signature, TensorSpec } from './types';

/**
 * Deployment-readiness lint: what will make Vertex AI, AI Platform Prediction or TF Serving refuse
 * the model or its requests. Pure: works on a `ModelSummary` (plus the op usage, when the graph was
 * read). Codes are stable; tests and the CLI's `--json` output rely on them.
 */
export const LintCodes = {
  noServeTag: 'no-serve-tag',
  noSignatures: 'no-signatures',
  noServingDefault: 'no-serving-default',
  methodMissing: 'method-missing',
  methodUnknown: 'method-unknown',
  classifyInputs: 'classify-without-inputs',
  classifyOutputs: 'classify-without-classes-or-scores',
  regressInputs: 'regress-without-inputs',
  regressOutputs: 'regress-without-outputs',
  binaryAlias: 'binary-alias-without-bytes-suffix',
  refDtype: 'ref-dtype-in-signature',
  invalidDtype: 'missing-dtype-in-signature',
  unknownRank: 'input-unknown-rank',
  customOp: 'custom-op',
  invalidModelName: 'invalid-model-name',
  invalidVersionName: 'invalid-version-name',
} as const;

export const SERVE_TAG = 'serve';
export const DEFAULT_SIGNATURE = 'serving_default';
export const PREDICT = 'tensorflow/serving/predict';
export const CLASSIFY = 'tensorflow/serving/classify';
export const REGRESS = 'tensorflow/serving/regress';
const KNOWN_METHODS = new Set([PREDICT, CLASSIFY, REGRESS]);
/** Signatures TensorFlow adds for its own use; never served, never linted. */
const INTERNAL_SIGNATURES = new Set(['__saved_model_init_op', '__saved_model_train_op']);

/**
 * Ops that ship outside core TensorFlow: TF Text, SentencePiece, TF Addons, TF Decision Forests,
 * TF Recommenders/ScaNN, TF I/O. Vertex AI's and AI Platform's prebuilt TensorFlow containers and stock
 * TF Serving do not load them, and TensorFlow.js has no kernels for them.
 */
const CUSTOM_OPS: ReadonlyMap<string, string> = new Map(
  [
    ...[
      'CaseFoldUTF8', 'NormalizeUTF8', 'NormalizeUTF8WithOffsetsMap', 'FindSourceOffsets',
      'WordpieceTokenizeWithOffsets', 'FastWordpieceTokenizeWithOffsets', 'FastWordpieceDetokenize',
      'FastBertNormalize', 'RegexSplitWithOffsets', 'UnicodeScriptTokenizeWithOffsets',
      'WhitespaceTokenizeWithOffsets', 'WhitespaceTokenizeWithOffsetsV2', 'SplitMergeTokenizeWithOffsets',
      'SentenceFragments', 'MaxSpanningTree', 'RoundRobinTrim', 'BoiseTagsToSpans', 'SpanAlignment',
      'ConstrainedSequence', 'NgramsStringJoin', 'Mst', 'ByteSplitWithOffsets', 'TFText>Ngrams',
      'TFText>WhitespaceTokenizeWithOffsetsV2', 'TFText>FastWordpieceTokenizeWithOffsets',
    ].map((op) => [op, 'TensorFlow Text'] as const),
    ...['SentencepieceOp', 'SentencepieceTokenizeOp', 'SentencepieceTokenizeWithOffsetsOp',
      'SentencepieceDetokenizeOp', 'SentencepieceIdToStringOp', 'SentencepieceStringToIdOp',
      'SentencepieceGetPieceSize'].map((op) => [op, 'SentencePiece'] as const),
    ...['SimpleMLInferenceOpWithHandle', 'SimpleMLCreateModelResource', 'SimpleMLLoadModelFromPathWithHandle',
      'SimpleMLInferenceLeafIndexOpWithHandle'].map((op) => [op, 'TensorFlow Decision Forests'] as const),
    ...['ScannSearch', 'ScannSearchBatched', 'ScannToTensors', 'TensorsToScann'].map((op) => [op, 'ScaNN'] as const),
  ],
);
const CUSTOM_OP_NAMESPACES: ReadonlyMap<string, string> = new Map([
  ['Addons', 'TensorFlow Addons'],
  ['TFText', 'TensorFlow Text'],
  ['IO', 'TensorFlow I/O'],
  ['Scann', 'ScaNN'],
  ['SimpleML', 'TensorFlow Decision Forests'],
]);

/** Which add-on library provides `op`, or undefined for core TensorFlow ops. */
export function customOpLibrary(op: string): string | undefined {
  const known = CUSTOM_OPS.get(op);
  if (known) return known;
  const ns = op.includes('>') ? op.slice(0, op.indexOf('>')) : undefined;
  if (ns !== undefined) return CUSTOM_OP_NAMESPACES.get(ns) ?? `the custom op library "${ns}"`;
  return undefined;
}

/** Google Cloud's rule for model and version names. */
export const RESOURCE_NAME_RULE = /^[A-Za-z][A-Za-z0-9_]{0,127}$/;

export function checkResourceName(name: string): string | undefined {
  if (name.length === 0) return 'it is empty';
  if (name.length > 128) return `it is ${name.length} characters long (at most 128)`;
  if (!/^[A-Za-z]/.test(name)) return 'it must begin with a letter';
  const bad = [...new Set(name.replace(/[A-Za-z0-9_]/g, ''))];
  if (bad.length) return `it contains ${bad.map((c) => JSON.stringify(c)).join(', ')} (only letters, digits and underscores)`;
  return undefined;
}

/** Aliases that suggest encoded media, which must travel as {"b64": ...}. */
const BINARY_HINT = /(image|img|jpe?g|png|gif|bmp|webp|audio|wav|mp3|flac|video|picture|photo|binary|bytes|encoded|blob|pdf)/i;

export function isBinaryAlias(alias: string): boolean {
  return alias.endsWith('_bytes');
}

export interface LintOptions {
  /** The model name a deploy will use (defaults to the model's folder name). */
  modelName?: string;
  /** The version name a deploy will use (AI Platform / Vertex version id), when known. */
  versionName?: string;
  /** Op usage from the decoded graph, when not already in the summary. */
  ops?: OpUse[];
}

/**
 * The name a deploy would give this model: the TF Serving base folder when the model sits in a
 * numeric version folder (whether or not it was opened through the base folder), else its folder.
 */
export function defaultModelName(summary: ModelSummary): string {
  const parts = summary.dir.split(/[\\/]+/).filter(Boolean);
  const last = parts[parts.length - 1] ?? summary.dir;
  if (parts.length >= 2 && (summary.version === last || /^\d+$/.test(last))) return parts[parts.length - 2];
  return last;
}

function shapeText(shape: TensorSpec['shape']): string {
  return shape === null ? 'unknown rank' : `[${shape.join(', ')}]`;
}

function lintSignature(mg: MetaGraphSummary, sig: Signature, out: LintFinding[]): void {
  const at = { tags: mg.tags, signature: sig.name };
  const where = `Signature "${sig.name}"`;
  if (!sig.method) {
    out.push({
      code: LintCodes.methodMissing, severity: 'error', ...at,
      message: `${where} has no method name; TF Serving refuses to serve it.`,
      fix: `Export it with method_name "${PREDICT}" (tf.saved_model.PREDICT_METHOD_NAME), or classify/regress.`,
    });
  } else if (!KNOWN_METHODS.has(sig.method)) {
    out.push({
      code: LintCodes.methodUnknown, severity: 'warning', ...at,
      message: `${where} has method name "${sig.method}", which neither TF Serving nor Vertex AI serves.`,
      fix: `Use "${PREDICT}", "${CLASSIFY}" or "${REGRESS}".`,
    });
  }
  const inputs = new Map(sig.inputs.map((t) => [t.alias, t]));
  const outputs = new Map(sig.outputs.map((t) => [t.alias, t]));
  if (sig.method === CLASSIFY) {
    if (!inputs.has('inputs')) {
      out.push({
        code: LintCodes.classifyInputs, severity: 'error', ...at,
        message: `${where} is a classify signature without an input named "inputs" (it has ${[...inputs.keys()].map((a) => `"${a}"`).join(', ') || 'none'}).`,
        fix: 'Name the serialized tf.Example input "inputs" (tf.saved_model.CLASSIFY_INPUTS).',
      });
    }
    if (!outputs.has('classes') && !outputs.has('scores')) {
      out.push({
        code: LintCodes.classifyOutputs, severity: 'error', ...at,
        message: `${where} is a classify signature without a "classes" or "scores" output (it has ${[...outputs.keys()].map((a) => `"${a}"`).join(', ') || 'none'}).`,
        fix: 'Name the outputs "classes" (DT_STRING) and/or "scores" (DT_FLOAT).',
      });
    }
  }
  if (sig.method === REGRESS) {
    if (!inputs.has('inputs')) {
      out.push({
        code: LintCodes.regressInputs, severity: 'error', ...at,
        message: `${where} is a regress signature without an input named "inputs".`,
        fix: 'Name the serialized tf.Example input "inputs" (tf.saved_model.REGRESS_INPUTS).',
      });
    }
    if (!outputs.has('outputs')) {
      out.push({
        code: LintCodes.regressOutputs, severity: 'error', ...at,
        message: `${where} is a regress signature without an output named "outputs".`,
        fix: 'Name the output "outputs" (tf.saved_model.REGRESS_OUTPUTS).',
      });
    }
  }
  const exampleInput = sig.method === CLASSIFY || sig.method === REGRESS;
  for (const [side, list] of [['input', sig.inputs], ['output', sig.outputs]] as const) {
    for (const t of list) {
      const base = t.dtype.replace(/_REF$/, '');
      if (t.dtype.endsWith('_REF')) {
        out.push({
          code: LintCodes.refDtype, severity: 'warning', ...at, alias: t.alias,
          message: `${where} ${side} "${t.alias}" has reference dtype ${t.dtype}; serving expects a value dtype.`,
          fix: `Export the ${side} through tf.identity so the signature carries ${base}.`,
        });
      }
      if (t.dtype === 'DT_INVALID') {
        out.push({
          code: LintCodes.invalidDtype, severity: 'warning', ...at, alias: t.alias,
          message: `${where} ${side} "${t.alias}" (${t.tensor}) declares no dtype, so requests cannot be checked against it.`,
          fix: 'Re-export the model with a current TensorFlow; SignatureDefs then record dtype and shape.',
        });
      }
      if (base === 'DT_STRING' && !isBinaryAlias(t.alias) && BINARY_HINT.test(t.alias) && !(exampleInput && t.alias === 'inputs')) {
        out.push({
          code: LintCodes.binaryAlias, severity: 'warning', ...at, alias: t.alias,
          message: `${where} ${side} "${t.alias}" looks like binary data (DT_STRING) but its alias does not end in "_bytes"; Vertex AI and AI Platform only base64-decode {"b64": ...} values for aliases that do.`,
          fix: `Rename the ${side} alias to "${t.alias}_bytes" and send {"b64": "..."}.`,
        });
      }
      if (side === 'input' && t.shape === null && t.dtype !== 'DT_INVALID' && !(exampleInput && t.alias === 'inputs')) {
        out.push({
          code: LintCodes.unknownRank, severity: 'warning', ...at, alias: t.alias,
          message: `${where} input "${t.alias}" has unknown rank, so neither ServeLens nor the service can check the shape of requests.`,
          fix: 'Give the input a TensorSpec with a shape (use None for the batch dimension) when exporting.',
        });
      }
    }
  }
}

/** All findings for a model, most severe first (stable order within a severity). */
export function lintModel(summary: ModelSummary, opts: LintOptions = {}): LintFinding[] {
  const out: LintFinding[] = [];
  const serve = summary.metaGraphs.find((mg) => mg.tags.includes(SERVE_TAG));
  if (summary.format === 'savedmodel' && !serve) {
    out.push({
      code: LintCodes.noServeTag, severity: 'error',
      message: `No MetaGraphDef is tagged "serve" (tag-sets: ${summary.metaGraphs.map((m) => `[${m.tags.join(', ')}]`).join(' ') || 'none'}); Vertex AI, AI Platform and TF Serving load the "serve" tag-set.`,
      fix: 'Export with tags=[tf.saved_model.SERVING] (tf.saved_model.save does this by default).',
    });
  }
  for (const mg of summary.metaGraphs) {
    const served = mg.signatures.filter((s) => !INTERNAL_SIGNATURES.has(s.name));
    if (mg === serve || summary.format !== 'savedmodel') {
      if (served.length === 0) {
        out.push({
          code: LintCodes.noSignatures, severity: 'error', tags: mg.tags,
          message: `The [${mg.tags.join(', ')}] MetaGraphDef has no SignatureDefs, so there is nothing to serve.`,
          fix: 'Export with signatures={"serving_default": fn.get_concrete_function(...)}.',
        });
      } else if (!served.some((s) => s.name === DEFAULT_SIGNATURE)) {
        out.push({
          code: LintCodes.noServingDefault, severity: 'warning', tags: mg.tags,
          message: `No "serving_default" signature (there are ${served.map((s) => `"${s.name}"`).join(', ')}); Vertex AI and AI Platform use it unless a request sends signature_name.`,
          fix: 'Export one signature as "serving_default", or send "signature_name" with every request.',
        });
      }
    }
    for (const sig of served) lintSignature(mg, sig, out);
    const ops = opts.ops ?? mg.ops ?? [];
    const opNames = ops.length ? ops.map((o) => o.op) : (mg.strippedOps ?? []);
    for (const op of opNames) {
      const lib = customOpLibrary(op);
      if (!lib) continue;
      const use = ops.find((o) => o.op === op);
      out.push({
        code: LintCodes.customOp, severity: 'error', tags: mg.tags, op, node: use?.nodes[0],
        message: `Op "${op}"${use?.nodes[0] ? ` (node "${use.nodes[0]}"${use.count > 1 ? ` and ${use.count - 1} more` : ''})` : ''} comes from ${lib}; the prebuilt TensorFlow serving containers, stock TF Serving and the local TensorFlow.js runner cannot run it.`,
        fix: `Serve with a custom container that installs ${lib} (or a TF Serving build that links it), or move this step out of the exported graph.`,
      });
    }
  }
  const modelName = opts.modelName ?? defaultModelName(summary);
  const badModel = checkResourceName(modelName);
  if (badModel) {
    out.push({
      code: LintCodes.invalidModelName, severity: 'warning',
      message: `The model name "${modelName}" cannot be used on AI Platform: ${badModel}.`,
      fix: 'Use letters, digits and underscores, beginning with a letter, at most 128 characters.',
    });
  }
  if (opts.versionName !== undefined) {
    const badVersion = checkResourceName(opts.versionName);
    if (badVersion) {
      out.push({
        code: LintCodes.invalidVersionName, severity: 'warning',
        message: `The version name "${opts.versionName}" cannot be used on AI Platform: ${badVersion}.`,
        fix: 'Use letters, digits and underscores, beginning with a letter (e.g. "v123"), at most 128 characters.',
      });
    }
  }
  const rank = { error: 0, warning: 1, info: 2 } as const;
  return out
    .map((f, i) => ({ f, i }))
    .sort((a, b) => rank[a.f.severity] - rank[b.f.severity] || a.i - b.i)
    .map(({ f }) => f);
}

export { shapeText };
