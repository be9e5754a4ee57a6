import { strict as assert } from 'node:assert';
import { after, before, describe, it } from 'node:test';
import { mkdtemp, readFile, readdir, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { ModelFormatError } from '../../src/core/errors';
import { listSignaturesLazy, type LazySavedModel } from '../../src/core/model/lazy';
import { types } from '../../src/core/model/proto/schema';
import { decodeSavedModel, summarizeSavedModel } from '../../src/core/model/savedmodel';
import type { MetaGraphSummary } from '../../src/core/model/types';
import { scanFields, WIRE_LEN, WireView, decodeMessage, type WireField } from '../../src/core/model/wire';
import { Enc, writeSyntheticSavedModel } from '../../bench/gen-savedmodel';
import { SAVEDMODELS } from '../helpers/fixtures';

/** Every binary saved_model.pb under the fixtures folder. */
async function fixturePbs(dir = SAVEDMODELS): Promise<string[]> {
  const out: string[] = [];
  for (const e of await readdir(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) out.push(...(await fixturePbs(p)));
    else if (e.name === 'saved_model.pb') out.push(p);
  }
  return out.sort();
}

/** The full decode's meta graph summaries, without `ops` (which needs the graph). */
async function fullSummary(file: string): Promise<{ schemaVersion: number; metaGraphs: MetaGraphSummary[] }> {
  const s = summarizeSavedModel(decodeSavedModel(await readFile(file), file), { dir: '', file }, { ops: false });
  return { schemaVersion: s.schemaVersion ?? 0, metaGraphs: s.metaGraphs };
}

async function assertSameAsFull(file: string): Promise<LazySavedModel> {
  const lazy = await listSignaturesLazy(file);
  const full = await fullSummary(file);
  assert.deepStrictEqual(lazy.metaGraphs, full.metaGraphs);
  assert.equal(lazy.schemaVersion, full.schemaVersion);
  return lazy;
}

/** Facts from the fixtures README, so equality with the full decode is not the only check. */
const EXPECTED: Record<string, { signatures: string[]; objectGraph: boolean; assets: string[] }> = {
  'saved_model_half_plus_two_cpu/00000123': {
    signatures: ['serving_default', 'classify_x_to_y', 'regress_x_to_y2', 'regress_x_to_y', 'regress_x2_to_y3'],
    objectGraph: false,
    assets: ['foo.txt'],
  },
  'saved_model_half_plus_two_2_versions/00000123': {
    signatures: ['serving_default', 'classify_x_to_y', 'classify_x2_to_y3', 'regress_x_to_y2', 'regress_x_to_y', 'regress_x2_to_y3'],
    objectGraph: false,
    assets: ['foo.txt'],
  },
  'saved_model_half_plus_two_2_versions/00000124': {
    signatures: ['serving_default', 'classify_x_to_y', 'classify_x2_to_y3', 'regress_x_to_y2', 'regress_x_to_y', 'regress_x2_to_y3'],
    objectGraph: false,
    assets: ['foo.txt'],
  },
  'saved_model_half_plus_three/00000123': { signatures: ['serving_default', 'tensorflow/serving/regress'], objectGraph: false, assets: ['foo.txt'] },
  'saved_model_half_plus_two_tf2_cpu/00000123': {
    signatures: [
      '__saved_model_init_op',
      'classify_x2_to_y3',
      'classify_x_to_y',
      'regress_x2_to_y3',
      'regress_x_to_y',
      'regress_x_to_y2',
      'serving_default',
    ],
    objectGraph: true,
    assets: ['foo.txt'],
  },
  times_three_float: { signatures: ['serving_default', '__saved_model_init_op'], objectGraph: true, assets: [] },
  times_two_int: { signatures: ['serving_default', '__saved_model_init_op'], objectGraph: true, assets: [] },
};

// ------------------------------------------------------------------------------ a re-encoder

/** A field of a message held as its raw bytes (tag and all), so it can be moved around. */
interface RawField {
  field: number;
  wire: WireField;
  bytes: Uint8Array;
}

function rawFields(buf: Uint8Array, base: number, start: number, end: number): RawField[] {
  const out: RawField[] = [];
  for (const f of scanFields(buf, { file: 'mem', base }, start - base, end - base)) {
    out.push({ field: f.field, wire: f, bytes: buf.subarray(f.start - base, f.end - base) });
  }
  return out;
}

function lenField(field: number, payload: Uint8Array): Uint8Array {
  return new Uint8Array(new Enc(payload.length + 16).lenField(field, payload).bytes());
}

function concat(parts: Uint8Array[]): Uint8Array {
  return new Uint8Array(Buffer.concat(parts));
}

/** A map entry re-encoded with its value before its key. */
function valueFirst(entry: RawField, buf: Uint8Array): Uint8Array {
  const inner = rawFields(buf, 0, entry.wire.valueStart, entry.wire.end);
  inner.sort((a, b) => b.field - a.field);
  return lenField(entry.field, concat(inner.map((f) => f.bytes)));
}

type Reorder = (fields: RawField[], buf: Uint8Array) => Uint8Array[];

/**
 * Re-encodes a SavedModel with each MetaGraphDef's fields rearranged by `reorder`; the meta
 * graphs' length prefixes are recomputed. Nothing else changes.
 */
function reencode(buf: Uint8Array, reorder: Reorder): Uint8Array {
  const top = rawFields(buf, 0, 0, buf.length);
  const parts: Uint8Array[] = [];
  for (const f of top) {
    if (f.field !== 2) {
      parts.push(f.bytes);
      continue;
    }
    const fields = rawFields(buf, 0, f.wire.valueStart, f.wire.end);
    parts.push(lenField(2, concat(reorder(fields, buf))));
  }
  return concat(parts);
}

/** A seeded shuffle (xorshift32), so a failure can be reproduced. */
function shuffle<T>(xs: T[], seed: number): T[] {
  const out = [...xs];
  let s = seed >>> 0 || 1;
  for (let i = out.length - 1; i > 0; i--) {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    const j = (s >>> 0) % (i + 1);
    [out[i], out[j]] = [out[j]!, out[i]!];
  }
  return out;
}

/** A seeded shuffle that moves at least one field to a slot of another field number. */
function movedShuffle(fs: RawField[], seed: number): RawField[] {
  for (let s = seed; ; s++) {
    const out = shuffle(fs, s);
    if (out.some((f, i) => f.field !== fs[i]!.field)) return out;
  }
}

/**
 * The fields in the slot order `arranged` gives, but with the fields of one number kept in their
 * original relative order: map entries and repeated fields keep their order (which is the order
 * signatures are listed in), while everything else moves and interleaves.
 */
function keepOrderWithin(original: RawField[], arranged: RawField[]): Uint8Array[] {
  const queues = new Map<number, RawField[]>();
  for (const f of original) (queues.get(f.field) ?? queues.set(f.field, []).get(f.field)!).push(f);
  return arranged.map((slot) => queues.get(slot.field)!.shift()!.bytes);
}

const REORDERS: Record<string, Reorder> = {
  reversed: (fs) => keepOrderWithin(fs, [...fs].reverse()),
  'signatures first, meta_info_def last': (fs) =>
    [...fs.filter((f) => f.field === 5), ...fs.filter((f) => f.field !== 5 && f.field !== 1), ...fs.filter((f) => f.field === 1)].map((f) => f.bytes),
  'seeded shuffle 1': (fs) => keepOrderWithin(fs, movedShuffle(fs, 0x1234)),
  'seeded shuffle 2': (fs) => keepOrderWithin(fs, movedShuffle(fs, 0xbeef)),
  'map entries value-before-key': (fs, buf) => fs.map((f) => (f.field === 4 || f.field === 5 ? valueFirst(f, buf) : f.bytes)),
};

// ------------------------------------------------------------------------------ the tests

let tmp: string;
before(async () => {
  tmp = await mkdtemp(join(tmpdir(), 'servelens-lazy-'));
});
after(async () => {
  await rm(tmp, { recursive: true, force: true });
});

describe('listSignaturesLazy on the fixture SavedModels', async () => {
  const files = await fixturePbs();
  it('finds every fixture', () => {
    assert.deepEqual(
      files.map((f) => relative(SAVEDMODELS, f).replace(/\/saved_model\.pb$/, '')).sort(),
      Object.keys(EXPECTED).sort(),
    );
  });
  for (const file of files) {
    const name = relative(SAVEDMODELS, file).replace(/\/saved_model\.pb$/, '');
    it(`${name}: equals the full decode, and the README's facts`, async () => {
      const lazy = await assertSameAsFull(file);
      const want = EXPECTED[name]!;
      assert.equal(lazy.schemaVersion, 1);
      assert.equal(lazy.metaGraphs.length, 1);
      const mg = lazy.metaGraphs[0]!;
      assert.deepEqual(mg.tags, ['serve']);
      assert.deepEqual(mg.signatures.map((s) => s.name), want.signatures);
      assert.equal(mg.hasObjectGraph, want.objectGraph);
      assert.deepEqual(mg.assets.map((a) => a.filename), want.assets);
      assert.equal(mg.ops, undefined);
      assert.ok(mg.strippedOps && mg.strippedOps.length > 0, 'the stripped op list is read');
      assert.match(mg.tfVersion ?? '', /^\d|^v?\d/);
    });

    it(`${name}: the graph_def range in the layout is the GraphDef`, async () => {
      const lazy = await listSignaturesLazy(file);
      const bytes = await readFile(file);
      const g = lazy.layout[0]!.graphDef!;
      assert.ok(g.length > 1000);
      const fromRange = decodeMessage(new WireView(bytes.subarray(g.offset, g.offset + g.length), { file, base: g.offset }), types.GraphDef, {
        node: { name: true },
      });
      const full = decodeSavedModel(bytes, file).metaGraphs[0]!.graph_def!;
      assert.deepEqual((fromRange.node as { name: string }[]).map((n) => n.name), (full.node ?? []).map((n) => n.name));
    });

    for (const [order, reorder] of Object.entries(REORDERS)) {
      it(`${name}: MetaGraphDef fields ${order} list the same`, async () => {
        const original = await listSignaturesLazy(file);
        const bytes = new Uint8Array(await readFile(file));
        const permuted = reencode(bytes, reorder);
        assert.equal(permuted.length, bytes.length, 'the re-encoding keeps every byte');
        assert.notDeepEqual(Buffer.from(permuted), Buffer.from(bytes));
        const out = join(tmp, `${name.replace(/\W+/g, '_')}-${order.replace(/\W+/g, '_')}.pb`);
        await writeFile(out, permuted);
        const lazy = await assertSameAsFull(out); // the full decode agrees on the permuted file too
        assert.deepStrictEqual(lazy.metaGraphs, original.metaGraphs);
      });
    }
  }
});

describe('listSignaturesLazy on synthetic models (bench/gen-savedmodel.ts)', () => {
  for (const kind of ['nodes', 'consts'] as const) {
    it(`${kind}: equals the full decode and reads a small part of the file`, async () => {
      const g = writeSyntheticSavedModel(join(tmp, `${kind}-4mb`, 'saved_model.pb'), kind, 4 * 1024 * 1024);
      const lazy = await assertSameAsFull(g.file);
      assert.equal(lazy.metaGraphs.length, kind === 'consts' ? 2 : 1);
      const mg = lazy.metaGraphs[0]!;
      assert.deepEqual(
        mg.signatures.map((s) => s.name),
        ['serving_default', 'classify', 'regress', 'embeddings/sparse_ids', '__saved_model_init_op'],
      );
      const sparse = mg.signatures[3]!.inputs.find((i) => i.alias === 'ids')!;
      assert.equal(sparse.encoding, 'coo_sparse');
      assert.deepEqual(sparse.cooSparse, { values: 'sparse_ids/values:0', indices: 'sparse_ids/indices:0', denseShape: 'sparse_ids/dense_shape:0' });
      assert.deepEqual(mg.assets.map((a) => a.filename), [kind === 'consts' ? 'labels.txt' : 'vocab.txt']);
      if (kind === 'consts') assert.deepEqual(lazy.metaGraphs[1]!.tags, ['serve', 'tpu']);
      const layout = lazy.layout[0]!;
      assert.ok(layout.graphDef!.length > 0.5 * g.bytes, 'the graph is most of the file');
      if (kind === 'nodes') assert.deepEqual(layout.collections.map((c) => c.key), ['asset_filepaths', 'trainable_variables', 'variables', 'saved_model_assets', 'legacy_init_op']);
      assert.ok(lazy.io.bytesRead < 0.05 * g.bytes, `read ${lazy.io.bytesRead} of ${g.bytes} bytes`);
      assert.ok(lazy.io.reads <= 10, `${lazy.io.reads} reads`);
    });
  }
});

async function lazyError(file: string): Promise<ModelFormatError> {
  try {
    await listSignaturesLazy(file);
  } catch (err) {
    assert.ok(err instanceof ModelFormatError, `expected ModelFormatError, got ${String(err)}`);
    assert.equal(err.file, file);
    assert.equal(typeof err.offset, 'number');
    return err;
  }
  assert.fail('expected a ModelFormatError');
}

describe('listSignaturesLazy on damaged files', () => {
  const file = join(SAVEDMODELS, 'saved_model_half_plus_two_tf2_cpu', '00000123', 'saved_model.pb');

  it('a file truncated anywhere gives ModelFormatError with an offset inside the file', async () => {
    const bytes = await readFile(file);
    const size = (await stat(file)).size;
    // 0 bytes, 1 byte, inside every top-level region, and one byte short.
    for (const cut of [1, 3, 100, 6010, 7100, 20000, 35600, size - 1]) {
      const out = join(tmp, `truncated-${cut}.pb`);
      await writeFile(out, bytes.subarray(0, cut));
      const err = await lazyError(out);
      assert.ok(err.offset! >= 0 && err.offset! <= cut, `offset ${err.offset} for a cut at ${cut}`);
    }
    const empty = join(tmp, 'empty.pb');
    await writeFile(empty, new Uint8Array(0));
    assert.match((await lazyError(empty)).expected, /MetaGraphDef/);
  });

  it('a truncated MetaGraphDef names the length that does not fit, at its offset', async () => {
    const bytes = await readFile(file);
    const out = join(tmp, 'truncated-mg.pb');
    await writeFile(out, bytes.subarray(0, 20000));
    const err = await lazyError(out);
    assert.equal(err.offset, 3); // the meta_graphs length prefix after tag 0x12 at byte 2
    assert.match(err.expected, /length of field 2 to fit/);
  });

  it('a huge varint length inside a signature entry is refused where it is', async () => {
    const bytes = Buffer.from(await readFile(file));
    // The first signature_def entry (tag 0x2a) of this file starts at byte 6003 (see the layout).
    const lazy = await listSignaturesLazy(file);
    const mgStart = lazy.layout[0]!.range.offset;
    const entries = rawFields(bytes, 0, mgStart, mgStart + lazy.layout[0]!.range.length).filter((f) => f.field === 5);
    const entry = entries[0]!.wire;
    const damaged = Buffer.from(bytes);
    // Overwrite the key's length byte (right after the key tag) with a length past the entry's end.
    const keyTagAt = entry.valueStart;
    assert.equal(damaged[keyTagAt], 0x0a);
    damaged[keyTagAt + 1] = 0x7f;
    const out = join(tmp, 'huge-key.pb');
    await writeFile(out, damaged);
    const err = await lazyError(out);
    assert.equal(err.offset, keyTagAt + 1);
    assert.match(err.expected, /to fit in the enclosing message/);

    // An 11-byte varint where the entry's length should be.
    const longVarint = Buffer.concat([bytes.subarray(0, entry.start + 1), Buffer.alloc(11, 0xff), bytes.subarray(entry.start + 1)]);
    const out2 = join(tmp, 'long-varint.pb');
    await writeFile(out2, longVarint);
    const err2 = await lazyError(out2);
    assert.match(err2.message, /varint|fit/);
  });

  it('a wrong wire type for a known MetaGraphDef field is refused with its offset', async () => {
    const bytes = Buffer.from(await readFile(file));
    const lazy = await listSignaturesLazy(file);
    const mgStart = lazy.layout[0]!.range.offset;
    const first = rawFields(bytes, 0, mgStart, mgStart + lazy.layout[0]!.range.length)[0]!;
    assert.equal(first.wire.wireType, WIRE_LEN);
    const damaged = Buffer.from(bytes);
    damaged[first.wire.start] = (first.field << 3) | 5; // LEN -> FIXED32
    const out = join(tmp, 'wire-type.pb');
    await writeFile(out, damaged);
    const err = await lazyError(out);
    assert.equal(err.offset, first.wire.start);
  });

  /** A SavedModel whose one signature input is a composite tensor nested `depth` levels deep. */
  function nestedModel(depth: number): Uint8Array {
    const info = (e: Enc, d: number): void => {
      if (d === 0) e.str(1, 'x:0').uint(2, 1);
      else e.msg(5, (c) => c.msg(1, (spec) => spec.uint(1, 3)).msg(2, (inner) => info(inner, d - 1)));
    };
    const e = new Enc().uint(1, 1);
    e.msg(2, (mg) => {
      mg.msg(1, (mi) => mi.str(4, 'serve'));
      mg.mapEntry(5, 'deep', (sig) => sig.mapEntry(1, 'in', (t) => info(t, depth)).str(3, 'tensorflow/serving/predict'));
    });
    return new Uint8Array(e.bytes());
  }

  it('nesting is bounded: a composite 30 deep lists like the full decode, 200 deep is refused', async () => {
    const ok = join(tmp, 'nested-30.pb');
    await writeFile(ok, nestedModel(30));
    const lazy = await assertSameAsFull(ok);
    assert.equal(lazy.metaGraphs[0]!.signatures[0]!.inputs[0]!.encoding, 'composite');
    assert.equal(lazy.metaGraphs[0]!.signatures[0]!.inputs[0]!.composite!.typeSpec, 'RaggedTensorSpec');

    const deep = join(tmp, 'nested-200.pb');
    await writeFile(deep, nestedModel(200));
    const err = await lazyError(deep);
    assert.match(err.expected, /nested at most 100 deep/);
    assert.throws(() => decodeSavedModel(nestedModel(200), deep), ModelFormatError); // the full decode agrees
  });

  it('a missing file is an IoError, not a format error', async () => {
    await assert.rejects(listSignaturesLazy(join(tmp, 'nope.pb')), (err: Error) => err.name === 'IoError');
  });
});
