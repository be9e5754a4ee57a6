import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import * as protobuf from 'protobufjs';
import { savedModel, repoRoot } from '../helpers/fixtures';
import { ModelFormatError, ServeLensError } from '../../src/core/errors';
import {
  parseTextTree,
  parseTextFormat,
  parseSavedModelText,
  encodeTextFormat,
  MAX_TEXT_DEPTH,
  type TextMessage,
  type TextString,
} from '../../src/core/model/pbtxt';
import { types, root, toDecimal, type ISavedModel, type IMetaGraphDef, type IGraphDef } from '../../src/core/model/proto/schema';
import { decodeSavedModel, summarizeSavedModel } from '../../src/core/model/savedmodel';

const PBTXT = savedModel('half_plus_two_pbtxt', '00000123', 'saved_model.pbtxt');

/** Runs `fn`, which must throw a ModelFormatError; returns it. */
function formatError(fn: () => unknown): ModelFormatError {
  try {
    fn();
  } catch (err) {
    assert.ok(err instanceof ModelFormatError, `expected ModelFormatError, got ${String(err)}`);
    assert.ok(ServeLensError.is(err, 'model-format'));
    return err;
  }
  assert.fail('expected a ModelFormatError');
}

function at(err: ModelFormatError): [number | undefined, number | undefined] {
  return [err.line, err.column];
}

// -------------------------------------------------------------------------------------------
// The text-format fixture

describe('half_plus_two_pbtxt/00000123/saved_model.pbtxt', () => {
  const text = readFileSync(PBTXT, 'utf8');
  const sm = parseSavedModelText(text, PBTXT) as unknown as ISavedModel;

  test('is one serve MetaGraphDef of schema version 1, TF 0.12.head', () => {
    assert.equal(toDecimal(sm.saved_model_schema_version), '1');
    assert.equal(sm.meta_graphs?.length, 1);
    const info = sm.meta_graphs![0].meta_info_def!;
    assert.deepEqual(info.tags, ['serve']);
    assert.equal(info.tensorflow_version, '0.12.head');
    const ops = info.stripped_op_list!.op!.map((o) => o.name);
    assert.ok(ops.includes('Add') && ops.includes('MergeV2Checkpoints') && ops.includes('Variable'), ops.join());
  });

  test('has the two signatures the README lists, names only (dtype DT_INVALID, no shape)', () => {
    const sigs = sm.meta_graphs![0].signature_def!;
    assert.deepEqual(Object.keys(sigs), ['serving_default', 'tensorflow/serving/regress']);
    const predict = sigs['serving_default'];
    assert.equal(predict.method_name, 'tensorflow/serving/predict');
    assert.equal(predict.inputs!['x'].name, 'x:0');
    assert.equal(predict.outputs!['y'].name, 'y:0');
    const regress = sigs['tensorflow/serving/regress'];
    assert.equal(regress.method_name, 'tensorflow/serving/regress');
    assert.equal(regress.inputs!['inputs'].name, 'tf_example:0');
    assert.equal(regress.outputs!['outputs'].name, 'Identity:0');
    for (const info of [predict.inputs!['x'], regress.outputs!['outputs']]) {
      assert.equal(info.dtype ?? 0, 0, 'no dtype field reads as DT_INVALID');
      assert.equal(info.tensor_shape ?? null, null);
    }
  });

  test('has a 60-node GraphDef of legacy Variable ops, producer 19', () => {
    const g = sm.meta_graphs![0].graph_def!;
    assert.equal(g.node!.length, 60);
    assert.equal(g.versions!.producer, 19);
    const byName = new Map(g.node!.map((n) => [n.name, n]));
    assert.equal(byName.get('a')!.op, 'Variable');
    assert.equal(byName.get('tf_example')!.op, 'Placeholder');
    assert.equal(byName.get('x')!.op, 'Identity');
    assert.deepEqual(byName.get('save/restore_shard')!.input, ['^save/Assign', '^save/Assign_1', '^save/Assign_2']);
    // a = 0.5 lives in the Const feeding a/Assign: a float TensorProto inside an AttrValue map entry.
    const value = byName.get('a/initial_value')!.attr!['value'].tensor!;
    assert.equal(value.dtype, 1);
    assert.deepEqual(value.float_val, [0.5]);
    // String tensors hold bytes: the ParseExample dense key "x".
    const keys = g.node!.filter((n) => n.attr?.['value']?.tensor?.string_val?.length);
    assert.ok(keys.some((n) => Buffer.from(n.attr!['value'].tensor!.string_val![0]).toString() === 'x'));
  });

  test('has the SaverDef with its enum and float fields', () => {
    const saver = sm.meta_graphs![0].saver_def!;
    assert.equal(saver.filename_tensor_name, 'save/Const:0');
    assert.equal(saver.max_to_keep, 5);
    assert.equal(saver.sharded, true);
    assert.equal(saver.keep_checkpoint_every_n_hours, 10000);
    assert.equal(saver.version, 2, 'V2 by name');
  });

  test('has the five collections; the asset comes from saved_model_assets (an Any of AssetFileDef)', () => {
    const c = sm.meta_graphs![0].collection_def!;
    assert.deepEqual(Object.keys(c).sort(), [
      'asset_filepaths',
      'legacy_init_op',
      'saved_model_assets',
      'trainable_variables',
      'variables',
    ]);
    assert.deepEqual(c['asset_filepaths'].node_list!.value, ['Const:0']);
    assert.deepEqual(c['legacy_init_op'].node_list!.value, ['group_deps']);
    const any = c['saved_model_assets'].any_list!.value![0];
    assert.equal(any.type_url, 'type.googleapis.com/tensorflow.AssetFileDef');
    const asset = types.AssetFileDef.decode(any.value!) as unknown as { tensor_info: { name: string }; filename: string };
    assert.equal(asset.filename, 'foo.txt');
    assert.equal(asset.tensor_info.name, 'Const:0');
    // bytes_list values are serialized VariableDefs written with octal escapes: "\n\003a:0\022\010a/Assign..."
    const vars = c['variables'].bytes_list!.value!.map((b) => Buffer.from(b));
    assert.equal(vars.length, 3);
    assert.deepEqual([...vars[0].subarray(0, 5)], [0x0a, 3, 0x61, 0x3a, 0x30]);
    assert.equal(vars[0].toString('latin1'), '\n\u0003a:0\u0012\u0008a/Assign\u001a\u0008a/read:0');
  });

  test('summarizes like a binary SavedModel: signatures, version, stripped ops, assets, op usage', () => {
    const summary = summarizeSavedModel(sm, { dir: 'half_plus_two_pbtxt/00000123', file: PBTXT });
    assert.equal(summary.format, 'savedmodel');
    assert.equal(summary.schemaVersion, 1);
    assert.equal(summary.metaGraphs.length, 1);
    const mg = summary.metaGraphs[0];
    assert.deepEqual(mg.tags, ['serve']);
    assert.equal(mg.tfVersion, '0.12.head');
    assert.equal(mg.hasObjectGraph, false);
    assert.deepEqual(mg.signatures, [
      {
        name: 'serving_default',
        method: 'tensorflow/serving/predict',
        inputs: [{ alias: 'x', dtype: 'DT_INVALID', shape: null, tensor: 'x:0' }],
        outputs: [{ alias: 'y', dtype: 'DT_INVALID', shape: null, tensor: 'y:0' }],
      },
      {
        name: 'tensorflow/serving/regress',
        method: 'tensorflow/serving/regress',
        inputs: [{ alias: 'inputs', dtype: 'DT_INVALID', shape: null, tensor: 'tf_example:0' }],
        outputs: [{ alias: 'outputs', dtype: 'DT_INVALID', shape: null, tensor: 'Identity:0' }],
      },
    ]);
    assert.deepEqual(mg.assets.map((a) => a.filename), ['foo.txt']);
    assert.equal(mg.ops!.reduce((n, o) => n + o.count, 0), 60);
    // a, b, c and the saver's filename_tensor are legacy Variable ops.
    assert.deepEqual(mg.ops!.find((o) => o.op === 'Variable'), { op: 'Variable', count: 4, nodes: ['a', 'b', 'c'] });
  });

  test('its wire encoding decodes through the binary path to the same summary', () => {
    const bytes = encodeTextFormat(text, types.SavedModel, PBTXT);
    const viaBinary = decodeSavedModel(bytes, 'as-binary.pb');
    const where = { dir: 'd', file: 'f' };
    assert.deepEqual(summarizeSavedModel(viaBinary, where), summarizeSavedModel(sm, where));
  });

  test('parses the 40 KB file in a few milliseconds', () => {
    parseSavedModelText(text, PBTXT); // warm
    const runs = 10;
    const t0 = process.hrtime.bigint();
    for (let i = 0; i < runs; i++) parseSavedModelText(text, PBTXT);
    const ms = Number(process.hrtime.bigint() - t0) / 1e6 / runs;
    assert.ok(ms < 40, `${ms.toFixed(1)} ms per parse`);
  });
});

