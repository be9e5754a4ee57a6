import { strict as assert } from 'node:assert';
import { after, before, describe, it } from 'node:test';
import { mkdir, mkdtemp, rm, truncate, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ModelFormatError, ModelNotFoundError } from '../../src/core/errors';
import { findJsonSyntaxError, lineColumn, MAX_MODEL_JSON_BYTES, parseJson, readTfjsModel } from '../../src/core/model/tfjs';
import type { ModelSummary } from '../../src/core/model/types';
import {
  functionalKeras3Model,
  functionalLayersModel,
  graphModelWithoutSignature,
  graphModelWithSignature,
  sequentialLayersModel,
  writeTfjsModel,
} from '../helpers/tfjs-models';

let tmp: string;
before(async () => {
  tmp = await mkdtemp(join(tmpdir(), 'servelens-tfjs-'));
});
after(async () => {
  await rm(tmp, { recursive: true, force: true });
});

let n = 0;
const modelDir = () => join(tmp, `m${n++}`);

function only(summary: ModelSummary) {
  assert.equal(summary.metaGraphs.length, 1);
  const mg = summary.metaGraphs[0];
  assert.deepEqual(mg.tags, ['serve']);
  assert.equal(mg.hasObjectGraph, false);
  assert.deepEqual(mg.assets, []);
  assert.equal(mg.signatures.length, 1);
  const sig = mg.signatures[0];
  assert.equal(sig.name, 'serving_default');
  assert.equal(sig.method, 'tensorflow/serving/predict');
  return { mg, sig };
}

