/**
 * The binding file (.servelens.json): glob matching, reading with ranged findings, which binding
 * a file gets, writing a binding without disturbing the rest; and `servelens validate`, which reads
 * it when --model is not given.
 */
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path, { join } from 'node:path';
import { describe, it } from 'node:test';
import { main } from '../../src/cli';
import type { CliIo } from '../../src/cli/io';
import { ServeLensError } from '../../src/core/errors';
import {
  bindingFor,
  checkTarget,
  findBindingRoot,
  loadBindings,
  parseBindings,
  setBinding,
  setBindingText,
  targetKindOf,
} from '../../src/core/request/binding';
import { globToRegExp, matchGlob } from '../../src/core/request/glob';
import { savedModel } from '../helpers/fixtures';

describe('glob matching', () => {
  const cases: [string, string, boolean][] = [
    ['requests/**', 'requests/a.json', true],
    ['requests/**', 'requests/x/y/a.json', true],
    ['requests/**', 'other/a.json', false],
    ['**/*.request.json', 'a.request.json', true],
    ['**/*.request.json', 'deep/er/a.request.json', true],
    ['**/*.request.json', 'a.request.jsonl', false],
    ['*.json', 'a.json', true],
    ['*.json', 'dir/a.json', false],
    ['dir/*/x.json', 'dir/a/x.json', true],
    ['dir/*/x.json', 'dir/a/b/x.json', false],
    ['dir/**/x.json', 'dir/x.json', true],
    ['dir/**/x.json', 'dir/a/b/x.json', true],
    ['a?c.json', 'abc.json', true],
    ['a?c.json', 'a/c.json', false],
    ['*.{json,jsonl}', 'x.jsonl', true],
    ['*.{json,jsonl}', 'x.txt', false],
    ['{a,b/{c,d}}/*.json', 'b/d/x.json', true],
    ['{a,b/{c,d}}/*.json', 'b/e/x.json', false],
    ['file[0-9].json', 'file7.json', true],
    ['file[!0-9].json', 'file7.json', false],
    ['file[!0-9].json', 'fileA.json', true],
    ['a.b+c(d).json', 'a.b+c(d).json', true],
    ['a.b+c(d).json', 'aXb+c(d).json', false],
    ['./requests/*.json', 'requests/a.json', true],
    ['**', 'anything/at/all', true],
    ['a/**/b/**/c', 'a/b/c', true],
    ['a/**/b/**/c', 'a/x/b/y/z/c', true],
    ['x**y', 'xay', true],
    ['x**y', 'xa/y', false],
  ];
  for (const [glob, p, want] of cases) {
    it(`${glob} ${want ? 'matches' : 'does not match'} ${p}`, () => {
      assert.equal(matchGlob(glob, p), want);
      assert.equal(matchGlob(glob, p.replace(/\//g, '\\')), want, 'Windows separators in the path');
    });
  }

  it('agrees with Node\'s (experimental) path.matchesGlob where both define the result', () => {
    const nodeMatch = (path as unknown as { matchesGlob?: (p: string, g: string) => boolean }).matchesGlob;
    if (!nodeMatch) return;
    const saved = process.emitWarning;
    process.emitWarning = () => undefined; // "glob is an experimental feature"
    try {
      for (const [glob, p] of cases) {
        if (glob.startsWith('./') || glob.includes('x**y') || /\[!/.test(glob)) continue;
        assert.equal(matchGlob(glob, p), nodeMatch(p, glob), `${glob} vs ${p}`);
      }
    } finally {
      process.emitWarning = saved;
    }
  });

  it('caches compiled patterns', () => {
    assert.equal(globToRegExp('a/**'), globToRegExp('a/**'));
  });
});

describe('reading the binding file', () => {
  it('reads every kind of target, in order, with the signature', () => {
    const text = JSON.stringify({
      bindings: [
        { files: 'requests/**', target: { model: 'models/half' }, signature: 'serving_default' },
        { files: 'vertex/*.json', target: { endpoint: 'projects/p/locations/us-central1/endpoints/123' } },
        { files: 'aip/*.json', target: { version: 'projects/p/models/m/versions/v1' } },
        { files: 'aip2/*.json', target: { version: 'projects/p/models/m' } },
        { files: 'tfs/*.json', target: { tfServing: 'http://localhost:8501/v1/models/half' } },
      ],
    }, null, 2);
    const { bindings, findings } = parseBindings(text);
    assert.deepEqual(findings, []);
    assert.deepEqual(bindings.map((b) => targetKindOf(b.target)), ['local', 'vertex', 'ai-platform', 'ai-platform', 'tf-serving']);
    assert.equal(bindings[0]!.signature, 'serving_default');
    assert.ok(text.slice(bindings[1]!.range.start, bindings[1]!.range.end).includes('endpoints/123'));
  });

  it('reports errors with ranges and keeps the valid entries', () => {
    const text = '{\n  "bindings": [\n    {"files": "a/**", "target": {"endpoint": "endpoints/123"}},\n    {"files": "", "target": {"model": "m"}},\n    {"files": "b/**", "target": {"model": "m", "endpoint": "projects/p/locations/l/endpoints/e"}},\n    {"files": "c/**", "target": {"tfServing": "localhost:8501"}, "signature": 3},\n    {"files": "d/**", "target": {"model": "models/ok"}, "colour": "red"},\n    {"files": "e/**", "target": {"model": "models/e"}}\n  ],\n  "version": 1\n}';
    const { bindings, findings } = parseBindings(text);
    assert.deepEqual(bindings.map((b) => b.files), ['d/**', 'e/**'], 'an unknown field is a warning; the entry still counts');
    const at = (code: string) => findings.filter((f) => f.code === code).map((f) => text.slice(f.range.start, f.range.end));
    assert.deepEqual(at('binding-target-invalid'), ['"endpoints/123"', '{"model": "m", "endpoint": "projects/p/locations/l/endpoints/e"}', '"localhost:8501"']);
    assert.deepEqual(at('binding-invalid'), ['""', '3', '"colour"', '"version"']);
    assert.deepEqual(findings.filter((f) => f.severity === 'warning').map((f) => text.slice(f.range.start, f.range.end)), ['"colour"', '"version"']);
    assert.ok(findings.every((f) => f.line > 1));
  });

  it('a syntax error is a finding with its position; no bindings', () => {
    const { bindings, findings } = parseBindings('{"bindings": [ {"files": "a" "target": {}} ]}');
    assert.deepEqual(bindings, []);
    assert.equal(findings[0]!.code, 'syntax');
    assert.equal(findings[0]!.column, 30);
  });

  it('checks target formats', () => {
    assert.equal(checkTarget({ endpoint: 'projects/p/locations/r/endpoints/e' }), undefined);
    assert.match(checkTarget({ endpoint: 'projects/p/endpoints/e' })!, /projects\/P\/locations\/R\/endpoints\/E/);
    assert.equal(checkTarget({ tfServing: 'https://host:8501/v1/models/m/versions/3' }), undefined);
    assert.equal(checkTarget({ tfServing: 'http://host:8501/v1/models/m/labels/stable' }), undefined);
    assert.ok(checkTarget({ tfServing: 'http://host:8501/v1/models/m:predict' }));
    assert.ok(checkTarget({ model: ' ' }));
  });
});

async function workspace(): Promise<string> {
  return mkdtemp(join(tmpdir(), 'servelens-binding-'));
}

describe('which binding a file gets', () => {
  it('first match wins; *.request.json and *.instances.jsonl are request files without a binding', async () => {
    const root = await workspace();
    await writeFile(join(root, '.servelens.json'), JSON.stringify({
      bindings: [
        { files: 'requests/special/*.json', target: { endpoint: 'projects/p/locations/l/endpoints/e' } },
        { files: 'requests/**', target: { model: 'models/half' }, signature: 'regress_x2_to_y3' },
      ],
    }));
    const bf = await loadBindings(root);
    assert.equal(bf.path, join(root, '.servelens.json'));
    const special = bindingFor(root, bf, join(root, 'requests/special/a.json'))!;
    assert.equal(special.target, 'vertex');
    const normal = bindingFor(root, bf, join(root, 'requests/deep/b.jsonl'))!;
    assert.deepEqual([normal.target, normal.fileKind, normal.modelPath, normal.signature], ['local', 'jsonl', join(root, 'models/half'), 'regress_x2_to_y3']);
    assert.deepEqual(bindingFor(root, bf, 'requests/c.json')?.target, 'local', 'paths relative to the root');
    assert.deepEqual(bindingFor(root, bf, join(root, 'other/x.request.json')), { fileKind: 'json' });
    assert.deepEqual(bindingFor(root, bf, join(root, 'other/x.instances.jsonl')), { fileKind: 'jsonl' });
    assert.equal(bindingFor(root, bf, join(root, 'other/x.json')), undefined);
    assert.equal(bindingFor(root, bf, join(root, '..', 'requests', 'x.json')), undefined, 'outside the root');
  });

  it('reads .vscode/servelens.json when there is no .servelens.json, and finds the nearest root', async () => {
    const root = await workspace();
    await mkdir(join(root, '.vscode'));
    await mkdir(join(root, 'a', 'b'), { recursive: true });
    await writeFile(join(root, '.vscode', 'servelens.json'), '{"bindings": [{"files": "**/*.json", "target": {"model": "m"}}]}');
    const bf = await loadBindings(root);
    assert.equal(bf.path, join(root, '.vscode', 'servelens.json'));
    assert.equal(bf.bindings.length, 1);
    assert.equal(await findBindingRoot(join(root, 'a', 'b')), root);
    const none = await workspace();
    assert.deepEqual((await loadBindings(none)).bindings, []);
  });
});

describe('writing a binding', () => {
  it('creates the file, appends, replaces the entry with the same glob, and keeps the rest as written', async () => {
    const root = await workspace();
    const first = await setBinding(root, 'requests/**', { model: 'models/half' });
    assert.deepEqual(JSON.parse(first), { bindings: [{ files: 'requests/**', target: { model: 'models/half' } }] });
    // Hand edits (a comment-free custom layout and another key) survive.
    const edited = first.replace('"bindings"', '"bindings"').replace('\n  ]', ',\n    {"files": "b/*.json", "target": {"tfServing": "http://localhost:8501/v1/models/half"}}\n  ]');
    await writeFile(join(root, '.servelens.json'), edited);
    const second = await setBinding(root, 'vertex/*.json', { endpoint: 'projects/p/locations/l/endpoints/9' }, 'serving_default');
    assert.ok(second.startsWith(edited.slice(0, edited.lastIndexOf('}}') + 2)), 'everything before the new entry is unchanged');
    const third = await setBinding(root, 'requests/**', { version: 'projects/p/models/m/versions/v2' });
    const parsed = JSON.parse(third) as { bindings: { files: string; target: object; signature?: string }[] };
    assert.deepEqual(parsed.bindings.map((b) => b.files), ['requests/**', 'b/*.json', 'vertex/*.json']);
    assert.deepEqual(parsed.bindings[0]!.target, { version: 'projects/p/models/m/versions/v2' });
    assert.equal(parsed.bindings[2]!.signature, 'serving_default');
    assert.equal(await readFile(join(root, '.servelens.json'), 'utf8'), third);
    assert.deepEqual(parseBindings(third).findings, []);
  });

  it('adds "bindings" to an object without it, fills an empty list, refuses a broken file or a bad target', () => {
    assert.deepEqual(JSON.parse(setBindingText('{"other": 1}', 'a/**', { model: 'm' })), { bindings: [{ files: 'a/**', target: { model: 'm' } }], other: 1 });
    assert.deepEqual(JSON.parse(setBindingText('{\n  "bindings": []\n}', 'a/**', { model: 'm' })).bindings.length, 1);
    assert.throws(() => setBindingText('{"bindings": [', 'a/**', { model: 'm' }), (e) => ServeLensError.is(e, 'usage'));
    assert.throws(() => setBindingText(undefined, 'a/**', { endpoint: 'nope' }), (e) => ServeLensError.is(e, 'usage'));
  });
});

async function cli(...argv: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const io: CliIo = { out: (t) => (out += t.endsWith('\n') ? t : `${t}\n`), err: (t) => (err += `${t}\n`), isTty: false };
  const code = await main(argv, io);
  return { code, out, err };
}

describe('servelens validate', () => {
  it('--model: exit 0 on a clean body (infos only), exit 1 with file:line:col findings on errors', async () => {
    const dir = await workspace();
    const good = join(dir, 'good.json');
    const bad = join(dir, 'bad.json');
    await writeFile(good, '{"instances": [1.0, 2.0, 5.0]}');
    await writeFile(bad, '{\n  "instances": [{"y": 2.0}]\n}');
    const model = savedModel('saved_model_half_plus_two_cpu');
    const ok = await cli('validate', good, '--model', model);
    assert.equal(ok.code, 0, ok.err);
    assert.match(ok.out, /no errors or warnings/);
    const r = await cli('validate', bad, '--model', model);
    assert.equal(r.code, 1);
    assert.match(r.out, /bad\.json:2:18: error: Signature "serving_default" has no input "y"; did you mean "x"\? .* \[unknown-alias\]/);
    assert.match(r.out, /1 error\(s\), 0 warning\(s\)/);
  });

  it('--json gives the documented fields, 1-based', async () => {
    const dir = await workspace();
    const bad = join(dir, 'bad.json');
    await writeFile(bad, '{"signature_name": "nope", "instances": [[1.0]]}');
    const r = await cli('validate', bad, '--model', savedModel('saved_model_half_plus_two_cpu'), '--json');
    assert.equal(r.code, 1);
    const out = JSON.parse(r.out) as Record<string, unknown>[];
    assert.deepEqual(out, [{
      code: 'unknown-signature',
      severity: 'error',
      message: out[0]!.message,
      line: 1,
      column: 20,
      endLine: 1,
      endColumn: 26,
    }]);
    assert.match(String(out[0]!.message), /"classify_x_to_y" \(classify\)/);
  });

  it('without --model reads the nearest binding file; --target and --signature override it', async () => {
    const root = await workspace();
    await mkdir(join(root, 'requests', 'deep'), { recursive: true });
    const model = path.relative(root, savedModel('saved_model_half_plus_two_cpu'));
    await writeFile(join(root, '.servelens.json'), JSON.stringify({ bindings: [{ files: 'requests/**', target: { model } }] }));
    const file = join(root, 'requests', 'deep', 'r.json');
    await writeFile(file, '{"instances": [[NaN]]}');
    const local = await cli('validate', file);
    assert.equal(local.code, 0, local.out);
    const vertex = await cli('validate', file, '--target', 'vertex');
    assert.equal(vertex.code, 1);
    assert.match(vertex.out, /Vertex AI/);
    const regress = join(root, 'requests', 'x2.json');
    await writeFile(regress, '{"inputs": [2.0]}');
    assert.equal((await cli('validate', regress, '--signature', 'regress_x2_to_y3')).code, 0);
    assert.equal((await cli('validate', regress, '--signature', 'nope')).code, 1);
  });

  it('an unbound file is checked for structure only; a cloud binding says the signature is not available', async () => {
    const root = await workspace();
    await writeFile(join(root, '.servelens.json'), JSON.stringify({ bindings: [{ files: 'v/*.json', target: { endpoint: 'projects/p/locations/l/endpoints/e' } }] }));
    await mkdir(join(root, 'v'));
    await writeFile(join(root, 'v', 'a.json'), '{"instances": [[1.0]], "signature_name": "x"}');
    const r = await cli('validate', join(root, 'v', 'a.json'));
    assert.equal(r.code, 1, 'Vertex AI rejects signature_name');
    assert.match(r.out, /\[structural-only\]/);
    assert.match(r.out, /Vertex AI model is not available/);
    await writeFile(join(root, 'plain.json'), '{"instances": [1]}');
    const plain = await cli('validate', join(root, 'plain.json'));
    assert.equal(plain.code, 0);
    assert.match(plain.out, /No model is bound/);
  });

  it('streams .jsonl files and reports their lines', async () => {
    const dir = await workspace();
    const file = join(dir, 'batch.jsonl');
    await writeFile(file, '{"x": [1.0], "key": 1}\n{"x": [2.0], "key": 1}\n{"x": ["3"], "key": 2}\n');
    const r = await cli('validate', file, '--model', savedModel('saved_model_half_plus_two_cpu'), '--json');
    assert.equal(r.code, 1);
    assert.deepEqual((JSON.parse(r.out) as { code: string; line: number }[]).map((f) => [f.code, f.line]), [['duplicate-instance-key', 2], ['dtype-mismatch', 3]]);
  });

  it('usage errors exit 2: no file, two files, a bad --target, a missing file', async () => {
    assert.equal((await cli('validate')).code, 2);
    assert.equal((await cli('validate', 'a.json', 'b.json')).code, 2);
    const dir = await workspace();
    await writeFile(join(dir, 'a.json'), '{}');
    const bad = await cli('validate', join(dir, 'a.json'), '--target', 'azure');
    assert.equal(bad.code, 2);
    assert.match(bad.err, /--target must be one of vertex, ai-platform, tf-serving, local/);
    const missing = await cli('validate', join(dir, 'missing.json'));
    assert.equal(missing.code, 1);
    assert.match(missing.err, /ENOENT/);
  });
});
