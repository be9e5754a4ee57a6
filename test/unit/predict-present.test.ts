/**
 * presentResponse(): every answer shape the results view shows, on bodies as the services write
 * them — half_plus_two's row answer, Vertex AI with several outputs and the deployed model's ids,
 * TF Serving columnar and classify / regress, an ExplainResponse, a long image tensor, `{"b64"}`
 * outputs, errors, and bodies that are not JSON (never a throw). Numbers keep the text the body
 * wrote; prettyJson() only changes white space.
 */
import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import {
  MAX_BARS,
  MAX_ROWS,
  parseJson,
  presentResponse,
  prettyJson,
  type Cell,
  type FoldedCell,
  type TopKCell,
} from '../../src/core/predict/present';
import { signature, tensor } from '../helpers/builders';

const texts = (rows: Cell[][]) => rows.map((r) => r.map((c) => c.text));
const kinds = (rows: Cell[][]) => rows.map((r) => r.map((c) => c.kind));

/** half_plus_two's serving_default: x [-1,1] float → y [-1,1] float (TF Serving's test model). */
const HALF_PLUS_TWO = signature('serving_default', {
  inputs: [tensor('x', 'DT_FLOAT', [-1, 1], 'x:0')],
  outputs: [tensor('y', 'DT_FLOAT', [-1, 1], 'y:0')],
});

describe('presentResponse: row answers', () => {
  it('half_plus_two: one row per instance, numbers as sent, the instance beside each', () => {
    const t = presentResponse('{"predictions":[2.5,3.0,4.5]}', 'predict', {
      signature: HALF_PLUS_TWO,
      request: '{"instances": [1.0, 2.0, 5.0]}',
    });
    assert.equal(t.format, 'predictions');
    assert.deepEqual(t.columns, [{ name: 'y', dtype: 'float', shape: '[-1,1]' }]);
    assert.deepEqual(texts(t.rows), [['2.5'], ['3.0'], ['4.5']]);
    assert.deepEqual(kinds(t.rows), [['scalar'], ['scalar'], ['scalar']]);
    assert.deepEqual(t.inputs, ['1.0', '2.0', '5.0']);
    assert.deepEqual(t.notes, []);
    assert.equal(t.parseError, undefined);
  });

  it('names a bare prediction "prediction" without a signature, and lists as lists', () => {
    const t = presentResponse('{"predictions": [[0.1, 0.2], [0.3, 0.4]]}', 'predict');
    assert.deepEqual(t.columns, [{ name: 'prediction' }]);
    assert.deepEqual(texts(t.rows), [['[0.1, 0.2]'], ['[0.3, 0.4]']]);
    assert.deepEqual(kinds(t.rows), [['list'], ['list']]);
  });

  it('Vertex AI, several outputs: a column per alias (signature order), the served-by ids, top-k of the scores', () => {
    const body = JSON.stringify({
      predictions: [
        { scores: [0.05, 0.9, 0.05], classes: ['cat', 'dog', 'bird'], embedding: [0.12, -0.5, 1.0e-7] },
        { scores: [0.7, 0.1, 0.2], classes: ['cat', 'dog', 'bird'], embedding: [0.3, 0.2, 0.1] },
      ],
      deployedModelId: '4532174567891234567',
      model: 'projects/123456789/locations/us-central1/models/987654321',
      modelDisplayName: 'flowers-v2',
      modelVersionId: '3',
    });
    const sig = signature('serving_default', {
      outputs: [tensor('classes', 'DT_STRING', [-1, 3]), tensor('scores', 'DT_FLOAT', [-1, 3]), tensor('embedding', 'DT_FLOAT', [-1, 3])],
    });
    const t = presentResponse(body, 'predict', { signature: sig });
    assert.equal(t.format, 'predictions');
    assert.deepEqual(t.columns.map((c) => c.name), ['classes', 'scores', 'embedding']);
    assert.equal(t.columns[1]!.classification, true);
    assert.deepEqual(t.served, {
      deployedModelId: '4532174567891234567',
      model: 'projects/123456789/locations/us-central1/models/987654321',
      modelVersionId: '3',
      modelDisplayName: 'flowers-v2',
    });
    const top = t.rows[0]![1] as TopKCell;
    assert.equal(top.kind, 'topk');
    assert.deepEqual(top.items.map((i) => i.label), ['dog', 'cat', 'bird']);
    assert.equal(top.of, 3);
    assert.equal(top.text, 'dog 0.9, cat 0.05, bird 0.05');
    assert.deepEqual((t.rows[1]![1] as TopKCell).items.map((i) => [i.label, i.scoreText]), [['cat', '0.7'], ['bird', '0.2'], ['dog', '0.1']]);
    assert.equal(t.rows[0]![2]!.text, '[0.12, -0.5, 1e-7]');
  });

  it('top-k is k=5 of a probabilities vector, labelled by class index when no labels come with it', () => {
    const probs = [0.01, 0.02, 0.4, 0.03, 0.05, 0.25, 0.04, 0.1, 0.06, 0.04];
    const t = presentResponse({ predictions: [{ probabilities: probs, class_ids: [2] }] }, 'predict');
    const cell = t.rows[0]![t.columns.findIndex((c) => c.name === 'probabilities')] as TopKCell;
    assert.equal(cell.kind, 'topk');
    assert.equal(cell.of, 10);
    assert.deepEqual(cell.items.map((i) => i.label), ['2', '5', '7', '8', '4']);
    assert.deepEqual(cell.items.map((i) => i.score), [0.4, 0.25, 0.1, 0.06, 0.05]);
  });

  it('a single scores output of shape [1, n] per instance is ranked too', () => {
    const sig = signature('serving_default', { outputs: [tensor('scores', 'DT_FLOAT', [-1, 1, 3])] });
    const t = presentResponse('{"predictions": [[[0.2, 0.5, 0.3]]]}', 'predict', { signature: sig });
    assert.equal(t.rows[0]![0]!.kind, 'topk');
    assert.equal(t.rows[0]![0]!.text, '1 0.5, 2 0.3, 0 0.2');
  });

  it('keeps int64 digits and exponents as written', () => {
    const t = presentResponse('{"predictions": [{"id": 12345678901234567890, "p": 1E-9, "n": -0.0}]}', 'predict');
    assert.deepEqual(texts(t.rows), [['12345678901234567890', '1E-9', '-0.0']]);
  });

  it('notes when the request and the answer count instances differently', () => {
    const t = presentResponse('{"predictions":[1.0]}', 'predict', { request: '{"instances":[1,2]}' });
    assert.deepEqual(t.inputs, ['1']);
    assert.match(t.notes.join(' '), /sent 2 instances; the answer has 1 row/);
  });
});

