// The batch runner's line handling: each JSON Lines line is read alone (a line that is not one JSON
// value fails by itself and never merges with its neighbours in a request), instances travel as
// the line's own text, and output lines are Vertex AI's batch shape, key first.
import { strict as assert } from 'node:assert';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { oneJsonValue, outLine, readLine, runBatch, topLevelMembers } from '../../src/core/runner/batch';
import { savedModel } from '../helpers/fixtures';

describe('batch lines', () => {
  let dir: string;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'sl-batch-'));
  });
  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('keeps an instance as its own text, takes the key out of keyed lines, and reports a line that is not JSON', () => {
    assert.deepEqual(readLine('  [1.0,  2.0] ', 3, 'key'), { line: 3, hasKey: false, text: '[1.0,  2.0]' });
    assert.deepEqual(readLine('{"key": "a", "x": [1.0]}', 1, 'key'), { line: 1, key: 'a', hasKey: true, text: '{"x": [1.0]}' });
    assert.deepEqual(readLine('{ "x": {"k": "}", "key": 1}, "key" : "a,b\\"}" , "y": [2] }', 1, 'key'), { line: 1, key: 'a,b"}', hasKey: true, text: '{"x": {"k": "}", "key": 1},"y": [2]}' });
    assert.deepEqual(readLine('{"id": 7, "instance": [2]}', 1, 'id'), { line: 1, key: 7, hasKey: true, text: '[2]' });
    assert.deepEqual(readLine('{"b64": "AAAA", "key": 1}', 1, 'key'), { line: 1, hasKey: false, text: '{"b64": "AAAA", "key": 1}' });
    const bad = readLine('1.0, 2.0', 9, 'key');
    assert.match(bad.error ?? '', /^line 9 is not JSON/);
    assert.equal(bad.text, '"1.0, 2.0"');
  });

  it('tells a line that holds one value from one that would merge with its neighbours', () => {
    for (const ok of ['[1.0, 2.0]', '{"a": [1, 2], "b": {"c": 3}}', '"a,b"', '"a\\",b"', '"[,]"', '3.5', 'not json', 'true']) assert.equal(oneJsonValue(ok), true, ok);
    for (const bad of ['1.0, 2.0', '1], [2', '[1', '{"a": 1', '[1]]', '"unterminated', '{"a": 1}, {"b": 2}']) assert.equal(oneJsonValue(bad), false, bad);
  });

  it('finds the top-level members of an object line without parsing its values', () => {
    const t = '{"a": [1, {"b": ","}], "c\\u0041" : "x\\"y" ,"d":{}}';
    const m = topLevelMembers(t)!;
    assert.deepEqual(m.map((x) => x.name), ['a', 'cA', 'd']);
    assert.deepEqual(m.map((x) => t.slice(x.valueStart, x.valueEnd)), ['[1, {"b": ","}]', '"x\\"y"', '{}']);
    assert.deepEqual(topLevelMembers('{}'), []);
    for (const bad of ['{"a" 1}', '{"a": }', '{"a": 1,}', '{"a": 1} x', '{a: 1}', '{"a": [1}', '[1]']) assert.equal(topLevelMembers(bad), undefined, bad);
    assert.match(readLine('{"key": 1, "a": [1, 2] ', 4, 'key').error ?? '', /^line 4 is not JSON/);
    // Shaped like one value but not JSON: left to the worker's parser (the batch names it then).
    assert.equal(readLine('{"key": 1, "a": }', 4, 'key').error, undefined);
  });

  it('writes Vertex AI batch lines, key first, the instance as it was written', () => {
    const plain = readLine('[1.0]', 1, 'key');
    assert.equal(outLine(plain, [2.5], undefined, 'key'), '{"instance":[1.0],"prediction":[2.5]}');
    const keyed = readLine('{"key": "k1", "x": [1.0]}', 2, 'key');
    assert.deepEqual(JSON.parse(outLine(keyed, { y: [2.5] }, undefined, 'key')), { key: 'k1', instance: { x: [1] }, prediction: { y: [2.5] } });
    assert.deepEqual(Object.keys(JSON.parse(outLine(keyed, 1, undefined, 'key'))), ['key', 'instance', 'prediction']);
    assert.deepEqual(JSON.parse(outLine(plain, undefined, 'boom "quoted"', 'key')), { instance: [1], error: { message: 'boom "quoted"' } });
  });

  it('a line holding two values fails alone: the other instances keep their own predictions', async () => {
    const input = join(dir, 'in.jsonl');
    const output = join(dir, 'out.jsonl');
    await writeFile(input, '[1.0]\n2.0, 3.0\n[5.0]\n[oops]\n[2.0]\n');
    const r = await runBatch({ model: savedModel('saved_model_half_plus_two_cpu'), input, output, workers: 1 });
    assert.deepEqual([r.instances, r.errors], [5, 2]);
    const out = (await readFile(output, 'utf8')).trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    assert.deepEqual(out[0], { instance: [1], prediction: [2.5] });
    assert.match(JSON.stringify(out[1]), /line 2 is not JSON/);
    assert.equal(out[1]!.instance, '2.0, 3.0');
    assert.deepEqual(out[2], { instance: [5], prediction: [4.5] });
    // Looks like one value, is not JSON: the worker refuses the chunk, the line is named alone.
    assert.match(JSON.stringify(out[3]), /line 4 is not JSON/);
    assert.equal(out[3]!.instance, '[oops]');
    assert.deepEqual(out[4], { instance: [2], prediction: [3] });
  });
});
