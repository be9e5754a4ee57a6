/**
 * The scanner under the validator: strict JSON (RFC 8259) with exact error ranges and "expected"
 * messages, the tolerated extras reported (comments, trailing commas, NaN/Infinity), bounded
 * nesting, base64 as absl decodes it, and no exception for any input.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { B64Problem, b64Problem, FindingSink, K_FRAC, K_INT, K_NONFINITE, LineIndex, MAX_DEPTH, Scanner, Slot, SyntaxStop } from '../../src/core/request/scan';
import { parseTree } from '../../src/core/request/tree';
import { validateRequest } from '../../src/core/request/validate';

/** The findings of the JSON layer only (structural-only etc. filtered out). */
const JSON_CODES = new Set(['syntax', 'comment', 'trailing-comma', 'non-finite-number', 'byte-order-mark', 'empty-file']);
function jsonFindings(text: string) {
  return validateRequest(text, { fileKind: 'json' }).findings.filter((f) => JSON_CODES.has(f.code));
}

function syntaxAt(text: string): { at: string; message: string; line: number; column: number } {
  const f = validateRequest(text, { fileKind: 'json' }).findings.find((x) => x.code === 'syntax');
  assert.ok(f, `a syntax finding for ${JSON.stringify(text)}`);
  return { at: text.slice(f.range.start, f.range.end), message: f.message, line: f.line, column: f.column };
}

