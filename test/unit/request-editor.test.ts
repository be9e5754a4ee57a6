// The editor's adapters over the request core that run without an editor (src/vscode/requests/core.ts
// imports no `vscode`): large JSON Lines documents validated in chunks give exactly the findings of
// the in-memory validator; binding lookups and labels as the status bar shows them.
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { readModel } from '../../src/core/model/inspect';
import type { Signature } from '../../src/core/model/types';
import { validateRequest } from '../../src/core/request/validate';
import {
  bindingForFile,
  isBindingTarget,
  loadWorkspaceBindings,
  modelLabel,
  signaturesToCheck,
  targetLabel,
  validateLarge,
  writeBinding,
} from '../../src/vscode/requests/core';
import { savedModel } from '../helpers/fixtures';

const HP2 = savedModel('saved_model_half_plus_two_cpu');

describe('validateLarge (chunked, with yields) equals the in-memory validator', () => {
  let signatures: Signature[];
  before(async () => {
    signatures = signaturesToCheck(await readModel(HP2));
  });

  // ~1.6 MB: several 512 Ki-character chunks. Lines with astral characters (two UTF-16 units, four
  // UTF-8 bytes) are spread so some straddle chunk boundaries; mistakes sit after each boundary.
  function bigJsonl(): string {
    const lines: string[] = [];
    let chars = 0;
    for (let i = 0; chars < 1_600_000; i++) {
      let line: string;
      if (i % 9973 === 0) line = `{"xx": [${i}.5]}`; // unknown alias
      else if (i % 7919 === 0) line = '{"x": ["\u{1F600}\u{1F600}"]}'; // a string for a float input
      else if (i % 101 === 0) line = `{"x": [1.0], "key": "k\u{1F600}${i}"}`;
      else line = `{"x": [${i % 10}.0]}`;
      lines.push(line);
      chars += line.length + 1;
    }
    return lines.join('\n') + '\n';
  }

  it('gives the same findings with the same ranges', async () => {
    const text = bigJsonl();
    assert.ok(text.length > 3 * 512 * 1024);
    const opts = { fileKind: 'jsonl' as const, signatures, target: 'local' as const };
    const whole = validateRequest(text, opts);
    const chunked = await validateLarge(text, opts, () => true);
    assert.ok(chunked);
    assert.ok(whole.findings.some((f) => f.code === 'unknown-alias'));
    assert.ok(whole.findings.some((f) => f.code === 'dtype-mismatch'));
    const key = (f: (typeof whole.findings)[number]) => `${f.code}@${f.range.start}-${f.range.end}:${f.line}:${f.column}`;
    assert.deepEqual(chunked.findings.map(key), whole.findings.map(key));
    assert.equal(chunked.instances, whole.instances);
    for (const f of chunked.findings.filter((x) => x.code === 'unknown-alias')) {
      assert.equal(text.slice(f.range.start, f.range.end), '"xx"');
    }
  });

  it('stops and gives undefined once the document is no longer wanted', async () => {
    const text = bigJsonl();
    let asked = 0;
    const result = await validateLarge(text, { fileKind: 'jsonl', signatures }, () => ++asked < 2);
    assert.equal(result, undefined);
    assert.equal(asked, 2, 'asked before each chunk, stopped at the first "no"');
  });

  it('validates a large JSON body after one yield, or not at all', async () => {
    const body = `{"instances": [${Array.from({ length: 200_000 }, () => '{"x": [1.0]}').join(', ')}, {"xx": [2.0]}]}`;
    const opts = { fileKind: 'json' as const, signatures };
    const r = await validateLarge(body, opts, () => true);
    assert.deepEqual(r?.findings.map((f) => f.code), validateRequest(body, opts).findings.map((f) => f.code));
    assert.equal(await validateLarge(body, opts, () => false), undefined);
  });
});

describe('bindings as the editor reads and writes them', () => {
  let root: string;
  before(async () => {
    root = await mkdtemp(join(tmpdir(), 'servelens-editor-bindings-'));
  });
  after(async () => {
    await rm(root, { recursive: true, force: true });
  });

  it('writes a binding and finds it for the file, with the label the status bar shows', async () => {
    const file = await writeBinding(root, 'requests/*.json', { model: HP2 }, 'regress_x_to_y');
    assert.equal(file, join(root, '.servelens.json'));
    const loaded = await loadWorkspaceBindings(root);
    assert.deepEqual(loaded.findings, []);
    const b = bindingForFile(root, loaded, join(root, 'requests', 'a.json'));
    assert.equal(b.isRequest, true);
    assert.deepEqual(b.target, {
      kind: 'local',
      label: 'half_plus_two_cpu',
      modelPath: HP2,
      glob: 'requests/*.json',
      file,
      signature: 'regress_x_to_y',
    });
    assert.deepEqual(bindingForFile(root, loaded, join(root, 'other.json')), { isRequest: false });
    assert.deepEqual(bindingForFile(root, loaded, join(root, 'other.request.json')), { isRequest: true });
  });

  it('keeps the file it found: .vscode/servelens.json when that is the one present', async () => {
    const other = await mkdtemp(join(tmpdir(), 'servelens-editor-bindings-'));
    try {
      await mkdir(join(other, '.vscode'));
      await writeFile(join(other, '.vscode', 'servelens.json'), '{"bindings": []}\n');
      const file = await writeBinding(other, 'b.json', { tfServing: 'http://localhost:8501/v1/models/half_plus_two' });
      assert.equal(file, join(other, '.vscode', 'servelens.json'));
      const t = bindingForFile(other, await loadWorkspaceBindings(other), join(other, 'b.json')).target;
      assert.equal(t?.kind, 'tf-serving');
      assert.equal(t?.resource, 'http://localhost:8501/v1/models/half_plus_two');
      assert.equal(t?.label, 'half_plus_two (TF Serving)');
    } finally {
      await rm(other, { recursive: true, force: true });
    }
  });

  it('labels every kind of target', () => {
    assert.equal(modelLabel(savedModel('saved_model_half_plus_two_cpu', '00000123')), 'half_plus_two_cpu');
    assert.equal(modelLabel(savedModel('saved_model_half_plus_two_cpu', '00000123', 'saved_model.pb')), 'half_plus_two_cpu');
    assert.equal(modelLabel(savedModel('times_three_float') + '/'), 'times_three_float');
    assert.equal(targetLabel({ endpoint: 'projects/p/locations/us-central1/endpoints/123' }), 'endpoint 123');
    assert.equal(targetLabel({ version: 'projects/p/models/census/versions/v2' }), 'census v2');
    assert.equal(targetLabel({ version: 'projects/p/models/census' }), 'census');
    assert.equal(targetLabel({ tfServing: 'http://h:8501/v1/models/m/versions/3' }), 'm 3 (TF Serving)');
  });

  it('accepts only the binding file\'s target shapes from callers of the bind command', () => {
    assert.equal(isBindingTarget({ model: 'm' }), true);
    assert.equal(isBindingTarget({ endpoint: 'projects/p/locations/l/endpoints/e' }), true);
    for (const bad of [null, 'm', ['m'], {}, { model: 1 }, { model: 'm', endpoint: 'e' }, { kind: 'local', model: 'm' }]) {
      assert.equal(isBindingTarget(bad), false, JSON.stringify(bad));
    }
  });
});