describe('presentResponse: TF Serving', () => {
  it('columnar outputs: one row per batch element, a column per alias', () => {
    const body = '{\n    "outputs": {\n        "y": [[2.5], [3.0]],\n        "y_rounded": [3, 3]\n    }\n}';
    const t = presentResponse(body, 'predict', { request: '{"inputs": {"x": [[1.0], [2.0]]}}' });
    assert.equal(t.format, 'columnar');
    assert.deepEqual(t.columns.map((c) => c.name), ['y', 'y_rounded']);
    assert.deepEqual(texts(t.rows), [['[2.5]', '3'], ['[3.0]', '3']]);
    assert.deepEqual(t.inputs, ['{"x": [1.0]}', '{"x": [2.0]}']);
  });

  it('columnar with one bare output', () => {
    const t = presentResponse('{"outputs": [[2.5], [3.0], [4.5]]}', 'predict', { signature: HALF_PLUS_TWO });
    assert.deepEqual(t.columns.map((c) => c.name), ['y']);
    assert.deepEqual(texts(t.rows), [['[2.5]'], ['[3.0]'], ['[4.5]']]);
  });

  it('columnar output without a batch dimension goes in the first row, with a note', () => {
    const t = presentResponse('{"outputs": {"y": [1.5, 2.5], "step": 7}}', 'predict');
    assert.deepEqual(texts(t.rows), [['1.5', '7'], ['2.5', '']]);
    assert.match(t.notes[0]!, /step has no batch dimension/);
  });

  it('classify: top-k label/score pairs per example (TF Serving writes "result")', () => {
    const body = '{\n  "result": [[["", 2.5]], [["cat", 0.1], ["dog", 0.8], ["fox", 0.1]]]\n}';
    const t = presentResponse(body, 'predict');
    assert.equal(t.format, 'classify');
    assert.deepEqual(t.columns, [{ name: 'classes', classification: true }]);
    assert.deepEqual(texts(t.rows), [[' 2.5'], ['dog 0.8, cat 0.1, fox 0.1']]);
    assert.equal((t.rows[1]![0] as TopKCell).of, 3);
  });

  it('classify and regress as the local runner writes them ("results")', () => {
    assert.equal(presentResponse('{"results": [[["0", 0.3], ["1", 0.7]]]}', 'predict').format, 'classify');
    const r = presentResponse('{"results": [2.5, 3.0]}', 'predict');
    assert.equal(r.format, 'regress');
    assert.deepEqual(r.columns, [{ name: 'value' }]);
    assert.deepEqual(texts(r.rows), [['2.5'], ['3.0']]);
  });

  it('reads NaN and Infinity, which TF Serving writes for non-finite floats', () => {
    const t = presentResponse('{"predictions": [NaN, Infinity, -Infinity, 1.0]}', 'predict');
    assert.deepEqual(texts(t.rows), [['NaN'], ['Infinity'], ['-Infinity'], ['1.0']]);
  });
});

