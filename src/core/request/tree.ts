/**
 * A small positioned JSON tree, for the few places that need one on small texts: the binding file
 * and the row ↔ columnar conversion fix. (Validation itself never builds a tree; see scan.ts.)
 * Uses the same scanner, so syntax errors are the same findings with the same ranges.
 */
import { FindingSink, MAX_DEPTH, Scanner, SyntaxStop } from './scan';
import type { TextEdit } from './types';

export interface TreeMember {
  key: string;
  keyStart: number;
  keyEnd: number;
  value: TreeNode;
}

export type TreeNode =
  | { type: 'object'; start: number; end: number; members: TreeMember[] }
  | { type: 'array'; start: number; end: number; items: TreeNode[] }
  | { type: 'string'; start: number; end: number; value: string }
  | { type: 'number'; start: number; end: number; value: number }
  | { type: 'boolean'; start: number; end: number; value: boolean }
  | { type: 'null'; start: number; end: number };

function node(sc: Scanner, depth: number): TreeNode {
  const c = sc.ws();
  const start = sc.pos;
  if (c === 123) {
    if (depth >= MAX_DEPTH) sc.tooDeep();
    sc.pos++;
    const members: TreeMember[] = [];
    if (sc.ws() === 125) sc.pos++;
    else {
      do {
        sc.ws();
        const keyStart = sc.pos;
        const key = sc.readKey();
        const keyEnd = sc.pos;
        sc.colon();
        members.push({ key, keyStart, keyEnd, value: node(sc, depth + 1) });
      } while (sc.next(125, 'after a member'));
    }
    return { type: 'object', start, end: sc.pos, members };
  }
  if (c === 91) {
    if (depth >= MAX_DEPTH) sc.tooDeep();
    sc.pos++;
    const items: TreeNode[] = [];
    if (sc.ws() === 93) sc.pos++;
    else {
      do items.push(node(sc, depth + 1));
      while (sc.next(93, 'after a list element'));
    }
    return { type: 'array', start, end: sc.pos, items };
  }
  if (c === 34) {
    const value = sc.readString();
    return { type: 'string', start, end: sc.pos, value };
  }
  if (c === 45 || (c >= 48 && c <= 57) || c === 78 || c === 73) {
    sc.scanNumber();
    return { type: 'number', start, end: sc.pos, value: Number(sc.src.slice(start, sc.pos).replace(/^(-?)Inf$/, '$1Infinity')) };
  }
  if (c < 0) sc.expected('a value');
  const bit = sc.scanLiteral(c);
  if (bit === 64) return { type: 'null', start, end: sc.pos };
  return { type: 'boolean', start, end: sc.pos, value: sc.src.charCodeAt(start) === 116 };
}

/**
 * Parses `text` into a positioned tree. Syntax errors, comments and trailing commas go to `sink`
 * (comments and trailing commas are skipped; a syntax error gives undefined). Never throws.
 */
export function parseTree(text: string, sink: FindingSink = new FindingSink()): TreeNode | undefined {
  const sc = new Scanner(text, sink);
  try {
    if (sc.ws() < 0) {
      sink.add('empty-file', 'error', 'The file is empty: expected a JSON object.', 0, 0);
      return undefined;
    }
    const root = node(sc, 0);
    if (sc.ws() >= 0) sc.fail(sc.pos, sc.pos + 1, 'Expected the end of the text after the top-level value.');
    return root;
  } catch (e) {
    if (e instanceof SyntaxStop) return undefined;
    throw e;
  }
}

function isB64(n: TreeNode): boolean {
  return n.type === 'object' && n.members.length === 1 && n.members[0]!.key === 'b64' && n.members[0]!.value.type === 'string';
}

function lineIndent(text: string, at: number): string {
  let p = at;
  while (p > 0 && text[p - 1] !== '\n' && text[p - 1] !== '\r') p--;
  let q = p;
  while (q < at && (text[q] === ' ' || text[q] === '\t')) q++;
  return text.slice(p, q);
}

function layout(text: string, n: TreeNode, open: string, close: string, parts: string[], indent: string): string {
  const multiline = /[\r\n]/.test(text.slice(n.start, n.end));
  if (!multiline) return `${open}${parts.join(', ')}${close}`;
  const inner = `${indent}  `;
  return `${open}\n${parts.map((p) => inner + p).join(',\n')}\n${indent}${close}`;
}

/**
 * Edits that convert a body between row (`instances`) and columnar (`inputs`) format, keeping the
 * value texts as written. Undefined when the body cannot be converted faithfully (syntax errors,
 * instances with different keys, columnar inputs of different batch sizes or scalars).
 */
export function convertFormat(text: string, to: 'row' | 'columnar'): TextEdit[] | undefined {
  const root = parseTree(text);
  if (!root || root.type !== 'object') return undefined;
  const from = to === 'columnar' ? 'instances' : 'inputs';
  const dest = to === 'columnar' ? 'inputs' : 'instances';
  if (root.members.some((x) => x.key === dest)) return undefined;
  const m = root.members.find((x) => x.key === from);
  if (!m) return undefined;
  const v = m.value;
  const slice = (n: TreeNode) => text.slice(n.start, n.end);
  const indent = lineIndent(text, m.keyStart);
  let value: string;
  if (to === 'columnar') {
    if (v.type !== 'array' || v.items.length === 0) return undefined;
    const objects = v.items.filter((x) => x.type === 'object' && !isB64(x));
    if (objects.length === 0) {
      value = `[${v.items.map(slice).join(', ')}]`;
    } else {
      if (objects.length !== v.items.length) return undefined;
      const first = v.items[0] as Extract<TreeNode, { type: 'object' }>;
      const aliases = first.members.map((x) => x.key);
      const cols: string[] = [];
      for (const alias of aliases) {
        const vals: string[] = [];
        for (const it of v.items as Extract<TreeNode, { type: 'object' }>[]) {
          if (it.members.length !== aliases.length) return undefined;
          const mm = it.members.find((x) => x.key === alias);
          if (!mm) return undefined;
          vals.push(slice(mm.value));
        }
        cols.push(`${JSON.stringify(alias)}: [${vals.join(', ')}]`);
      }
      value = layout(text, v, '{', '}', cols, indent);
    }
    return [{ start: m.keyStart, end: v.end, newText: `"inputs": ${value}` }];
  }
  let items: string[];
  if (v.type === 'object' && !isB64(v)) {
    if (v.members.length === 0) return undefined;
    let n = -1;
    for (const mm of v.members) {
      if (mm.value.type !== 'array') return undefined;
      if (n < 0) n = mm.value.items.length;
      else if (mm.value.items.length !== n) return undefined;
    }
    if (n <= 0) return undefined;
    items = [];
    for (let i = 0; i < n; i++) {
      items.push(`{${v.members.map((mm) => `${JSON.stringify(mm.key)}: ${slice((mm.value as Extract<TreeNode, { type: 'array' }>).items[i]!)}`).join(', ')}}`);
    }
  } else if (v.type === 'array' && v.items.length > 0) {
    items = v.items.map(slice);
  } else {
    return undefined;
  }
  return [{ start: m.keyStart, end: v.end, newText: `"instances": ${layout(text, v, '[', ']', items, indent)}` }];
}
