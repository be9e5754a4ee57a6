/**
 * `servelens validate <request> [--model M] [--signature NAME] [--target T] [--json]`: checks a
 * request body or a JSON Lines instances file against a model's signature. Without --model, the
 * nearest binding file (.servelens.json) above the request says what it is bound to.
 */
import { createReadStream } from 'node:fs';
import { readFile, stat } from 'node:fs/promises';
import { dirname, relative, resolve } from 'node:path';
import { IoError, UsageError } from '../core/errors';
import { readModel } from '../core/model/inspect';
import type { Signature } from '../core/model/types';
import {
  bindingFor,
  type BindingMatch,
  fileKindOf,
  findBindingRoot,
  loadBindings,
  requestFileKindByName,
  servingSignatures,
} from '../core/request/binding';
import type { RequestFinding, TargetKind, ValidateOptions } from '../core/request/types';
import { validateJsonLinesStream, validateRequest } from '../core/request/validate';
import type { CliValues } from './commands';
import { ExitCode, toJson, type CliIo } from './io';

const TARGETS: readonly TargetKind[] = ['vertex', 'ai-platform', 'tf-serving', 'local'];
/** JSON bodies are read whole; anything this large belongs in a JSON Lines file. */
const MAX_JSON_BYTES = 512 * 1024 * 1024;

export const VALIDATE_HELP = [
  'Checks a prediction request against the model: structure (instances / inputs / examples,',
  'signature_name, values), and against the signature (aliases, dtypes, shapes, base64, the',
  'signature name). <request> is a JSON body, or a JSON Lines file (.jsonl: one instance per line,',
  'streamed, with progress on stderr in a terminal). Exit code 1 when there is an error.',
  '',
  '  --model M        the model: SavedModel dir, TF Serving base dir, saved_model.pb(txt), model.json.',
  '                   Without it, the nearest .servelens.json (or .vscode/servelens.json) above the',
  '                   request decides; with neither, only the structure is checked.',
  '  --signature S    the signature to check against when the body names none (default serving_default)',
  '  --target T       vertex | ai-platform | tf-serving | local: rules of the service (Vertex rejects',
  '                   NaN and bodies over 1.5 MB; default: from the binding, else none)',
  '  --json           [{"code","severity","message","line","column","endLine","endColumn"}] (1-based)',
].join('\n');

interface Plan {
  signatures?: Signature[];
  signatureName?: string;
  target?: TargetKind;
  fileKind: 'json' | 'jsonl';
  /** Findings about the binding file, printed before the request's. */
  bindingFindings: { file: string; findings: RequestFinding[] }[];
}

async function plan(values: CliValues, file: string): Promise<Plan> {
  const targetArg = typeof values.target === 'string' ? values.target : undefined;
  if (targetArg !== undefined && !TARGETS.includes(targetArg as TargetKind)) {
    throw new UsageError(`--target must be one of ${TARGETS.join(', ')} (got "${targetArg}")`);
  }
  const p: Plan = { fileKind: requestFileKindByName(file) ?? fileKindOf(file), bindingFindings: [] };
  if (typeof values.signature === 'string') p.signatureName = values.signature;
  if (targetArg) p.target = targetArg as TargetKind;
  const model = typeof values.model === 'string' ? values.model : undefined;
  if (model !== undefined) {
    p.signatures = servingSignatures(await readModel(model));
    p.target ??= 'local';
    return p;
  }
  const root = await findBindingRoot(dirname(file));
  if (!root) return p;
  const bf = await loadBindings(root);
  if (bf.findings.length && bf.path) p.bindingFindings.push({ file: bf.path, findings: bf.findings });
  const m: BindingMatch | undefined = bindingFor(root, bf, file);
  if (!m?.binding) return p;
  p.fileKind = m.fileKind;
  p.target ??= m.target;
  if (m.signature !== undefined) p.signatureName ??= m.signature;
  if (m.modelPath) p.signatures = servingSignatures(await readModel(m.modelPath));
  return p;
}

function line(file: string, f: RequestFinding): string {
  return `${file}:${f.line}:${f.column}: ${f.severity}: ${f.message} [${f.code}]`;
}

function jsonFinding(f: RequestFinding): object {
  return { code: f.code, severity: f.severity, message: f.message, line: f.line, column: f.column, endLine: f.endLine, endColumn: f.endColumn };
}

export async function runValidate(values: CliValues, positionals: string[], io: CliIo): Promise<number> {
  if (positionals.length !== 1) throw new UsageError(`expected one request file, got ${positionals.length}`);
  const file = resolve(positionals[0]!);
  let size: number;
  try {
    const st = await stat(file);
    if (!st.isFile()) throw new UsageError(`${positionals[0]} is not a file`);
    size = st.size;
  } catch (err) {
    if (err instanceof UsageError) throw err;
    throw new IoError(file, err);
  }
  const p = await plan(values, file);
  const opts: ValidateOptions = { fileKind: p.fileKind };
  if (p.signatures) opts.signatures = p.signatures;
  if (p.signatureName !== undefined) opts.signatureName = p.signatureName;
  if (p.target) opts.target = p.target;

  let findings: RequestFinding[];
  if (p.fileKind === 'jsonl') {
    const tty = Boolean(process.stderr.isTTY) && !values.json;
    const started = Date.now();
    const res = await validateJsonLinesStream(createReadStream(file, { highWaterMark: 64 * 1024 }), opts, tty
      ? (pr) => {
          const pct = size > 0 ? Math.min(100, Math.floor((pr.bytes / size) * 100)) : 100;
          process.stderr.write(`\rservelens validate: ${pct}% (${pr.lines} lines, ${((Date.now() - started) / 1000).toFixed(1)} s)`);
        }
      : undefined);
    if (tty) process.stderr.write('\n');
    findings = res.findings;
  } else {
    if (size > MAX_JSON_BYTES) throw new UsageError(`${positionals[0]} is ${size} bytes; a JSON body that large should be a JSON Lines file (.jsonl), which is streamed`);
    let text: string;
    try {
      text = await readFile(file, 'utf8');
    } catch (err) {
      throw new IoError(file, err);
    }
    findings = validateRequest(text, opts).findings;
  }
  const rel = relative(process.cwd(), file);
  const shown = rel && !rel.startsWith('..') ? rel : file;
  const all = [...p.bindingFindings.flatMap((b) => b.findings.map((f) => ({ file: b.file, f }))), ...findings.map((f) => ({ file: shown, f }))];
  const errors = all.filter((x) => x.f.severity === 'error').length;
  if (values.json) {
    // The --json contract is the request's findings; binding-file problems go to stderr.
    for (const x of all) if (x.file !== shown) io.err(line(x.file, x.f));
    io.out(toJson(findings.map(jsonFinding)));
  } else {
    const warnings = all.filter((x) => x.f.severity === 'warning').length;
    const lines = all.map((x) => line(x.file, x.f));
    const infos = all.length - errors - warnings;
    lines.push(errors || warnings ? `${errors} error(s), ${warnings} warning(s)` : `${shown}: ${infos ? 'no errors or warnings' : 'no problems found'}${opts.signatures ? '' : ' (structure only: no model)'}`);
    io.out(lines.join('\n'));
  }
  return errors ? ExitCode.inputErrors : ExitCode.ok;
}
