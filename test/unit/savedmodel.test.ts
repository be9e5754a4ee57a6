import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { ModelFormatError, ServeLensError } from '../../src/core/errors';
import { decodeFingerprint, readFingerprint } from '../../src/core/model/fingerprint';
import { dtypeName, toDecimal, types } from '../../src/core/model/proto/schema';
import { resolveModelPath } from '../../src/core/model/resolve';
import {
  collectOpUsage,
  createReader,
  decodeSavedModel,
  inspectSavedModelPb,
  readSavedModelFile,
  summarizeMetaGraph,
  tensorSpecOf,
} from '../../src/core/model/savedmodel';
import type { Shape, Signature } from '../../src/core/model/types';
import { SAVEDMODELS, savedModel } from '../helpers/fixtures';

// ---------------------------------------------------------------------------------------------
// The fixture table: every binary SavedModel under SAVEDMODELS with what its README states.
// A tensor row is [alias, dtype, shape, tensor name]; `null` shape means unknown rank / no shape.

type Row = [alias: string, dtype: string, shape: Shape, tensor: string];
interface SigRow {
  name: string;
  method: string;
  inputs: Row[];
  outputs: Row[];
}
interface FixtureRow {
  /** The path as a user would give it (base dir or model dir). */
  path: string;
  /** The version folder the resolver must pick. */
  version?: string;
  tfVersion: string;
  hasObjectGraph: boolean;
  assets: string[];
  fingerprint: boolean;
  signatures: SigRow[];
}

const F = 'DT_FLOAT';
const S = 'DT_STRING';
const sig = (name: string, method: string, inputs: Row[], outputs: Row[]): SigRow => ({ name, method, inputs, outputs });
const PREDICT = 'tensorflow/serving/predict';
const CLASSIFY = 'tensorflow/serving/classify';
const REGRESS = 'tensorflow/serving/regress';
const INIT_OP = sig('__saved_model_init_op', '', [], [['__saved_model_init_op', 'DT_INVALID', null, 'NoOp']]);

const TF1_HALF_PLUS_TWO: SigRow[] = [
  sig('serving_default', PREDICT, [['x', F, [-1, 1], 'x:0']], [['y', F, [-1, 1], 'y:0']]),
  sig('regress_x_to_y', REGRESS, [['inputs', S, null, 'tf_example:0']], [['outputs', F, [-1, 1], 'y:0']]),
  sig('regress_x_to_y2', REGRESS, [['inputs', S, null, 'tf_example:0']], [['outputs', F, [-1, 1], 'y2:0']]),
  sig('regress_x2_to_y3', REGRESS, [['inputs', F, [-1, 1], 'x2:0']], [['outputs', F, [-1, 1], 'y3:0']]),
  sig('classify_x_to_y', CLASSIFY, [['inputs', S, null, 'tf_example:0']], [['scores', F, [-1, 1], 'y:0']]),
];

