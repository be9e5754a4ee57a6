/**
 * "Run Batch Prediction" on a JSON Lines file (one instance a line), by the file's binding:
 *  - bound to a local model: runBatch() writes `<name>.predictions.jsonl` beside it (asking before
 *    replacing one), with progress (instances, errors, share of the input read) and cancel (a
 *    cancelled or failed run leaves no output), then opens it;
 *  - bound to a Vertex AI endpoint, with `servelens.batch.gcsOutputPrefix` set: the file is uploaded
 *    under that prefix and a Vertex AI batch prediction job is created for the endpoint's deployed
 *    model with the most traffic, writing under the same prefix; the Vertex AI view lists it;
 *  - anything else: a message that says how to bind the file or which setting to set.
 */
import { readFile, rm, stat } from 'node:fs/promises';
import { basename } from 'node:path';
import * as vscode from 'vscode';
import { machineValue } from '../cloud/session';
import { UsageError, describeError } from '../../core/errors';
import { runBatch } from '../../core/runner/batch';
import type { CloudApi } from '../cloud/registerCloudViews';
import { Commands } from '../constants';
import type { Logger } from '../log';
import type { RequestFilesApi } from '../requests/registerRequestFiles';
import { batchOutputPath, submitCloudBatch } from './plan';

export const BatchSettings = {
  gcsOutputPrefix: 'batch.gcsOutputPrefix',
} as const;

/** The largest file uploaded for a cloud batch (one simple upload, held in memory). */
export const MAX_UPLOAD_BYTES = 512 * 1024 * 1024;

export interface BatchDeps {
  requests: RequestFilesApi;
  cloud?: CloudApi;
  logger: Logger;
}

/** What a batch did, for callers (tests, scripts). */
export type BatchOutcome =
  | { kind: 'local'; output: string; instances: number; errors: number; ms: number }
  | { kind: 'vertex'; job: string; displayName: string; inputUri: string; outputPrefix: string; model: string };

const JSONL = /\.(jsonl|ndjson)$/i;

/** The file the command is about: its URI argument, else the active editor's document. */
function fileArg(arg: unknown): vscode.Uri {
  const uri = arg instanceof vscode.Uri ? arg : vscode.window.activeTextEditor?.document.uri;
  if (!uri) throw new UsageError('Run Batch Prediction needs a JSON Lines file.', 'Open the .jsonl file (one instance a line), then run the command again.');
  if (uri.scheme !== 'file') throw new UsageError(`${uri.toString()} is not a file on disk.`, 'Save it as a .jsonl file first.');
  if (!JSONL.test(uri.fsPath)) throw new UsageError(`${basename(uri.fsPath)} is not a JSON Lines file (.jsonl or .ndjson).`, 'Batch prediction reads one instance a line from a .jsonl file.');
  return uri;
}

/** The prefix setting: machine scope, like every setting that decides where data or tokens go. */
function gcsPrefix(): string | undefined {
  return machineValue<string>(vscode.workspace.getConfiguration('servelens'), BatchSettings.gcsOutputPrefix)?.trim() || undefined;
}

export async function runBatchCommand(arg: unknown, deps: BatchDeps): Promise<BatchOutcome | undefined> {
  const uri = fileArg(arg);
  const open = vscode.workspace.textDocuments.find((d) => d.uri.toString() === uri.toString());
  if (open?.isDirty) await open.save();
  const lookup = await deps.requests.bindings.lookup(uri);
  if (lookup.error) {
    throw new UsageError(`The binding file of this workspace folder cannot be read: ${describeError(lookup.error)}`, 'Fix .servelens.json (its problems are listed in the Problems view).');
  }
  const target = lookup.target;
  const name = basename(uri.fsPath);
  const bindHint = `Bind it with "ServeLens: Bind Request File to Target" (${Commands.requestBindTarget}) to a local model, or to a Vertex AI endpoint with the setting servelens.batch.gcsOutputPrefix set to a gs://bucket/folder.`;
  if (!target) throw new UsageError(`${name} is not bound to a model.`, bindHint);
  if (target.kind === 'local' && target.modelPath) return runLocalBatch(uri, target.modelPath, target.signature, deps);
  if (target.kind === 'vertex' && target.resource) {
    const prefix = gcsPrefix();
    if (!prefix) {
      throw new UsageError(
        `${name} is bound to the Vertex AI endpoint ${target.label}, and servelens.batch.gcsOutputPrefix is not set.`,
        'Set servelens.batch.gcsOutputPrefix to a Cloud Storage folder (gs://bucket/folder) for the input and the predictions, or bind the file to a local model to run the batch here.',
      );
    }
    return runVertexBatch(uri, target.resource, prefix, deps);
  }
  throw new UsageError(`${name} is bound to ${target.label} (${target.kind}); batch prediction runs on a local model or a Vertex AI endpoint.`, bindHint);
}

