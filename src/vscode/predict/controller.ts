/**
 * Predict / Explain from a request file: what the CodeLenses, the palette commands, "Re-run" in
 * the results view and the History view all run. One call:
 *
 *   request file → its binding (BindingStore) → PredictTarget → the target's signatures (local model,
 *   TF Serving metadata, the artifact's saved_model.pb) → validation (errors: "Send Anyway?") →
 *   send() with progress and cancel → the history → the results view.
 *
 * Failures are explained against the signature (core diagnose()) and shown in the results view;
 * they are recorded in the history like answers. Nothing here logs a request or response body.
 */
import { basename, relative } from 'node:path';
import * as vscode from 'vscode';
import { isCloudError } from '../../core/cloud/errors';
import { verbForMethod, type TfServingVerb } from '../../core/cloud/tfserving';
import { deployedModelsOf } from '../../core/cloud/vertex';
import { ServeLensError, UsageError, describeError } from '../../core/errors';
import type { Signature } from '../../core/model/types';
import { cliCommand, curlCommand, gcloudCommand } from '../../core/predict/commands';
import { diagnose, type Diagnosis } from '../../core/predict/diagnose';
import type { HistoryEntry, NewEntry } from '../../core/predict/history';
import { parseTfServingUrl, send, targetFromBinding, targetLabel, targetName, type PredictOp, type PredictTarget, type SendResult } from '../../core/predict/target';
import { signatureNameOf } from '../../core/request/locate';
import type { RequestFinding } from '../../core/request/types';
import type { CloudApi } from '../cloud/registerCloudViews';
import type { Logger } from '../log';
import type { ModelsApi } from '../models/registerModelsView';
import { modelLabel, validateText } from '../requests/core';
import type { BoundTarget } from '../requests/core';
import type { RequestFilesApi } from '../requests/registerRequestFiles';
import { validateOptions } from '../requests/resolver';
import type { CallRecord, HistoryAccess, LocalRunnerAccess, ResultsView } from './contract';
import type { TargetSignatureCache } from './signatureCache';

/** Options a caller (a CodeLens, a test, a script) may pass after the file's URI. */
export interface RunOptions {
  /** Send even when validation finds errors, without asking. */
  sendAnyway?: boolean;
  /** Vertex AI explain: the deployed model to explain with (else asked when there are several). */
  deployedModelId?: string;
  /** JSON Lines: send this line only (0-based). */
  line?: number;
  /** Run on the local model (the bound one, or the workspace model matching the cloud target). */
  local?: boolean;
}

/** Whole JSON Lines files above this are sent as a batch, not as one request. */
export const MAX_INLINE_JSONL_BYTES = 1.5 * 1024 * 1024;

const SETTING_CONFIRM = 'predict.confirmOnErrors';

/** What the Predict parts need from the rest of the shell (registerPredict's caller gives them). */
export interface PredictDeps {
  requests: RequestFilesApi;
  cloud: CloudApi;
  history: HistoryAccess;
  results: () => ResultsView;
  runner: () => LocalRunnerAccess;
  models?: ModelsApi;
}

export interface PredictControllerDeps extends PredictDeps {
  logger: Logger;
  /** Each target's signatures, read once (shared with the request files' validation). */
  targets: TargetSignatureCache;
  /** Per-workspace memory: the deployed model chosen for explain, recent targets. */
  state: vscode.Memento;
}

export function parseRunOptions(v: unknown): RunOptions {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) return {};
  const o = v as Record<string, unknown>;
  const out: RunOptions = {};
  if (o.sendAnyway === true) out.sendAnyway = true;
  if (typeof o.deployedModelId === 'string' && o.deployedModelId) out.deployedModelId = o.deployedModelId;
  if (typeof o.line === 'number' && Number.isInteger(o.line) && o.line >= 0) out.line = o.line;
  if (o.local === true) out.local = true;
  return out;
}

