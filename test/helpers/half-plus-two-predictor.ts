/**
 * A predictor for the emulator's prediction routes in tests: it computes TF Serving's half_plus_two
 * family itself (y = 0.5x + 2, y2 = 0.5x + 3, y3 = 0.5x2 + 3; half_plus_three: y = 0.5x + 3), in
 * TF Serving's answer shapes, and refuses what TF Serving refuses with its texts. It stands in for
 * the local runner so the routes, shapes and faults can be asserted without TensorFlow.
 */
import { PredictorInputError, type Predictor, type PredictorOptions } from '../emulator/types';

type Json = Record<string, unknown>;

/** Every call the predictor received (model folder, body, options). */
export interface PredictorCall {
  op: 'predict' | 'explain';
  modelDir: string;
  body: Json;
  opts: PredictorOptions;
}

const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);

function typeName(v: unknown): string {
  if (typeof v === 'string') return 'String';
  if (typeof v === 'boolean') return 'Bool';
  if (v === null) return 'Null';
  if (Array.isArray(v)) return 'Array';
  return 'Object';
}

/** f applied to every number of a nested list; anything else is TF Serving's type refusal. */
function mapNumbers(v: unknown, f: (x: number) => number, where: string): unknown {
  if (typeof v === 'number') return f(v);
  if (Array.isArray(v)) return v.map((x) => mapNumbers(x, f, where));
  throw new PredictorInputError(`Failed to process element: ${where}. JSON Value: ${JSON.stringify(v)} Type: ${typeName(v)} is not of expected type: float`);
}

interface Math1 {
  input: string;
  output: string;
  f: (x: number) => number;
}

/** The signature's input alias, output alias and function, for the model in `modelDir`. */
function mathOf(modelDir: string, signature: string): Math1 {
  const b = /half_plus_three/.test(modelDir) ? 3 : 2;
  switch (signature) {
    case 'serving_default':
      return { input: 'x', output: 'y', f: (x) => 0.5 * x + b };
    case 'regress_x_to_y':
    case 'classify_x_to_y':
      return { input: 'x', output: signature.startsWith('classify') ? 'scores' : 'outputs', f: (x) => 0.5 * x + b };
    case 'regress_x_to_y2':
      return { input: 'x', output: 'outputs', f: (x) => 0.5 * x + 3 };
    case 'regress_x2_to_y3':
    case 'classify_x2_to_y3':
      return { input: 'inputs', output: signature.startsWith('classify') ? 'scores' : 'outputs', f: (x) => 0.5 * x + 3 };
    default:
      throw new Error(`the test predictor does not compute signature ${signature}`);
  }
}

function rowValue(instance: unknown, i: number, m: Math1): unknown {
  if (!isObject(instance)) return mapNumbers(instance, m.f, `${i} of 'instances' list`);
  for (const key of Object.keys(instance)) {
    if (key !== m.input) throw new PredictorInputError(`Failed to process element: ${i} key: ${key} of 'instances' list. Error: INVALID_ARGUMENT: JSON object: does not have named input: ${key}`);
  }
  if (!(m.input in instance)) throw new PredictorInputError(`Failed to process element: ${i} of 'instances' list. Error: INVALID_ARGUMENT: Missing named input: ${m.input} in 'instances' object.`);
  return mapNumbers(instance[m.input], m.f, `${i} key: ${m.input} of 'instances' list`);
}

function exampleValue(example: unknown, i: number, signature: string): number {
  const feature = signature.includes('x2') ? 'x2' : 'x';
  const v = isObject(example) ? example[feature] : undefined;
  const x = Array.isArray(v) ? v[0] : v;
  if (typeof x !== 'number') throw new PredictorInputError(`Failed to process element: ${i} of 'examples' list. Error: INVALID_ARGUMENT: Feature: ${feature} (data type: float) is required but could not be found.`);
  return x;
}

export function halfPlusTwoPredictor(calls: PredictorCall[] = []): Predictor {
  const predict = (modelDir: string, body: Json, opts: PredictorOptions): Json => {
    const m = mathOf(modelDir, opts.signature);
    if (opts.format === 'examples') {
      const examples = body.examples as unknown[];
      const values = examples.map((e, i) => m.f(exampleValue(e, i, opts.signature)));
      return { results: opts.method === 'classify' ? values.map((v) => [['', v]]) : values };
    }
    if (opts.format === 'columnar') {
      const inputs = body.inputs;
      if (isObject(inputs)) {
        for (const key of Object.keys(inputs)) if (key !== m.input) throw new PredictorInputError(`input tensor alias not found in signature: ${key}. Inputs expected to be in the set {${m.input}}.`);
        return { outputs: mapNumbers(inputs[m.input], m.f, `key: ${m.input} of 'inputs'`) };
      }
      return { outputs: mapNumbers(inputs, m.f, "'inputs'") };
    }
    return { predictions: (body.instances as unknown[]).map((inst, i) => rowValue(inst, i, m)) };
  };
  return {
    async predict(modelDir, body, opts) {
      calls.push({ op: 'predict', modelDir, body, opts });
      return predict(modelDir, body, opts);
    },
    async explain(modelDir, body, opts) {
      calls.push({ op: 'explain', modelDir, body, opts });
      const m = mathOf(modelDir, opts.signature);
      const predictions = predict(modelDir, body, { ...opts, format: 'row' }).predictions as unknown[];
      const baseline = m.f(0);
      const explanations = (body.instances as unknown[]).map((inst, i) => {
        const x = isObject(inst) ? inst[m.input] : inst;
        const first = (v: unknown): number => (Array.isArray(v) ? first(v[0]) : (v as number));
        const value = first(x);
        return {
          attributions: [{
            baselineOutputValue: baseline,
            instanceOutputValue: first(predictions[i]),
            featureAttributions: { [m.input]: m.f(value) - baseline },
            outputIndex: [0],
            outputName: m.output,
            approximationError: 0,
          }],
        };
      });
      return { explanations, predictions };
    },
  };
}
