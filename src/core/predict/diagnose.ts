/**
 * A failed Predict / Explain explained in terms of the bound signature: which signature names the
 * model has, which input's shape differs from the request, which aliases it expects (with a
 * did-you-mean), how to send binary data — and for sign-in, permission, missing resources and quota
 * the next step. Reads the model servers' own texts (TF Serving, which also runs behind Vertex AI
 * and AI Platform; Vertex AI wraps them as `{"error": "..."}` inside google.rpc.Status.message):
 *
 *   Serving signature name: "x" not found in signature def
 *   Failed to process element: 0 key: k of 'instances' list. Error: INVALID_ARGUMENT: JSON object: does not have named input: k
 *   input tensor alias not found in signature: k. Inputs expected to be in the set {a,b}.
 *   Input to reshape is a tensor with 6 values, but the requested shape has 3
 *   Incompatible shapes: [2,3] vs. [2,4]  /  Matrix size-incompatible: In[0]: [1,3], In[1]: [4,1]
 *   Unable to base64 decode  /  Invalid character found in base64.
 *   ... is not of expected type: float
 *   Missing 'inputs' or 'instances' key
 *
 * Pure: no I/O. Branch on `code`; `text()` renders a Diagnosis for a terminal or a panel.
 */
import { CloudApiError, CloudError, SERVICES, isCloudError, type CloudService } from '../cloud/errors';
import { redact } from '../cloud/secrets';
import { describeError } from '../errors';
import type { Shape, Signature, TensorSpec } from '../model/types';
import type { Diagnosis, InputShapeFinding } from './records';
import { serverText } from './serverText';

export { serverText };

export type { Diagnosis, DiagnosisCode, InputShapeFinding } from './records';

