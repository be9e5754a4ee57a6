import type { MetaGraphSummary, ModelSummary, Signature, TensorSpec } from '../../src/core/model/types';

/** Builders for model facts, so tests state only what they are about. */
export function tensor(alias: string, dtype = 'DT_FLOAT', shape: number[] | null = [-1, 1], tensorName?: string): TensorSpec {
  return { alias, dtype, shape, tensor: tensorName ?? `${alias}:0` };
}

export function signature(name: string, over: Partial<Signature> = {}): Signature {
  return {
    name,
    method: 'tensorflow/serving/predict',
    inputs: [tensor('x')],
    outputs: [tensor('y')],
    ...over,
  };
}

export function metaGraph(signatures: Signature[], over: Partial<MetaGraphSummary> = {}): MetaGraphSummary {
  return { tags: ['serve'], signatures, hasObjectGraph: false, assets: [], ...over };
}

export function model(metaGraphs: MetaGraphSummary[], over: Partial<ModelSummary> = {}): ModelSummary {
  return {
    format: 'savedmodel',
    dir: '/models/my_model/1',
    file: '/models/my_model/1/saved_model.pb',
    version: '1',
    metaGraphs,
    ...over,
  };
}