const FIXTURES: FixtureRow[] = [
  {
    path: 'saved_model_half_plus_two_cpu',
    version: '00000123',
    tfVersion: '1.14.0',
    hasObjectGraph: false,
    assets: ['foo.txt'],
    fingerprint: false,
    signatures: TF1_HALF_PLUS_TWO,
  },
  {
    path: 'saved_model_half_plus_two_2_versions',
    version: '00000124',
    tfVersion: '1.1.0-rc2',
    hasObjectGraph: false,
    assets: ['foo.txt'],
    fingerprint: false,
    signatures: [
      ...TF1_HALF_PLUS_TWO,
      sig('classify_x2_to_y3', CLASSIFY, [['inputs', F, [-1, 1], 'x2:0']], [['scores', F, [-1, 1], 'y3:0']]),
    ],
  },
  {
    path: 'saved_model_half_plus_three',
    version: '00000123',
    tfVersion: '1.0.0-rc2',
    hasObjectGraph: false,
    assets: ['foo.txt'],
    fingerprint: false,
    signatures: [
      sig('serving_default', PREDICT, [['x', F, null, 'x:0']], [['y', F, null, 'y:0']]),
      sig('tensorflow/serving/regress', REGRESS, [['inputs', F, null, 'tf_example:0']], [['outputs', F, null, 'Identity:0']]),
    ],
  },
  {
    path: 'saved_model_half_plus_two_tf2_cpu',
    version: '00000123',
    tfVersion: '2.14.0',
    hasObjectGraph: true,
    assets: ['foo.txt'],
    fingerprint: true,
    signatures: [
      sig('serving_default', PREDICT, [['x', F, [1], 'serving_default_x:0']], [['y', F, [1], 'StatefulPartitionedCall_5:0']]),
      sig('regress_x_to_y', PREDICT, [['inputs', S, [-1], 'regress_x_to_y_inputs:0']], [['outputs', F, [-1, 1], 'StatefulPartitionedCall_3:0']]),
      sig('regress_x_to_y2', PREDICT, [['inputs', S, [-1], 'regress_x_to_y2_inputs:0']], [['outputs', F, [-1, 1], 'StatefulPartitionedCall_4:0']]),
      sig('regress_x2_to_y3', PREDICT, [['inputs', F, [1], 'regress_x2_to_y3_inputs:0']], [['outputs', F, [1], 'StatefulPartitionedCall_2:0']]),
      sig('classify_x_to_y', PREDICT, [['inputs', S, [-1], 'classify_x_to_y_inputs:0']], [['scores', F, [-1, 1], 'StatefulPartitionedCall_1:0']]),
      sig('classify_x2_to_y3', PREDICT, [['inputs', F, [1], 'classify_x2_to_y3_inputs:0']], [['scores', F, [1], 'StatefulPartitionedCall:0']]),
      INIT_OP,
    ],
  },
  {
    path: 'times_three_float',
    tfVersion: '2.0.0-beta1',
    hasObjectGraph: true,
    assets: [],
    fingerprint: false,
    signatures: [
      sig('serving_default', PREDICT, [['x', F, [], 'serving_default_x:0']], [['output_0', F, [], 'StatefulPartitionedCall:0']]),
      INIT_OP,
    ],
  },
  {
    path: 'times_two_int',
    tfVersion: '2.0.0-beta1',
    hasObjectGraph: true,
    assets: [],
    fingerprint: false,
    signatures: [
      sig('serving_default', PREDICT, [['x', 'DT_INT32', [], 'serving_default_x:0']], [['output_0', 'DT_INT32', [], 'StatefulPartitionedCall:0']]),
      INIT_OP,
    ],
  },
];

function rows(specs: Signature['inputs']): Row[] {
  return specs.map((t) => [t.alias, t.dtype, t.shape, t.tensor]);
}

function byName<T extends { name: string }>(list: T[]): T[] {
  return [...list].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}

/**
 * The signature_def map keys of the first MetaGraphDef in file order, read straight from the wire
 * bytes (independently of protobufjs) to check that signatures keep their stored order.
 */
function storedSignatureOrder(bytes: Uint8Array): string[] {
  let pos = 0;
  const varint = (): number => {
    let v = 0;
    let mul = 1;
    for (;;) {
      const b = bytes[pos++]!;
      v += (b & 0x7f) * mul;
      if (b < 0x80) return v;
      mul *= 128;
    }
  };
  const fields = (start: number, end: number, visit: (field: number, from: number, to: number) => void): void => {
    pos = start;
    while (pos < end) {
      const tag = varint();
      const wire = tag & 7;
      if (wire === 0) varint();
      else if (wire === 1) pos += 8;
      else if (wire === 5) pos += 4;
      else if (wire === 2) {
        const len = varint();
        const from = pos;
        pos += len;
        const back = pos;
        visit(tag >>> 3, from, from + len);
        pos = back;
      } else throw new Error(`unexpected wire type ${wire}`);
    }
  };
  const keys: string[] = [];
  let first = true;
  fields(0, bytes.length, (field, from, to) => {
    if (field !== 2 || !first) return;
    first = false;
    fields(from, to, (f, a, b) => {
      if (f !== 5) return;
      fields(a, b, (k, x, y) => {
        if (k === 1) keys.push(Buffer.from(bytes.subarray(x, y)).toString('utf8'));
      });
    });
  });
  return keys;
}

