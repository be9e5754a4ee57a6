import { strict as assert } from 'node:assert';
import { after, before, describe, it } from 'node:test';
import { copyFile, mkdir, mkdtemp, readdir, readFile, rm, truncate, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writer } from 'protobufjs';
import { compress } from 'snappyjs';
import { IoError, ModelFormatError, ModelNotFoundError, ServeLensError, UsageError } from '../../src/core/errors';
import { dataFilename, openBundle, type TensorBundle } from '../../src/core/model/bundle/bundle';
import { crc32c, crc32cExtend, maskCrc, unmaskCrc } from '../../src/core/model/bundle/crc32c';
import { readTable } from '../../src/core/model/bundle/sstable';
import { savedModel } from '../helpers/fixtures';

// ---------------------------------------------------------------------------------------------
// The real fixtures: every SavedModel with a variables folder, with what TensorFlow wrote into it.
// ---------------------------------------------------------------------------------------------

interface ExpectedVar {
  key: string;
  dtype: string;
  shape: number[];
  bytes: number;
  /** Numeric values, or for DT_STRING the byte length of the single element. */
  value: number[] | { stringBytes: number };
}

const OBJECT_GRAPH_TF2 = { key: '_CHECKPOINTABLE_OBJECT_GRAPH', dtype: 'DT_STRING', shape: [], bytes: 619, value: { stringBytes: 613 } };
const OBJECT_GRAPH_TFJS = { key: '_CHECKPOINTABLE_OBJECT_GRAPH', dtype: 'DT_STRING', shape: [], bytes: 92, value: { stringBytes: 87 } };
const f = (key: string, v: number): ExpectedVar => ({ key, dtype: 'DT_FLOAT', shape: [], bytes: 4, value: [v] });

const FIXTURES: Array<{ dir: string[]; snappy: boolean; vars: ExpectedVar[] }> = [
  { dir: ['saved_model_half_plus_two_cpu', '00000123'], snappy: true, vars: [f('a', 0.5), f('a2', 0.5), f('b', 2), f('c', 3), f('c2', 3)] },
  { dir: ['saved_model_half_plus_two_2_versions', '00000123'], snappy: false, vars: [f('a', 0.5), f('b', 2), f('c', 3)] },
  { dir: ['saved_model_half_plus_two_2_versions', '00000124'], snappy: false, vars: [f('a', 0.5), f('b', 2), f('c', 3)] },
  { dir: ['saved_model_half_plus_three', '00000123'], snappy: false, vars: [f('a', 0.5), f('b', 3), f('c', 3)] },
  {
    dir: ['saved_model_half_plus_two_tf2_cpu', '00000123'],
    snappy: true,
    vars: [OBJECT_GRAPH_TF2, f('a/.ATTRIBUTES/VARIABLE_VALUE', 0.5), f('b/.ATTRIBUTES/VARIABLE_VALUE', 2), f('c/.ATTRIBUTES/VARIABLE_VALUE', 3)],
  },
  { dir: ['times_three_float'], snappy: false, vars: [OBJECT_GRAPH_TFJS, f('v/.ATTRIBUTES/VARIABLE_VALUE', 3)] },
  {
    dir: ['times_two_int'],
    snappy: false,
    vars: [OBJECT_GRAPH_TFJS, { key: 'v/.ATTRIBUTES/VARIABLE_VALUE', dtype: 'DT_INT32', shape: [], bytes: 4, value: [2] }],
  },
];

function assertFormatError(err: unknown, file: string, expected: RegExp): true {
  assert.ok(err instanceof ModelFormatError, `expected ModelFormatError, got ${err instanceof Error ? `${err.name}: ${err.message}` : String(err)}`);
  assert.equal(err.file, file);
  assert.equal(typeof err.offset, 'number');
  assert.match(err.expected, expected);
  return true;
}