async function runLocalBatch(uri: vscode.Uri, modelPath: string, signature: string | undefined, deps: BatchDeps): Promise<BatchOutcome | undefined> {
  const input = uri.fsPath;
  const output = batchOutputPath(input);
  if (await stat(output).then(() => true, () => false)) {
    const replace = await vscode.window.showWarningMessage(`${basename(output)} exists. Replace it?`, { modal: true, detail: output }, 'Replace');
    if (replace !== 'Replace') return undefined;
  }
  const size = (await stat(input)).size;
  deps.logger.info('runner', `batch ${input} → ${output} on ${modelPath}`);
  const result = await vscode.window.withProgress(
    { location: vscode.ProgressLocation.Notification, title: `ServeLens: batch prediction of ${basename(input)}`, cancellable: true },
    async (progress, token) => {
      const ac = new AbortController();
      const sub = token.onCancellationRequested(() => ac.abort());
      let done = 0;
      progress.report({ message: 'loading the model…' });
      try {
        return await runBatch({
          model: modelPath,
          input,
          output,
          ...(signature !== undefined ? { signature } : {}),
          signal: ac.signal,
          onProgress: (p) => {
            const share = size > 0 ? Math.min(100, (p.bytes / size) * 100) : 100;
            progress.report({ message: `${p.instances} instances${p.errors ? `, ${p.errors} failed` : ''}`, increment: Math.max(0, share - done) });
            done = Math.max(done, share);
          },
        });
      } catch (err) {
        // A cut-off output would read as a finished one: remove it.
        await rm(output, { force: true }).catch(() => undefined);
        if (ac.signal.aborted) throw new vscode.CancellationError();
        throw err;
      } finally {
        sub.dispose();
      }
    },
  );
  deps.logger.info('runner', `batch of ${input}: ${result.instances} instances, ${result.errors} failed, ${Math.round(result.ms)} ms`);
  await vscode.window.showTextDocument(vscode.Uri.file(output), { preview: false });
  const summary = `ServeLens: ${result.instances} prediction${result.instances === 1 ? '' : 's'} written to ${basename(output)}${result.errors ? ` (${result.errors} instance${result.errors === 1 ? '' : 's'} failed: see their "error")` : ''}.`;
  if (result.errors) void vscode.window.showWarningMessage(summary);
  else void vscode.window.showInformationMessage(summary);
  return { kind: 'local', output, instances: result.instances, errors: result.errors, ms: result.ms };
}

async function runVertexBatch(uri: vscode.Uri, endpointName: string, prefix: string, deps: BatchDeps): Promise<BatchOutcome> {
  if (!deps.cloud) throw new UsageError('Vertex AI batch jobs need the cloud views, which are not available.', 'Bind the file to a local model to run the batch locally, or see the ServeLens log for why the cloud views did not start.');
  const session = deps.cloud.session();
  const input = uri.fsPath;
  const size = (await stat(input)).size;
  if (size > MAX_UPLOAD_BYTES) {
    throw new UsageError(
      `${basename(input)} is ${Math.round(size / 1024 / 1024)} MB; ServeLens uploads at most ${MAX_UPLOAD_BYTES / 1024 / 1024} MB for a batch job.`,
      `Copy it with "gcloud storage cp ${input} ${prefix}/" and create the job in the Cloud Console.`,
    );
  }
  const out = await vscode.window.withProgress(
    { location: vscode.ProgressLocation.Notification, title: `ServeLens: Vertex AI batch prediction of ${basename(input)}`, cancellable: true },
    async (progress, token) => {
      const ac = new AbortController();
      const sub = token.onCancellationRequested(() => ac.abort());
      try {
        return await submitCloudBatch(session, input, await readFile(input), endpointName, prefix, { signal: ac.signal, onStep: (message) => progress.report({ message }) });
      } catch (err) {
        if (ac.signal.aborted) throw new vscode.CancellationError();
        throw err;
      } finally {
        sub.dispose();
      }
    },
  );
  const { plan, job } = out;
  deps.logger.info('runner', `batch job ${job.name} for ${plan.job.model} (deployed model ${plan.deployedModelId}): ${plan.inputUri} → ${plan.outputPrefix}`);
  deps.cloud.providers.vertex.refresh();
  void vscode.window
    .showInformationMessage(
      `ServeLens: created the Vertex AI batch prediction job ${job.displayName} (${job.name.split('/').pop() ?? job.name}) on ${plan.inputUri}; predictions go under ${plan.outputPrefix}. The Vertex AI view lists it under Batch jobs.`,
      'Copy Job Name',
    )
    .then((choice) => {
      if (choice === 'Copy Job Name') void vscode.env.clipboard.writeText(job.name);
    });
  return { kind: 'vertex', job: job.name, displayName: job.displayName, inputUri: plan.inputUri, outputPrefix: plan.outputPrefix, model: plan.job.model ?? '' };
}