// -------------------------------------------------------------------------------------------
// Round trip: binary fixtures → (a printer written here) text → parse → same message

const TO_OBJECT: protobuf.IConversionOptions = { longs: String, bytes: String, defaults: false, oneofs: true };

interface PrintStyle {
  n: number;
}

/** A deliberately varied text printer: it exercises list syntax, <>, `name: {`, separators, comments and escapes. */
function printText(msg: protobuf.Message, type: protobuf.Type): string {
  const out: string[] = ['# printed by pbtxt.test.ts'];
  printFields(msg as unknown as Record<string, unknown>, type, '', out, { n: 0 });
  return out.join('\n') + '\n';
}

function printFields(msg: Record<string, unknown>, type: protobuf.Type, indent: string, out: string[], style: PrintStyle): void {
  for (const field of type.fieldsArray) {
    if (!Object.prototype.hasOwnProperty.call(msg, field.name)) continue;
    const v = msg[field.name];
    if (v === null || v === undefined) continue;
    field.resolve();
    style.n++;
    if (field.map) {
      for (const [k, val] of Object.entries(v as Record<string, unknown>)) {
        const mf = field as unknown as protobuf.MapField;
        out.push(`${indent}${field.name} {`);
        const key = mf.keyType === 'string' ? quote(Buffer.from(k, 'utf8'), style) : k;
        out.push(`${indent}  key: ${key}`);
        printValue('value', val, field, indent + '  ', out, style);
        out.push(`${indent}}`);
      }
    } else if (field.repeated) {
      const items = v as unknown[];
      const scalar = !(field.resolvedType instanceof protobuf.Type);
      if (scalar && items.length > 1 && style.n % 2 === 0) {
        out.push(`${indent}${field.name}: [${items.map((x) => scalarText(x, field, style)).join(', ')}]`);
      } else {
        for (const item of items) printValue(field.name, item, field, indent, out, style);
      }
    } else {
      printValue(field.name, v, field, indent, out, style);
    }
  }
}