describe('presentResponse: long tensors and binary outputs', () => {
  it('folds a [1,192,192,3] image tensor: shape, dtype, count, first values, bounded expansion', () => {
    const pixel = (i: number) => ((i % 255) / 255).toFixed(4);
    let k = 0;
    const image = [Array.from({ length: 192 }, () => Array.from({ length: 192 }, () => [pixel(k++), pixel(k++), pixel(k++)]))];
    const body = `{"predictions": [{"image": ${JSON.stringify(image).replace(/"/g, '')}, "score": 0.5}]}`;
    const sig = signature('serving_default', { outputs: [tensor('image', 'DT_FLOAT', [-1, 1, 192, 192, 3]), tensor('score', 'DT_FLOAT', [-1])] });
    const t = presentResponse(body, 'predict', { signature: sig });
    const cell = t.rows[0]![0] as FoldedCell;
    assert.equal(cell.kind, 'folded');
    assert.equal(cell.text, '[1,192,192,3] float · 110592 values');
    assert.deepEqual(cell.shape, [1, 192, 192, 3]);
    assert.equal(cell.count, 110592);
    assert.deepEqual(cell.head, ['0.0000', '0.0039', '0.0078', '0.0118', '0.0157', '0.0196']);
    assert.equal(cell.values.length, 1000);
    assert.equal(t.rows[0]![1]!.text, '0.5');
  });

  it('infers the dtype without a signature, and says when the nesting is ragged', () => {
    const ints = presentResponse({ predictions: [Array.from({ length: 20 }, (_, i) => i)] }, 'predict');
    assert.equal(ints.rows[0]![0]!.text, '[20] int · 20 values');
    const ragged = presentResponse('{"predictions": [[[1,2,3,4,5,6,7,8,9],[1,2,3,4,5,6,7,8,9,10]]]}', 'predict');
    assert.equal(ragged.rows[0]![0]!.text, 'ragged int · 19 values');
    assert.equal((ragged.rows[0]![0] as FoldedCell).shape, null);
  });

  it('shows {"b64"} outputs by size, and keeps a small image to draw', () => {
    const png = 'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg==';
    const t = presentResponse(`{"predictions": [{"image_bytes": {"b64": "${png}"}, "key": "a"}, {"image_bytes": {"b64": "AAEC"}, "key": "b"}]}`, 'predict');
    assert.deepEqual(t.columns.map((c) => c.name), ['image_bytes', 'key']);
    const [first, second] = [t.rows[0]![0]!, t.rows[1]![0]!];
    assert.equal(first.kind, 'b64');
    assert.equal(first.text, 'b64 · 70 bytes · image/png');
    assert.equal(first.kind === 'b64' && first.data, png);
    assert.equal(second.text, 'b64 · 3 bytes');
    assert.equal(second.kind === 'b64' && second.data, undefined);
    assert.deepEqual(t.rows.map((r) => r[1]!.text), ['a', 'b']);
  });

  it('a bare {"b64"} prediction is one output, not an object of outputs', () => {
    const t = presentResponse('{"predictions": [{"b64": "/9j/4AAQSkZJRg=="}]}', 'predict');
    assert.deepEqual(t.columns, [{ name: 'prediction' }]);
    assert.equal(t.rows[0]![0]!.text, 'b64 · 10 bytes · image/jpeg');
  });
});