/** A bound target (the binding file's entry) as the PredictTarget send() takes. */
export function predictTargetOf(bound: BoundTarget): PredictTarget {
  switch (bound.kind) {
    case 'local':
      return { kind: 'local', modelPath: bound.modelPath! };
    case 'vertex':
      return targetFromBinding({ endpoint: bound.resource! });
    case 'ai-platform':
      return targetFromBinding({ version: bound.resource! });
    case 'tf-serving':
      return parseTfServingUrl(bound.resource!);
  }
}

/** What one send needs, gathered before the progress notification opens. */
interface Prepared {
  /** The request file ('' when the body comes from elsewhere: an example request). */
  file: string;
  root?: string;
  op: PredictOp;
  target: PredictTarget;
  body: string;
  /** The signature named by the body, the binding, or serving_default. */
  signatureName?: string;
  signature?: Signature;
  signatures?: Signature[];
  method?: TfServingVerb;
}

export class PredictController {
  constructor(private readonly deps: PredictControllerDeps) {}

  /** Predict or Explain the request file `uri` (the active editor's when absent). */
  async run(arg: unknown, op: PredictOp, opts: RunOptions = {}): Promise<CallRecord | undefined> {
    const doc = await this.#document(arg);
    const prepared = await this.#prepare(doc, op, opts);
    if (!prepared) return undefined;
    return this.#send(prepared);
  }

