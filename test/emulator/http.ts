/**
 * Response values and error bodies shared by the emulator's route families. A handler returns an
 * `EmuResponse` (or throws an `EmuHttpError` carrying one); the server writes it, applying faults.
 */
import type { IncomingHttpHeaders } from 'node:http';

/** A byte range of a local file, streamed when the response is written. `end` is inclusive. */
export interface FileBody {
  file: string;
  start: number;
  end: number;
}

export interface EmuResponse {
  status: number;
  headers: Record<string, string>;
  body: Buffer | FileBody;
}

/** The route families; each has its own error body shape. */
export type Family = 'google' | 'storage' | 'tfserving' | 'metadata' | 'control';

/** What a handler sees of the request. */
export interface EmuRequest {
  method: string;
  url: URL;
  /** The path, still percent-encoded. */
  rawPath: string;
  headers: IncomingHttpHeaders;
  /** The parsed JSON body (POST/PATCH), or undefined when empty. Throws EmuHttpError(400) on bad JSON. */
  json(): Promise<unknown>;
  /** The body bytes as received (empty when none). */
  raw(): Buffer;
  /** `$alt=json;enum-encoding=int` was asked for: enum fields as numbers. */
  numericEnums: boolean;
  /** `http://host:port` as the client addressed the emulator. */
  origin: string;
}

export class EmuHttpError extends Error {
  constructor(readonly response: EmuResponse) {
    super(`HTTP ${response.status}`);
  }
}

const JSON_TYPE = 'application/json; charset=UTF-8';

export function jsonResponse(status: number, value: unknown, headers: Record<string, string> = {}): EmuResponse {
  return { status, headers: { 'content-type': JSON_TYPE, ...headers }, body: Buffer.from(JSON.stringify(value, null, 2)) };
}

export function textResponse(status: number, text: string, contentType = 'text/plain; charset=UTF-8', headers: Record<string, string> = {}): EmuResponse {
  return { status, headers: { 'content-type': contentType, ...headers }, body: Buffer.from(text) };
}

/** google.rpc.Code names by HTTP status, as Google's API front end maps them. */
export const RPC_STATUS_BY_HTTP: Record<number, string> = {
  400: 'INVALID_ARGUMENT',
  401: 'UNAUTHENTICATED',
  403: 'PERMISSION_DENIED',
  404: 'NOT_FOUND',
  409: 'ABORTED',
  412: 'FAILED_PRECONDITION',
  429: 'RESOURCE_EXHAUSTED',
  499: 'CANCELLED',
  500: 'INTERNAL',
  501: 'UNIMPLEMENTED',
  503: 'UNAVAILABLE',
  504: 'DEADLINE_EXCEEDED',
};

export const HTTP_BY_RPC_STATUS: Record<string, number> = {
  INVALID_ARGUMENT: 400,
  FAILED_PRECONDITION: 400,
  OUT_OF_RANGE: 400,
  UNAUTHENTICATED: 401,
  PERMISSION_DENIED: 403,
  NOT_FOUND: 404,
  ALREADY_EXISTS: 409,
  ABORTED: 409,
  RESOURCE_EXHAUSTED: 429,
  CANCELLED: 499,
  UNKNOWN: 500,
  INTERNAL: 500,
  DATA_LOSS: 500,
  UNIMPLEMENTED: 501,
  UNAVAILABLE: 503,
  DEADLINE_EXCEEDED: 504,
};

/** `{"error":{"code","message","status","details"}}` — a google.rpc.Status as Google's JSON APIs send it. */
export function rpcError(status: string, message: string, details?: unknown[], headers: Record<string, string> = {}): EmuResponse {
  const code = HTTP_BY_RPC_STATUS[status] ?? 500;
  const error: Record<string, unknown> = { code, message, status };
  if (details && details.length) error.details = details;
  return jsonResponse(code, { error }, headers);
}

export function rpcFail(status: string, message: string, details?: unknown[]): never {
  throw new EmuHttpError(rpcError(status, message, details));
}

/** google.rpc.ErrorInfo detail. */
export function errorInfo(reason: string, domain: string, metadata: Record<string, string>): Record<string, unknown> {
  return { '@type': 'type.googleapis.com/google.rpc.ErrorInfo', reason, domain, metadata };
}