describe('presentResponse: explanations', () => {
  // As Vertex AI writes it (numbers as the model server wrote them).
  const EXPLAIN = `{
  "explanations": [
    {
      "attributions": [
        {
          "baselineOutputValue": 2.0,
          "instanceOutputValue": 2.5,
          "featureAttributions": { "x": 0.5, "bias": -0.125, "image": [[0.01, -0.3], [0.2, 0.0]] },
          "outputIndex": [0],
          "outputDisplayName": "",
          "approximationError": 0.0012,
          "outputName": "y"
        }
      ]
    },
    {
      "attributions": [
        { "baselineOutputValue": 2, "instanceOutputValue": 3, "featureAttributions": [1, -2, 0.5], "outputIndex": [0], "outputName": "y", "approximationError": 0 }
      ]
    }
  ],
  "deployedModelId": "111",
  "predictions": [2.5, 3.0]
}`;

  it('charts per instance: bars by |value|, labels with indices, baseline / instance output / error', () => {
    const t = presentResponse(EXPLAIN, 'explain', { signature: HALF_PLUS_TWO });
    assert.equal(t.format, 'explain');
    assert.deepEqual(texts(t.rows), [['2.5'], ['3.0']], 'the predictions beside the explanations');
    assert.equal(t.served.deployedModelId, '111');
    assert.equal(t.explanations.length, 2);
    const [a, b] = t.explanations;
    assert.equal(a!.instance, 0);
    assert.equal(a!.output, 'y');
    assert.deepEqual(a!.bars.map((x) => x.label), ['x', 'image[0][1]', 'image[1][0]', 'bias', 'image[0][0]', 'image[1][1]']);
    assert.deepEqual(a!.bars.map((x) => x.text), ['0.5', '-0.3', '0.2', '-0.125', '0.01', '0.0']);
    assert.equal(a!.baseline, '2.0');
    assert.equal(a!.instanceValue, '2.5');
    assert.equal(a!.approximationError, '0.0012');
    assert.deepEqual(a!.outputIndex, [0]);
    assert.equal(a!.maxAbs, 0.5);
    assert.equal(a!.more, 0);
    assert.equal(b!.instance, 1);
    assert.deepEqual(b!.bars.map((x) => `${x.label}=${x.text}`), ['[1]=-2', '[0]=1', '[2]=0.5']);
  });

  it('draws at most 30 bars and counts the rest', () => {
    const attr = Array.from({ length: 100 }, (_, i) => (i % 2 ? -1 : 1) * (i + 1) / 1000);
    const charts = presentResponse(JSON.stringify({ explanations: [{ attributions: [{ featureAttributions: { pixels: attr }, outputDisplayName: 'cat', instanceOutputValue: 0.9, baselineOutputValue: 0.1 }] }] }), 'explain').explanations;
    assert.equal(charts[0]!.bars.length, MAX_BARS);
    assert.equal(charts[0]!.more, 70);
    assert.equal(charts[0]!.total, 100);
    assert.equal(charts[0]!.output, 'cat');
    assert.equal(charts[0]!.bars[0]!.label, 'pixels[99]');
    assert.equal(charts[0]!.bars[0]!.value, -0.1);
  });

  it('notes an explain answer without explanations; other answers have no charts', () => {
    const t = presentResponse('{"predictions":[1]}', 'explain');
    assert.match(t.notes.join(' '), /no explanations/);
    assert.deepEqual(t.explanations, []);
    assert.deepEqual(presentResponse('not json', 'explain').explanations, []);
  });
});

