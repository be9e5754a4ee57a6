import { UsageError } from '../core/errors';
import { inspectModel, readModel, type ModelInspection } from '../core/model/inspect';
import type { LintFinding, ModelSummary, Shape, TensorSpec } from '../core/model/types';
import { ExitCode, toJson, type CliIo } from './io';
import type { CliValues } from './commands';

function onePositional(positionals: string[], what: string): string {
  if (positionals.length !== 1) throw new UsageError(`expected one ${what}, got ${positionals.length}`);
  return positionals[0];
}

/** The `--json` contract of DESIGN.md for `servelens inspect`. */
export function inspectJson(summary: ModelSummary): unknown {
  const t = (x: TensorSpec) => ({ alias: x.alias, dtype: x.dtype, shape: x.shape, tensor: x.tensor });
  return {
    format: summary.format,
    metaGraphs: summary.metaGraphs.map((mg) => ({
      tags: mg.tags,
      signatures: mg.signatures.map((s) => ({ name: s.name, method: s.method, inputs: s.inputs.map(t), outputs: s.outputs.map(t) })),
    })),
  };
}

/** saved_model_cli's way of writing a shape: (-1, 1), () for a scalar, unknown_rank. */
export function cliShape(shape: Shape): string {
  if (shape === null) return 'unknown_rank';
  if (shape.length === 1) return `(${shape[0]})`;
  return `(${shape.join(', ')})`;
}

/** Human output modelled on `saved_model_cli show --all`, with what it leaves out (versions, format). */
export function inspectText(summary: ModelSummary): string {
  const lines: string[] = [];
  const fmt = { savedmodel: 'SavedModel', 'tfjs-graph': 'TensorFlow.js graph model', 'tfjs-layers': 'TensorFlow.js layers model' }[summary.format];
  lines.push(`${fmt}: ${summary.file}`);
  if (summary.version !== undefined) {
    const others = (summary.versions ?? []).filter((v) => v !== summary.version);
    lines.push(`Version: ${summary.version}${others.length ? ` (also present: ${others.join(', ')})` : ''}`);
  }
  for (const mg of summary.metaGraphs) {
    if (mg.tfVersion) lines.push(`TensorFlow version: ${mg.tfVersion}${mg.tfGitVersion && mg.tfGitVersion !== 'unknown' ? ` (${mg.tfGitVersion})` : ''}`);
  }
  lines.push('');
  for (const mg of summary.metaGraphs) {
    lines.push(`MetaGraphDef with tag-set: '${mg.tags.join(', ')}' contains the following SignatureDefs:`);
    for (const sig of mg.signatures) {
      lines.push('');
      lines.push(`signature_def['${sig.name}']:`);
      const side = (name: 'input' | 'output', list: TensorSpec[]) => {
        lines.push(`  The given SavedModel SignatureDef contains the following ${name}(s):`);
        for (const t of list) {
          lines.push(`    ${name}s['${t.alias}'] tensor_info:`);
          lines.push(`        dtype: ${t.dtype}`);
          lines.push(`        shape: ${cliShape(t.shape)}`);
          lines.push(`        name: ${t.tensor}`);
          if (t.encoding === 'coo_sparse' && t.cooSparse) {
            lines.push(`        coo_sparse: values ${t.cooSparse.values}, indices ${t.cooSparse.indices}, dense_shape ${t.cooSparse.denseShape}`);
          }
          if (t.encoding === 'composite' && t.composite) lines.push(`        composite: ${t.composite.typeSpec}`);
        }
      };
      side('input', sig.inputs);
      side('output', sig.outputs);
      lines.push(`  Method name is: ${sig.method}`);
    }
    if (mg.assets.length) {
      lines.push('');
      lines.push(`Assets: ${mg.assets.map((a) => a.filename).join(', ')}`);
    }
  }
  if (summary.fingerprint) {
    const f = summary.fingerprint;
    lines.push('');
    lines.push('Fingerprint:');
    lines.push(`  saved_model_checksum: ${f.savedModelChecksum}`);
    lines.push(`  graph_def_program_hash: ${f.graphDefProgramHash}`);
    lines.push(`  signature_def_hash: ${f.signatureDefHash}`);
    lines.push(`  saved_object_graph_hash: ${f.savedObjectGraphHash}`);
    lines.push(`  checkpoint_hash: ${f.checkpointHash}`);
  }
  if (summary.weights) {
    lines.push('');
    lines.push(`Weights: ${summary.weights.count} tensors in ${summary.weights.files} file(s), ${summary.weights.bytes} bytes`);
  }
  return lines.join('\n');
}

export function variablesText(inspection: ModelInspection): string {
  if (inspection.variablesError) return `Variables: cannot be read: ${inspection.variablesError}`;
  const vars = inspection.variables;
  if (!vars) return '';
  const total = vars.reduce((n, v) => n + v.bytes, 0);
  const rows = vars.map((v) => `  ${v.key}  ${v.dtype}  ${cliShape(v.shape)}  ${v.bytes} bytes`);
  return [`Variables (${vars.length}, ${total} bytes):`, ...rows].join('\n');
}

export function lintText(findings: LintFinding[]): string {
  if (findings.length === 0) return 'No deployment problems found.';
  const lines: string[] = [];
  for (const f of findings) {
    const where = [f.tags ? `[${f.tags.join(',')}]` : '', f.signature ? `signature "${f.signature}"` : '', f.alias ? `"${f.alias}"` : '']
      .filter(Boolean)
      .join(' ');
    lines.push(`${f.severity}: ${f.message} [${f.code}]${where ? `\n    at ${where}` : ''}${f.fix ? `\n    fix: ${f.fix}` : ''}`);
  }
  const errors = findings.filter((f) => f.severity === 'error').length;
  lines.push('');
  lines.push(`${errors} error(s), ${findings.length - errors} warning(s)`);
  return lines.join('\n');
}

export async function runInspect(values: CliValues, positionals: string[], io: CliIo): Promise<number> {
  const path = onePositional(positionals, 'model path');
  const version = typeof values.version === 'string' ? values.version : undefined;
  if (values.json) {
    const summary = await readModel(path, { version });
    io.out(toJson(inspectJson(summary)));
    return ExitCode.ok;
  }
  const inspection = await inspectModel(path, { version });
  const vars = variablesText(inspection);
  io.out(inspectText(inspection.summary) + (vars ? `\n\n${vars}` : ''));
  return ExitCode.ok;
}

export async function runLint(values: CliValues, positionals: string[], io: CliIo): Promise<number> {
  const path = onePositional(positionals, 'model path');
  const version = typeof values.version === 'string' ? values.version : undefined;
  const modelName = typeof values.name === 'string' ? values.name : undefined;
  const versionName = typeof values['version-name'] === 'string' ? values['version-name'] : undefined;
  const inspection = await inspectModel(path, { version, modelName, versionName });
  const findings = inspection.lint;
  io.out(values.json ? toJson(findings) : lintText(findings));
  return findings.some((f) => f.severity === 'error') ? ExitCode.inputErrors : ExitCode.ok;
}
