import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import { readFile } from 'node:fs/promises';
import { caseSeed, formatReport, lengthPrefixes, listTargets, mutate, Rng, runFuzz, type TargetSpec } from '../../bench/fuzz';
import { SAVEDMODELS, savedModel } from '../helpers/fixtures';

/** The quick run's seed: fixed, so a failure here reproduces with `npm run bench:fuzz -- --seed=...`. */
const SEED = 20261122;

/** Cases per target: ~300 per SavedModel file (through both readers) and fingerprint; fewer for bundles. */
function casesFor(t: TargetSpec): number {
  switch (t.kind) {
    case 'savedmodel':
    case 'fingerprint':
    case 'pbtxt':
      return 300;
    case 'bundle-index':
      return 100;
    case 'bundle-data':
      return 40;
  }
}

describe('fuzz harness', () => {
  it('lists a target for every reader input in the fixtures', () => {
    const names = listTargets(SAVEDMODELS).map((t) => t.name);
    const pbs = names.filter((n) => n.startsWith('savedmodel:'));
    assert.equal(pbs.length, 7);
    assert.ok(names.includes('fingerprint:saved_model_half_plus_two_tf2_cpu/00000123'));
    assert.ok(names.includes('pbtxt:half_plus_two_pbtxt/00000123'));
    assert.equal(names.filter((n) => n.startsWith('bundle-index:')).length, 7);
    assert.equal(names.filter((n) => n.startsWith('bundle-data:')).length, 7);
  });

  it('finds the real length prefixes of a SavedModel', async () => {
    const bytes = new Uint8Array(await readFile(savedModel('times_two_int', 'saved_model.pb')));
    const prefixes = lengthPrefixes(bytes);
    // byte 0-1: schema version (08 01); byte 2: tag of meta_graphs (0x12); its length at byte 3.
    assert.equal(prefixes[0], 3);
    assert.ok(prefixes.length > 100, `${prefixes.length} prefixes`);
    for (const p of prefixes.slice(0, 50)) assert.ok(p > 0 && p < bytes.length);
  });

  it('mutations are a pure function of (seed, target, case)', async () => {
    const bytes = new Uint8Array(await readFile(savedModel('times_two_int', 'saved_model.pb')));
    const prefixes = lengthPrefixes(bytes);
    const a = mutate(bytes, new Rng(caseSeed(SEED, 'savedmodel:times_two_int', 17)), prefixes, false);
    const b = mutate(bytes, new Rng(caseSeed(SEED, 'savedmodel:times_two_int', 17)), prefixes, false);
    const c = mutate(bytes, new Rng(caseSeed(SEED, 'savedmodel:times_two_int', 18)), prefixes, false);
    assert.deepEqual(a.steps, b.steps);
    assert.deepEqual(Buffer.from(a.bytes), Buffer.from(b.bytes));
    assert.notDeepEqual(a.steps, c.steps);
    assert.notDeepEqual(Buffer.from(a.bytes), Buffer.from(bytes));
  });
});

describe('fuzz: quick seeded run over every fixture', () => {
  it('every reader gives a result or a ModelFormatError: no other exception, hang, crash or oversized allocation', { timeout: 240_000 }, async () => {
    const report = await runFuzz({
      seed: SEED,
      root: SAVEDMODELS,
      mode: 'per-target',
      casesPerTarget: casesFor,
      perCallTimeoutMs: 10_000,
    });
    const text = formatReport(report);
    const details = report.failures
      .slice(0, 20)
      .map((f) => `[${f.outcome}] ${f.target} ${f.reader} case ${f.case}: ${f.steps.join(' ; ')}\n  ${f.error}`)
      .join('\n');
    assert.equal(report.stoppedByTime, false);
    assert.deepEqual(report.failures, [], `${text}\n${details}`);

    // The run must exercise both paths of every reader, or it proves nothing.
    const targets = listTargets(SAVEDMODELS);
    assert.equal(report.cases, targets.reduce((n, t) => n + casesFor(t), 0));
    for (const s of report.targets) {
      const readers = Object.entries(s.outcomes).filter(([reader]) => reader !== 'diff');
      assert.ok(readers.length > 0, s.target);
      for (const [reader, outcomes] of readers) {
        assert.ok((outcomes['format-error'] ?? 0) > 0, `${s.target} ${reader} never saw a format error: ${text}`);
        if (!s.target.startsWith('bundle-data:')) {
          // (a data-file mutation almost always breaks a CRC: an error is the right answer there)
          assert.ok((outcomes.ok ?? 0) > 0, `${s.target} ${reader} never succeeded: ${text}`);
        }
      }
      if (s.target.startsWith('savedmodel:')) {
        assert.ok((s.outcomes.diff?.ok ?? 0) > 0, `${s.target}: no case where both readers succeeded`);
        // The allocation tracker sees Buffer.allocUnsafe: the lazy reader's 16 KiB read window.
        assert.ok(s.maxAllocBytes >= 16 * 1024, `${s.target}: largest allocation seen ${s.maxAllocBytes}`);
      }
      if (s.target.startsWith('bundle-index:')) {
        // ... and typed-array constructors: the bundle reader's `new Uint8Array(length)` reads.
        assert.ok(s.maxAllocBytes >= 48, `${s.target}: largest allocation seen ${s.maxAllocBytes}`);
      }
    }
  });
});