describe('decodeSavedModel: the fixture table', () => {
  for (const row of FIXTURES) {
    describe(row.path, () => {
      it('resolves, decodes and summarizes to the signatures the README states', async () => {
        const resolved = await resolveModelPath(savedModel(row.path));
        assert.equal(resolved.kind, 'savedmodel-pb');
        assert.equal(resolved.version, row.version);
        const { summary } = await inspectSavedModelPb(resolved);
        assert.equal(summary.format, 'savedmodel');
        assert.equal(summary.schemaVersion, 1);
        assert.equal(summary.file, join(resolved.dir, 'saved_model.pb'));
        assert.equal(summary.metaGraphs.length, 1);
        const mg = summary.metaGraphs[0]!;
        assert.deepEqual(mg.tags, ['serve']);
        assert.equal(mg.tfVersion, row.tfVersion);
        assert.equal(mg.hasObjectGraph, row.hasObjectGraph);
        assert.deepEqual(
          mg.assets.map((a) => a.filename),
          row.assets,
        );
        assert.equal(summary.fingerprint !== undefined, row.fingerprint);
        assert.equal(summary.version, row.version);
        assert.deepEqual(summary.versions, resolved.versions);
        assert.equal(summary.dir, resolved.dir);

        const got = byName(mg.signatures).map((s) => ({
          name: s.name,
          method: s.method,
          inputs: rows(s.inputs),
          outputs: rows(s.outputs),
        }));
        assert.deepEqual(got, byName(row.signatures));
        for (const s of mg.signatures) for (const t of [...s.inputs, ...s.outputs]) assert.equal(t.encoding, undefined);
      });

      it('keeps the signatures in the order the file stores them', async () => {
        const resolved = await resolveModelPath(savedModel(row.path));
        const bytes = readFileSync(resolved.file);
        const decoded = decodeSavedModel(bytes, resolved.file);
        const names = summarizeMetaGraph(decoded.metaGraphs[0]!).signatures.map((s) => s.name);
        assert.deepEqual(names, storedSignatureOrder(bytes));
      });
    });
  }

  it('covers every binary SavedModel in the fixtures folder', async () => {
    const { readdir } = await import('node:fs/promises');
    const dirs = (await readdir(SAVEDMODELS, { withFileTypes: true }))
      .filter((e) => e.isDirectory() && e.name !== 'expected' && e.name !== 'half_plus_two_pbtxt')
      .map((e) => e.name)
      .sort();
    assert.deepEqual(dirs, FIXTURES.map((f) => f.path).sort());
  });
});

// ---------------------------------------------------------------------------------------------
// TF Serving's own metadata responses for the same models.

interface JsonTensorInfo {
  dtype: string;
  name: string;
  tensor_shape?: { dim: { size: string }[]; unknown_rank: boolean };
}
interface JsonSignatureDef {
  inputs: Record<string, JsonTensorInfo>;
  outputs: Record<string, JsonTensorInfo>;
  method_name: string;
}

function jsonShape(info: JsonTensorInfo): Shape {
  if (!info.tensor_shape || info.tensor_shape.unknown_rank) return null;
  return info.tensor_shape.dim.map((d) => Number(d.size));
}

function jsonRows(map: Record<string, JsonTensorInfo>): Row[] {
  return Object.entries(map)
    .map(([alias, info]): Row => [alias, info.dtype, jsonShape(info), info.name])
    .sort((a, b) => (a[0] < b[0] ? -1 : 1));
}

