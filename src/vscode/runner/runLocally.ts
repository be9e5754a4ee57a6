/**
 * "Run Model Locally": pick a model (and a signature when it has several), generate an example
 * request from the signature, run it on the local runner, record the call in the history and show
 * it in the results view. The run shows progress and can be cancelled (which stops the worker).
 * A failed run is recorded and shown too (with its diagnosis); a cancelled one is not recorded.
 */
import * as vscode from 'vscode';
import { verbForMethod } from '../../core/cloud/tfserving';
import { UsageError, describeError } from '../../core/errors';
import type { Signature } from '../../core/model/types';
import { diagnose } from '../../core/predict/diagnose';
import type { HistoryTarget } from '../../core/predict/history';
import { send, targetLabel, targetName, type LocalTarget } from '../../core/predict/target';
import { generateRequestText } from '../../core/request/generate';
import { RunnerError } from '../../core/runner/errors';
import type { Logger } from '../log';
import type { ModelsApi } from '../models/registerModelsView';
import type { CallRecord, HistoryAccess, ResultsView } from '../predict/contract';
import type { LocalRunners } from './localRunners';
import { pickModel, type ModelChoice } from './modelArgs';
import { isPredictSignature, runnableSignatures } from './plan';

export interface RunLocallyDeps {
  runners: LocalRunners;
  history: HistoryAccess;
  results: () => ResultsView;
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
  const target: LocalTarget = { kind: 'local', modelPath: model.modelPath };
  const historyTarget: HistoryTarget = { kind: 'local', name: targetName(target), label: targetLabel(target) };

  return vscode.window.withProgress(
    { location: vscode.ProgressLocation.Notification, title: `ServeLens: running ${model.label} locally`, cancellable: true },
    async (progress, token) => {
      const user = new AbortController();
      const sub = token.onCancellationRequested(() => user.abort());
      try {
        progress.report({ message: 'loading the model…' });
        const sig = await pickSignature(await deps.runners.signatures(model.modelPath, user.signal), model);
        if (!isPredictSignature(sig)) {
          throw new UsageError(
            `${sig.name} is a ${sig.method.replace('tensorflow/serving/', '')} signature: Run Model Locally only builds example requests for predict signatures.`,
            `Write a request with "examples" (tf.Example features) for it and use Predict Locally, or run servelens predict <request> --model ${model.modelPath} --signature ${sig.name}.`,
          );
        }
        const request = generateRequestText(sig, { format: 'row' });
        progress.report({ message: `signature ${sig.name}…` });
        deps.logger.info('runner', `run ${sig.name} of ${model.modelPath} on an example request`);
        let record: CallRecord;
        try {
          const r = await send(target, request, 'predict', { local: deps.runners.predict }, { signature: sig.name, method: verbForMethod(sig.method), signal: user.signal });
          const entry = await deps.history.store().add({ op: 'predict', target: historyTarget, request, response: r.text, status: 'ok', latencyMs: r.latencyMs, httpStatus: r.status });
          record = { entry, request, response: r.text, signature: sig, target };
        } catch (err) {
          if (user.signal.aborted) throw new vscode.CancellationError();
          deps.logger.warn('runner', `local run of ${model.modelPath} failed: ${describeError(err)}`);
          const entry = await deps.history.store().add({
            op: 'predict',
            target: historyTarget,
            request,
            status: 'error',
            error: describeError(err),
            ...(err instanceof RunnerError ? { httpStatus: err.status } : {}),
          });
          record = { entry, request, signature: sig, target, diagnosis: diagnose(err, { signatures: [sig], signature: sig.name, request: JSON.parse(request) as unknown, service: 'local', targetName: historyTarget.name }) };
        }
        deps.history.changed();
        await deps.results().show(record);
        return record;
      } catch (err) {
        if (user.signal.aborted && !(err instanceof vscode.CancellationError)) throw new vscode.CancellationError();
        throw err;
      } finally {
        sub.dispose();
      }
    },
  );
}