describe('TensorBundle: the fixture SavedModels', () => {
  for (const fx of FIXTURES) {
    const variables = savedModel(...fx.dir, 'variables');
    it(`${fx.dir.join('/')}: keys, dtypes, shapes and values`, async () => {
      const bundle = await openBundle(variables);
      assert.equal(bundle.header.numShards, 1);
      assert.equal(bundle.header.endianness, 0);
      assert.deepEqual(
        bundle.list(),
        fx.vars.map(({ key, dtype, shape, bytes }) => ({ key, dtype, shape, bytes, shard: 0 })),
      );
      for (const v of fx.vars) {
        const t = await bundle.read(v.key);
        assert.equal(t.dtype, v.dtype);
        assert.deepEqual(t.shape, v.shape);
        if (Array.isArray(v.value)) {
          assert.ok(v.dtype === 'DT_FLOAT' ? t.data instanceof Float32Array : t.data instanceof Int32Array);
          assert.deepEqual(Array.from(t.data as Float32Array), v.value);
        } else {
          // The object graph is a serialized TrackableObjectGraph: field 1 (nodes), length-delimited.
          assert.equal(t.bytes?.length, 1);
          assert.equal(t.bytes[0].length, v.value.stringBytes);
          assert.equal(t.bytes[0][0], 0x0a);
          assert.equal((t.data as string[]).length, 1);
        }
      }
    });
    it(`${fx.dir.join('/')}: index block compression is ${fx.snappy ? 'snappy' : 'none'}`, async () => {
      const table = await readTable(join(variables, 'variables.index'));
      assert.equal(table.compressedBlocks > 0, fx.snappy);
      assert.equal(table.dataBlocks, 1);
      assert.equal(table.entries.length, fx.vars.length + 1);
      assert.equal(table.entries[0].key.length, 0);
    });
  }

  it('the object graph string decodes to the node names of the tf.Module', async () => {
    const bundle = await openBundle(savedModel('saved_model_half_plus_two_tf2_cpu', '00000123', 'variables'));
    const t = await bundle.read('_CHECKPOINTABLE_OBJECT_GRAPH');
    const text = (t.data as string[])[0];
    for (const name of ['a/.ATTRIBUTES/VARIABLE_VALUE', 'b/.ATTRIBUTES/VARIABLE_VALUE', 'c/.ATTRIBUTES/VARIABLE_VALUE']) {
      assert.ok(text.includes(name), `object graph mentions ${name}`);
    }
  });

  it('an unknown key is a usage error naming the key', async () => {
    const bundle = await openBundle(savedModel('times_three_float', 'variables'));
    await assert.rejects(bundle.read('w/.ATTRIBUTES/VARIABLE_VALUE'), (err) => {
      assert.ok(ServeLensError.is(err, 'usage'));
      assert.ok(err instanceof UsageError);
      assert.match(err.message, /no variable "w\/\.ATTRIBUTES\/VARIABLE_VALUE"/);
      return true;
    });
    assert.equal(bundle.has('v/.ATTRIBUTES/VARIABLE_VALUE'), true);
    assert.equal(bundle.has('v'), false);
  });

  it('a folder without variables.index is ModelNotFoundError', async () => {
    await assert.rejects(openBundle(savedModel('times_three_float')), ModelNotFoundError);
  });
});

// ---------------------------------------------------------------------------------------------
// CRC32C
// ---------------------------------------------------------------------------------------------

/** A bit-at-a-time reference CRC32C, independent of the table-driven one. */
function referenceCrc(data: Uint8Array): number {
  let c = 0xffffffff;
  for (const b of data) {
    c ^= b;
    for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ 0x82f63b78 : c >>> 1;
  }
  return ~c >>> 0;
}

describe('CRC32C', () => {
  it('matches the published check values', () => {
    assert.equal(crc32c(Buffer.from('123456789')), 0xe3069283);
    assert.equal(crc32c(new Uint8Array(32)), 0x8a9136aa);
    assert.equal(crc32c(new Uint8Array(32).fill(0xff)), 0x62a8ab43);
    assert.equal(crc32c(new Uint8Array(0)), 0);
  });
  it('agrees with a bitwise reference for every length up to 200 and any split point', () => {
    const data = new Uint8Array(200);
    let s = 12345;
    for (let i = 0; i < data.length; i++) data[i] = (s = (s * 1103515245 + 12345) >>> 0) >>> 24;
    for (let n = 0; n <= data.length; n++) {
      const part = data.subarray(0, n);
      assert.equal(crc32c(part), referenceCrc(part), `length ${n}`);
    }
    for (const cut of [0, 1, 7, 8, 9, 100, 199, 200]) {
      assert.equal(crc32cExtend(crc32cExtend(0, data, 0, cut), data, cut), crc32c(data));
    }
  });
  it('masks and unmasks as LevelDB does', () => {
    assert.equal(maskCrc(0), 0xa282ead8);
    for (const c of [0, 1, 0xe3069283, 0xffffffff, 0x80000000]) assert.equal(unmaskCrc(maskCrc(c)), c);
    assert.notEqual(maskCrc(maskCrc(0xe3069283)), 0xe3069283);
  });
});