describe('decodeSavedModel agrees with TF Serving metadata responses', () => {
  const pairs: [json: string, model: string][] = [
    ['half_plus_two_model_metadata.json', 'saved_model_half_plus_two_cpu'],
    ['saved_model_half_plus_two_2_versions_metadata.json', 'saved_model_half_plus_two_2_versions'],
    ['saved_model_half_plus_two_tf2_2_versions_metadata.json', 'saved_model_half_plus_two_tf2_cpu'],
  ];
  for (const [json, model] of pairs) {
    it(`${model} ↔ expected/${json}`, async () => {
      const meta = JSON.parse(readFileSync(savedModel('expected', json), 'utf8')) as {
        model_spec: { version: string };
        metadata: { signature_def: { signature_def: Record<string, JsonSignatureDef> } };
      };
      const expected = meta.metadata.signature_def.signature_def;
      const resolved = await resolveModelPath(savedModel(model));
      assert.equal(BigInt(resolved.version!) >= BigInt(meta.model_spec.version), true);
      const decoded = await readSavedModelFile(resolved.file);
      const mg = summarizeMetaGraph(decoded.metaGraphs[0]!);
      assert.deepEqual(mg.signatures.map((s) => s.name).sort(), Object.keys(expected).sort());
      for (const s of mg.signatures) {
        const want = expected[s.name]!;
        assert.equal(s.method, want.method_name, s.name);
        const sortRows = (r: Row[]): Row[] => r.sort((a, b) => (a[0] < b[0] ? -1 : 1));
        assert.deepEqual(sortRows(rows(s.inputs)), jsonRows(want.inputs), `${s.name} inputs`);
        assert.deepEqual(sortRows(rows(s.outputs)), jsonRows(want.outputs), `${s.name} outputs`);
      }
    });
  }
});

// ---------------------------------------------------------------------------------------------

describe('fingerprint.pb', () => {
  const dir = savedModel('saved_model_half_plus_two_tf2_cpu', '00000123');

  it('reads the five uint64 hashes exactly, as decimal strings', async () => {
    const fp = await readFingerprint(dir);
    assert.deepEqual(fp, {
      savedModelChecksum: '3202314178945370836',
      graphDefProgramHash: '13265581747292989307',
      signatureDefHash: '3442878103270210563',
      savedObjectGraphHash: '16227935890437681837',
      checkpointHash: '17568057568585441542',
      version: { producer: 1 },
    });
  });

  it('agrees with the protobufjs schema decode (Long values)', () => {
    const bytes = readFileSync(join(dir, 'fingerprint.pb'));
    assert.equal(bytes.length, 57);
    const viaSchema = types.FingerprintDef.toObject(types.FingerprintDef.decode(bytes), { longs: String });
    const mine = decodeFingerprint(bytes, 'fingerprint.pb');
    assert.equal(viaSchema['graph_def_program_hash'], mine.graphDefProgramHash);
    assert.equal(viaSchema['checkpoint_hash'], mine.checkpointHash);
  });

  it('is undefined for a model without one', async () => {
    assert.equal(await readFingerprint(savedModel('times_three_float')), undefined);
  });

  it('rejects a truncated fingerprint with the offset of the cut field', () => {
    const bytes = readFileSync(join(dir, 'fingerprint.pb'));
    // The file starts with version (field 6, bytes 0-3), then checkpoint_hash: tag at 4, value from 5.
    assert.deepEqual([...bytes.subarray(0, 5)], [0x32, 0x02, 0x08, 0x01, 0x28]);
    const cut = bytes.subarray(0, 9);
    assert.throws(
      () => decodeFingerprint(cut, 'fingerprint.pb'),
      (err: unknown) => err instanceof ModelFormatError && err.offset === 5 && err.file === 'fingerprint.pb',
    );
  });
});

// ---------------------------------------------------------------------------------------------