describe('tfjs graph models', () => {
  it('uses the converter signature block: aliases, tensor names, dtypes, shapes, ops, weights', async () => {
    const dir = modelDir();
    const file = await writeTfjsModel(dir, graphModelWithSignature(), { 'group1-shard1of2.bin': 200, 'group1-shard2of2.bin': 32 });
    const summary = await readTfjsModel(file);
    assert.equal(summary.format, 'tfjs-graph');
    assert.equal(summary.file, file);
    assert.equal(summary.dir, dir);
    assert.equal(summary.generatedBy, '2.15.0');
    assert.equal(summary.convertedBy, 'TensorFlow.js Converter v4.17.0');
    assert.deepEqual(summary.weights, { files: 2, bytes: 232, count: 4 });
    const { mg, sig } = only(summary);
    assert.deepEqual(sig.inputs, [{ alias: 'features', dtype: 'DT_FLOAT', shape: [-1, 4], tensor: 'features:0' }]);
    assert.deepEqual(sig.outputs, [
      { alias: 'logits', dtype: 'DT_FLOAT', shape: [-1, 2], tensor: 'Identity:0' },
      { alias: 'hidden', dtype: 'DT_FLOAT', shape: null, tensor: 'Identity_1:0' },
    ]);
    assert.deepEqual(mg.ops, [
      {
        op: 'Const',
        count: 4,
        nodes: [
          'StatefulPartitionedCall/model/dense/MatMul/ReadVariableOp',
          'StatefulPartitionedCall/model/dense/BiasAdd/ReadVariableOp',
          'StatefulPartitionedCall/model/dense_1/MatMul/ReadVariableOp',
        ],
      },
      { op: 'Identity', count: 3, nodes: ['Identity', 'Identity_1', '__inference_while_body_81/Identity'] },
      { op: 'Mul', count: 1, nodes: ['__inference_while_body_81/mul'] },
      { op: 'Placeholder', count: 1, nodes: ['features'] },
      { op: '_FusedMatMul', count: 2, nodes: ['StatefulPartitionedCall/model/dense/Relu', 'StatefulPartitionedCall/model/dense_1/BiasAdd'] },
    ]);
    // A folder holding model.json reads the same.
    assert.deepEqual(await readTfjsModel(dir), summary);
  });

  it('without a signature: Placeholders are inputs, unconsumed nodes are outputs; quantized weights computed', async () => {
    const file = await writeTfjsModel(modelDir(), graphModelWithoutSignature());
    const summary = await readTfjsModel(file);
    assert.equal(summary.format, 'tfjs-graph'); // no "format" field: told apart by modelTopology.node
    assert.equal(summary.generatedBy, '1.15.0');
    assert.equal(summary.convertedBy, 'TensorFlow.js Converter v1.7.0');
    // The shard is not on disk: 15 uint8-quantized elements.
    assert.deepEqual(summary.weights, { files: 1, bytes: 15, count: 1 });
    const { mg, sig } = only(summary);
    assert.deepEqual(sig.inputs, [
      { alias: 'x', dtype: 'DT_FLOAT', shape: [-1, 3], tensor: 'x:0' },
      { alias: 'seq_len', dtype: 'DT_INT32', shape: null, tensor: 'seq_len:0' },
      { alias: 'temperature', dtype: 'DT_FLOAT', shape: [], tensor: 'temperature:0' },
    ]);
    assert.deepEqual(sig.outputs, [
      { alias: 'probs', dtype: 'DT_FLOAT', shape: [-1, 5], tensor: 'probs:0' },
      { alias: 'predicted_class', dtype: 'DT_INT64', shape: null, tensor: 'predicted_class:0' },
    ]);
    assert.deepEqual(
      mg.ops?.map((o) => [o.op, o.count]),
      [
        ['ArgMax', 1],
        ['Const', 2],
        ['MatMul', 1],
        ['NoOp', 1],
        ['Placeholder', 3],
        ['RealDiv', 1],
        ['Softmax', 1],
      ],
    );
  });

  it('counts the ops of a model initializer graph', async () => {
    const json = graphModelWithSignature();
    json.modelInitializer = {
      node: [
        { name: 'hash_table', op: 'HashTableV2', attr: { key_dtype: { type: 'DT_STRING' }, value_dtype: { type: 'DT_INT64' } } },
        { name: 'table_init', op: 'LookupTableImportV2', input: ['hash_table', 'keys', 'values'] },
      ],
    };
    const summary = await readTfjsModel(await writeTfjsModel(modelDir(), json, { 'group1-shard1of2.bin': 200 }));
    const ops = summary.metaGraphs[0].ops ?? [];
    assert.deepEqual(ops.find((o) => o.op === 'HashTableV2'), { op: 'HashTableV2', count: 1, nodes: ['hash_table'] });
    assert.deepEqual(ops.find((o) => o.op === 'LookupTableImportV2')?.count, 1);
    // One shard of two on disk (200 bytes): bytes are computed from the specs instead (58 float32 elements).
    assert.deepEqual(summary.weights, { files: 2, bytes: 232, count: 4 });
  });

  it('weights on disk win over the specs when every shard is present', async () => {
    const file = await writeTfjsModel(modelDir(), graphModelWithoutSignature(), { 'group1-shard1of1.bin': 16 });
    assert.deepEqual((await readTfjsModel(file)).weights, { files: 1, bytes: 16, count: 1 });
  });
});