function printValue(name: string, v: unknown, field: protobuf.Field, indent: string, out: string[], style: PrintStyle): void {
  const rt = field.resolvedType;
  if (rt instanceof protobuf.Type) {
    const [open, close] = style.n % 5 === 0 ? ['<', '>'] : ['{', '}'];
    const colon = style.n % 3 === 0 ? ':' : '';
    out.push(`${indent}${name}${colon} ${open}`);
    const m = v as Record<string, unknown>;
    const inner = rt.fullName === '.google.protobuf.Any' ? root.lookup(String(m.type_url).split('/').pop()!) : null;
    if (inner instanceof protobuf.Type && m.value) {
      out.push(`${indent}  [${String(m.type_url)}] {`);
      printFields(inner.decode(m.value as Uint8Array) as unknown as Record<string, unknown>, inner, indent + '    ', out, style);
      out.push(`${indent}  }`);
    } else {
      printFields(m, rt, indent + '  ', out, style);
    }
    out.push(`${indent}${close}`);
  } else {
    const sep = style.n % 7 === 0 ? ';' : style.n % 11 === 0 ? ',' : '';
    const comment = style.n % 13 === 0 ? '  # a comment' : '';
    out.push(`${indent}${name}: ${scalarText(v, field, style)}${sep}${comment}`);
  }
}

function scalarText(v: unknown, field: protobuf.Field, style: PrintStyle): string {
  const rt = field.resolvedType;
  if (rt instanceof protobuf.Enum) {
    const n = v as number;
    return style.n % 4 === 0 || rt.valuesById[n] === undefined ? String(n) : rt.valuesById[n];
  }
  switch (field.type) {
    case 'string':
      return quote(Buffer.from(v as string, 'utf8'), style, true);
    case 'bytes':
      return quote(Buffer.from(v as Uint8Array), style);
    case 'bool':
      return style.n % 2 ? String(v) : v ? 't' : 'f';
    case 'float':
    case 'double': {
      const x = v as number;
      if (Number.isNaN(x)) return 'nan';
      if (x === Infinity) return 'inf';
      if (x === -Infinity) return '-inf';
      if (Object.is(x, -0)) return '-0';
      return field.type === 'float' && Number.isInteger(x) && style.n % 2 ? `${x}f` : String(x);
    }
    default:
      if (typeof v === 'object') return toDecimal(v as protobuf.Long);
      if (typeof v === 'number' && v > 8 && style.n % 3 === 0) return '0x' + v.toString(16);
      return String(v);
  }
}

/** Escapes bytes for text format: printable ASCII as is, everything else octal or hex; raw UTF-8 for strings. */
function quote(bytes: Buffer, style: PrintStyle, utf8 = false): string {
  const q = style.n % 2 ? "'" : '"';
  if (utf8) {
    const s = bytes.toString('utf8');
    let body = '';
    for (const ch of s) {
      const c = ch.codePointAt(0)!;
      if (ch === '\\' || ch === q) body += '\\' + ch;
      else if (c === 10) body += '\\n';
      else if (c < 32 || c === 127) body += '\\' + c.toString(8).padStart(3, '0');
      else body += ch;
    }
    return q + body + q;
  }
  let body = '';
  for (let i = 0; i < bytes.length; i++) {
    const c = bytes[i];
    const ch = String.fromCharCode(c);
    if (ch === '\\' || ch === q) body += '\\' + ch;
    else if (c >= 32 && c < 127) body += ch;
    else if (i % 2) body += '\\x' + c.toString(16).padStart(2, '0');
    else body += '\\' + c.toString(8).padStart(3, '0');
  }
  // Split long literals into adjacent strings to exercise concatenation.
  if (body.length > 40 && !body.slice(20, 22).includes('\\') && !body.slice(16, 24).includes('\\')) {
    return `${q}${body.slice(0, 20)}${q} ${q}${body.slice(20)}${q}`;
  }
  return q + body + q;
}

describe('round trip through text', () => {
  const binaries = [
    ['saved_model_half_plus_two_cpu', '00000123'],
    ['saved_model_half_plus_three', '00000123'],
    ['saved_model_half_plus_two_2_versions', '00000124'],
    ['saved_model_half_plus_two_tf2_cpu', '00000123'],
    ['times_three_float'],
    ['times_two_int'],
  ];
  for (const parts of binaries) {
    test(`${parts.join('/')}/saved_model.pb → text → same message`, () => {
      const file = savedModel(...parts, 'saved_model.pb');
      const decoded = types.SavedModel.decode(readFileSync(file));
      const text = printText(decoded, types.SavedModel);
      const parsed = parseSavedModelText(text, 'printed.pbtxt');
      assert.deepEqual(
        types.SavedModel.toObject(parsed, TO_OBJECT),
        types.SavedModel.toObject(decoded, TO_OBJECT),
      );
    });
  }

  test('the fingerprint (uint64 beyond 2^53) stays exact', () => {
    const file = savedModel('saved_model_half_plus_two_tf2_cpu', '00000123', 'fingerprint.pb');
    const decoded = types.FingerprintDef.decode(readFileSync(file));
    const text = printText(decoded, types.FingerprintDef);
    assert.match(text, /saved_model_checksum: 3202314178945370836/);
    const parsed = parseTextFormat(text, types.FingerprintDef, 'fp.pbtxt') as unknown as Record<string, protobuf.Long>;
    assert.equal(toDecimal(parsed.graph_def_program_hash), '13265581747292989307');
    assert.equal(toDecimal(parsed.checkpoint_hash), '17568057568585441542');
  });
});