/** One length-delimited protobuf field (tag + length + bytes), for hand-built inputs. */
function field(id: number, body: Uint8Array): Buffer {
  const varint = (n: number): number[] => {
    const out: number[] = [];
    while (n >= 0x80) {
      out.push((n & 0x7f) | 0x80);
      n = Math.floor(n / 128);
    }
    out.push(n);
    return out;
  };
  return Buffer.concat([Buffer.from([...varint((id << 3) | 2), ...varint(body.length)]), body]);
}

describe('decodeSavedModel on damaged input', () => {
  const file = savedModel('saved_model_half_plus_two_tf2_cpu', '00000123', 'saved_model.pb');
  const bytes = readFileSync(file);

  it('rejects every truncation with a ModelFormatError that names the file and an offset inside it', () => {
    for (let len = 0; len < bytes.length; len += 499) {
      const cut = bytes.subarray(0, len);
      assert.throws(
        () => decodeSavedModel(cut, file),
        (err: unknown) =>
          err instanceof ModelFormatError &&
          err.file === file &&
          typeof err.offset === 'number' &&
          err.offset >= 0 &&
          err.offset <= len,
        `truncated to ${len} bytes`,
      );
    }
  });

  it('names the expected content: an empty file has no MetaGraphDef', () => {
    assert.throws(
      () => decodeSavedModel(new Uint8Array(0), 'empty.pb'),
      (err: unknown) => err instanceof ModelFormatError && err.offset === 0 && /MetaGraphDef/.test(err.expected),
    );
  });

  it('reports an impossible wire type at the field where it occurs', () => {
    const flipped = Buffer.from(bytes);
    flipped[0] = flipped[0]! | 0x07; // the first tag now has wire type 7
    assert.throws(
      () => decodeSavedModel(flipped, file),
      (err: unknown) => err instanceof ModelFormatError && err.offset === 1 && /wire type/.test(err.expected),
    );
  });

  it('reports a corrupt length where the oversized field starts', () => {
    // SavedModel = field 1 (varint, 2 bytes) then field 2 (MetaGraphDef): tag, length varint, body.
    assert.equal(bytes[0], 0x08);
    assert.equal(bytes[2], 0x12);
    const flipped = Buffer.from(bytes);
    let lenEnd = 3;
    while (flipped[lenEnd]! & 0x80) lenEnd++;
    flipped[lenEnd - 1] = flipped[lenEnd - 1]! | 0x40; // the meta graph now claims far more bytes than exist
    assert.throws(
      () => decodeSavedModel(flipped, file),
      (err: unknown) =>
        err instanceof ModelFormatError && err.offset === lenEnd + 1 && /truncated|length/.test(err.expected),
    );
  });

  it('never throws anything but a ModelFormatError for single bit flips', () => {
    let seed = 12345;
    const rand = (n: number): number => {
      seed = (seed * 1103515245 + 12345) & 0x7fffffff;
      return seed % n;
    };
    let failures = 0;
    for (let i = 0; i < 400; i++) {
      const damaged = Buffer.from(bytes);
      const at = rand(bytes.length);
      damaged[at] = damaged[at]! ^ (1 << rand(8));
      try {
        const decoded = decodeSavedModel(damaged, file);
        summarizeMetaGraph(decoded.metaGraphs[0]!, { file });
      } catch (err) {
        assert.ok(ServeLensError.is(err, 'model-format'), `flip at ${at}: ${String(err)}`);
        failures++;
      }
    }
    assert.ok(failures > 0, 'some flips must be detected');
  });

  it('refuses messages nested deeper than the limit, with a typed error', () => {
    // SavedModel.meta_graphs → MetaGraphDef.signature_def entry → SignatureDef.inputs entry → a
    // TensorInfo whose composite_tensor.components nest 200 levels deep.
    let info: Buffer = Buffer.from(field(1, Buffer.from('x:0')));
    for (let i = 0; i < 200; i++) info = field(5, field(2, info)); // composite_tensor { components { ... } }
    const sigDef = field(1, Buffer.concat([field(1, Buffer.from('x')), field(2, info)]));
    const metaGraph = field(5, Buffer.concat([field(1, Buffer.from('serving_default')), field(2, sigDef)]));
    const bytesDeep = field(2, metaGraph);
    assert.throws(
      () => decodeSavedModel(bytesDeep, 'deep.pb'),
      (err: unknown) => err instanceof ModelFormatError && /nested at most/.test(err.expected) && typeof err.offset === 'number',
    );
  });

  it('reports a corrupt AssetFileDef inside the saved_model_assets collection as a ModelFormatError', () => {
    const badAny = Buffer.concat([
      field(1, Buffer.from('type.googleapis.com/tensorflow.AssetFileDef')),
      field(2, Buffer.from([0x12, 0x40, 0x66])), // filename claims 64 bytes, has 1
    ]);
    const collection = field(5, field(1, badAny)); // CollectionDef.any_list { value { ... } }
    const entry = Buffer.concat([field(1, Buffer.from('saved_model_assets')), field(2, collection)]);
    const decoded = decodeSavedModel(field(2, field(4, entry)), 'assets.pb');
    assert.throws(
      () => summarizeMetaGraph(decoded.metaGraphs[0]!, { file: 'assets.pb' }),
      (err: unknown) =>
        err instanceof ModelFormatError && err.file === 'assets.pb' && err.offset === undefined && /AssetFileDef/.test(err.message),
    );
  });

  it('accepts a plain Uint8Array as well as a Buffer', () => {
    const plain = new Uint8Array(bytes.byteLength);
    plain.set(bytes);
    assert.equal(decodeSavedModel(plain, file).metaGraphs.length, 1);
  });

  it('gives a typed IoError for a missing file', async () => {
    await assert.rejects(readSavedModelFile(join(SAVEDMODELS, 'nope', 'saved_model.pb')), (err: unknown) =>
      ServeLensError.is(err, 'io'),
    );
  });
});