describe('tfjs layers models', () => {
  it('a Keras functional model with two inputs: aliases, dtypes, computed output shapes', async () => {
    const file = await writeTfjsModel(modelDir(), functionalLayersModel(), { 'group1-shard1of1.bin': 17316 });
    const summary = await readTfjsModel(file);
    assert.equal(summary.format, 'tfjs-layers');
    assert.equal(summary.generatedBy, 'keras v2.15.0');
    assert.equal(summary.convertedBy, 'TensorFlow.js Converter v4.17.0');
    assert.deepEqual(summary.weights, { files: 1, bytes: 17316, count: 7 });
    const { mg, sig } = only(summary);
    assert.equal(mg.ops, undefined);
    assert.deepEqual(sig.inputs, [
      { alias: 'dense_features', dtype: 'DT_FLOAT', shape: [-1, 8], tensor: 'dense_features:0' },
      { alias: 'token_ids', dtype: 'DT_INT32', shape: [-1, 5], tensor: 'token_ids:0' },
    ]);
    // dense(16) ++ flatten(embedding 5×4 = 20) = 36, then two heads.
    assert.deepEqual(sig.outputs, [
      { alias: 'score', dtype: 'DT_FLOAT', shape: [-1, 1], tensor: 'score:0' },
      { alias: 'topic', dtype: 'DT_FLOAT', shape: [-1, 4], tensor: 'topic:0' },
    ]);
  });

  it('a Keras 3 functional config (batch_shape, DTypePolicy, keras_history, flat input_layers)', async () => {
    const summary = await readTfjsModel(await writeTfjsModel(modelDir(), functionalKeras3Model()));
    const { sig } = only(summary);
    assert.deepEqual(sig.inputs, [{ alias: 'pixels', dtype: 'DT_FLOAT', shape: [-1, 28, 28, 1], tensor: 'pixels:0' }]);
    assert.deepEqual(sig.outputs, [{ alias: 'digits', dtype: 'DT_FLOAT', shape: [-1, 10], tensor: 'digits:0' }]);
    assert.deepEqual(summary.weights, { files: 1, bytes: 4 * (72 + 8 + 80 + 10), count: 4 });
  });

  it('a Sequential model saved by tfjs-layers: the first layer gives the input, shapes propagate', async () => {
    const file = await writeTfjsModel(modelDir(), sequentialLayersModel(), { 'model.weights.bin': 31532 });
    const summary = await readTfjsModel(file);
    assert.equal(summary.format, 'tfjs-layers');
    assert.equal(summary.generatedBy, 'TensorFlow.js tfjs-layers v4.22.0');
    assert.equal(summary.convertedBy, undefined);
    assert.deepEqual(summary.weights, { files: 1, bytes: 31532, count: 4 });
    const { sig } = only(summary);
    assert.deepEqual(sig.inputs, [{ alias: 'dense_Dense1_input', dtype: 'DT_FLOAT', shape: [-1, 784], tensor: 'dense_Dense1_input:0' }]);
    assert.deepEqual(sig.outputs, [{ alias: 'dense_Dense2', dtype: 'DT_FLOAT', shape: [-1, 3], tensor: 'dense_Dense2:0' }]);
  });

  it('an output shape that cannot be computed is unknown rank, not a guess', async () => {
    const json = sequentialLayersModel();
    json.modelTopology.config.layers.splice(1, 0, { class_name: 'LSTM', config: { units: 32, name: 'lstm_LSTM1', return_sequences: false } });
    const { sig } = only(await readTfjsModel(await writeTfjsModel(modelDir(), json)));
    assert.deepEqual(sig.inputs[0].shape, [-1, 784]);
    assert.equal(sig.outputs[0].shape, null);
  });

  it('a Sequential model that starts with an InputLayer uses its name and dtype', async () => {
    const json = sequentialLayersModel();
    json.modelTopology.config.layers.unshift({ class_name: 'InputLayer', config: { batch_input_shape: [null, 784], dtype: 'int32', name: 'pixels' } });
    const { sig } = only(await readTfjsModel(await writeTfjsModel(modelDir(), json)));
    assert.deepEqual(sig.inputs, [{ alias: 'pixels', dtype: 'DT_INT32', shape: [-1, 784], tensor: 'pixels:0' }]);
    assert.deepEqual(sig.outputs[0].shape, [-1, 3]);
  });
});

// ---------------------------------------------------------------------------------------------
// Errors
// ---------------------------------------------------------------------------------------------

async function expectFormatError(text: string, line: number, column: number, expected: RegExp): Promise<ModelFormatError> {
  const dir = modelDir();
  await mkdir(dir, { recursive: true });
  const file = join(dir, 'model.json');
  await writeFile(file, text);
  let caught: unknown;
  await assert.rejects(readTfjsModel(file), (err) => {
    caught = err;
    return true;
  });
  assert.ok(caught instanceof ModelFormatError, `expected ModelFormatError, got ${String(caught)}`);
  assert.equal(caught.file, file);
  assert.deepEqual([caught.line, caught.column], [line, column], caught.message);
  assert.match(caught.expected, expected);
  assert.ok(caught.message.includes(`${file}:${line}:${column}`));
  return caught;
}