describe('syntax errors: exact range and what was expected', () => {
  const cases: [string, string, RegExp][] = [
    ['{"instances": [1.0 2.0]}', '2.0', /Expected "," or "]"/],
    ['{"instances" [1]}', '[', /Expected ":" after the key/],
    ['{instances: [1]}', 'instances', /Expected a key in double quotes/],
    ["{'instances': [1]}", "'instances'", /double quotes/],
    ['{"instances": [None]}', 'None', /Python's None is null/],
    ['{"instances": [True]}', 'True', /lower case: true/],
    ['{"instances": [01]}', '01', /leading zeros/],
    ['{"instances": [1.]}', '1.', /digit after the decimal point/],
    ['{"instances": [.5]}', '.5', /Expected a value/],
    ['{"instances": [+1]}', '+1', /Expected a value/],
    ['{"instances": [1e]}', '1e', /digit in the exponent/],
    ['{"instances": [-]}', ']', /digit after "-"/],
    ['{"instances": ["a\\x"]}', '\\x', /Expected an escape/],
    ['{"instances": ["\\u12g4"]}', '\\u12g4', /four hex digits/],
    ['{"instances": ["line\nbreak"]}', '\n', /control characters/],
    ['{"instances": ["open]}', '"open]}', /not terminated/],
    ['{"instances": [1]} x', 'x', /end of the text/],
    ['{"instances": [1]', '', /but the text ends here/],
    ['{"instances": [nul]}', 'nul', /Expected a value/],
  ];
  for (const [text, at, message] of cases) {
    it(JSON.stringify(text), () => {
      const s = syntaxAt(text);
      if (at === '') assert.equal(s.at.length <= 1, true);
      else assert.equal(s.at, at);
      assert.match(s.message, message);
      assert.throws(() => JSON.parse(text), SyntaxError, 'JSON.parse agrees it is not JSON');
    });
  }

  it('reports line and column on multi-line text (\\n, \\r\\n and \\r)', () => {
    for (const nl of ['\n', '\r\n', '\r']) {
      const text = `{${nl}  "instances": [${nl}    1.0${nl}    2.0${nl}  ]${nl}}`;
      const s = syntaxAt(text);
      assert.equal(s.at, '2.0');
      assert.deepEqual([s.line, s.column], [4, 5]);
    }
  });
});

describe('agreement with JSON.parse', () => {
  /** Strict JSON texts: we report no JSON-level finding exactly when JSON.parse accepts them. */
  const samples = [
    '{}', '{"a":[]}', '{"a":[[],[[]]]}', '{"a":"\\u00e9\\n\\t\\"\\\\\\/"}', '{"a":-0.0e-0}', '{"a":1E+2}', '{"a":[true,false,null]}',
    '{"a":"\u{1F600}"}', ' \t\n\r{ "a" : 1 } \n', '{"a":[1,2,]}', '{"a":1,}', '{"a":"\u0001"}', '{"a":[1 2]}', '{"a":{"b":}}',
    '{"a":00}', '{"a":-01}', '{"a":1.5e}', '{"a":"\\q"}', '{"a":truex}', '{"a":[1]]', '{{}}', '{"a":[1],"b":"c"',
  ];
  for (const text of samples) {
    it(JSON.stringify(text), () => {
      let ok = true;
      try {
        JSON.parse(text);
      } catch {
        ok = false;
      }
      const f = jsonFindings(text);
      assert.equal(f.length === 0, ok, JSON.stringify(f.map((x) => x.message)));
    });
  }

  it('random JSON values generated and printed by JSON.stringify are accepted, with the same shape', () => {
    let seed = 42;
    const rnd = () => (seed = (seed * 1103515245 + 12345) & 0x7fffffff) / 0x7fffffff;
    const value = (d: number): unknown => {
      const r = rnd();
      if (d > 5 || r < 0.3) return [rnd() * 1e6 - 5e5, Math.floor(rnd() * 1e9), 'ünï\n"q"\\', true, null][Math.floor(rnd() * 5)];
      if (r < 0.6) return Array.from({ length: Math.floor(rnd() * 5) }, () => value(d + 1));
      return Object.fromEntries(Array.from({ length: Math.floor(rnd() * 4) }, (_, i) => [`k${i}${'\u00e9'.repeat(i)}`, value(d + 1)]));
    };
    for (let i = 0; i < 300; i++) {
      const v = { parameters: value(0) };
      const text = JSON.stringify(v, null, i % 2 ? 2 : undefined);
      assert.deepEqual(jsonFindings(text), [], text);
      const tree = parseTree(text);
      assert.ok(tree && tree.type === 'object');
      assert.equal(text.slice(tree.start, tree.end), text.trim());
    }
  });
});

describe('tolerated, reported, skipped', () => {
  it('comments and trailing commas are findings; validation goes on behind them', () => {
    const text = '{\n  // the model\n  "instances": [{"x": [1.0]},],\n  /* c */ "signature_name": "nope",\n}';
    const f = validateRequest(text, { fileKind: 'json', signatures: [{ name: 'serving_default', method: 'tensorflow/serving/predict', inputs: [{ alias: 'x', dtype: 'DT_FLOAT', shape: [-1, 1], tensor: 'x:0' }], outputs: [] }] }).findings;
    assert.deepEqual(f.map((x) => x.code).sort(), ['comment', 'comment', 'trailing-comma', 'trailing-comma', 'unknown-signature']);
    assert.deepEqual(f.filter((x) => x.code === 'comment').map((x) => text.slice(x.range.start, x.range.end)), ['// the model', '/* c */']);
  });

  it('NaN, Infinity, -Infinity and Inf are numbers to the scanner (TF Serving\'s RapidJSON accepts them)', () => {
    const sink = new FindingSink();
    const sc = new Scanner('[NaN, -Infinity, Inf, 1, 2.5]', sink);
    const slot = new Slot('x');
    sc.scanTensor(slot, 0);
    assert.deepEqual(sc.dims.slice(0, sc.rank), [5]);
    assert.equal(slot.countOf(K_NONFINITE), 3);
    assert.equal(slot.countOf(K_INT), 1);
    assert.equal(slot.countOf(K_FRAC), 1);
    assert.equal(sink.findings.length, 0, 'no target given to the scanner: accepted silently');
  });

  it('a byte order mark is a warning, not a syntax error', () => {
    const f = jsonFindings('\ufeff{"instances": [1]}');
    assert.deepEqual(f.map((x) => [x.code, x.severity]), [['byte-order-mark', 'warning']]);
  });
});

describe('bounded nesting', () => {
  it(`${MAX_DEPTH + 1} levels is a finding, not a stack overflow; ${MAX_DEPTH - 10} levels is fine`, () => {
    const deep = (n: number) => `{"instances": [${'['.repeat(n)}1${']'.repeat(n)}]}`;
    const f = validateRequest(deep(MAX_DEPTH + 1), { fileKind: 'json' }).findings.filter((x) => x.code === 'syntax');
    assert.equal(f.length, 1);
    assert.match(f[0]!.message, new RegExp(`at most ${MAX_DEPTH} levels`));
    assert.deepEqual(validateRequest(deep(MAX_DEPTH - 10), { fileKind: 'json' }).findings.filter((x) => x.severity === 'error'), []);
    // Far deeper, in parameters (skipped generically) and in objects.
    for (const text of [`{"parameters": ${'['.repeat(200_000)}}`, `{"parameters": ${'{"a":'.repeat(100_000)}1${'}'.repeat(100_000)}}`]) {
      const g = validateRequest(text, { fileKind: 'json' }).findings.filter((x) => x.code === 'syntax');
      assert.equal(g.length, 1);
      assert.match(g[0]!.message, /levels of nesting/);
    }
    assert.equal(parseTree(`[${'['.repeat(100_000)}`), undefined);
  });
});

describe('base64 as TF Serving decodes it (absl::Base64Unescape)', () => {
  const p = (s: string) => b64Problem(s, 0, s.length);
  it('accepts standard base64, padded or not, with whitespace', () => {
    for (const ok of ['', 'AA==', 'AAA=', 'AAAA', 'aGVsbG8gd29ybGQ=', 'aGVsbG8gd29ybGQ', 'X5ad6u', 'IA9j4nx', 'aGVs\\nbG8=', 'aG Vs bG8=', '+/+/']) {
      assert.equal(p(ok), B64Problem.ok, ok);
      if (!/\\|\s/.test(ok) && ok.length % 4 === 0) assert.equal(Buffer.from(ok, 'base64').toString('base64'), ok, 'Node agrees');
    }
  });
  it('names the URL-safe alphabet, bad characters, impossible lengths and misplaced padding', () => {
    assert.equal(p('aGk-_w=='), B64Problem.urlSafe);
    assert.equal(p('aGk*'), B64Problem.badChar);
    assert.equal(p('AAAAA'), B64Problem.badLength);
    assert.equal(p('AA=A'), B64Problem.badPadding);
    assert.equal(p('AA==='), B64Problem.badPadding);
    assert.equal(p('A==='), B64Problem.badLength);
  });
});

describe('never throws', () => {
  it('random mutations of request bodies give findings, never an exception, and ranges inside the text', () => {
    const seeds = [
      '{"signature_name": "serving_default", "instances": [{"x": [1.0, 2.0], "img_bytes": {"b64": "AAAA"}}, {"x": [3, 4], "img_bytes": {"b64": "AA=="}}]}',
      '{"inputs": {"a": [[1, 2], [3, 4]], "b": ["x", "y"]}, "parameters": {"k": [null, true]}}',
      '{"signature_name": "c", "context": {"f": [1, 2]}, "examples": [{"x": 2.0, "s": "t"}, {"x": [1.5, NaN]}]}',
    ];
    const alphabet = '{}[]",:0123456789.-+eE \nabtrufnlsNI\\/b64*';
    let seed = 1234;
    const rnd = (n: number) => ((seed = (seed * 1103515245 + 12345) & 0x7fffffff) % n);
    const sig = [{ name: 'serving_default', method: 'tensorflow/serving/predict', inputs: [{ alias: 'x', dtype: 'DT_INT8', shape: [-1, 2], tensor: 'x:0' }, { alias: 'img_bytes', dtype: 'DT_STRING', shape: [-1], tensor: 'i:0' }], outputs: [] }];
    for (let i = 0; i < 3000; i++) {
      let text = seeds[i % seeds.length]!;
      const edits = 1 + rnd(4);
      for (let k = 0; k < edits; k++) {
        const at = rnd(text.length + 1);
        const op = rnd(3);
        if (op === 0) text = text.slice(0, at) + text.slice(at + 1 + rnd(3));
        else if (op === 1) text = text.slice(0, at) + alphabet[rnd(alphabet.length)] + text.slice(at);
        else text = text.slice(0, at) + alphabet[rnd(alphabet.length)] + text.slice(at + 1);
      }
      for (const fileKind of ['json', 'jsonl'] as const) {
        const r = validateRequest(text, { fileKind, signatures: sig, target: i % 2 ? 'vertex' : undefined });
        for (const f of r.findings) {
          assert.ok(f.range.start >= 0 && f.range.end <= text.length && f.range.start <= f.range.end, `${f.code} range in ${JSON.stringify(text)}`);
          assert.ok(f.line >= 1 && f.column >= 1, `${f.code} position`);
          for (const fix of f.fixes ?? []) for (const e of fix.edits) assert.ok(e.start >= 0 && e.end <= text.length && e.start <= e.end);
        }
      }
    }
  });

  it('a syntax error stops the scan inside the scanner with SyntaxStop, and the caller gets one finding', () => {
    const sink = new FindingSink();
    const sc = new Scanner('[1, }', sink);
    assert.throws(() => sc.skipValue(0), (e) => e instanceof SyntaxStop);
    assert.equal(sink.findings.length, 1);
  });
});

describe('LineIndex', () => {
  it('maps offsets to 1-based line and column across line endings', () => {
    const idx = new LineIndex('ab\ncd\r\nef\rg');
    assert.deepEqual(idx.position(0), { line: 1, column: 1 });
    assert.deepEqual(idx.position(3), { line: 2, column: 1 });
    assert.deepEqual(idx.position(7), { line: 3, column: 1 });
    assert.deepEqual(idx.position(10), { line: 4, column: 1 });
    assert.equal(idx.lines, 4);
  });
});