// ---------------------------------------------------------------------------------------------

describe('64-bit integers', () => {
  const signed = ['0', '1', '-1', '2147483648', '-2147483649', '4294967296', '9007199254740991', '-9007199254740991',
    '9007199254740992', '-9007199254740993', '9223372036854775807', '-9223372036854775808'];
  const unsigned = ['0', '4294967295', '9007199254740991', '9007199254740992', '13265581747292989307', '18446744073709551615'];

  it('decode exactly: numbers while exact, Long beyond 2^53', () => {
    // Long-like values for the writer, built from exact BigInts.
    const Long = {
      fromString: (v: string, unsigned = false) => {
        const u = BigInt.asUintN(64, BigInt(v));
        return { low: Number(u & 0xffffffffn) | 0, high: Number(u >> 32n) | 0, unsigned };
      },
    };
    const message = types.TensorProto.fromObject({
      int64_val: signed.map((v) => Long.fromString(v, false)),
      uint64_val: unsigned.map((v) => Long.fromString(v, true)),
    });
    const packed = types.TensorProto.encode(message).finish();
    const decoded = types.TensorProto.decode(createReader(packed)) as unknown as {
      int64_val: unknown[];
      uint64_val: unknown[];
    };
    assert.deepEqual(decoded.int64_val.map((v) => toDecimal(v as never)), signed);
    assert.deepEqual(decoded.uint64_val.map((v) => toDecimal(v as never)), unsigned);
    for (const v of decoded.int64_val) {
      const exact = Math.abs(Number(toDecimal(v as never))) <= Number.MAX_SAFE_INTEGER;
      assert.equal(typeof v === 'number', exact, String(v));
    }
    // A singular int64 (Dim.size) decodes the same way.
    const dim = types.TensorShapeProto.decode(
      createReader(types.TensorShapeProto.encode({ dim: [{ size: -1 }, { size: Long.fromString('-9223372036854775808') }] }).finish()),
    ) as unknown as { dim: { size: unknown }[] };
    assert.equal(dim.dim[0]!.size, -1);
    assert.equal(toDecimal(dim.dim[1]!.size as never), '-9223372036854775808');
  });

  it('reject a varint that runs past the end or past 10 bytes', () => {
    const cut = Buffer.from([0x08, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff]); // Dim.size, unterminated
    const Dim = types.TensorShapeProto.lookupType('Dim');
    assert.throws(() => Dim.decode(createReader(cut)), RangeError);
    const long = Buffer.from([0x08, ...new Array<number>(11).fill(0xff), 0x01]);
    assert.throws(() => Dim.decode(createReader(long)), /invalid varint/);
    assert.throws(
      () => decodeSavedModel(Buffer.from([0x08, 0xff, 0xff]), 'cut.pb'),
      (err: unknown) => err instanceof ModelFormatError && err.offset === 1, // where the varint starts
    );
  });
});