// ---------------------------------------------------------------------------------------------
// Corruption on temp copies of the fixtures (never written into the fixtures folder).
// ---------------------------------------------------------------------------------------------

let tmp: string;
before(async () => {
  tmp = await mkdtemp(join(tmpdir(), 'servelens-bundle-'));
});
after(async () => {
  await rm(tmp, { recursive: true, force: true });
});

async function copyVariables(...fixture: string[]): Promise<string> {
  const src = savedModel(...fixture, 'variables');
  const dst = await mkdtemp(join(tmp, 'vars-'));
  for (const name of await readdir(src)) await copyFile(join(src, name), join(dst, name));
  return dst;
}

/** Opens the bundle and reads every variable; returns the values or throws. */
async function readAll(dir: string): Promise<Array<[string, unknown]>> {
  const b = await openBundle(dir);
  const out: Array<[string, unknown]> = [];
  for (const v of b.list()) {
    const t = await b.read(v.key);
    out.push([v.key, t.bytes ? t.bytes.map((x) => Buffer.from(x).toString('hex')) : Array.from(t.data as Float32Array)]);
  }
  return out;
}

describe('TensorBundle: corrupt and truncated copies', () => {
  it('a flipped byte in the data file fails the entry CRC', async () => {
    const dir = await copyVariables('saved_model_half_plus_two_2_versions', '00000123');
    const dataFile = join(dir, 'variables.data-00000-of-00001');
    const bytes = await readFile(dataFile);
    bytes[5] ^= 0x01; // inside "b" (offset 4, size 4)
    await writeFile(dataFile, bytes);
    const bundle = await openBundle(dir);
    assert.deepEqual(Array.from((await bundle.read('a')).data as Float32Array), [0.5]);
    await assert.rejects(bundle.read('b'), (err) => {
      assertFormatError(err, dataFile, /CRC32C of variable "b"/);
      assert.equal((err as ModelFormatError).offset, 4);
      return true;
    });
  });

  it('a flipped byte in an uncompressed index block fails the block CRC', async () => {
    const dir = await copyVariables('saved_model_half_plus_three', '00000123');
    const index = join(dir, 'variables.index');
    const bytes = await readFile(index);
    bytes[0x0c] ^= 0x20; // the key "a" becomes "A"
    await writeFile(index, bytes);
    await assert.rejects(openBundle(dir), (err) => assertFormatError(err, index, /CRC32C of the data block at byte 0/));
  });

  it('a flipped byte in a snappy-compressed index block fails the block CRC', async () => {
    for (const fixture of [['saved_model_half_plus_two_cpu', '00000123'], ['saved_model_half_plus_two_tf2_cpu', '00000123']]) {
      const dir = await copyVariables(...fixture);
      const index = join(dir, 'variables.index');
      const bytes = await readFile(index);
      bytes[10] ^= 0x04;
      await writeFile(index, bytes);
      await assert.rejects(openBundle(dir), (err) => assertFormatError(err, index, /CRC32C of the data block/));
    }
  });

  it('a wrong magic number is named as such', async () => {
    const dir = await copyVariables('times_two_int');
    const index = join(dir, 'variables.index');
    const bytes = await readFile(index);
    bytes[bytes.length - 1] = 0;
    await writeFile(index, bytes);
    await assert.rejects(openBundle(dir), (err) => {
      assertFormatError(err, index, /magic number 0xdb4775248b80fb57/);
      assert.equal((err as ModelFormatError).offset, bytes.length - 8);
      return true;
    });
  });

  it('every truncation of every index gives ModelFormatError', async () => {
    for (const fx of FIXTURES) {
      const original = await readFile(savedModel(...fx.dir, 'variables', 'variables.index'));
      const dir = await copyVariables(...fx.dir);
      const index = join(dir, 'variables.index');
      for (let n = 0; n < original.length; n++) {
        await writeFile(index, original.subarray(0, n));
        await assert.rejects(openBundle(dir), (err) => assertFormatError(err, index, /./), `${fx.dir.join('/')} cut to ${n} bytes`);
      }
    }
  });

  it('every single-byte change of an index either reads the same values or gives ModelFormatError', async () => {
    for (const fx of FIXTURES) {
      const original = await readFile(savedModel(...fx.dir, 'variables', 'variables.index'));
      const dir = await copyVariables(...fx.dir);
      const good = await readAll(dir);
      const index = join(dir, 'variables.index');
      const undetected: number[] = [];
      for (let i = 0; i < original.length; i++) {
        const bytes = Buffer.from(original);
        bytes[i] ^= 0xff;
        await writeFile(index, bytes);
        try {
          assert.deepEqual(await readAll(dir), good, `byte ${i} changed the values without an error`);
          undetected.push(i);
        } catch (err) {
          if (err instanceof assert.AssertionError) throw err;
          assertFormatError(err, index, /./);
        }
      }
      // Only the footer's zero padding (after the two block handles, before the magic) is unchecked.
      const padding = undetected.filter((i) => i >= original.length - 48 + 4 && i < original.length - 8);
      assert.deepEqual(undetected, padding, `${fx.dir.join('/')}: unchecked bytes outside the footer padding`);
      assert.ok(undetected.length < 40);
    }
  });

  it('every single-byte change of a string entry fails its checks', async () => {
    const dir = await copyVariables('times_three_float');
    const dataFile = join(dir, 'variables.data-00000-of-00001');
    const original = await readFile(dataFile);
    // v is at 0..4, the object graph at 4..96.
    for (let i = 4; i < original.length; i++) {
      const bytes = Buffer.from(original);
      bytes[i] ^= 0x55;
      await writeFile(dataFile, bytes);
      const bundle = await openBundle(dir);
      await assert.rejects(bundle.read('_CHECKPOINTABLE_OBJECT_GRAPH'), (err) => assertFormatError(err, dataFile, /./), `byte ${i}`);
    }
  });

  it('a truncated data file names the missing bytes', async () => {
    const dir = await copyVariables('saved_model_half_plus_two_cpu', '00000123');
    const dataFile = join(dir, 'variables.data-00000-of-00001');
    await truncate(dataFile, 10);
    const bundle = await openBundle(dir);
    assert.deepEqual(Array.from((await bundle.read('a')).data as Float32Array), [0.5]);
    await assert.rejects(bundle.read('c2'), (err) => {
      assertFormatError(err, dataFile, /4 bytes of variable "c2" at byte 16/);
      assert.match((err as ModelFormatError).message, /only 10 bytes/);
      return true;
    });
  });

  it('a missing data shard is an IoError naming the file', async () => {
    const dir = await copyVariables('times_two_int');
    await rm(join(dir, 'variables.data-00000-of-00001'));
    const bundle = await openBundle(dir);
    assert.equal(bundle.list().length, 2);
    await assert.rejects(bundle.read('v/.ATTRIBUTES/VARIABLE_VALUE'), (err) => {
      assert.ok(err instanceof IoError);
      assert.equal(err.path, join(dir, 'variables.data-00000-of-00001'));
      return true;
    });
  });
});