describe('presentResponse: errors and bodies that are not JSON', () => {
  it('TF Serving {"error": "..."}', () => {
    const t = presentResponse('{ "error": "Serving signature name: \\"serving_defualt\\" not found in signature def" }', 'predict');
    assert.equal(t.format, 'error');
    assert.equal(t.error, 'Serving signature name: "serving_defualt" not found in signature def');
    assert.deepEqual(t.rows, []);
  });

  it('Vertex AI google.rpc.Status', () => {
    const t = presentResponse(
      '{\n  "error": {\n    "code": 400,\n    "message": "{\\"error\\": \\"Failed to process element: 0 of \'instances\' list.\\"}",\n    "status": "FAILED_PRECONDITION"\n  }\n}\n',
      'predict',
    );
    assert.equal(t.format, 'error');
    assert.equal(t.error, 'Failed to process element: 0 of \'instances\' list.', 'Vertex AI\'s wrapping of the model server\'s message is taken off');
  });

  for (const [what, body] of [
    ['an HTML error page', '<html><body><h1>502 Bad Gateway</h1></body></html>'],
    ['an empty body', ''],
    ['truncated JSON', '{"predictions": [1.0, 2.'],
    ['trailing text', '{"predictions": [1]} extra'],
    ['a lone surrogate escape gone wrong', '{"predictions": ["\\x"]}'],
    ['a control character in a string', '{"predictions": ["a\u0001b"]}'],
    ['nesting 10000 deep', `${'['.repeat(10000)}${']'.repeat(10000)}`],
  ] as const) {
    it(`does not throw on ${what}: format text with the reason`, () => {
      const t = presentResponse(body, 'predict');
      assert.equal(t.format, 'text');
      assert.ok(t.parseError && t.parseError.startsWith('Not JSON'), t.parseError);
      assert.deepEqual(t.rows, []);
      assert.equal(prettyJson(body), undefined);
    });
  }

  it('JSON that is not an answer: unrecognized, not a throw', () => {
    assert.equal(presentResponse('[1, 2, 3]', 'predict').format, 'unrecognized');
    const t = presentResponse('{"status": "ok"}', 'predict');
    assert.equal(t.format, 'unrecognized');
    assert.match(t.notes[0]!, /No predictions/);
  });

  it('a key named __proto__ is data', () => {
    const t = presentResponse('{"predictions": [{"__proto__": 1, "y": 2}]}', 'predict');
    assert.deepEqual(t.columns.map((c) => c.name), ['__proto__', 'y']);
    assert.deepEqual(texts(t.rows), [['1', '2']]);
  });
});

describe('parseJson / prettyJson', () => {
  it('agrees with JSON.parse on values', () => {
    const text = '{"a": [1, -2.5e3, true, false, null, "é\\u00e9\\n"], "b": {"c": {}}, "d": []}';
    const r = parseJson(text);
    assert.ok(r.ok);
    const plain = (v: unknown): unknown =>
      v && typeof v === 'object' && 'text' in (v as object) && 'value' in (v as object)
        ? (v as { value: number }).value
        : Array.isArray(v)
          ? v.map(plain)
          : v && typeof v === 'object'
            ? Object.fromEntries(Object.entries(v).map(([k, x]) => [k, plain(x)]))
            : v;
    assert.deepEqual(plain(r.value), JSON.parse(text));
  });

  it('re-indents without touching numbers', () => {
    const text = '{"predictions":[2.5,3.0,4.5],"deployedModelId":"123","big":12345678901234567890,"rows":[[1.0,2.00],{"a":1e5}]}';
    assert.equal(
      prettyJson(text),
      '{\n  "predictions": [2.5, 3.0, 4.5],\n  "deployedModelId": "123",\n  "big": 12345678901234567890,\n  "rows": [\n    [1.0, 2.00],\n    {\n      "a": 1e5\n    }\n  ]\n}',
    );
  });

  it('packs a long list of numbers onto lines of about 100 characters', () => {
    const list = Array.from({ length: 200 }, (_, i) => `${i}.0`);
    const pretty = prettyJson(`{"v":[${list.join(',')}]}`)!;
    const lines = pretty.split('\n');
    assert.ok(lines.length > 5 && lines.length < 30, `${lines.length} lines`);
    assert.ok(lines.every((l) => l.length <= 100), 'no line longer than 100');
    assert.deepEqual(pretty.replace(/[\s{}[\]"v:]/g, '').split(','), list);
  });

  it('refuses bodies beyond the bound', () => {
    assert.equal(prettyJson('{"a": 1}', 4), undefined);
  });

  it('shows at most MAX_ROWS rows of a large answer and says how many there are', () => {
    const n = MAX_ROWS + 250;
    const body = JSON.stringify({ predictions: Array.from({ length: n }, (_, i) => i / 2) });
    const request = JSON.stringify({ instances: Array.from({ length: n }, (_, i) => i) });
    const t = presentResponse(body, 'predict', { request });
    assert.equal(t.rows.length, MAX_ROWS);
    assert.equal(t.inputs?.length, MAX_ROWS);
    assert.equal(t.rows[MAX_ROWS - 1]![0]!.text, String((MAX_ROWS - 1) / 2));
    assert.ok(t.notes.some((x) => x.includes(`first ${MAX_ROWS} of ${n} rows`)), JSON.stringify(t.notes));
  });
});