export interface DiagnoseContext {
  /** The model's signatures (serving tag-set), when known: TF Serving metadata or the artifact's saved_model.pb. */
  signatures?: Signature[];
  /** The signature the request ran ("serving_default" when the request names none). */
  signature?: string;
  /** The request body (parsed), to compare its shapes and values with the signature. */
  request?: unknown;
  /** Where it was sent, for wording (roles, names). */
  service?: CloudService | 'local';
  /** The target's name for a 404's message. */
  targetName?: string;
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Levenshtein distance (case-insensitive), bounded use: names are short. */
function distance(a: string, b: string): number {
  const s = a.toLowerCase();
  const t = b.toLowerCase();
  const row = Array.from({ length: t.length + 1 }, (_, i) => i);
  for (let i = 1; i <= s.length; i++) {
    let prev = row[0]!;
    row[0] = i;
    for (let j = 1; j <= t.length; j++) {
      const cur = row[j]!;
      row[j] = Math.min(row[j]! + 1, row[j - 1]! + 1, prev + (s[i - 1] === t[j - 1] ? 0 : 1));
      prev = cur;
    }
  }
  return row[t.length]!;
}

/** The closest of `names` to `asked`, when it is close enough to be a typo. */
export function didYouMean(asked: string, names: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestD = Infinity;
  for (const n of names) {
    const d = distance(asked, n);
    if (d < bestD) {
      best = n;
      bestD = d;
    }
  }
  if (best === undefined || best === asked) return undefined;
  const limit = Math.max(2, Math.floor(Math.max(asked.length, best.length) / 3));
  return bestD <= limit || best.toLowerCase().includes(asked.toLowerCase()) || asked.toLowerCase().includes(best.toLowerCase()) ? best : undefined;
}

const servable = (sigs: Signature[]) => sigs.filter((s) => !s.name.startsWith('__'));

function sigOf(ctx: DiagnoseContext): Signature | undefined {
  const name = ctx.signature ?? 'serving_default';
  return ctx.signatures?.find((s) => s.name === name) ?? (ctx.signature === undefined && ctx.signatures && servable(ctx.signatures).length === 1 ? servable(ctx.signatures)[0] : undefined);
}

function shapeText(s: Shape): string {
  return s === null ? 'unknown rank' : `[${s.join(', ')}]`;
}

/** The nested list dimensions of a JSON value ([] for a scalar; the first element's chain). */
export function dimsOf(v: unknown): number[] {
  const dims: number[] = [];
  let cur = v;
  while (Array.isArray(cur)) {
    dims.push(cur.length);
    cur = cur[0];
  }
  return dims;
}

/** The shape the request sends for each input alias (batch dimension first), by its layout. */
export function requestShapes(request: unknown, sig: Signature): Map<string, number[]> {
  const out = new Map<string, number[]>();
  if (!isObject(request)) return out;
  const one = sig.inputs.length === 1 ? sig.inputs[0]!.alias : undefined;
  if (Array.isArray(request.instances)) {
    const instances = request.instances;
    const first = instances[0];
    if (isObject(first) && !('b64' in first)) {
      for (const [alias, value] of Object.entries(first)) out.set(alias, [instances.length, ...dimsOf(value)]);
    } else if (one !== undefined) {
      out.set(one, [instances.length, ...dimsOf(first)]);
    }
  } else if (request.inputs !== undefined) {
    if (isObject(request.inputs) && !('b64' in request.inputs)) {
      for (const [alias, value] of Object.entries(request.inputs)) out.set(alias, dimsOf(value));
    } else if (one !== undefined) {
      out.set(one, dimsOf(request.inputs));
    }
  }
  return out;
}

function fits(expected: Shape, sent: number[]): boolean {
  if (expected === null) return true;
  if (expected.length !== sent.length) return false;
  return expected.every((d, i) => d < 0 || d === sent[i]);
}

/** Inputs whose request shape does not fit the signature's shape. */
export function shapeMismatches(request: unknown, sig: Signature): InputShapeFinding[] {
  const shapes = requestShapes(request, sig);
  const out: InputShapeFinding[] = [];
  for (const spec of sig.inputs) {
    const sent = shapes.get(spec.alias);
    if (sent && !fits(spec.shape, sent)) out.push({ alias: spec.alias, expected: spec.shape, sent });
  }
  return out;
}

function aliasList(inputs: TensorSpec[]): string {
  return inputs.map((t) => `${t.alias} (${t.dtype.replace(/^DT_/, '').toLowerCase()} ${shapeText(t.shape)})`).join(', ');
}

const ROLE_OF: Partial<Record<CloudService, string>> = {
  vertex: 'Vertex AI User (roles/aiplatform.user)',
  aiplatform: 'AI Platform Developer (roles/ml.developer)',
};

/** Reads the model server's text. Undefined when it says nothing ServeLens recognises. */
function fromText(text: string, ctx: DiagnoseContext): Omit<Diagnosis, 'serverMessage' | 'httpStatus'> | undefined {
  const sigs = ctx.signatures ? servable(ctx.signatures) : undefined;
  const sig = sigOf(ctx);
  const sigName = ctx.signature ?? 'serving_default';

  // A signature name the model does not have.
  const sm =
    /Serving signature name: \\?"([^"\\]*)\\?" not found in signature def/.exec(text) ??
    /signature (?:name|key|def)[: ]+\\?["']?([^"'\\\s]+)\\?["']? (?:was )?not found/i.exec(text) ??
    (/Default serving signature key not found/i.test(text) ? ['', 'serving_default'] : null);
  if (sm) {
    const asked = sm[1]!;
    const names = sigs?.map((s) => s.name);
    const guess = names ? didYouMean(asked, names) : undefined;
    const d: Omit<Diagnosis, 'serverMessage' | 'httpStatus'> = {
      code: 'signature-not-found',
      summary: `The model has no signature "${asked}"${names ? `; it has ${names.map((n) => `"${n}"`).join(', ') || 'none'}` : ''}.`,
      nextSteps: [
        guess ? `Did you mean "${guess}"? Set "signature_name": "${guess}" in the request (or the binding's "signature").` : names?.length ? `Send one of the model's signature names in "signature_name".` : 'List the model\'s signatures (servelens inspect, or TF Serving\'s /metadata) and send one of them in "signature_name".',
      ],
      asked,
    };
    if (asked === 'serving_default') d.nextSteps.push('Vertex AI :predict always runs serving_default; to run another signature send it with :rawPredict and "signature_name" (ServeLens does this when a signature is chosen), or re-export the model with a serving_default signature.');
    if (names) d.expected = names;
    if (guess) d.didYouMean = guess;
    return d;
  }

  // An alias the signature does not have (or one it needs and the request lacks).
  const am =
    /does not have named input: ([^\s"'.,]+)/.exec(text) ??
    /input tensor alias not found in signature: ([^\s.,]+)/.exec(text) ??
    /["']?([\w/.:-]+)["']? (?:is )?not found in signature inputs/i.exec(text);
  const missing = /Missing named input: ([^\s"'.,]+)/.exec(text) ?? /Missing input(?: tensor)?(?: alias)?: ([^\s"'.,]+)/i.exec(text);
  if (am || missing) {
    const asked = (am ?? missing)![1]!;
    const set = /expected to be in the set \{([^}]*)\}/.exec(text)?.[1]?.split(',').map((s) => s.trim()).filter(Boolean);
    const aliases = sig?.inputs.map((t) => t.alias) ?? set;
    const guess = am && aliases ? didYouMean(asked, aliases) : undefined;
    const d: Omit<Diagnosis, 'serverMessage' | 'httpStatus'> = am
      ? {
          code: 'input-alias',
          summary: `Signature "${sigName}" has no input "${asked}"${sig ? `; its inputs are ${aliasList(sig.inputs)}` : aliases ? `; its inputs are ${aliases.join(', ')}` : ''}.`,
          nextSteps: [guess ? `Did you mean "${guess}"? Rename the key in every instance.` : 'Name the inputs as the signature does (keys of each instance, or of "inputs").'],
          asked,
        }
      : {
          code: 'input-missing',
          summary: `The request does not send input "${asked}" of signature "${sigName}"${sig ? ` (its inputs: ${aliasList(sig.inputs)})` : ''}.`,
          nextSteps: [`Add "${asked}" to every instance (an instance object needs every input alias).`],
          asked,
        };
    if (aliases) d.expected = aliases;
    if (guess) d.didYouMean = guess;
    d.signature = sigName;
    return d;
  }

  if (/Unable to base64 decode|Invalid character found in base64|base64 decod/i.test(text)) {
    return {
      code: 'base64',
      summary: 'A {"b64": ...} value is not valid base64.',
      nextSteps: [
        'Send standard base64 (RFC 4648 §4: A–Z a–z 0–9 + /, with = padding) inside {"b64": "..."}; the URL-safe alphabet (- and _, as from base64.urlsafe_b64encode) is not decoded.',
        'In Python: base64.b64encode(data).decode("ascii") — not str(bytes), which adds b\'...\'; no line breaks inside the string.',
        ...(sig ? [`Binary inputs are DT_STRING aliases ending in _bytes; this signature's inputs are ${aliasList(sig.inputs)}.`] : []),
      ],
      signature: sigName,
    };
  }

  const tm = /is not of expected type: (\w+)/.exec(text) ?? /Expected (?:a )?(float|int\d*|string|bool)\b[^.]*?(?:value|type)/i.exec(text);
  if (tm) {
    return {
      code: 'input-dtype',
      summary: `A value in the request is not of the type the signature expects (${tm[1]}).`,
      nextSteps: [sig ? `Send values of these types: ${aliasList(sig.inputs)}. Binary data goes in {"b64": "..."}.` : 'Send values of the input\'s dtype (numbers for float/int inputs, strings for string inputs; binary as {"b64": "..."}).'],
      signature: sigName,
    };
  }

  if (/Missing 'inputs' or 'instances' key|Not allowed to have both 'instances' and 'inputs'|'instances' must be|Expected 'instances' to be/i.test(text)) {
    return {
      code: 'request-format',
      summary: 'The body must have exactly one of "instances" (a list, row format) or "inputs" (columnar format).',
      nextSteps: ['Wrap the data as {"instances": [...]} — Vertex AI and AI Platform take only this row format.'],
    };
  }

  const vm = /Unknown name "([^"]+)"(?: at '[^']*')?: Cannot find field/.exec(text);
  if (vm) {
    const field = vm[1]!;
    return {
      code: 'vertex-field',
      summary: `Vertex AI's predict body has no field "${field}" (it takes "instances" and "parameters").`,
      nextSteps: field === 'signature_name'
        ? ['Vertex AI :predict runs serving_default; to run another signature use :rawPredict with "signature_name" in the body (choose the signature in ServeLens and it does so).']
        : field === 'inputs'
          ? ['Vertex AI takes the row format only: {"instances": [...]}.']
          : [`Remove "${field}", or move it into "parameters" when the model reads it there.`],
      asked: field,
    };
  }

  const shapeSaid =
    /Input to reshape is a tensor with \d+ values, but the requested shape has \d+/.exec(text) ??
    /Incompatible shapes: ?\[[^\]]*\] vs\.? ?\[[^\]]*\]/.exec(text) ??
    /Matrix size-incompatible: In\[0\]: \[[^\]]*\], In\[1\]: \[[^\]]*\]/.exec(text) ??
    /Expected (?:tensor )?shape[^.]*/i.exec(text) ??
    /[Ss]hape (?:mismatch|must be|of instances|\[[^\]]*\] is not compatible)[^.]*/.exec(text) ??
    /The second dimension of 'inputs'[^.]*|must have the same size|needs to be rectangular|dimension[^.]*(?:does not|doesn't) match[^.]*/i.exec(text);
  if (shapeSaid) {
    const found = sig && ctx.request !== undefined ? shapeMismatches(ctx.request, sig) : [];
    const d: Omit<Diagnosis, 'serverMessage' | 'httpStatus'> = {
      code: 'input-shape',
      summary: found.length
        ? `The request's shape differs from signature "${sigName}": ${found.map((f) => `${f.alias} is sent as ${shapeText(f.sent)}, the signature wants ${shapeText(f.expected)}`).join('; ')}.`
        : `The model failed on a shape (${shapeSaid[0]})${sig ? `; the request's shapes fit signature "${sigName}" (${aliasList(sig.inputs)}), so the model itself needs another size or a batch of equal-length instances` : ''}.`,
      nextSteps: found.length
        ? found.map((f) => `Send ${f.alias} with ${f.expected === null ? 'any' : f.expected.length - 1} dimension(s) per instance: ${shapeText(f.expected)} where -1 is the batch or any length.`)
        : ['Check every instance has the same length (lists nest rectangularly) and the size the model was trained on.'],
      signature: sigName,
    };
    if (found.length) d.shapes = found;
    return d;
  }
  return undefined;
}

