import type { ParseArgsConfig } from 'node:util';
import type { CliIo } from './io';
import { runInspect, runLint } from './inspect';
import { runValidate, VALIDATE_HELP } from './validate';
import { BATCH_HELP, BATCH_OPTIONS, EXPLAIN_HELP, EXPLAIN_OPTIONS, PREDICT_HELP, PREDICT_OPTIONS, runBatchCommand, runExplain, runPredict, runServe, SERVE_HELP, SERVE_OPTIONS } from './runner';
import { CLOUD_HELP, CLOUD_OPTIONS, runEndpointsList, runJobsList, runModelsList, runVersionsList } from './cloud';
import { CLOUD_PREDICT_HELP, CLOUD_PREDICT_OPTIONS, runCloudExplain, runCloudPredict } from './cloudPredict';
import { UsageError } from '../core/errors';

/** The cloud target a predict/explain names (--endpoint, --version, --tf-serving), if any. */
function cloudTargetFlags(values: CliValues): string[] {
  return (['endpoint', 'version', 'tf-serving'] as const).filter((k) => values[k] !== undefined).map((k) => `--${k}`);
}

/** Local (--model) or cloud (--endpoint | --version | --tf-serving): exactly one target. */
function localOrCloud(
  local: NonNullable<CliCommand['run']>,
  cloud: NonNullable<CliCommand['run']>,
): NonNullable<CliCommand['run']> {
  return (values, positionals, io) => {
    const flags = cloudTargetFlags(values);
    if (flags.length > 1 || (flags.length === 1 && values.model !== undefined)) {
      const all = values.model !== undefined ? ['--model', ...flags] : flags;
      throw new UsageError(`give one target, not ${all.join(' and ')}: --model runs locally, --endpoint, --version or --tf-serving sends to the cloud`);
    }
    return flags.length === 1 ? cloud(values, positionals, io) : local(values, positionals, io);
  };
}

export type CliValues = Record<string, string | boolean | undefined>;

export interface CliCommand {
  /** "inspect", or two words: "endpoints list". */
  name: string;
  synopsis: string;
  summary: string;
  help?: string;
  options?: ParseArgsConfig['options'];
  available: boolean;
  /** Why it is not available yet (shown in --help and when called). */
  unavailable?: string;
  run?: (values: CliValues, positionals: string[], io: CliIo) => Promise<number>;
}

/** The sub-command structure of DESIGN.md. Commands are filled in as their features land. */
export function commandTable(): CliCommand[] {
  return [
    {
      name: 'inspect',
      synopsis: 'inspect <model> [--version N] [--json]',
      summary: 'tag-sets and SignatureDefs of a model',
      help: [
        'Shows every tag-set and SignatureDef (alias, dtype, shape, tensor name, method name), the TensorFlow',
        'version, assets, fingerprint and variables of a model. <model> is a SavedModel directory, a TF Serving',
        'base directory with numeric version folders (the highest is used unless --version is given), a',
        'saved_model.pb or saved_model.pbtxt file, or a TensorFlow.js model.json.',
        '',
        '  --version N   use this version folder of a TF Serving base directory',
        '  --json        {"format","metaGraphs":[{"tags","signatures":[{"name","method","inputs","outputs"}]}]}',
      ].join('\n'),
      options: { version: { type: 'string' } },
      available: true,
      run: runInspect,
    },
    {
      name: 'lint',
      synopsis: 'lint <model> [--name NAME] [--version-name V] [--json]',
      summary: 'deployment-readiness findings',
      help: [
        'Reports what would make Vertex AI, AI Platform Prediction or TF Serving refuse the model or its requests.',
        'Exit code 1 when there is an error-level finding.',
        '',
        '  --version N        use this version folder of a TF Serving base directory',
        '  --name NAME        the model name a deploy will use (default: the model folder name)',
        '  --version-name V   the version name a deploy will use',
        '  --json             [{"code","severity","message","fix","signature",...}]',
      ].join('\n'),
      options: { version: { type: 'string' }, name: { type: 'string' }, 'version-name': { type: 'string' } },
      available: true,
      run: runLint,
    },
    {
      name: 'validate',
      synopsis: 'validate <request> [--model <model>] [--signature NAME] [--target T] [--json]',
      summary: 'check a request body against the signature',
      help: VALIDATE_HELP,
      options: { model: { type: 'string' }, signature: { type: 'string' }, target: { type: 'string' } },
      available: true,
      run: runValidate,
    },
    {
      name: 'predict',
      synopsis: 'predict <request> (--model M | --endpoint E | --version V | --tf-serving URL) [--signature NAME] [--format vertex|tfserving] [--json]',
      summary: 'run a prediction locally or in the cloud',
      help: `${PREDICT_HELP}\n\nIn the cloud (the request is not validated first; a failure is explained against the signature):\n${CLOUD_PREDICT_HELP.predict}`,
      options: { ...PREDICT_OPTIONS, ...CLOUD_PREDICT_OPTIONS },
      available: true,
      run: localOrCloud(runPredict, runCloudPredict),
    },
    {
      name: 'explain',
      synopsis: 'explain <request> (--model M [--method sampled-shapley|integrated-gradients] | --endpoint E [--deployed-model ID] | --version V) [--json]',
      summary: 'feature attributions, locally or in the cloud',
      help: `${EXPLAIN_HELP}\n\nIn the cloud:\n${CLOUD_PREDICT_HELP.explain}`,
      options: { ...EXPLAIN_OPTIONS, ...CLOUD_PREDICT_OPTIONS },
      available: true,
      run: localOrCloud(runExplain, runCloudExplain),
    },
    { name: 'batch', synopsis: 'batch <instances.jsonl> --model <model> --out <predictions.jsonl>', summary: 'batch prediction over JSON Lines, locally', help: BATCH_HELP, options: BATCH_OPTIONS, available: true, run: runBatchCommand },
    { name: 'serve', synopsis: 'serve --model <model> [--name NAME] [--port N]', summary: 'TF Serving REST + Vertex-style :predict on 127.0.0.1', help: SERVE_HELP, options: SERVE_OPTIONS, available: true, run: (v, p, io) => runServe(v, p, io) },
    { name: 'endpoints list', synopsis: 'endpoints list --project P --region R[,R2|all] [--api-endpoint URL]', summary: 'Vertex AI endpoints and deployed models', help: CLOUD_HELP.endpoints, options: CLOUD_OPTIONS.endpoints, available: true, run: runEndpointsList },
    { name: 'models list', synopsis: 'models list --project P --region R[,R2|all] | --legacy [--api-endpoint URL]', summary: 'Vertex AI (or AI Platform) models', help: CLOUD_HELP.models, options: CLOUD_OPTIONS.models, available: true, run: runModelsList },
    { name: 'versions list', synopsis: 'versions list --project P --model M (--region R | --legacy) [--api-endpoint URL]', summary: 'model versions (Vertex AI or AI Platform)', help: CLOUD_HELP.versions, options: CLOUD_OPTIONS.versions, available: true, run: runVersionsList },
    { name: 'jobs list', synopsis: 'jobs list --project P --region R[,R2|all] [--api-endpoint URL]', summary: 'Vertex AI batch prediction jobs', help: CLOUD_HELP.jobs, options: CLOUD_OPTIONS.jobs, available: true, run: runJobsList },
  ];
}