// ---------------------------------------------------------------------------------------------
// Synthetic bundles: every dtype, several shards and blocks, and malformed entries. The writer
// below follows TensorFlow's on-disk format (tensor_bundle.cc / table_builder.cc).
// ---------------------------------------------------------------------------------------------

interface SynthTensor {
  key: string | Uint8Array;
  dtype: number;
  shape: number[];
  /** The bytes stored in the data file. */
  data: Uint8Array;
  /** The CRC TensorFlow records (unmasked); defaults to the CRC of `data`. */
  crc?: number;
  shard?: number;
  /** Overrides for the entry proto. */
  size?: number;
  slices?: Array<Array<{ start: number; length?: number }>>;
}

interface SynthOptions {
  numShards?: number;
  endianness?: number;
  minConsumer?: number;
  /** Entries per data block. */
  perBlock?: number;
  restartInterval?: number;
  snappy?: boolean;
}

function varint(n: number): number[] {
  const out: number[] = [];
  while (n >= 0x80) {
    out.push((n % 128) | 0x80);
    n = Math.floor(n / 128);
  }
  out.push(n);
  return out;
}

function u32(n: number): number[] {
  return [n & 0xff, (n >>> 8) & 0xff, (n >>> 16) & 0xff, (n >>> 24) & 0xff];
}

function encodeBlock(entries: Array<[Uint8Array, Uint8Array]>, restartInterval: number): Uint8Array {
  const out: number[] = [];
  const restarts: number[] = [];
  let prev: Uint8Array = new Uint8Array(0);
  entries.forEach(([key, value], i) => {
    let shared = 0;
    if (i % restartInterval === 0) restarts.push(out.length);
    else while (shared < prev.length && shared < key.length && prev[shared] === key[shared]) shared++;
    out.push(...varint(shared), ...varint(key.length - shared), ...varint(value.length), ...key.subarray(shared), ...value);
    prev = key;
  });
  if (restarts.length === 0) restarts.push(0);
  for (const r of restarts) out.push(...u32(r));
  out.push(...u32(restarts.length));
  return Uint8Array.from(out);
}

