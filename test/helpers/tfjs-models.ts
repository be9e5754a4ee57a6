/**
 * Small, realistic TensorFlow.js model.json documents for tests, shaped like the files that
 * tensorflowjs_converter and tfjs-layers' model.save() write, and a writer that puts one (with
 * weight shards of the right sizes) into a folder.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

/* eslint-disable @typescript-eslint/no-explicit-any */
type Json = any;

const dims = (...sizes: number[]) => ({ dim: sizes.map((s) => (s === 0 ? {} : { size: String(s) })) });
const f32 = { type: 'DT_FLOAT' };

/** A converted Keras SavedModel (graph model) with the converter's signature block: 4 → dense(8, relu) → dense(2). */
export function graphModelWithSignature(): Json {
  const prefix = 'StatefulPartitionedCall/model/';
  return {
    format: 'graph-model',
    generatedBy: '2.15.0',
    convertedBy: 'TensorFlow.js Converter v4.17.0',
    signature: {
      inputs: { features: { name: 'features:0', dtype: 'DT_FLOAT', tensorShape: dims(-1, 4) } },
      outputs: {
        logits: { name: 'Identity:0', dtype: 'DT_FLOAT', tensorShape: dims(-1, 2) },
        hidden: { name: 'Identity_1:0', dtype: 'DT_FLOAT', tensorShape: { unknownRank: true } },
      },
    },
    modelTopology: {
      node: [
        { name: `${prefix}dense/MatMul/ReadVariableOp`, op: 'Const', attr: { value: { tensor: { dtype: 'DT_FLOAT', tensorShape: dims(4, 8) } }, dtype: f32 } },
        { name: `${prefix}dense/BiasAdd/ReadVariableOp`, op: 'Const', attr: { value: { tensor: { dtype: 'DT_FLOAT', tensorShape: dims(8) } }, dtype: f32 } },
        { name: `${prefix}dense_1/MatMul/ReadVariableOp`, op: 'Const', attr: { value: { tensor: { dtype: 'DT_FLOAT', tensorShape: dims(8, 2) } }, dtype: f32 } },
        { name: `${prefix}dense_1/BiasAdd/ReadVariableOp`, op: 'Const', attr: { value: { tensor: { dtype: 'DT_FLOAT', tensorShape: dims(2) } }, dtype: f32 } },
        { name: 'features', op: 'Placeholder', attr: { dtype: f32, shape: { shape: dims(-1, 4) } } },
        {
          name: `${prefix}dense/Relu`,
          op: '_FusedMatMul',
          input: ['features', `${prefix}dense/MatMul/ReadVariableOp`, `${prefix}dense/BiasAdd/ReadVariableOp`],
          device: '/device:CPU:0',
          attr: { T: f32, fused_ops: { list: { s: ['Qmlhc0FkZA==', 'UmVsdQ=='] } }, num_args: { i: '1' } },
        },
        {
          name: `${prefix}dense_1/BiasAdd`,
          op: '_FusedMatMul',
          input: [`${prefix}dense/Relu`, `${prefix}dense_1/MatMul/ReadVariableOp`, `${prefix}dense_1/BiasAdd/ReadVariableOp`],
          device: '/device:CPU:0',
          attr: { T: f32, fused_ops: { list: { s: ['Qmlhc0FkZA=='] } }, num_args: { i: '1' } },
        },
        { name: 'Identity', op: 'Identity', input: [`${prefix}dense_1/BiasAdd`], attr: { T: f32 } },
        { name: 'Identity_1', op: 'Identity', input: [`${prefix}dense/Relu`], attr: { T: f32 } },
      ],
      library: {
        function: [
          {
            signature: { name: '__inference_while_body_81', inputArg: [{ name: 'x', type: 'DT_FLOAT' }], outputArg: [{ name: 'y', type: 'DT_FLOAT' }] },
            nodeDef: [
              { name: 'mul', op: 'Mul', input: ['x', 'x'], attr: { T: f32 } },
              { name: 'Identity', op: 'Identity', input: ['mul:z:0'], attr: { T: f32 } },
            ],
            ret: { y: 'Identity:output:0' },
          },
        ],
      },
      versions: { producer: 1645 },
    },
    weightsManifest: [
      {
        paths: ['group1-shard1of2.bin', 'group1-shard2of2.bin'],
        weights: [
          { name: `${prefix}dense/MatMul/ReadVariableOp`, shape: [4, 8], dtype: 'float32' },
          { name: `${prefix}dense/BiasAdd/ReadVariableOp`, shape: [8], dtype: 'float32' },
          { name: `${prefix}dense_1/MatMul/ReadVariableOp`, shape: [8, 2], dtype: 'float32' },
          { name: `${prefix}dense_1/BiasAdd/ReadVariableOp`, shape: [2], dtype: 'float32' },
        ],
      },
    ],
  };
}

/**
 * An old-style frozen graph (no "format", no signature): inputs are Placeholders, outputs are the
 * nodes nobody consumes. Weights are uint8-quantized.
 */