// -------------------------------------------------------------------------------------------
// The syntax, piece by piece

function str(tree: TextMessage, i = 0): string {
  return Buffer.from((tree.fields[i].values[0] as TextString).bytes).toString('latin1');
}

describe('tokens and syntax', () => {
  test('string escapes: simple, octal, hex, \\u, \\U, surrogate pairs, both quotes', () => {
    const t = parseTextTree(
      String.raw`a: "\a\b\f\n\r\t\v\\\'\"\?" b: '\0\12\123\1234' c: "\x7f\xA\x41g" d: "\u00e9\U0001F600\ud83d\ude00" e: 'it''s' f: "é"`,
      'x',
    );
    assert.equal(str(t, 0), '\x07\b\f\n\r\t\v\\\'"?');
    assert.deepEqual([...Buffer.from((t.fields[1].values[0] as TextString).bytes)], [0, 10, 83, 83, 52]);
    assert.equal(str(t, 2), '\x7f\nAg');
    assert.equal(Buffer.from((t.fields[3].values[0] as TextString).bytes).toString('utf8'), 'é😀😀');
    assert.equal(str(t, 4), 'its', "adjacent 'it' 's' concatenate");
    assert.equal(Buffer.from((t.fields[5].values[0] as TextString).bytes).toString('utf8'), 'é', 'raw UTF-8 kept');
  });

  test('adjacent strings concatenate across lines and comments', () => {
    const t = parseTextTree('s: "ab"  # one\n  \'cd\'\n "" "e"\nnext: 1', 'x');
    assert.equal(str(t), 'abcde');
    assert.equal(t.fields[1].name, 'next');
  });

  test('numbers: int, hex, octal, floats with suffix and exponent, inf, nan, signs', () => {
    const t = parseTextTree('a: 0 a: 42 a: -7 a: 0x1F a: 017 a: 1.5 a: .5 a: 5. a: 1e3 a: 2.5E-2f a: 3f a: -inf a: nan a: - 4', 'x');
    const vals = t.fields.map((f) => f.values[0]);
    assert.deepEqual(
      vals.map((v) => (v.kind === 'number' || v.kind === 'identifier' ? [v.kind, v.text, v.negative] : v.kind)),
      [
        ['number', '0', false], ['number', '42', false], ['number', '7', true], ['number', '0x1F', false],
        ['number', '017', false], ['number', '1.5', false], ['number', '.5', false], ['number', '5.', false],
        ['number', '1e3', false], ['number', '2.5E-2f', false], ['number', '3f', false],
        ['identifier', 'inf', true], ['identifier', 'nan', false], ['number', '4', true],
      ],
    );
  });

  test('messages with {} and <>, `name: {`, lists, separators and positions', () => {
    const t = parseTextTree('m { x: 1; y: 2, }\nn: < z: [1, 2, 3] >\nl: [{ a: 1 }, < a: 2 >]\ne: []\nk [{}]', 'x');
    assert.deepEqual(t.fields.map((f) => [f.name, f.list, f.values.length, f.pos.line, f.pos.column]), [
      ['m', false, 1, 1, 1],
      ['n', false, 1, 2, 1],
      ['l', true, 2, 3, 1],
      ['e', true, 0, 4, 1],
      ['k', true, 1, 5, 1],
    ]);
    const n = t.fields[1].values[0] as TextMessage;
    assert.deepEqual(n.pos, { offset: 21, line: 2, column: 4 });
    assert.equal(n.fields[0].values.length, 3);
  });

  test('bracketed names: Any type URLs and extensions', () => {
    const t = parseTextTree('[type.googleapis.com/tensorflow.AssetFileDef] { filename: "f" }\n[ my.ext ]: 3', 'x');
    assert.deepEqual(t.fields.map((f) => [f.name, f.bracketed]), [
      ['type.googleapis.com/tensorflow.AssetFileDef', true],
      ['my.ext', true],
    ]);
  });
});