describe('summaries in detail', () => {
  it('reports TF versions, stripped ops and op usage with node names (graph and functions)', async () => {
    const decoded = await readSavedModelFile(savedModel('saved_model_half_plus_two_tf2_cpu', '00000123', 'saved_model.pb'));
    const mg = summarizeMetaGraph(decoded.metaGraphs[0]!);
    assert.equal(mg.tfVersion, '2.14.0');
    assert.equal(mg.tfGitVersion, 'unknown');
    assert.ok(mg.strippedOps?.includes('StatefulPartitionedCall'));
    assert.ok(mg.strippedOps?.includes('VarHandleOp'));
    const ops = new Map(mg.ops!.map((o) => [o.op, o]));
    // Every op the exporter recorded in stripped_op_list is used somewhere.
    for (const op of mg.strippedOps!) assert.ok(ops.has(op), op);
    // TF2 feeds serving_default through a PlaceholderWithDefault (the signature has a default).
    assert.deepEqual(ops.get('PlaceholderWithDefault')!.nodes, ['serving_default_x']);
    assert.equal(ops.get('Placeholder')!.count, 7);
    assert.equal(ops.get('Placeholder')!.nodes.length, 3);
    // Ops inside library functions are named <function>/<node>.
    const parse = ops.get('ParseExampleV2')!;
    assert.ok(parse.nodes.every((n) => /^__inference_\w+\/ParseExample/.test(n)), parse.nodes.join());
    assert.ok(parse.nodes.length <= 3);
    const total = mg.ops!.reduce((n, o) => n + o.count, 0);
    const g = decoded.metaGraphs[0]!.graph_def!;
    const expectedTotal =
      g.node!.length + (g.library?.function ?? []).reduce((n, f) => n + (f.node_def?.length ?? 0), 0);
    assert.equal(total, expectedTotal);
    assert.deepEqual(
      mg.ops!.map((o) => o.op),
      [...mg.ops!.map((o) => o.op)].sort(),
    );
  });

  it('collectOpUsage names the first nodes of a TF1 graph', async () => {
    const decoded = await readSavedModelFile(savedModel('saved_model_half_plus_two_cpu', '00000123', 'saved_model.pb'));
    const ops = collectOpUsage(decoded.metaGraphs[0]!.graph_def, 10);
    const variable = ops.find((o) => o.op === 'VariableV2')!;
    // The five checkpointed floats, plus the exporter's own filename_tensor variable.
    assert.deepEqual(variable.nodes, ['a', 'b', 'c', 'a2', 'c2', 'filename_tensor']);
    assert.equal(variable.count, 6);
    assert.deepEqual(ops.find((o) => o.op === 'Placeholder')!.nodes, ['tf_example']);
  });

  it('finds TF1 assets through asset_filepaths and TF2 assets through asset_file_def', async () => {
    const tf1 = await readSavedModelFile(savedModel('saved_model_half_plus_two_cpu', '00000123', 'saved_model.pb'));
    assert.equal(tf1.metaGraphs[0]!.asset_file_def!.length, 0);
    assert.deepEqual(summarizeMetaGraph(tf1.metaGraphs[0]!).assets, [{ filename: 'foo.txt', tensor: 'Const:0' }]);
    const tf2 = await readSavedModelFile(savedModel('saved_model_half_plus_two_tf2_cpu', '00000123', 'saved_model.pb'));
    assert.deepEqual(summarizeMetaGraph(tf2.metaGraphs[0]!).assets, [
      { filename: 'foo.txt', tensor: 'asset_path_initializer:0' },
    ]);
    const assetFile = readFileSync(savedModel('saved_model_half_plus_two_cpu', '00000123', 'assets', 'foo.txt'), 'utf8');
    assert.equal(assetFile, 'asset-file-contents');
  });

  it('exposes the object graph: variables and captured resources for a runner', async () => {
    const decoded = await readSavedModelFile(savedModel('saved_model_half_plus_two_tf2_cpu', '00000123', 'saved_model.pb'));
    const og = decoded.metaGraphs[0]!.object_graph_def!;
    const variables = og.nodes!.filter((n) => n.kind === 'variable').map((n) => n.variable!);
    assert.deepEqual(
      variables.map((v) => [v.name, dtypeName(v.dtype)]),
      [
        ['a', 'DT_FLOAT'],
        ['b', 'DT_FLOAT'],
        ['c', 'DT_FLOAT'],
      ],
    );
    // Each concrete function's bound inputs point at object graph nodes.
    const fns = Object.values(og.concrete_functions!);
    assert.ok(fns.length > 0);
    for (const fn of fns) for (const id of fn.bound_inputs ?? []) assert.ok(id >= 0 && id < og.nodes!.length);
    assert.ok(fns.some((fn) => (fn.bound_inputs ?? []).some((id) => og.nodes![id]!.kind === 'variable')));
  });

  it('describes coo_sparse and composite encodings, and REF dtypes', () => {
    const sparse = types.TensorInfo.decode(
      types.TensorInfo.encode({
        coo_sparse: { values_tensor_name: 'v:0', indices_tensor_name: 'i:0', dense_shape_tensor_name: 's:0' },
        dtype: 101,
        tensor_shape: { dim: [{ size: -1 }, { size: 7 }] },
      }).finish(),
    );
    assert.deepEqual(tensorSpecOf('ids', sparse as never), {
      alias: 'ids',
      dtype: 'DT_FLOAT_REF',
      shape: [-1, 7],
      tensor: 'v:0',
      encoding: 'coo_sparse',
      cooSparse: { values: 'v:0', indices: 'i:0', denseShape: 's:0' },
    });
    const ragged = types.TensorInfo.decode(
      types.TensorInfo.encode({
        composite_tensor: {
          type_spec: { type_spec_class: 3 },
          components: [
            { name: 'rt/values:0', dtype: 3, tensor_shape: { dim: [{ size: -1 }] } },
            { name: 'rt/row_splits:0', dtype: 9, tensor_shape: { unknown_rank: true } },
          ],
        },
      }).finish(),
    );
    const spec = tensorSpecOf('tokens', ragged as never);
    assert.equal(spec.encoding, 'composite');
    assert.equal(spec.tensor, 'rt/values:0');
    assert.equal(spec.dtype, 'DT_INVALID');
    assert.equal(spec.shape, null);
    assert.equal(spec.composite!.typeSpec, 'RaggedTensorSpec');
    assert.deepEqual(spec.composite!.components, [
      { alias: 'tokens[0]', dtype: 'DT_INT32', shape: [-1], tensor: 'rt/values:0' },
      { alias: 'tokens[1]', dtype: 'DT_INT64', shape: null, tensor: 'rt/row_splits:0' },
    ]);
    assert.equal(dtypeName(0), 'DT_INVALID');
    assert.equal(dtypeName(undefined), 'DT_INVALID');
    assert.equal(dtypeName(132), 'DT_UINT2_REF');
    assert.equal(dtypeName(99), 'DT_UNKNOWN_99');
  });
});
