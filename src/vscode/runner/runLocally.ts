/**
 * "Run Model Locally": pick a model (and a signature when it has several), generate an example
 * request from the signature, and send it to the local runner the way ▶ Predict sends a request
 * (the Predict controller's sendBody: progress and cancel, the history, the results view, a failure
 * diagnosed).
 */
import * as vscode from 'vscode';
import { UsageError } from '../../core/errors';
import type { Signature } from '../../core/model/types';
import type { LocalTarget } from '../../core/predict/target';
import { generateRequestText } from '../../core/request/generate';
import type { Logger } from '../log';
import type { ModelsApi } from '../models/registerModelsView';
import type { CallRecord } from '../predict/contract';
import type { LocalRunners } from './localRunners';
import { pickModel, type ModelChoice } from './modelArgs';
import { isPredictSignature, runnableSignatures } from './plan';

/** Sends a body to a target as ▶ Predict does (the Predict controller's sendBody). */
export type SendBody = (target: LocalTarget, body: string, op: 'predict', opts: { signature: string }) => Promise<CallRecord>;

export interface RunLocallyDeps {
  runners: LocalRunners;
  send: SendBody;
  models?: ModelsApi;
  logger: Logger;
}

async function pickSignature(all: Signature[], model: ModelChoice): Promise<Signature> {
  const usable = runnableSignatures(all);
  if (model.signature !== undefined) {
    const named = all.find((s) => s.name === model.signature);
    if (!named) throw new UsageError(`${model.label} has no signature "${model.signature}" in its serving tag-set.`, `Its signatures are: ${usable.map((s) => s.name).join(', ') || 'none'}.`);
    return named;
  }
  if (usable.length === 0) throw new UsageError(`${model.label} has no signature that takes inputs.`, 'Open it in the SavedModel Inspector to see its signatures; export one with inputs (serving_default) to run it.');
  const predict = usable.filter(isPredictSignature);
  const offered = predict.length ? predict : usable;
  if (offered.length === 1) return offered[0]!;
  const picked = await vscode.window.showQuickPick(
    offered.map((s) => ({ label: s.name, description: s.method || 'no method', detail: s.inputs.map((t) => `${t.alias}: ${t.dtype}`).join(', '), s })),
    { title: `Run ${model.label} locally`, placeHolder: 'Pick a signature' },
  );
  if (!picked) throw new vscode.CancellationError();
  return picked.s;
}

/** Runs the command; resolves with the call as recorded and shown. Cancelling rejects with vscode.CancellationError. */
export async function runModelLocally(arg: unknown, deps: RunLocallyDeps): Promise<CallRecord> {
  const model = await pickModel(arg, deps.models, 'Run Model Locally');
  const sigs = await vscode.window.withProgress(
    { location: vscode.ProgressLocation.Notification, title: `ServeLens: loading ${model.label}`, cancellable: true },
    async (_progress, token) => {
      const user = new AbortController();
      const sub = token.onCancellationRequested(() => user.abort());
      try {
        return await deps.runners.signatures(model.modelPath, user.signal);
      } catch (err) {
        if (user.signal.aborted) throw new vscode.CancellationError();
        throw err;
      } finally {
        sub.dispose();
      }
    },
  );
  const sig = await pickSignature(sigs, model);
  if (!isPredictSignature(sig)) {
    throw new UsageError(
      `${sig.name} is a ${sig.method.replace('tensorflow/serving/', '')} signature: Run Model Locally only builds example requests for predict signatures.`,
      `Write a request with "examples" (tf.Example features) for it and use Predict Locally, or run servelens predict <request> --model ${model.modelPath} --signature ${sig.name}.`,
    );
  }
  deps.logger.info('runner', `run ${sig.name} of ${model.modelPath} on an example request`);
  return deps.send({ kind: 'local', modelPath: model.modelPath }, generateRequestText(sig, { format: 'row' }), 'predict', { signature: sig.name });
}
