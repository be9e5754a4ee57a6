/**
 * Which documents are request files: `*.request.json` and `*.instances.jsonl` by name, and any
 * JSON / JSON Lines file that `.servelens.json` binds to a target.
 */
import { extname } from 'node:path';
import type * as vscode from 'vscode';
import type { TextRange } from '../../core/request/types';

const NAMED = /\.(request\.json|instances\.jsonl)$/i;
const JSON_EXT = new Set(['.json']);
const JSONL_EXT = new Set(['.jsonl', '.ndjson']);

/** Larger documents are validated when opened and saved, not while typing (VS Code counts UTF-16 units). */
export const LARGE_DOCUMENT_CHARS = 2 * 1024 * 1024;

/** Files ServeLens validates by their name alone. */
export function isNamedRequestFile(path: string): boolean {
  return NAMED.test(path);
}

/** A JSON or JSON Lines file by extension or language: what a binding may turn into a request file. */
export function isJsonLike(doc: Pick<vscode.TextDocument, 'uri' | 'languageId'>): boolean {
  const ext = extname(doc.uri.path).toLowerCase();
  return JSON_EXT.has(ext) || JSONL_EXT.has(ext) || doc.languageId === 'json' || doc.languageId === 'jsonl';
}

/** 'jsonl' for JSON Lines (one instance per line), else 'json'. */
export function fileKindOf(doc: Pick<vscode.TextDocument, 'uri' | 'languageId'>): 'json' | 'jsonl' {
  const ext = extname(doc.uri.path).toLowerCase();
  if (JSONL_EXT.has(ext)) return 'jsonl';
  if (JSON_EXT.has(ext)) return 'json';
  return doc.languageId === 'jsonl' ? 'jsonl' : 'json';
}

/** Only files on disk: a binding names workspace paths, and the models they point at are local. */
export function isFileDocument(doc: Pick<vscode.TextDocument, 'uri'>): boolean {
  return doc.uri.scheme === 'file';
}

/** The document's length in UTF-16 units, without copying its text. */
export function documentLength(doc: vscode.TextDocument): number {
  if (doc.lineCount === 0) return 0;
  return doc.offsetAt(doc.lineAt(doc.lineCount - 1).range.end);
}

/** What hover and completion read: a JSON Lines file's current line, or a JSON document up to 2 MB. */
export interface TextWindow {
  text: string;
  /** The cursor, in `text`. */
  offset: number;
  /** Where `text` starts in the document. */
  base: number;
}

export function textAround(doc: vscode.TextDocument, position: vscode.Position, fileKind: 'json' | 'jsonl'): TextWindow | undefined {
  if (fileKind === 'jsonl') {
    const line = doc.lineAt(position.line);
    return { text: line.text, offset: position.character, base: doc.offsetAt(line.range.start) };
  }
  if (documentLength(doc) > LARGE_DOCUMENT_CHARS) return undefined;
  return { text: doc.getText(), offset: doc.offsetAt(position), base: 0 };
}

/** A range found in a window, as a range of the document. */
export function inDocument(w: TextWindow, r: TextRange): TextRange {
  return { start: r.start + w.base, end: r.end + w.base };
}