function encodeTable(entries: Array<[Uint8Array, Uint8Array]>, opts: SynthOptions): Uint8Array {
  const chunks: number[] = [];
  const writeBlock = (contents: Uint8Array, snappy: boolean): number[] => {
    const stored = snappy ? compress(contents) : contents;
    const offset = chunks.length;
    const typed = Uint8Array.from([...stored, snappy ? 1 : 0]);
    chunks.push(...typed, ...u32(maskCrc(crc32c(typed))));
    return [...varint(offset), ...varint(stored.length)];
  };
  const perBlock = opts.perBlock ?? 1000;
  const index: Array<[Uint8Array, Uint8Array]> = [];
  for (let i = 0; i < entries.length; i += perBlock) {
    const group = entries.slice(i, i + perBlock);
    const handle = writeBlock(encodeBlock(group, opts.restartInterval ?? 16), opts.snappy ?? false);
    index.push([group[group.length - 1][0], Uint8Array.from(handle)]);
  }
  const meta = writeBlock(encodeBlock([], 16), false);
  const idx = writeBlock(encodeBlock(index, 1), false);
  const footer = [...meta, ...idx];
  while (footer.length < 40) footer.push(0);
  footer.push(0x57, 0xfb, 0x80, 0x8b, 0x24, 0x75, 0x47, 0xdb);
  return Uint8Array.from([...chunks, ...footer]);
}

function encodeHeader(numShards: number, endianness: number, minConsumer: number): Uint8Array {
  const version = Writer.create().uint32(8).int32(1);
  if (minConsumer) version.uint32(16).int32(minConsumer);
  const w = Writer.create().uint32(8).int32(numShards);
  if (endianness) w.uint32(16).int32(endianness);
  return w.uint32(26).bytes(version.finish()).finish();
}

function encodeEntry(t: SynthTensor, offset: number): Uint8Array {
  const shape = Writer.create();
  for (const d of t.shape) shape.uint32(18).bytes(Writer.create().uint32(8).int64(d).finish());
  const w = Writer.create().uint32(8).int32(t.dtype).uint32(18).bytes(shape.finish());
  if (t.shard) w.uint32(24).int32(t.shard);
  if (offset) w.uint32(32).int64(offset);
  w.uint32(40).int64(t.size ?? t.data.length);
  w.uint32(53).fixed32(maskCrc(t.crc ?? crc32c(t.data)));
  for (const s of t.slices ?? []) {
    const slice = Writer.create();
    for (const e of s) {
      const ext = Writer.create().uint32(8).int64(e.start);
      if (e.length !== undefined) ext.uint32(16).int64(e.length);
      slice.uint32(10).bytes(ext.finish());
    }
    w.uint32(58).bytes(slice.finish());
  }
  return w.finish();
}

const keyBytes = (k: string | Uint8Array) => (typeof k === 'string' ? Buffer.from(k, 'utf8') : k);

async function writeBundle(tensors: SynthTensor[], opts: SynthOptions = {}): Promise<string> {
  const dir = await mkdtemp(join(tmp, 'synth-'));
  const numShards = opts.numShards ?? 1;
  const shards: number[][] = Array.from({ length: numShards }, () => []);
  const entries: Array<[Uint8Array, Uint8Array]> = [[new Uint8Array(0), encodeHeader(numShards, opts.endianness ?? 0, opts.minConsumer ?? 0)]];
  for (const t of [...tensors].sort((a, b) => Buffer.compare(keyBytes(a.key), keyBytes(b.key)))) {
    const shard = shards[Math.min(t.shard ?? 0, numShards - 1)];
    entries.push([keyBytes(t.key), encodeEntry(t, shard.length)]);
    shard.push(...t.data);
  }
  await writeFile(join(dir, 'variables.index'), encodeTable(entries, opts));
  for (let s = 0; s < numShards; s++) await writeFile(join(dir, dataFilename('variables', s, numShards)), Uint8Array.from(shards[s]));
  return dir;
}