describe('tfjs model.json errors', () => {
  const syntax: Array<[string, string, number, number, RegExp]> = [
    ['an empty array slot', '{\n  "format": "graph-model",\n  "modelTopology": {"node": [}\n}', 3, 30, /a value or '\]'/],
    ['a trailing comma', '{\n  "format": "layers-model",\n}', 3, 1, /double-quoted property name/],
    ['a missing colon', '{"format" "graph-model"}', 1, 11, /':' after the property name/],
    ['a missing comma', '{\r\n  "a": 1\r\n  "b": 2\r\n}', 3, 3, /',' or '}' after the property value/],
    ['a truncated file', '{"format": "graph-model", "modelTopology": {', 1, 45, /double-quoted property name or '}'/],
    ['an unterminated string', '{"format": "graph-model', 1, 24, /closing '"'/],
    ['a bad literal', '{"modelTopology": tru}', 1, 19, /a value/],
    ['a bad escape', '{"a": "\\x"}', 1, 9, /escape character/],
    ['a raw newline in a string', '{"a": "line\nbreak"}', 1, 12, /escaped control character/],
    ['text after the value', '{"a": 1} {"b": 2}', 1, 10, /end of the file/],
    ['a leading zero', '{"a": 01}', 1, 8, /',' or '}'/],
    ['single quotes', "{'format': 'graph-model'}", 1, 2, /double-quoted property name or '}'/],
    ['an empty file', '', 1, 1, /a value/],
  ];
  for (const [what, text, line, column, expected] of syntax) {
    it(`malformed JSON: ${what} at ${line}:${column}`, async () => {
      const err = await expectFormatError(text, line, column, expected);
      assert.equal(typeof err.offset, 'number');
    });
  }

  it('columns count characters and offsets count bytes', async () => {
    const err = await expectFormatError('{"név": "é", }', 1, 14, /double-quoted property name/);
    assert.equal(err.offset, 15);
  });

  it('a file with a byte order mark reads', async () => {
    const dir = modelDir();
    await mkdir(dir, { recursive: true });
    await writeFile(join(dir, 'model.json'), '\ufeff' + JSON.stringify(sequentialLayersModel()));
    assert.equal((await readTfjsModel(dir)).format, 'tfjs-layers');
  });

  it('a wrong "format" points at its line', async () => {
    const json = { format: 'saved-model', modelTopology: { node: [] } };
    await expectFormatError(JSON.stringify(json, null, 2), 2, 3, /"format": "graph-model" or "layers-model"/);
  });

  it('structural errors name what was expected and where', async () => {
    // No "modelTopology" key to point at: the error points at the top-level object.
    await expectFormatError('\n  {\n  "format": "graph-model"\n}', 2, 3, /object under "modelTopology"/);
    await expectFormatError('[1, 2]', 1, 1, /a JSON object with "modelTopology"/);
    await expectFormatError('{"modelTopology": {"nodes": []}}', 1, 2, /a graph \("node"\) or a Keras model/);
    const badOutput = functionalLayersModel();
    badOutput.modelTopology.model_config.config.output_layers = [['no_such_layer', 0, 0]];
    const text = JSON.stringify(badOutput, null, 2);
    const line = text.slice(0, text.indexOf('"output_layers"')).split('\n').length;
    await expectFormatError(text, line, 9, /an output layer named "no_such_layer"/);
    const badNode = graphModelWithSignature();
    badNode.modelTopology.node.push({ op: 'Identity' });
    const t2 = JSON.stringify(badNode, null, 2);
    await expectFormatError(t2, t2.slice(0, t2.indexOf('"node"')).split('\n').length, 5, /nodes with a string "name" and "op"/);
    const badDim = graphModelWithSignature();
    badDim.signature.inputs.features.tensorShape.dim[1].size = 'four';
    await assert.rejects(readTfjsModel(await writeTfjsModel(modelDir(), badDim)), (err) => err instanceof ModelFormatError && /dimension size/.test(err.expected));
  });

  it('deeply nested values where a name or dtype belongs give a typed error or an unknown dtype', async () => {
    const deep = (d: number) => '{"config": {"name": '.repeat(d) + '"float32"' + '}}'.repeat(d);
    await expectFormatError(`{"format": ${deep(100000)}, "modelTopology": {}}`, 1, 2, /"format": "graph-model" or "layers-model"/);
    const json = sequentialLayersModel();
    json.modelTopology.config.layers[0].config.dtype = '@DTYPE@';
    const file = await writeTfjsModel(modelDir(), json);
    await writeFile(file, JSON.stringify(json).replace('"@DTYPE@"', deep(100000)));
    assert.equal(only(await readTfjsModel(file)).sig.inputs[0].dtype, 'DT_INVALID');
  });

  it('a missing file or folder is ModelNotFoundError', async () => {
    await assert.rejects(readTfjsModel(join(tmp, 'nope', 'model.json')), ModelNotFoundError);
    const empty = modelDir();
    await mkdir(empty, { recursive: true });
    await assert.rejects(readTfjsModel(empty), ModelNotFoundError);
  });

  it('refuses a model.json larger than 512 MB without reading it', async () => {
    const dir = modelDir();
    await mkdir(dir, { recursive: true });
    const file = join(dir, 'model.json');
    await writeFile(file, '{');
    await truncate(file, MAX_MODEL_JSON_BYTES + 1); // sparse: no disk space used
    await assert.rejects(readTfjsModel(file), (err) => {
      assert.ok(err instanceof ModelFormatError);
      assert.match(err.expected, /at most 512 MB/);
      assert.match(err.message, /536870913 bytes/);
      return true;
    });
  });
});