/** google.rpc.BadRequest detail. */
export function badRequest(violations: { field: string; description: string }[]): Record<string, unknown> {
  return { '@type': 'type.googleapis.com/google.rpc.BadRequest', fieldViolations: violations };
}

/** Cloud Storage JSON API error: `{"error":{"code","message","errors":[{message,domain,reason}]}}`. */
export function storageError(code: number, reason: string, message: string, extra: Record<string, unknown> = {}, headers: Record<string, string> = {}): EmuResponse {
  return jsonResponse(code, { error: { code, message, errors: [{ message, domain: 'global', reason }], ...extra } }, headers);
}

/** TF Serving's REST error body: `{"error": "..."}`. */
export function tfServingError(status: number, message: string): EmuResponse {
  return jsonResponse(status, { error: message });
}

/**
 * Google's front end answers paths no API serves with an HTML page, not JSON. Clients must cope with
 * a non-JSON error body; the emulator does the same.
 */
export function gfeHtml(status: number, path: string): EmuResponse {
  const what = status === 404 ? `The requested URL <code>${escapeHtml(path)}</code> was not found on this server.` : 'The server encountered a temporary error and could not complete your request.<p>Please try again in 30 seconds.';
  const title = status === 404 ? 'Not Found' : status === 502 ? 'Server Error' : 'Error';
  const html =
    `<!DOCTYPE html>\n<html lang=en>\n<meta charset=utf-8>\n<title>Error ${status} (${title})!!1</title>\n` +
    `<p><b>${status}.</b> <ins>That’s an error.</ins>\n<p>${what} <ins>That’s all we know.</ins>\n`;
  return textResponse(status, html, 'text/html; charset=UTF-8');
}

function escapeHtml(s: string): string {
  return s.replace(/[&<>"]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[c]!);
}

/** RFC 3339 UTC with microseconds, as Google's JSON APIs write timestamps. */
export function timestamp(ms: number = Date.now()): string {
  const iso = new Date(Math.floor(ms)).toISOString(); // ...sss Z
  const micros = String(Math.floor((ms % 1) * 1000)).padStart(3, '0');
  return `${iso.slice(0, -1)}${micros}Z`;
}

/** Parses `?pageSize`: a non-negative integer (0 or absent: the default), capped. */
export function pageSizeOf(url: URL, name: string, dflt: number, max: number, fail: (msg: string) => never): number {
  const raw = url.searchParams.get(name);
  if (raw === null || raw === '') return dflt;
  if (!/^\d+$/.test(raw)) fail(`Invalid value at '${name === 'pageSize' ? 'page_size' : name}' (TYPE_INT32), "${raw}"`);
  const n = Number(raw);
  if (n === 0) return dflt;
  return Math.min(n, max);
}

/** Opaque page tokens bound to the listing they came from (parent + filter). */
export function encodePageToken(listKey: string, offset: number): string {
  return Buffer.from(JSON.stringify({ k: hash(listKey), o: offset })).toString('base64url');
}

export function decodePageToken(token: string, listKey: string): number | undefined {
  try {
    const v = JSON.parse(Buffer.from(token, 'base64url').toString('utf8')) as { k?: unknown; o?: unknown };
    if (v.k !== hash(listKey) || typeof v.o !== 'number' || !Number.isSafeInteger(v.o) || v.o < 0) return undefined;
    return v.o;
  } catch {
    return undefined;
  }
}

function hash(s: string): string {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 0x01000193) >>> 0;
  return h.toString(36);
}

/** One page of `items` for a list call, or a 400 for a token that does not belong to this listing. */
export function paginate<T>(items: T[], url: URL, listKey: string, pageSize: number, fail: (msg: string) => never): { page: T[]; next?: string } {
  const token = url.searchParams.get('pageToken');
  let start = 0;
  if (token) {
    const o = decodePageToken(token, listKey);
    if (o === undefined) fail('Invalid page token.');
    start = o;
  }
  const page = items.slice(start, start + pageSize);
  const end = start + page.length;
  return end < items.length ? { page, next: encodePageToken(listKey, end) } : { page };
}

/** Percent-decodes one path segment; a malformed escape gives undefined. */
export function decodeSegment(s: string): string | undefined {
  try {
    return decodeURIComponent(s);
  } catch {
    return undefined;
  }
}