describe('conversion with the TensorFlow schema', () => {
  test('scalars of every kind land as the binary decoder would give them', () => {
    const m = parseTextFormat(
      `dtype: DT_STRING
       tensor_shape { dim { size: -1 } dim { size: 0x10 name: "n" } }
       float_val: [0.1, -inf, 3]
       double_val: 1e300
       int_val: -2147483648
       int64_val: [9223372036854775807, -9223372036854775808]
       string_val: "\\000\\377"
       bool_val: [t, false, True, 1]
       uint64_val: 18446744073709551615`,
      types.TensorProto,
      'x',
    ) as unknown as Record<string, unknown>;
    const o = types.TensorProto.toObject(m as unknown as protobuf.Message, { longs: String }) as Record<string, unknown>;
    assert.equal(o.dtype, 7);
    assert.deepEqual(o.tensor_shape, { dim: [{ size: '-1' }, { size: '16', name: 'n' }] });
    assert.deepEqual(o.float_val, [Math.fround(0.1), -Infinity, 3]);
    assert.deepEqual(o.double_val, [1e300]);
    assert.deepEqual(o.int_val, [-2147483648]);
    assert.deepEqual(o.int64_val, ['9223372036854775807', '-9223372036854775808']);
    assert.deepEqual([...(o.string_val as Uint8Array[])[0]], [0, 255]);
    assert.deepEqual(o.bool_val, [true, false, true, true]);
    assert.deepEqual(o.uint64_val, ['18446744073709551615']);
  });

  test('enums by number, oneofs, maps with message values, nested Any', () => {
    const m = parseTextFormat(
      `signature_def { key: "s" value { method_name: "m" inputs { key: "in" value { name: "x:0" dtype: 1 } } } }
       collection_def { key: "c" value { int64_list { value: [1, 2] } } }
       collection_def { key: "a" value { any_list { value { [type.googleapis.com/tensorflow.AssetFileDef] { filename: "vocab.txt" tensor_info { name: "Const:0" } } } } } }`,
      types.MetaGraphDef,
      'x',
    ) as unknown as IMetaGraphDef;
    assert.equal(m.signature_def!['s'].inputs!['in'].dtype, 1);
    assert.equal(m.collection_def!['c'].kind, 'int64_list');
    assert.deepEqual(m.collection_def!['c'].int64_list!.value!.map(toDecimal), ['1', '2']);
    const any = m.collection_def!['a'].any_list!.value![0];
    assert.equal(any.type_url, 'type.googleapis.com/tensorflow.AssetFileDef');
    // Canonical field order (tensor_info before filename), as TensorFlow serializes it.
    assert.deepEqual([...any.value!], [...Buffer.from('\n\t\n\x07Const:0\x12\x09vocab.txt', 'latin1')]);
  });

  test('proto2 features of a schema parsed here: extensions, required fields, closed enums, groups', () => {
    const proto2 = protobuf.parse(`syntax = "proto2"; package p;
      message M { optional int32 a = 1; required string r = 2; extensions 100 to 200; }
      extend M { optional string note = 100; }
      enum E { X = 1; Y = 2; }
      message N { optional E e = 1; optional group G = 2 { optional int32 v = 1; } }`).root;
    proto2.resolveAll();
    const M = proto2.lookupType('p.M');
    const N = proto2.lookupType('p.N');
    const m = parseTextFormat('a: 1 r: "x" [p.note]: "hi"', M, 'f') as unknown as Record<string, unknown>;
    assert.deepEqual([m.a, m.r, m['.p.note']], [1, 'x', 'hi']);
    assert.deepEqual(at(formatError(() => parseTextFormat('\n a: 1', M, 'f'))), [1, 1], 'missing required r');
    assert.match(formatError(() => parseTextFormat('e: 3', N, 'f')).message, /3 is not one of its numbers/);
    const n = N.toObject(parseTextFormat('e: 2 G { v: 5 }', N, 'f'));
    assert.deepEqual(n, { e: 2, g: { v: 5 } });
  });

  test('a repeated field given twice collects both values, in order', () => {
    const m = parseTextFormat('node { name: "a" } node { name: "b" }', types.GraphDef, 'x') as unknown as IGraphDef;
    assert.deepEqual(m.node!.map((n) => n.name), ['a', 'b']);
  });
});

// -------------------------------------------------------------------------------------------
// Errors: every one a ModelFormatError with file, line, column and what was expected