  /** Sends a recorded call again: the same body to the same target. */
  async rerun(record: CallRecord): Promise<void> {
    if (record.request === undefined) throw new UsageError('This call was kept without its request body (it was larger than the history keeps).', 'Send it again from its request file.');
    await this.sendBody(record.target ?? this.#targetOfEntry(record.entry), record.request, record.entry.op, {
      ...(record.entry.file ? { file: record.entry.file } : {}),
      ...(record.signature ? { signature: record.signature.name } : {}),
    });
  }

  /**
   * Sends a body that is not read from an open request file (a recorded call, an example request
   * of Run Model Locally) the way ▶ Predict sends one: progress and cancel, the history, the results
   * view, a failure diagnosed. The signature is the one named, else the body's, else serving_default.
   */
  async sendBody(target: PredictTarget, body: string, op: PredictOp, opts: { file?: string; signature?: string } = {}): Promise<CallRecord> {
    const prepared: Prepared = { file: opts.file ?? '', op, target, body };
    await this.#withSignatures(prepared, opts.signature ?? signatureNameOf(body));
    return this.#send(prepared);
  }

  /** The previous call of the same file to the same target, as a record. */
  async previous(record: CallRecord): Promise<CallRecord | undefined> {
    if (!record.entry.file) return undefined;
    const stored = await this.deps.history.store().previous(record.entry.file, record.entry.target, record.entry.id);
    if (!stored) return undefined;
    const out: CallRecord = { entry: stored.entry };
    if (stored.request !== undefined) out.request = stored.request;
    if (stored.response !== undefined) out.response = stored.response;
    return out;
  }

  /**
   * The workspace model that runs a file's target locally: the bound model itself, or for a cloud
   * target a model of the Models view with the same name (TF Serving / AI Platform model name, or
   * the folder of the artifact its signatures were read from).
   */
  localModelFor(bound: BoundTarget | undefined): string | undefined {
    if (!bound) return undefined;
    if (bound.kind === 'local') return bound.modelPath;
    const models = this.deps.models?.models() ?? [];
    if (!models.length) return undefined;
    const names = new Set<string>();
    let target: PredictTarget;
    try {
      target = predictTargetOf(bound);
    } catch {
      return undefined;
    }
    if (target.kind === 'tf-serving') names.add(target.model);
    if (target.kind === 'ai-platform') names.add(target.model.split('/')[3] ?? '');
    const read = this.deps.targets.peek(target);
    if (read) names.add(modelLabel(read.source.replace(/^gs:\/\//, '/')));
    const found = models.find((m) => names.has(m.label) || names.has(modelLabel(m.dir)));
    return found?.dir;
  }

  // --- preparing a call --------------------------------------------------------------------

  async #document(arg: unknown): Promise<vscode.TextDocument> {
    if (arg instanceof vscode.Uri) return vscode.workspace.openTextDocument(arg);
    const active = vscode.window.activeTextEditor?.document;
    if (active) return active;
    throw new UsageError('No request file is open.', 'Open a request file (*.request.json), then run Predict again, or click ▶ Predict above its first line.');
  }

  async #prepare(doc: vscode.TextDocument, op: PredictOp, opts: RunOptions): Promise<Prepared | undefined> {
    if (doc.uri.scheme !== 'file') throw new UsageError(`${doc.uri.toString()} is not a file on disk.`, 'Save the request in a workspace folder first: bindings and history name files.');
    const setup = await this.deps.requests.resolver.setup(doc, true);
    if (!setup) throw new UsageError(`${basename(doc.uri.fsPath)} is not a request file.`, 'Open a JSON or JSON Lines request body (*.request.json, *.instances.jsonl, or a file bound in .servelens.json).');
    if (setup.lookup.error) throw setup.lookup.error;
    let bound = setup.lookup.target;
    if (!bound) {
      const choice = await vscode.window.showInformationMessage(
        `ServeLens: ${basename(doc.uri.fsPath)} is not bound to a target yet. Choose where ${op === 'explain' ? 'Explain' : 'Predict'} sends it.`,
        'Choose Target…',
      );
      if (choice !== 'Choose Target…') return undefined;
      await vscode.commands.executeCommand('servelens.request.pickTarget', doc.uri);
      bound = (await this.deps.requests.bindings.lookup(doc.uri)).target;
      if (!bound) return undefined;
      return this.#prepare(doc, op, opts);
    }
    let target = predictTargetOf(bound);
    if (opts.local && target.kind !== 'local') {
      const local = this.localModelFor(bound);
      if (!local) throw new UsageError(`${bound.label} has no local model in this workspace.`, 'Bind the file to a local model, or add the exported SavedModel to the workspace (the Models view lists what ServeLens finds).');
      target = { kind: 'local', modelPath: local };
    }
    if (target.kind !== 'local' && !vscode.workspace.isTrusted) {
      throw new UsageError('This workspace is not trusted: ServeLens does not send requests (or your credentials) to targets a workspace names until you trust it.', 'Run "Workspaces: Manage Workspace Trust".');
    }
    if (op === 'explain' && target.kind === 'tf-serving') {
      throw new UsageError('TF Serving has no Explain.', 'Explain on a Vertex AI endpoint or AI Platform version, or bind the file to the local model (Explain runs sampled Shapley or integrated gradients locally).');
    }

    const body = this.#body(doc, setup.fileKind, opts.line);
    const prepared: Prepared = { file: doc.uri.fsPath, op, target, body };
    if (setup.lookup.root) prepared.root = setup.lookup.root;
    const named = signatureNameOf(body);
    await this.#withSignatures(prepared, named ?? bound.signature, setup.model?.signatures);

    if (op === 'explain' && target.kind === 'vertex') {
      const id = opts.deployedModelId ?? (await this.#askDeployedModel(target.endpoint));
      if (id === undefined) return undefined;
      if (id) prepared.target = { ...target, deployedModelId: id };
    }

    // The file is validated first: errors are shown and the user may send anyway.
    const vopts = validateOptions(setup);
    vopts.fileKind = opts.line !== undefined || setup.fileKind === 'jsonl' ? 'json' : setup.fileKind;
    if (prepared.signatures) vopts.signatures = prepared.signatures;
    if (prepared.target.kind === 'local') vopts.target = 'local';
    // A signature other than serving_default goes to Vertex AI through :rawPredict (send()), which
    // takes "signature_name"; only :predict rejects it.
    const viaRaw = prepared.target.kind === 'vertex' && op === 'predict' && prepared.signatureName !== undefined && prepared.signatureName !== 'serving_default';
    const findings = validateText(body, vopts).findings.filter((f) => f.severity === 'error' && !(viaRaw && f.code === 'unsupported-field' && f.message.includes('"signature_name"')));
    if (findings.length && !opts.sendAnyway && vscode.workspace.getConfiguration('servelens').get<boolean>(SETTING_CONFIRM, true)) {
      if (!(await this.#confirmErrors(doc, findings))) return undefined;
    }
    return prepared;
  }

  /** The body to send: the file; a JSON Lines file becomes {"instances": [lines]}; or one line. */
  #body(doc: vscode.TextDocument, fileKind: 'json' | 'jsonl', line: number | undefined): string {
    if (fileKind !== 'jsonl') {
      if (line !== undefined) throw new UsageError('"Predict this line" is for JSON Lines files (one instance per line).', 'Use ▶ Predict to send this whole request body.');
      return doc.getText();
    }
    if (line !== undefined) {
      if (line >= doc.lineCount) throw new UsageError(`Line ${line + 1} is past the end of ${basename(doc.uri.fsPath)} (${doc.lineCount} lines).`, 'Put the cursor on an instance line, or click "Predict this line" above it.');
      const text = doc.lineAt(line).text.trim();
      if (!text) throw new UsageError(`Line ${line + 1} of ${basename(doc.uri.fsPath)} is empty.`, 'Put the cursor on a line that holds an instance.');
      return `{"instances": [${text}]}`;
    }
    const lines: string[] = [];
    let bytes = 0;
    for (let i = 0; i < doc.lineCount; i++) {
      const t = doc.lineAt(i).text.trim();
      if (!t) continue;
      bytes += Buffer.byteLength(t) + 2;
      if (bytes > MAX_INLINE_JSONL_BYTES) {
        throw new UsageError(
          `${basename(doc.uri.fsPath)} is larger than one online request may be (1.5 MB).`,
          'Use "Run Batch Prediction" for the whole file, or "Predict This Line" for one instance.',
        );
      }
      lines.push(t);
    }
    if (!lines.length) throw new UsageError(`${basename(doc.uri.fsPath)} holds no instance.`, 'Write one instance per line, e.g. {"x": [1.0]}.');
    return `{"instances": [${lines.join(', ')}]}`;
  }

  /** Fills in the target's signatures (cached per target), the one the body runs and TF Serving's verb. */
  async #withSignatures(p: Prepared, name: string | undefined, known?: Signature[]): Promise<void> {
    let sigs = known;
    if (!sigs) {
      try {
        sigs = (await this.deps.targets.get(p.target)).signatures;
      } catch (err) {
        this.deps.logger.warn('predict', `signatures of ${targetLabel(p.target)} could not be read (the request is sent unchecked): ${describeError(err)}`);
      }
    }
    if (!sigs) return;
    p.signatures = sigs;
    const sigName = name ?? 'serving_default';
    const sig = sigs.find((s) => s.name === sigName);
    if (name !== undefined) p.signatureName = name;
    if (sig) {
      p.signature = sig;
      if (p.target.kind === 'tf-serving') p.method = verbForMethod(sig.method);
    }
  }

  async #askDeployedModel(endpoint: string): Promise<string | undefined> {
    const session = this.deps.cloud.session();
    const models = await vscode.window.withProgress(
      { location: vscode.ProgressLocation.Window, title: 'ServeLens: reading the endpoint' },
      async () => deployedModelsOf(await session.vertex.getEndpoint(endpoint)),
    );
    if (models.length === 0) throw new UsageError(`Endpoint ${endpoint.split('/').pop()} has no deployed model to explain with.`, 'Deploy a model with an explanation spec to it first.');
    if (models.length === 1) return models[0]!.id;
    const key = `servelens.explain.deployedModel:${endpoint}`;
    const last = this.deps.state.get<string>(key);
    const items = models.map((m) => ({
      label: m.displayName ?? m.id,
      description: `${m.id} · ${m.trafficPercent}% of traffic${m.modelVersionId ? ` · version ${m.modelVersionId}` : ''}`,
      detail: m.disableExplanations ? 'Explanations are disabled for this deployed model' : undefined,
      id: m.id,
    }));
    items.sort((a, b) => Number(b.id === last) - Number(a.id === last));
    const pick = await vscode.window.showQuickPick(items, {
      title: 'Explain with which deployed model?',
      placeHolder: `The endpoint serves ${models.length} models; Explain goes to one of them (deployedModelId)`,
    });
    if (!pick) return undefined;
    await this.deps.state.update(key, pick.id);
    return pick.id;
  }

  async #confirmErrors(doc: vscode.TextDocument, errors: RequestFinding[]): Promise<boolean> {
    const first = errors[0]!;
    const choice = await vscode.window.showWarningMessage(
      `ServeLens: ${basename(doc.uri.fsPath)} has ${errors.length} error${errors.length === 1 ? '' : 's'} against the signature: line ${first.line}: ${first.message}`,
      { modal: false },
      'Send Anyway',
      'Show Problems',
    );
    if (choice === 'Show Problems') {
      const editor = await vscode.window.showTextDocument(doc);
      const pos = new vscode.Position(first.line - 1, first.column - 1);
      editor.selection = new vscode.Selection(pos, pos);
      await vscode.commands.executeCommand('workbench.actions.view.problems');
    }
    return choice === 'Send Anyway';
  }

  #targetOfEntry(entry: HistoryEntry): PredictTarget {
    const name = entry.target.name;
    switch (entry.target.kind) {
      case 'local':
        return { kind: 'local', modelPath: name };
      case 'vertex': {
        const m = /^(\S+?)(?: \(deployed model (\d+)\))?$/.exec(name);
        const t = targetFromBinding({ endpoint: m?.[1] ?? name });
        return m?.[2] ? { ...t, deployedModelId: m[2] } as PredictTarget : t;
      }
      case 'ai-platform':
        return targetFromBinding({ version: name });
      case 'tf-serving':
        return parseTfServingUrl(name);
    }
  }

  // --- sending -----------------------------------------------------------------------------

  async #send(p: Prepared): Promise<CallRecord> {
    const session = this.deps.cloud.session();
    const label = targetLabel(p.target);
    const started = new Date();
    let result: SendResult | undefined;
    let failure: unknown;
    await vscode.window.withProgress(
      { location: vscode.ProgressLocation.Notification, title: `ServeLens: ${p.op === 'explain' ? 'Explain' : 'Predict'} on ${label}`, cancellable: true },
      async (_progress, token) => {
        const abort = new AbortController();
        const sub = token.onCancellationRequested(() => abort.abort());
        try {
          result = await send(
            p.target,
            p.body,
            p.op,
            {
              http: session.http,
              ...(session.apiEndpoint ? { apiEndpoint: session.apiEndpoint.url } : {}),
              vertex: session.vertex,
              local: this.deps.runner().predict,
            },
            { signal: abort.signal, ...(p.signatureName !== undefined ? { signature: p.signatureName } : {}), ...(p.method ? { method: p.method } : {}) },
          );
        } catch (err) {
          failure = err;
        } finally {
          sub.dispose();
        }
      },
    );
    if (!result && isCancelled(failure)) {
      this.deps.logger.info('predict', `${p.op} on ${label} cancelled`);
      throw new vscode.CancellationError();
    }
    if (!result && ServeLensError.is(failure, 'usage')) throw failure;

    const entryIn: NewEntry = {
      op: p.op,
      target: { kind: p.target.kind, name: targetName(p.target), label },
      request: p.body,
      status: result ? 'ok' : 'error',
      time: started,
    };
    if (p.file) entryIn.file = p.file;
    let diagnosis: Diagnosis | undefined;
    if (result) {
      entryIn.response = result.text;
      entryIn.latencyMs = result.latencyMs;
      entryIn.httpStatus = result.status;
      if (result.deployedModelId) entryIn.deployedModelId = result.deployedModelId;
      this.deps.logger.info('predict', `${p.op} on ${label}: HTTP ${result.status} in ${result.latencyMs} ms (${result.requestBytes} B sent, ${result.responseBytes} B received${result.attempts > 1 ? `, ${result.attempts} attempts` : ''})`);
    } else {
      diagnosis = await this.#diagnose(failure, p);
      entryIn.error = diagnosis.summary + (diagnosis.serverMessage && !diagnosis.summary.includes(diagnosis.serverMessage) ? ` (server said: ${diagnosis.serverMessage})` : '');
      if (diagnosis.httpStatus !== undefined) entryIn.httpStatus = diagnosis.httpStatus;
      if (diagnosis.serverMessage !== undefined) entryIn.response = JSON.stringify({ error: diagnosis.serverMessage });
      entryIn.latencyMs = Date.now() - started.getTime();
      this.deps.logger.warn('predict', `${p.op} on ${label} failed: ${describeError(failure)}`);
    }
    let entry: HistoryEntry;
    try {
      entry = await this.deps.history.add(entryIn);
    } catch (err) {
      // The call happened: show it even when the history cannot be written.
      this.deps.logger.error('predict', `the call could not be kept in the history: ${describeError(err)}`);
      entry = { id: `unsaved${Date.now().toString(36)}`, time: started.toISOString(), op: p.op, target: entryIn.target, requestHash: '', requestBytes: Buffer.byteLength(p.body), status: entryIn.status };
    }
    const record: CallRecord = { entry, request: p.body, target: p.target, commands: this.#commands(p) };
    if (entryIn.response !== undefined) record.response = entryIn.response;
    if (diagnosis) record.diagnosis = diagnosis;
    if (p.signature) record.signature = p.signature;
    await this.deps.results().show(record);
    return record;
  }

  async #diagnose(err: unknown, p: Prepared): Promise<Diagnosis> {
    let request: unknown;
    try {
      request = JSON.parse(p.body);
    } catch {
      request = undefined;
    }
    // A failure about the input is worth reading the signatures for, if not read yet.
    if (!p.signatures && isCloudError(err) && ['invalid-argument', 'failed-precondition', 'internal', 'unknown'].includes(err.reason)) {
      try {
        p.signatures = (await this.deps.targets.get(p.target)).signatures;
      } catch {
        // explained without them
      }
    }
    const service = p.target.kind === 'vertex' ? 'vertex' : p.target.kind === 'ai-platform' ? 'aiplatform' : p.target.kind === 'tf-serving' ? 'tfserving' : 'local';
    return diagnose(err, {
      ...(p.signatures ? { signatures: p.signatures } : {}),
      signature: p.signatureName ?? 'serving_default',
      request,
      service,
      targetName: targetName(p.target),
    });
  }

  #commands(p: Prepared): CallRecord['commands'] {
    const session = this.deps.cloud.session();
    const requestFile = p.root && p.file ? relative(p.root, p.file) || p.file : p.file || 'request.json';
    const o = {
      requestFile,
      op: p.op,
      ...(session.apiEndpoint && p.target.kind !== 'tf-serving' ? { apiEndpoint: session.apiEndpoint.url } : {}),
      ...(p.signatureName && p.signatureName !== 'serving_default' ? { signature: p.signatureName } : {}),
      ...(p.method ? { method: p.method } : {}),
    };
    const out: CallRecord['commands'] = { cli: cliCommand(p.target, o) };
    if (p.target.kind !== 'local') out.curl = curlCommand(p.target, o);
    const g = p.target.kind === 'local' ? undefined : gcloudCommand(p.target, o);
    if (g) out.gcloud = g;
    return out;
  }
}

function isCancelled(err: unknown): boolean {
  if (isCloudError(err, 'cancelled') || (err instanceof Error && err.name === 'AbortError')) return true;
  return ServeLensError.is(err, 'runner') && (err as { reason?: unknown }).reason === 'cancelled';
}