export function graphModelWithoutSignature(): Json {
  return {
    generatedBy: '1.15.0',
    convertedBy: 'TensorFlow.js Converter v1.7.0',
    modelTopology: {
      node: [
        { name: 'x', op: 'Placeholder', attr: { dtype: f32, shape: { shape: dims(-1, 3) } } },
        { name: 'seq_len', op: 'Placeholder', attr: { dtype: { type: 'DT_INT32' }, shape: { shape: { unknownRank: true } } } },
        { name: 'temperature', op: 'Placeholder', attr: { dtype: f32, shape: { shape: {} } } },
        { name: 'w', op: 'Const', attr: { value: { tensor: { dtype: 'DT_FLOAT', tensorShape: dims(3, 5) } }, dtype: f32 } },
        { name: 'ArgMax/dimension', op: 'Const', attr: { value: { tensor: { dtype: 'DT_INT32', tensorShape: {} } }, dtype: { type: 'DT_INT32' } } },
        { name: 'logits', op: 'MatMul', input: ['x', 'w'], attr: { T: f32, transpose_a: { b: false }, transpose_b: { b: false } } },
        { name: 'scaled', op: 'RealDiv', input: ['logits', 'temperature'], attr: { T: f32 } },
        {
          name: 'probs',
          op: 'Softmax',
          input: ['scaled'],
          attr: { T: f32, _output_shapes: { list: { shape: [dims(-1, 5)] } } },
        },
        {
          name: 'predicted_class',
          op: 'ArgMax',
          input: ['logits', 'ArgMax/dimension', '^seq_len'],
          attr: { T: f32, Tidx: { type: 'DT_INT32' }, output_type: { type: 'DT_INT64' } },
        },
        { name: 'init', op: 'NoOp', input: ['^w'] },
      ],
      versions: { producer: 134 },
    },
    weightsManifest: [
      {
        paths: ['group1-shard1of1.bin'],
        weights: [{ name: 'w', shape: [3, 5], dtype: 'float32', quantization: { dtype: 'uint8', min: -0.5, scale: 0.004 } }],
      },
    ],
  };
}

function inputLayer(name: string, shape: Array<number | null>, dtype: string): Json {
  return {
    class_name: 'InputLayer',
    config: { batch_input_shape: shape, dtype, sparse: false, ragged: false, name },
    name,
    inbound_nodes: [],
  };
}

function layer(className: string, name: string, config: Json, inputs: string[]): Json {
  return {
    class_name: className,
    config: { name, trainable: true, dtype: 'float32', ...config },
    name,
    inbound_nodes: [inputs.map((i) => [i, 0, 0, {}])],
  };
}

/**
 * A Keras functional model converted by tensorflowjs_converter (Keras 2 config), two inputs:
 * dense features [null, 8] float32 and token ids [null, 5] int32, two outputs.
 */
export function functionalLayersModel(): Json {
  return {
    format: 'layers-model',
    generatedBy: 'keras v2.15.0',
    convertedBy: 'TensorFlow.js Converter v4.17.0',
    modelTopology: {
      keras_version: '2.15.0',
      backend: 'tensorflow',
      model_config: {
        class_name: 'Functional',
        config: {
          name: 'ranker',
          trainable: true,
          layers: [
            inputLayer('dense_features', [null, 8], 'float32'),
            inputLayer('token_ids', [null, 5], 'int32'),
            layer('Dense', 'dense', { units: 16, activation: 'relu', use_bias: true }, ['dense_features']),
            layer('Embedding', 'embedding', { input_dim: 1000, output_dim: 4, mask_zero: false }, ['token_ids']),
            layer('Flatten', 'flatten', { data_format: 'channels_last' }, ['embedding']),
            layer('Concatenate', 'concatenate', { axis: -1 }, ['dense', 'flatten']),
            layer('Dropout', 'dropout', { rate: 0.2 }, ['concatenate']),
            layer('Dense', 'score', { units: 1, activation: 'sigmoid' }, ['dropout']),
            layer('Dense', 'topic', { units: 4, activation: 'softmax' }, ['dropout']),
          ],
          input_layers: [
            ['dense_features', 0, 0],
            ['token_ids', 0, 0],
          ],
          output_layers: [
            ['score', 0, 0],
            ['topic', 0, 0],
          ],
        },
      },
      training_config: { loss: 'binary_crossentropy', metrics: null, optimizer_config: { class_name: 'Adam', config: { learning_rate: 0.001 } } },
    },
    weightsManifest: [
      {
        paths: ['group1-shard1of1.bin'],
        weights: [
          { name: 'dense/kernel', shape: [8, 16], dtype: 'float32' },
          { name: 'dense/bias', shape: [16], dtype: 'float32' },
          { name: 'embedding/embeddings', shape: [1000, 4], dtype: 'float32' },
          { name: 'score/kernel', shape: [36, 1], dtype: 'float32' },
          { name: 'score/bias', shape: [1], dtype: 'float32' },
          { name: 'topic/kernel', shape: [36, 4], dtype: 'float32' },
          { name: 'topic/bias', shape: [4], dtype: 'float32' },
        ],
      },
    ],
  };
}