/** TensorFlow's DT_STRING layout and checksum. */
function encodeStrings(values: Uint8Array[]): { data: Uint8Array; crc: number } {
  const lengths: number[] = [];
  let crc = 0;
  for (const v of values) {
    lengths.push(...varint(v.length));
    crc = crc32cExtend(crc, Uint8Array.from(u32(v.length)));
  }
  const check = Uint8Array.from(u32(maskCrc(crc)));
  crc = crc32cExtend(crc, check);
  for (const v of values) crc = crc32cExtend(crc, v);
  return { data: Uint8Array.from([...lengths, ...check, ...values.flatMap((v) => [...v])]), crc };
}

const bytesOf = (a: ArrayBufferView) => new Uint8Array(a.buffer, a.byteOffset, a.byteLength);

describe('TensorBundle: synthetic bundles', () => {
  let bundle: TensorBundle;
  const strings = ['', 'héllo', 'x'.repeat(200)].map((s) => Buffer.from(s, 'utf8'));
  const binary = Uint8Array.of(0xff, 0x00, 0xfe);
  const encoded = encodeStrings([...strings, binary]);

  before(async () => {
    const dir = await writeBundle(
      [
        { key: 'f32', dtype: 1, shape: [2, 2], data: bytesOf(Float32Array.of(1.5, -2, 0, 1e30)) },
        { key: 'f64', dtype: 2, shape: [3], data: bytesOf(Float64Array.of(Math.PI, -0, 1e-300)) },
        { key: 'i64', dtype: 9, shape: [2], data: bytesOf(BigInt64Array.of(-(2n ** 62n), 9007199254740993n)), shard: 1 },
        { key: 'u8', dtype: 4, shape: [3], data: Uint8Array.of(0, 128, 255) },
        { key: 'i8', dtype: 6, shape: [2], data: Uint8Array.of(0x80, 0x7f) },
        { key: 'i16', dtype: 5, shape: [2], data: bytesOf(Int16Array.of(-300, 300)), shard: 1 },
        { key: 'u16', dtype: 17, shape: [1], data: bytesOf(Uint16Array.of(65535)) },
        { key: 'u32', dtype: 22, shape: [1], data: bytesOf(Uint32Array.of(4294967295)) },
        { key: 'u64', dtype: 23, shape: [1], data: bytesOf(BigUint64Array.of(2n ** 64n - 1n)) },
        { key: 'bool', dtype: 10, shape: [4], data: Uint8Array.of(1, 0, 0, 1) },
        { key: 'half', dtype: 19, shape: [2], data: bytesOf(Uint16Array.of(0x3c00, 0xc000)) },
        { key: 'bf16', dtype: 14, shape: [1], data: bytesOf(Uint16Array.of(0x3f80)) },
        { key: 'c64', dtype: 8, shape: [2], data: bytesOf(Float32Array.of(1, 2, 3, 4)) },
        { key: 'c128', dtype: 18, shape: [1], data: bytesOf(Float64Array.of(-1, 0.5)) },
        { key: 'empty', dtype: 1, shape: [0, 7], data: new Uint8Array(0) },
        { key: 'str', dtype: 7, shape: [2, 2], data: encoded.data, crc: encoded.crc, shard: 1 },
        ...Array.from({ length: 40 }, (_, i) => ({
          key: `layer_${String(i).padStart(2, '0')}/kernel/.ATTRIBUTES/VARIABLE_VALUE`,
          dtype: 3,
          shape: [1],
          data: bytesOf(Int32Array.of(i * 1000 - 7)),
        })),
      ],
      { numShards: 2, perBlock: 7, restartInterval: 3 },
    );
    bundle = await openBundle(dir);
  });

  it('lists every key sorted with dtype names, shapes, sizes and shards', () => {
    const list = bundle.list();
    assert.equal(list.length, 56);
    assert.deepEqual(
      list.map((v) => v.key),
      [...list.map((v) => v.key)].sort(),
    );
    const byKey = new Map(list.map((v) => [v.key, v]));
    assert.deepEqual(byKey.get('f32'), { key: 'f32', dtype: 'DT_FLOAT', shape: [2, 2], bytes: 16, shard: 0 });
    assert.deepEqual(byKey.get('i64'), { key: 'i64', dtype: 'DT_INT64', shape: [2], bytes: 16, shard: 1 });
    assert.deepEqual(byKey.get('half'), { key: 'half', dtype: 'DT_HALF', shape: [2], bytes: 4, shard: 0 });
    assert.deepEqual(byKey.get('bf16')?.dtype, 'DT_BFLOAT16');
    assert.deepEqual(byKey.get('c64')?.dtype, 'DT_COMPLEX64');
    assert.deepEqual(byKey.get('str'), { key: 'str', dtype: 'DT_STRING', shape: [2, 2], bytes: encoded.data.length, shard: 1 });
    assert.deepEqual(byKey.get('empty'), { key: 'empty', dtype: 'DT_FLOAT', shape: [0, 7], bytes: 0, shard: 0 });
  });

  const cases: Array<[string, string, new (n: number) => ArrayBufferView, unknown[]]> = [
    ['f32', 'DT_FLOAT', Float32Array, [1.5, -2, 0, Math.fround(1e30)]],
    ['f64', 'DT_DOUBLE', Float64Array, [Math.PI, -0, 1e-300]],
    ['i64', 'DT_INT64', BigInt64Array, [-(2n ** 62n), 9007199254740993n]],
    ['u8', 'DT_UINT8', Uint8Array, [0, 128, 255]],
    ['i8', 'DT_INT8', Int8Array, [-128, 127]],
    ['i16', 'DT_INT16', Int16Array, [-300, 300]],
    ['u16', 'DT_UINT16', Uint16Array, [65535]],
    ['u32', 'DT_UINT32', Uint32Array, [4294967295]],
    ['u64', 'DT_UINT64', BigUint64Array, [2n ** 64n - 1n]],
    ['bool', 'DT_BOOL', Uint8Array, [1, 0, 0, 1]],
    ['half', 'DT_HALF', Uint16Array, [0x3c00, 0xc000]],
    ['bf16', 'DT_BFLOAT16', Uint16Array, [0x3f80]],
    ['c64', 'DT_COMPLEX64', Float32Array, [1, 2, 3, 4]],
    ['c128', 'DT_COMPLEX128', Float64Array, [-1, 0.5]],
    ['empty', 'DT_FLOAT', Float32Array, []],
  ];
  for (const [key, dtype, ctor, values] of cases) {
    it(`reads ${dtype} (${key}) as ${ctor.name}`, async () => {
      const t = await bundle.read(key);
      assert.equal(t.dtype, dtype);
      assert.ok(t.data instanceof ctor, `${key}: ${t.data.constructor.name}`);
      assert.deepEqual(Array.from(t.data as ArrayLike<unknown>), values);
    });
  }

  it('reads DT_STRING elements as text and as bytes', async () => {
    const t = await bundle.read('str');
    assert.deepEqual(t.shape, [2, 2]);
    assert.deepEqual((t.data as string[]).slice(0, 3), ['', 'héllo', 'x'.repeat(200)]);
    assert.deepEqual(t.bytes?.map((b) => Array.from(b)), [...strings, binary].map((b) => Array.from(b)));
  });

  it('reads keys spread over many blocks with restart points', async () => {
    for (const i of [0, 6, 7, 13, 39]) {
      const t = await bundle.read(`layer_${String(i).padStart(2, '0')}/kernel/.ATTRIBUTES/VARIABLE_VALUE`);
      assert.deepEqual(Array.from(t.data as Int32Array), [i * 1000 - 7]);
    }
    const table = await readTable(join(bundle.dir, 'variables.index'));
    assert.equal(table.dataBlocks, 9);
    assert.equal(table.compressedBlocks, 0);
  });

  it('reads snappy-compressed blocks it wrote itself', async () => {
    const tensors = Array.from({ length: 30 }, (_, i) => ({
      key: `dense_${i % 3}/bias_${String(i).padStart(3, '0')}`,
      dtype: 1,
      shape: [2],
      data: bytesOf(Float32Array.of(i, -i)),
    }));
    const dir = await writeBundle(tensors, { snappy: true, perBlock: 8 });
    const table = await readTable(join(dir, 'variables.index'));
    assert.equal(table.compressedBlocks, 4);
    const b = await openBundle(dir);
    assert.equal(b.list().length, 30);
    assert.deepEqual(Array.from((await b.read('dense_2/bias_029')).data as Float32Array), [29, -29]);
  });

  it('a big-endian bundle is refused with a typed error', async () => {
    const dir = await writeBundle([{ key: 'a', dtype: 1, shape: [], data: bytesOf(Float32Array.of(1)) }], { endianness: 1 });
    await assert.rejects(openBundle(dir), (err) => assertFormatError(err, join(dir, 'variables.index'), /little-endian bundle/));
  });

  it('a bundle from a newer format version is refused', async () => {
    const dir = await writeBundle([{ key: 'a', dtype: 1, shape: [], data: bytesOf(Float32Array.of(1)) }], { minConsumer: 2 });
    await assert.rejects(openBundle(dir), (err) => assertFormatError(err, join(dir, 'variables.index'), /format version 1/));
  });

  it('entries that disagree with their data are refused before any large allocation', async () => {
    const four = bytesOf(Float32Array.of(1));
    const dir = await writeBundle([
      { key: 'huge', dtype: 1, shape: [1e15], data: four },
      { key: 'overflow', dtype: 1, shape: [2 ** 30, 2 ** 30, 2 ** 30], data: four },
      { key: 'manystrings', dtype: 7, shape: [1e9], data: Uint8Array.of(1, 2, 3, 4, 5, 6, 7, 8) },
      { key: 'pastend', dtype: 1, shape: [1], data: four, size: 4, shard: 0 },
      { key: 'resource', dtype: 20, shape: [], data: four },
    ]);
    const b = await openBundle(dir);
    const index = join(dir, 'variables.index');
    await assert.rejects(b.read('huge'), (err) => assertFormatError(err, index, /4000000000000000 bytes/));
    await assert.rejects(b.read('overflow'), (err) => assertFormatError(err, index, /fewer than 2\^53 elements/));
    await assert.rejects(b.read('manystrings'), (err) => assertFormatError(err, index, /at least 1000000004 bytes/));
    await assert.rejects(b.read('resource'), (err) => assertFormatError(err, index, /dtype that a checkpoint stores/));
    await truncate(join(dir, 'variables.data-00000-of-00001'), 0);
    await assert.rejects(b.read('pastend'), (err) => assertFormatError(err, join(dir, 'variables.data-00000-of-00001'), /4 bytes of variable "pastend"/));
  });

  it('string lengths that do not match the entry size are refused', async () => {
    const good = encodeStrings([Buffer.from('abc')]);
    const extra = Uint8Array.from([...good.data, 0x41]);
    const dir = await writeBundle([{ key: 's', dtype: 7, shape: [1], data: extra, crc: crc32cExtend(good.crc, Uint8Array.of(0x41)) }]);
    const b = await openBundle(dir);
    await assert.rejects(b.read('s'), (err) => assertFormatError(err, join(dir, 'variables.data-00000-of-00001'), /3 string bytes/));
  });

  it('a partitioned variable is listed and its read says it is partitioned; slice keys stay hidden', async () => {
    const sliceKey = Uint8Array.of(0, 0x70, 0, 1, 1, 0x80, 0x80);
    const dir = await writeBundle([
      { key: 'p', dtype: 1, shape: [4], data: new Uint8Array(0), size: 0, slices: [[{ start: 0, length: 2 }], [{ start: 2, length: 2 }]] },
      { key: sliceKey, dtype: 1, shape: [2], data: bytesOf(Float32Array.of(1, 2)) },
    ]);
    const b = await openBundle(dir);
    assert.deepEqual(b.list().map((v) => v.key), ['p']);
    await assert.rejects(b.read('p'), (err) => assertFormatError(err, join(dir, 'variables.index'), /unpartitioned variable/));
  });

  it('a shard_id beyond num_shards is refused at open', async () => {
    const dir = await writeBundle([{ key: 'a', dtype: 1, shape: [], data: bytesOf(Float32Array.of(1)), shard: 3 }], { numShards: 1 });
    // writeBundle stored the data in shard 0 but the entry names shard 3.
    await assert.rejects(openBundle(dir), (err) => assertFormatError(err, join(dir, 'variables.index'), /shard_id below num_shards \(1\)/));
  });

  it('a bundle in another folder with another prefix opens', async () => {
    const dir = await writeBundle([{ key: 'w', dtype: 3, shape: [2], data: bytesOf(Int32Array.of(7, 8)) }]);
    const other = join(tmp, 'ckpt');
    await mkdir(other, { recursive: true });
    await copyFile(join(dir, 'variables.index'), join(other, 'ckpt-1.index'));
    await copyFile(join(dir, 'variables.data-00000-of-00001'), join(other, 'ckpt-1.data-00000-of-00001'));
    const b = await openBundle(other, 'ckpt-1');
    assert.equal(b.prefix, 'ckpt-1');
    assert.deepEqual(Array.from((await b.read('w')).data as Int32Array), [7, 8]);
  });
});