describe('errors', () => {
  test('unterminated string: at the opening quote', () => {
    const e = formatError(() => parseSavedModelText('meta_graphs {\n  meta_info_def { tags: "serve\n } }', 'bad.pbtxt'));
    assert.deepEqual(at(e), [2, 25]);
    assert.equal(e.file, 'bad.pbtxt');
    assert.match(e.expected, /closing "/);
    assert.match(e.message, /bad\.pbtxt:2:25/);
    const eof = formatError(() => parseTextTree("a: 'abc", 'x'));
    assert.deepEqual(at(eof), [1, 4]);
  });

  test('unknown field: names the message type and some valid fields, suggests the closest', () => {
    const e = formatError(() =>
      parseSavedModelText('meta_graphs {\n  signature_def {\n    key: "s"\n    value { method: "x" }\n  }\n}', 'f.pbtxt'),
    );
    assert.deepEqual(at(e), [4, 13]);
    assert.match(e.expected, /a field of tensorflow\.SignatureDef \(inputs, outputs, method_name/);
    assert.match(e.message, /unknown field "method"; did you mean "method_name"\?/);
    const top = formatError(() => parseSavedModelText('saved_model_schema_version: 1\nmeta_graph {}', 'f'));
    assert.deepEqual(at(top), [2, 1]);
    assert.match(top.expected, /tensorflow\.SavedModel \(saved_model_schema_version, meta_graphs\)/);
  });

  test('bad enum value', () => {
    const e = formatError(() => parseTextFormat('name: "x:0"\n  dtype: DT_FLAOT', types.TensorInfo, 'f'));
    assert.deepEqual(at(e), [2, 10]);
    assert.match(e.expected, /a value of enum tensorflow\.DataType \(DT_INVALID, DT_FLOAT/);
    assert.match(e.message, /unknown value "DT_FLAOT"/);
    const s = formatError(() => parseTextFormat('dtype: "DT_FLOAT"', types.TensorInfo, 'f'));
    assert.deepEqual(at(s), [1, 8]);
  });

  test('unbalanced braces', () => {
    const open = formatError(() => parseSavedModelText('meta_graphs {\n  meta_info_def {\n    tags: "serve"\n  }\n', 'f'));
    assert.deepEqual(at(open), [5, 1]);
    assert.match(open.expected, /"}" to close the message opened at line 1, column 13/);
    const extra = formatError(() => parseSavedModelText('meta_graphs {\n}\n}\n', 'f'));
    assert.deepEqual(at(extra), [3, 1]);
    assert.match(extra.message, /unbalanced "}"/);
    const mismatched = formatError(() => parseTextTree('a < b: 1 }', 'f'));
    assert.deepEqual(at(mismatched), [1, 10]);
  });

  test('bad numbers', () => {
    const cases: [string, number, number][] = [
      ['saved_model_schema_version: 12abc', 1, 29],
      ['saved_model_schema_version: 0x', 1, 29],
      ['saved_model_schema_version: 08', 1, 29],
      ['saved_model_schema_version: 1.2.3', 1, 29],
      ['saved_model_schema_version:\n   1e', 2, 4],
    ];
    for (const [text, line, column] of cases) {
      const e = formatError(() => parseSavedModelText(text, 'f'));
      assert.deepEqual(at(e), [line, column], text);
      assert.equal(e.expected, 'a number');
    }
    const range = formatError(() => parseTextFormat('max_to_keep: 2147483648', types.SaverDef, 'f'));
    assert.deepEqual(at(range), [1, 14]);
    assert.match(range.message, /a 32-bit integer .*out of range/);
    const frac = formatError(() => parseTextFormat('max_to_keep: 1.5', types.SaverDef, 'f'));
    assert.match(frac.expected, /integer/);
    const neg = formatError(() => parseTextFormat('checkpoint_hash: -1', types.FingerprintDef, 'f'));
    assert.match(neg.expected, /unsigned 64-bit integer/);
  });

  test('too-deep nesting stops at the limit, without exhausting the stack', () => {
    const deep = (n: number) => 'a {'.repeat(n) + '}'.repeat(n);
    assert.equal(parseTextTree(deep(MAX_TEXT_DEPTH), 'f').fields.length, 1);
    const e = formatError(() => parseTextTree(deep(MAX_TEXT_DEPTH + 1), 'f'));
    assert.deepEqual(at(e), [1, (MAX_TEXT_DEPTH + 1) * 3]);
    assert.match(e.expected, /at most 100 levels/);
    const huge = formatError(() => parseTextTree(deep(200_000), 'f'));
    assert.equal(huge.column, (MAX_TEXT_DEPTH + 1) * 3);
    const small = formatError(() => parseTextTree(deep(4), 'f', { maxDepth: 3 }));
    assert.deepEqual(at(small), [1, 12]);
  });

  test('schema errors: wrong kind of value, duplicates, oneofs, bad Any type', () => {
    const cases: [string, protobuf.Type, number, number, RegExp][] = [
      ['meta_graphs: 3', types.SavedModel, 1, 14, /"\{" to start the tensorflow\.MetaGraphDef/],
      ['saved_model_schema_version { }', types.SavedModel, 1, 28, /a scalar value \(int64\)/],
      ['name: "a"\nname: "b"', types.NodeDef, 2, 1, /at most one "name"/],
      ['s: "a" i: 3', types.AttrValue, 1, 8, /one member of oneof "value"/],
      ['name: [1]', types.NodeDef, 1, 1, /single value for the non-repeated field/],
      ['value { [type.googleapis.com/tensorflow.Nope] {} }', types.CollectionDef.fields['any_list'].resolvedType as protobuf.Type, 1, 9, /message type ServeLens knows/],
      ['attr { key: "k" value { b: true } extra: 1 }', types.NodeDef, 1, 35, /map entry of "attr" \(key, value\)/],
      ['sharded: yes', types.SaverDef, 1, 10, /true or false/],
      ['filename_tensor_name: 5', types.SaverDef, 1, 23, /a quoted string/],
      ['[some.extension]: 1', types.SaverDef, 1, 1, /an extension of tensorflow\.SaverDef/],
    ];
    for (const [text, type, line, column, re] of cases) {
      const e = formatError(() => parseTextFormat(text, type, 'f'));
      assert.deepEqual(at(e), [line, column], text);
      assert.match(e.message, re, text);
    }
  });

  test('malformed tokens', () => {
    const cases: [string, number, number, RegExp][] = [
      ['a: "\\q"', 1, 5, /an escape sequence/],
      ['a: "\\400"', 1, 5, /at most \\377/],
      ['a: "\\x"', 1, 5, /hex digits after \\x/],
      ['a: "\\u12"', 1, 5, /4 hex digits/],
      ['a: "\\ud800x"', 1, 5, /low surrogate/],
      ['a: "\\U00110000"', 1, 5, /at most \\U0010ffff/],
      ['a: 1 @', 1, 6, /a field name, a value/],
      ['a 1', 1, 3, /":" or "\{" after field name "a"/],
      ['a: [1 2]', 1, 7, /"," or "\]"/],
      ['a: }', 1, 4, /unbalanced "}"/],
      ['[type.googleapis.com/x', 1, 23, /"\]" to close/],
      ['a: -"x"', 1, 5, /a number after "-"/],
    ];
    for (const [text, line, column, re] of cases) {
      const e = formatError(() => parseTextTree(text, 'f'));
      assert.deepEqual(at(e), [line, column], text);
      assert.match(e.message, re, text);
    }
  });

  test('mutated fixture text never escapes as anything but ModelFormatError', () => {
    const text = readFileSync(PBTXT, 'utf8');
    let seed = 12345;
    const rand = (n: number) => {
      seed = (seed * 1103515245 + 12345) & 0x7fffffff;
      return seed % n;
    };
    const junk = ['{', '}', '"', "'", ':', '[', ']', '<', '\\', '-', '0x', '9', '.', '#', '\n', 'zz', '\\u'];
    let failures = 0;
    for (let i = 0; i < 150; i++) {
      const p = rand(text.length);
      const mutated = text.slice(0, p) + junk[rand(junk.length)] + text.slice(p + rand(3));
      try {
        parseSavedModelText(mutated, 'm.pbtxt');
      } catch (err) {
        failures++;
        assert.ok(err instanceof ModelFormatError, `mutation at ${p}: ${String(err)}`);
        assert.ok(err.line! >= 1 && err.column! >= 1, err.message);
      }
    }
    assert.ok(failures > 50, `${failures} of 150 mutations were rejected`);
  });

  test('big inputs stay linear: a 1 MB string and 100k adjacent literals', () => {
    const long = 'a: "' + 'x\\001'.repeat(200_000) + '"';
    const many = 'a: ' + '"ab" '.repeat(100_000);
    const t0 = Date.now();
    assert.equal((parseTextTree(long, 'f').fields[0].values[0] as TextString).bytes.length, 400_000);
    assert.equal((parseTextTree(many, 'f').fields[0].values[0] as TextString).bytes.length, 200_000);
    assert.ok(Date.now() - t0 < 2000, `${Date.now() - t0} ms`);
  });
});

// -------------------------------------------------------------------------------------------
// The TextMate grammar

interface Rule {
  match?: string;
  begin?: string;
  end?: string;
  name?: string;
  include?: string;
  patterns?: Rule[];
  captures?: Record<string, { name: string }>;
  beginCaptures?: Record<string, { name: string }>;
  endCaptures?: Record<string, { name: string }>;
}
interface Grammar {
  scopeName: string;
  patterns: Rule[];
  repository: Record<string, Rule>;
}

const SYNTAXES = join(repoRoot(), 'syntaxes');
const grammar = JSON.parse(readFileSync(join(SYNTAXES, 'protobuf-text.tmLanguage.json'), 'utf8')) as Grammar;

function flatten(rules: Rule[], seen = new Set<string>()): Rule[] {
  const out: Rule[] = [];
  for (const r of rules) {
    if (r.include) {
      const key = r.include.slice(1);
      assert.ok(r.include.startsWith('#') && grammar.repository[key], `include ${r.include} resolves`);
      if (seen.has(key)) continue;
      out.push(...flatten([grammar.repository[key]], new Set([...seen, key])));
    } else if (r.patterns && !r.begin && !r.match) {
      out.push(...flatten(r.patterns, seen));
    } else {
      out.push(r);
    }
  }
  return out;
}

interface Tok {
  text: string;
  scope: string;
}

/** A small TextMate-style line tokenizer: earliest match wins, ties go to the first rule. */
function tokenizeLine(line: string): Tok[] {
  const toks: Tok[] = [];
  const top = flatten(grammar.patterns);
  let pos = 0;
  let inside: Rule | undefined;
  const emit = (text: string, scope: string) => text && toks.push({ text, scope });
  while (pos <= line.length) {
    const candidates: { rule: Rule; re: RegExp; end: boolean }[] = [];
    if (inside) {
      candidates.push({ rule: inside, re: new RegExp(inside.end!, 'g'), end: true });
      for (const r of flatten(inside.patterns ?? [])) candidates.push({ rule: r, re: new RegExp(r.match ?? r.begin!, 'g'), end: false });
    } else {
      for (const r of top) candidates.push({ rule: r, re: new RegExp(r.match ?? r.begin!, 'g'), end: false });
    }
    let best: { c: (typeof candidates)[0]; m: RegExpExecArray } | undefined;
    for (const c of candidates) {
      c.re.lastIndex = pos;
      const m = c.re.exec(line);
      if (m && (!best || m.index < best.m.index)) best = { c, m };
    }
    if (!best) {
      emit(line.slice(pos), inside?.name ?? '');
      break;
    }
    const { c, m } = best;
    emit(line.slice(pos, m.index), inside?.name ?? '');
    if (c.end) {
      emit(m[0], inside!.name!);
      inside = undefined;
    } else if (c.rule.begin) {
      emit(m[0], c.rule.name!);
      inside = c.rule;
    } else if (c.rule.captures && !c.rule.name) {
      let off = m.index;
      for (let g = 1; g < m.length; g++) {
        if (m[g] === undefined) continue;
        const i = line.indexOf(m[g], off);
        emit(line.slice(off, i), '');
        emit(m[g], c.rule.captures[String(g)]?.name ?? '');
        off = i + m[g].length;
      }
      emit(line.slice(off, m.index + m[0].length), '');
    } else {
      emit(m[0], (inside ? inside.name + ' ' : '') + c.rule.name!);
    }
    pos = m.index + m[0].length;
    if (m[0].length === 0) {
      if (c.end || pos >= line.length) break;
      pos++;
    }
  }
  return toks.filter((t) => t.text.trim());
}

function scopesOf(line: string): [string, string][] {
  return tokenizeLine(line).map((t) => [t.text, t.scope.replace(/\.textproto/g, '')]);
}

describe('TextMate grammar syntaxes/protobuf-text.tmLanguage.json', () => {
  test('is scope source.textproto and every regex compiles in JavaScript', () => {
    assert.equal(grammar.scopeName, 'source.textproto');
    let count = 0;
    const visit = (r: Rule) => {
      for (const key of ['match', 'begin', 'end'] as const) {
        if (r[key] !== undefined) {
          assert.doesNotThrow(() => new RegExp(r[key]!), `${key}: ${r[key]}`);
          count++;
        }
      }
      for (const p of r.patterns ?? []) visit(p);
    };
    for (const r of Object.values(grammar.repository)) visit(r);
    flatten(grammar.patterns);
    assert.ok(count >= 20, `${count} regexes`);
  });

  test('colours saved_model.pbtxt lines as a reader expects', () => {
    assert.deepEqual(scopesOf('    tags: "serve"'), [
      ['tags', 'support.type.property-name'],
      [':', 'punctuation.separator.key-value'],
      ['"', 'string.quoted.double'],
      ['serve', 'string.quoted.double'],
      ['"', 'string.quoted.double'],
    ]);
    assert.deepEqual(scopesOf('  meta_graphs {  # the graph'), [
      ['meta_graphs', 'support.type.property-name'],
      ['{', 'punctuation.section.block.begin'],
      ['# the graph', 'comment.line.number-sign'],
    ]);
    assert.deepEqual(scopesOf('type: DT_FLOAT'), [
      ['type', 'support.type.property-name'],
      [':', 'punctuation.separator.key-value'],
      ['DT_FLOAT', 'constant.other.enum'],
    ]);
    const escapes = scopesOf(String.raw`value: "\n\003a:0\022\x08a/Assign\q"`).filter(([, s]) => /escape/.test(s));
    assert.deepEqual(escapes.map(([t, s]) => [t, s.split(' ').pop()]), [
      ['\\n', 'constant.character.escape'],
      ['\\003', 'constant.character.escape'],
      ['\\022', 'constant.character.escape'],
      ['\\x08', 'constant.character.escape'],
      ['\\q', 'invalid.illegal.unknown-escape'],
    ]);
    assert.deepEqual(scopesOf('[type.googleapis.com/tensorflow.AssetFileDef] {').slice(0, 5), [
      ['[', 'punctuation.definition.type.begin'],
      ['type.googleapis.com', 'entity.name.namespace.url'],
      ['/', 'punctuation.separator.url'],
      ['tensorflow.AssetFileDef', 'entity.name.type'],
      [']', 'punctuation.definition.type.end'],
    ]);
    const nums = ['1', '-1', '0x1F', '017', '1.5', '.5e-3', '2f', '-inf', 'nan', 'true', 'f', '12abc'];
    assert.deepEqual(
      nums.map((n) => scopesOf(`x: ${n}`)[2]?.[1]),
      [
        'constant.numeric.decimal', 'constant.numeric.decimal', 'constant.numeric.hex', 'constant.numeric.octal',
        'constant.numeric.float', 'constant.numeric.float', 'constant.numeric.float', 'constant.language.numeric',
        'constant.language.numeric', 'constant.language.boolean', 'constant.language.boolean', 'invalid.illegal.number',
      ],
    );
    assert.deepEqual(scopesOf('type: [DT_FLOAT, DT_INT32]').map(([, s]) => s), [
      'support.type.property-name', 'punctuation.separator.key-value', 'punctuation.section.array.begin',
      'constant.other.enum', 'punctuation.separator.comma', 'constant.other.enum', 'punctuation.section.array.end',
    ]);
  });

  test('marks nothing invalid in the fixture or in TF Serving config files', () => {
    const samples = [
      readFileSync(PBTXT, 'utf8'),
      // models.config (ModelServerConfig), as in TF Serving's serving_config guide
      "model_config_list {\n  config {\n    name: 'my_model'\n    base_path: '/models/my_model/'\n    model_platform: 'tensorflow'\n    model_version_policy { specific { versions: 42 versions: 43 } }\n    version_labels { key: 'stable' value: 43 }\n  }\n}\n",
      // monitoring_config.txt (MonitoringConfig)
      'prometheus_config: {\n  enable: true,\n  path: "/monitoring/prometheus/metrics"\n}\n',
      // batching parameters (BatchingParameters)
      'max_batch_size { value: 128 }\nbatch_timeout_micros { value: 0 }\nmax_enqueued_batches { value: 1000000 }\nnum_batch_threads { value: 8 }\n',
    ];
    for (const text of samples) {
      for (const line of text.split('\n')) {
        const bad = tokenizeLine(line).filter((t) => /invalid/.test(t.scope));
        assert.deepEqual(bad, [], line);
      }
    }
  });

  test('language-configuration.json and package.json contributions fit together', () => {
    const conf = JSON.parse(readFileSync(join(SYNTAXES, 'language-configuration.json'), 'utf8'));
    assert.equal(conf.comments.lineComment, '#');
    assert.deepEqual(conf.brackets[0], ['{', '}']);
    const pkg = JSON.parse(readFileSync(join(repoRoot(), 'package.json'), 'utf8'));
    const lang = pkg.contributes.languages.find((l: { id: string }) => l.id === 'servelens-textproto');
    assert.ok(lang, 'language servelens-textproto contributed');
    assert.ok(lang.extensions.includes('.pbtxt') && lang.extensions.includes('.prototxt') && lang.extensions.includes('.textproto'));
    assert.ok(lang.filenames.includes('models.config'));
    assert.ok(existsSync(join(repoRoot(), lang.configuration)));
    const gram = pkg.contributes.grammars.find((g: { language: string }) => g.language === 'servelens-textproto');
    assert.equal(gram.scopeName, 'source.textproto');
    assert.ok(existsSync(join(repoRoot(), gram.path)));
  });
});