/** The same kind of model as Keras 3 writes its config: batch_shape, DTypePolicy, keras_history args, flat input_layers. */
export function functionalKeras3Model(): Json {
  const tensor = (name: string, shape: Array<number | null>) => ({
    class_name: '__keras_tensor__',
    config: { shape, dtype: 'float32', keras_history: [name, 0, 0] },
  });
  const policy = { module: 'keras', class_name: 'DTypePolicy', config: { name: 'float32' }, registered_name: null };
  return {
    format: 'layers-model',
    generatedBy: 'keras v3.3.3',
    convertedBy: 'TensorFlow.js Converter v4.20.0',
    modelTopology: {
      keras_version: '3.3.3',
      backend: 'tensorflow',
      model_config: {
        class_name: 'Functional',
        config: {
          name: 'functional',
          layers: [
            { class_name: 'InputLayer', config: { batch_shape: [null, 28, 28, 1], dtype: 'float32', sparse: false, name: 'pixels' }, name: 'pixels', inbound_nodes: [] },
            {
              class_name: 'Conv2D',
              config: { name: 'conv', dtype: policy, filters: 8, kernel_size: [3, 3], strides: [1, 1], padding: 'valid', data_format: 'channels_last', dilation_rate: [1, 1] },
              name: 'conv',
              inbound_nodes: [{ args: [tensor('pixels', [null, 28, 28, 1])], kwargs: {} }],
            },
            {
              class_name: 'MaxPooling2D',
              config: { name: 'pool', dtype: policy, pool_size: [2, 2], padding: 'valid', strides: [2, 2], data_format: 'channels_last' },
              name: 'pool',
              inbound_nodes: [{ args: [tensor('conv', [null, 26, 26, 8])], kwargs: {} }],
            },
            {
              class_name: 'GlobalAveragePooling2D',
              config: { name: 'gap', dtype: policy, data_format: 'channels_last', keepdims: false },
              name: 'gap',
              inbound_nodes: [{ args: [tensor('pool', [null, 13, 13, 8])], kwargs: {} }],
            },
            {
              class_name: 'Dense',
              config: { name: 'digits', dtype: policy, units: 10, activation: 'softmax' },
              name: 'digits',
              inbound_nodes: [{ args: [tensor('gap', [null, 8])], kwargs: {} }],
            },
          ],
          input_layers: ['pixels', 0, 0],
          output_layers: ['digits', 0, 0],
        },
      },
    },
    weightsManifest: [
      {
        paths: ['group1-shard1of1.bin'],
        weights: [
          { name: 'conv/kernel', shape: [3, 3, 1, 8], dtype: 'float32' },
          { name: 'conv/bias', shape: [8], dtype: 'float32' },
          { name: 'digits/kernel', shape: [8, 10], dtype: 'float32' },
          { name: 'digits/bias', shape: [10], dtype: 'float32' },
        ],
      },
    ],
  };
}

/** A Sequential model as tfjs-layers' model.save() writes it (the Keras config directly under modelTopology). */
export function sequentialLayersModel(): Json {
  return {
    modelTopology: {
      class_name: 'Sequential',
      config: {
        name: 'sequential_1',
        layers: [
          {
            class_name: 'Dense',
            config: { units: 10, activation: 'relu', use_bias: true, name: 'dense_Dense1', trainable: true, batch_input_shape: [null, 784], dtype: 'float32' },
          },
          { class_name: 'Dropout', config: { rate: 0.25, name: 'dropout_Dropout1', trainable: true } },
          { class_name: 'Dense', config: { units: 3, activation: 'softmax', use_bias: true, name: 'dense_Dense2', trainable: true } },
        ],
      },
      keras_version: 'tfjs-layers 4.22.0',
      backend: 'tensor_flow.js',
    },
    format: 'layers-model',
    generatedBy: 'TensorFlow.js tfjs-layers v4.22.0',
    convertedBy: null,
    weightsManifest: [
      {
        paths: ['./model.weights.bin'],
        weights: [
          { name: 'dense_Dense1/kernel', shape: [784, 10], dtype: 'float32' },
          { name: 'dense_Dense1/bias', shape: [10], dtype: 'float32' },
          { name: 'dense_Dense2/kernel', shape: [10, 3], dtype: 'float32' },
          { name: 'dense_Dense2/bias', shape: [3], dtype: 'float32' },
        ],
      },
    ],
  };
}

/** Writes `json` as `<dir>/model.json` (pretty-printed, as the converter does) and weight shards of the given sizes. */
export async function writeTfjsModel(dir: string, json: Json, shards: Record<string, number> = {}): Promise<string> {
  await mkdir(dir, { recursive: true });
  const file = join(dir, 'model.json');
  await writeFile(file, JSON.stringify(json, null, 2));
  for (const [name, size] of Object.entries(shards)) await writeFile(join(dir, name), new Uint8Array(size));
  return file;
}