function byReason(err: CloudError, ctx: DiagnoseContext): Omit<Diagnosis, 'serverMessage' | 'httpStatus'> | undefined {
  const service = err instanceof CloudApiError ? err.service : ctx.service === 'local' ? undefined : ctx.service;
  const title = service ? SERVICES[service].title : 'The service';
  const project = err instanceof CloudApiError ? err.project : undefined;
  const location = err instanceof CloudApiError ? err.location : undefined;
  const hint = err.hint ? [err.hint] : [];
  switch (err.reason) {
    case 'unauthenticated':
    case 'no-credentials':
    case 'expired':
    case 'gcloud-failed':
    case 'invalid-key-file':
    case 'auth-failed':
      return { code: 'unauthenticated', summary: `${title} did not accept the sign-in.`, nextSteps: hint.length ? hint : ['Sign in with `gcloud auth application-default login`.'] };
    case 'permission-denied': {
      const role = service ? ROLE_OF[service] : undefined;
      const perm = err instanceof CloudApiError ? err.errorInfo?.metadata.permission : undefined;
      return {
        code: 'permission-denied',
        summary: `The account may not ${perm ? `use ${perm}` : 'call this'}${project ? ` in project ${project}` : ''}.`,
        nextSteps: [
          role ? `Ask a project owner for the role ${role}${project ? ` on project ${project}` : ''}: \`gcloud projects add-iam-policy-binding ${project ?? 'PROJECT'} --member=user:YOU --role=${role.replace(/.*\((.*)\)/, '$1')}\`.` : 'Check the server\'s access rules.',
          'A 403 also comes back for a project or resource that does not exist: check the name.',
        ],
      };
    }
    case 'api-not-enabled':
      return { code: 'api-not-enabled', summary: `${title} API is not enabled${project ? ` in project ${project}` : ''}.`, nextSteps: hint };
    case 'not-found':
      return {
        code: 'not-found',
        summary: `${ctx.targetName ? `${ctx.targetName}` : 'The resource'} does not exist${project ? ` in project ${project}` : ''}${location ? `, region ${location}` : ''}.`,
        nextSteps: service === 'tfserving'
          ? ['Check the model name and version: GET /v1/models/NAME lists what the server loaded.']
          : [
              'Check the name: the project, the region and the id (Vertex AI ids are numbers; the region is in the name).',
              service === 'aiplatform' ? `List them: \`servelens models list --project ${project ?? 'P'} --legacy\` (a model made on a regional endpoint is only visible there).` : `List them: \`servelens endpoints list --project ${project ?? 'P'} --region ${location ?? 'R'}\`.`,
            ],
      };
    case 'quota':
      return {
        code: 'quota',
        summary: `${title} refused the request: a quota or rate limit was reached${err instanceof CloudApiError && err.attempts > 1 ? ` (still after ${err.attempts} attempts)` : ''}.`,
        nextSteps: ['Wait a minute and send again (ServeLens already waits as the server asks, Retry-After).', `Or request more quota in the Cloud Console (IAM & Admin → Quotas${project ? `, project ${project}` : ''}), e.g. online prediction requests per minute per region.`],
      };
    case 'unavailable':
    case 'internal':
      return { code: 'unavailable', summary: `${title} failed to answer.`, nextSteps: ['Try again in a minute; a 500 is not retried automatically because a prediction may have run.', ...hint] };
    case 'timeout':
      return { code: 'timeout', summary: 'No answer within the time-out.', nextSteps: ['Try a longer time-out (--timeout S), a smaller batch, or check the network.'] };
    case 'network':
      return { code: 'network', summary: 'Could not connect.', nextSteps: hint };
    case 'cancelled':
      return { code: 'cancelled', summary: 'Cancelled.', nextSteps: [] };
    default:
      return undefined;
  }
}