describe('JSON syntax scanner', () => {
  const texts = [graphModelWithSignature(), graphModelWithoutSignature(), functionalLayersModel(), functionalKeras3Model(), sequentialLayersModel()].map(
    (j) => JSON.stringify(j, null, 1),
  );

  it('accepts what JSON.parse accepts', () => {
    for (const t of [...texts, '0', '-1.5e+3', '"\\u00e9\\n"', '[]', '{}', ' [ [ ] , { } ] ', 'null', 'true']) {
      assert.equal(findJsonSyntaxError(t), undefined, t.slice(0, 40));
    }
  });

  it('finds an error in every truncation and every mutation that JSON.parse refuses', () => {
    const text = texts[3];
    let refused = 0;
    const check = (t: string) => {
      let ok = true;
      try {
        JSON.parse(t);
      } catch {
        ok = false;
      }
      const found = findJsonSyntaxError(t);
      assert.equal(found === undefined, ok, `scanner and JSON.parse disagree on ${JSON.stringify(t.slice(0, 60))}…`);
      if (!ok) {
        refused++;
        assert.throws(() => parseJson(t, 'model.json'), (err) => err instanceof ModelFormatError && err.line !== undefined && err.column !== undefined);
      }
    };
    for (let i = 0; i < text.length; i += 7) check(text.slice(0, i));
    const chars = ['"', ',', ':', '{', '}', '[', ']', 'x', '0', ' ', '\\', '\n', '-', 'e', '.'];
    let s = 7;
    for (let k = 0; k < 600; k++) {
      s = (s * 1103515245 + 12345) >>> 0;
      const at = s % text.length;
      const c = chars[(s >>> 16) % chars.length];
      check(text.slice(0, at) + c + text.slice(at + 1));
    }
    assert.ok(refused > 300, `${refused} refused texts checked`);
  });

  it('handles nesting far deeper than a recursive parser could', () => {
    const deep = '['.repeat(200000) + ']'.repeat(199999);
    const found = findJsonSyntaxError(deep);
    assert.equal(found?.pos, deep.length);
  });

  it('lineColumn counts \\n, \\r\\n and \\r line ends', () => {
    assert.deepEqual(lineColumn('ab\ncd', 4), { line: 2, column: 2 });
    assert.deepEqual(lineColumn('ab\r\ncd', 5), { line: 2, column: 2 });
    assert.deepEqual(lineColumn('a\rb\rc', 4), { line: 3, column: 1 });
    assert.deepEqual(lineColumn('abc', 0), { line: 1, column: 1 });
  });
});
