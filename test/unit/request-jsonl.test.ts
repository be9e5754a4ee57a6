/**
 * JSON Lines instance files: in memory for the editor, and streamed for the CLI in bounded memory.
 * Both must give the same findings (codes, lines, columns, ranges) for the same text, however the
 * stream is chunked (UTF-8 characters split across chunks included).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import type { Shape, Signature, TensorSpec } from '../../src/core/model/types';
import type { RequestFinding } from '../../src/core/request/types';
import { KeySet, validateJsonLines, validateJsonLinesStream } from '../../src/core/request/validate';

function t(alias: string, dtype: string, shape: Shape): TensorSpec {
  return { alias, dtype, shape, tensor: `${alias}:0` };
}
const SIG: Signature[] = [
  { name: 'serving_default', method: 'tensorflow/serving/predict', inputs: [t('x', 'DT_FLOAT', [-1, 2]), t('caption', 'DT_STRING', [-1])], outputs: [] },
];

async function* chunks(text: string, size: number): AsyncGenerator<Uint8Array> {
  const bytes = Buffer.from(text, 'utf8');
  for (let i = 0; i < bytes.length; i += size) yield bytes.subarray(i, i + size);
}

const summary = (f: RequestFinding[]) => f.map((x) => [x.code, x.severity, x.line, x.column, x.endLine, x.endColumn, x.range.start, x.range.end]);

const TEXT = [
  '{"x": [1.0, 2.0], "caption": "éte", "key": "a"}',
  '',
  '{"x": [1.0, 2.0, 3.0], "caption": "b", "key": "b"}\r',
  '{"X": [1.0, 2.0], "caption": "c", "key": "c"}',
  '{"x": [1.0, 2.0], "caption": 5, "key": "a"}',
  '{"x": [1.0, 2.0] "caption": "d"}',
  '  ',
  '[1.0, 2.0]',
  '{"x": [NaN, 2.0], "caption": "€ and 😀", "key": "z"}',
].join('\n');

describe('JSON Lines in memory', () => {
  it('checks each line as an instance and reports line numbers', () => {
    const r = validateJsonLines(TEXT, { fileKind: 'jsonl', signatures: SIG, target: 'vertex' });
    const byCode = (c: string) => r.findings.filter((f) => f.code === c).map((f) => f.line);
    assert.deepEqual(byCode('instance-shape-differs'), [3]);
    assert.deepEqual(byCode('unknown-alias'), [4]);
    assert.deepEqual(byCode('duplicate-instance-key'), [5]);
    assert.deepEqual(byCode('dtype-mismatch'), [5]);
    assert.deepEqual(byCode('syntax'), [6], 'a broken line does not stop the others');
    assert.deepEqual(byCode('instances-mixed'), [8]);
    assert.deepEqual(byCode('non-finite-number'), [9]);
    assert.equal(r.instances, 6, 'blank lines and the broken line are not instances');
    const dup = r.findings.find((f) => f.code === 'duplicate-instance-key')!;
    assert.match(dup.message, /already used on line 1/);
    assert.equal(TEXT.slice(dup.range.start, dup.range.end), '"a"');
    const shape = r.findings.find((f) => f.code === 'instance-shape-differs')!;
    assert.match(shape.message, /in line 1/);
    assert.equal(TEXT.slice(shape.range.start, shape.range.end), '[1.0, 2.0, 3.0]');
    // "key" is the instance key field (not in the signature): never an unknown alias.
    assert.ok(!r.findings.some((f) => f.code === 'unknown-alias' && /"key"/.test(f.message)));
  });

  it('without a model: structure only, said once', () => {
    const r = validateJsonLines('{"a": [1, 2]}\n{"a": [1, "x"]}\n', { fileKind: 'jsonl' });
    assert.deepEqual(r.findings.map((f) => [f.code, f.line]), [['structural-only', 1], ['mixed-list', 2]]);
  });

  it('a missing default signature is reported once, not per line', () => {
    const r = validateJsonLines('{"x": [1.0, 2.0]}\n{"x": [1.0, 2.0]}\n', { fileKind: 'jsonl', signatures: SIG, signatureName: 'nope' });
    assert.deepEqual(r.findings.map((f) => f.code), ['missing-signature-name']);
  });
});

describe('JSON Lines streamed', () => {
  for (const size of [1, 7, 64, 1 << 16]) {
    it(`gives the in-memory findings with ${size}-byte chunks`, async () => {
      const mem = validateJsonLines(TEXT, { fileKind: 'jsonl', signatures: SIG, target: 'vertex' });
      const progress: number[] = [];
      const st = await validateJsonLinesStream(chunks(TEXT, size), { fileKind: 'jsonl', signatures: SIG, target: 'vertex' }, (p) => progress.push(p.bytes));
      assert.deepEqual(summary(st.findings), summary(mem.findings));
      assert.deepEqual(st.findings.map((f) => f.message), mem.findings.map((f) => f.message));
      assert.equal(st.instances, mem.instances);
      assert.equal(st.lines, 9);
      assert.equal(st.bytes, Buffer.byteLength(TEXT));
      assert.equal(progress[progress.length - 1], st.bytes, 'a final progress report');
      // Fix edits are in stream offsets too.
      const f = st.findings.find((x) => x.code === 'unknown-alias')!;
      const rename = f.fixes!.find((x) => /Rename/.test(x.title))!;
      assert.equal(TEXT.slice(rename.edits[0]!.start, rename.edits[0]!.end), '"X"');
    });
  }

  it('accepts string chunks and a last line without a newline', async () => {
    async function* strings() {
      yield '{"x": [1.0, 2.0], "caption": "a"}\n{"x": [1.0';
      yield ', 2.0], "caption": 7}';
    }
    const st = await validateJsonLinesStream(strings(), { fileKind: 'jsonl', signatures: SIG });
    assert.deepEqual(st.findings.map((f) => [f.code, f.line]), [['dtype-mismatch', 2]]);
    assert.equal(st.instances, 2);
  });

  it('validates 20 MB in bounded memory (the text is never held)', async () => {
    setFlagsFromString('--expose_gc');
    const gc = runInNewContext('gc') as () => void;
    const line = (i: number) => `{"x": [${(i % 97) / 7}, ${i % 13}.5], "caption": "instance number ${i} with some text", "key": "k${i}"}\n`;
    const total = 20 * 1024 * 1024;
    async function* gen(): AsyncGenerator<Uint8Array> {
      let i = 0;
      let sent = 0;
      let injected = false;
      while (sent < total) {
        let s = '';
        while (s.length < 1 << 16) s += line(i++);
        // A duplicate key and a wrong value far into the file.
        if (i > 150_000 && !injected) {
          injected = true;
          s += '{"x": [1.0, 2.0], "caption": "dup", "key": "k3"}\n{"x": [1.0, 2.5], "caption": 2}\n';
        }
        const b = Buffer.from(s, 'utf8');
        sent += b.length;
        yield b;
      }
    }
    gc();
    const base = process.memoryUsage();
    let peak = 0;
    const st = await validateJsonLinesStream(gen(), { fileKind: 'jsonl', signatures: SIG }, () => {
      gc();
      const m = process.memoryUsage();
      peak = Math.max(peak, m.heapUsed + m.arrayBuffers - base.heapUsed - base.arrayBuffers);
    });
    assert.ok(st.bytes >= total);
    assert.ok(st.instances > 200_000, String(st.instances));
    assert.deepEqual(st.findings.map((f) => f.code).sort(), ['dtype-mismatch', 'duplicate-instance-key']);
    const dup = st.findings.find((f) => f.code === 'duplicate-instance-key')!;
    assert.match(dup.message, /already used on line 4\b/);
    assert.ok(dup.line > 150_000);
    // The live heap stays a small fraction of the 20 MB read: line buffers, summaries, the key table.
    assert.ok(peak < 12 * 1024 * 1024, `peak live growth ${(peak / 1048576).toFixed(1)} MB`);
  });
});

describe('instance key table', () => {
  it('finds duplicates exactly, grows, and stops at its capacity instead of growing without bound', () => {
    const k = new KeySet(1 << 13);
    const text = Array.from({ length: 7000 }, (_, i) => `"k${i}"`).join('');
    let at = 0;
    const ranges: [number, number][] = [];
    for (let i = 0; i < 7000; i++) {
      const len = `"k${i}"`.length;
      ranges.push([at, at + len]);
      at += len;
    }
    for (let i = 0; i < 6000; i++) assert.equal(k.add(text, ranges[i]![0], ranges[i]![1], i + 1), 0, `new key ${i}`);
    assert.equal(k.add(text, ranges[42]![0], ranges[42]![1], 9999), 43, 'the line of the first k42');
    let full = false;
    for (let i = 6000; i < 7000 && !full; i++) full = k.add(text, ranges[i]![0], ranges[i]![1], i + 1) < 0;
    assert.ok(full && k.full, 'capacity reached');
    assert.ok(k.size <= ((1 << 13) * 3) / 4);
  });
});