/** A failed call explained against the signature (the CloudApiError of a client, or any error). */
export function diagnose(err: unknown, ctx: DiagnoseContext = {}): Diagnosis {
  const api = err instanceof CloudApiError ? err : undefined;
  const raw = api?.serverMessage ?? (err instanceof Error ? err.message : String(err));
  const text = redact(serverText(raw));
  const inputError = !isCloudError(err) || ['invalid-argument', 'failed-precondition', 'internal', 'unknown', 'bad-response'].includes(err.reason);
  let d = inputError ? fromText(text, ctx) : undefined;
  if (!d && isCloudError(err)) d = byReason(err, ctx);
  const out: Diagnosis = d ?? { code: 'other', summary: redact(describeError(err)), nextSteps: api?.hint ? [api.hint] : [] };
  if (text && (api?.serverMessage !== undefined || !isCloudError(err))) out.serverMessage = text;
  if (api?.httpStatus !== undefined) out.httpStatus = api.httpStatus;
  if (out.signature === undefined && ctx.signature !== undefined && out.code.startsWith('input')) out.signature = ctx.signature;
  return out;
}

/** A Diagnosis as lines of text (terminal, panel). */
export function diagnosisText(d: Diagnosis): string {
  const lines = [d.summary];
  for (const s of d.nextSteps) lines.push(`  → ${s}`);
  if (d.serverMessage && !d.summary.includes(d.serverMessage)) lines.push(`  server said${d.httpStatus ? ` (HTTP ${d.httpStatus})` : ''}: ${d.serverMessage}`);
  return lines.join('\n');
}
