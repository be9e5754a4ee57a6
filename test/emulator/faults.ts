/**
 * Fault injection per route. A fault matches a request by method (optional) and path (the pathname
 * without the query: a string for an exact match, a string ending in `*` for a prefix, or a RegExp).
 * `times` limits how many requests it applies to (default: every matching request).
 *
 *   latency    wait `ms` before handling (adds up with other latency faults; then the request goes on)
 *   status     answer `status` (default 503) with the route family's error body (or `body`), and
 *              `Retry-After: retryAfter` when given
 *   reset      close the connection without an answer (TCP RST)
 *   truncate   send the headers and half of the real body, then close the connection
 *   slow-body  send the real body in pieces spread over `ms` (default 2000)
 *
 * Only the first matching fault of the kinds other than latency applies to a request.
 */

export type FaultKind = 'latency' | 'status' | 'reset' | 'truncate' | 'slow-body';

export interface FaultSpec {
  method?: string;
  path: RegExp | string;
  times?: number;
  kind: FaultKind;
  ms?: number;
  status?: number;
  /** Seconds, or an HTTP date. */
  retryAfter?: number | string;
  /** The body for a `status` fault: a string as is, anything else as JSON. */
  body?: unknown;
}

/** What `POST /__emulator/faults` accepts: `path` is a string; `pathRegex` a RegExp source. */
export interface FaultJson extends Omit<FaultSpec, 'path'> {
  path?: string;
  pathRegex?: string;
}

export interface Fault extends FaultSpec {
  id: number;
  /** How many requests it applied to so far. */
  hits: number;
}

const KINDS: readonly FaultKind[] = ['latency', 'status', 'reset', 'truncate', 'slow-body'];

export class FaultSet {
  private faults: Fault[] = [];
  private nextId = 1;

  /** Adds a fault; returns its id. Throws a TypeError for an invalid spec. */
  add(spec: FaultSpec): number {
    if (!KINDS.includes(spec.kind)) throw new TypeError(`fault kind must be one of ${KINDS.join(', ')}`);
    if (typeof spec.path !== 'string' && !(spec.path instanceof RegExp)) throw new TypeError('fault path must be a string or a RegExp');
    if (spec.times !== undefined && (!Number.isInteger(spec.times) || spec.times < 1)) throw new TypeError('fault times must be a positive integer');
    if (spec.ms !== undefined && (!Number.isFinite(spec.ms) || spec.ms < 0 || spec.ms > 600_000)) throw new TypeError('fault ms must be between 0 and 600000');
    if (spec.status !== undefined && (!Number.isInteger(spec.status) || spec.status < 100 || spec.status > 599)) throw new TypeError('fault status must be an HTTP status');
    const fault: Fault = { ...spec, id: this.nextId++, hits: 0 };
    this.faults.push(fault);
    return fault.id;
  }

  /** Adds a fault described in JSON (the HTTP control route). */
  addJson(json: unknown): number {
    if (!json || typeof json !== 'object' || Array.isArray(json)) throw new TypeError('a fault is a JSON object');
    const j = json as FaultJson;
    let path: RegExp | string;
    if (typeof j.pathRegex === 'string') {
      try {
        path = new RegExp(j.pathRegex);
      } catch (err) {
        throw new TypeError(`pathRegex: ${(err as Error).message}`);
      }
    } else if (typeof j.path === 'string') path = j.path;
    else throw new TypeError('a fault needs "path" (string) or "pathRegex"');
    const { pathRegex: _r, path: _p, ...rest } = j;
    return this.add({ ...rest, path });
  }

  remove(id: number): boolean {
    const before = this.faults.length;
    this.faults = this.faults.filter((f) => f.id !== id);
    return this.faults.length !== before;
  }

  clear(): void {
    this.faults = [];
  }

  list(): Fault[] {
    return this.faults.map((f) => ({ ...f }));
  }

  /** JSON view of the faults (RegExp paths as their source). */
  toJson(): unknown[] {
    return this.faults.map((f) => ({ ...f, path: f.path instanceof RegExp ? undefined : f.path, pathRegex: f.path instanceof RegExp ? f.path.source : undefined }));
  }

  /**
   * The faults that apply to this request, consuming one of each one's `times`: the total latency,
   * and the first fault of another kind.
   */
  take(method: string, path: string): { latencyMs: number; fault?: Fault } {
    let latencyMs = 0;
    let fault: Fault | undefined;
    for (const f of this.faults) {
      if (f.method && f.method.toUpperCase() !== method.toUpperCase()) continue;
      if (!matches(f.path, path)) continue;
      if (f.kind === 'latency') {
        latencyMs += f.ms ?? 0;
        f.hits++;
      } else if (!fault) {
        fault = f;
        f.hits++;
      }
    }
    this.faults = this.faults.filter((f) => f.times === undefined || f.hits < f.times);
    return { latencyMs, fault: fault ? { ...fault } : undefined };
  }
}

function matches(p: RegExp | string, path: string): boolean {
  if (p instanceof RegExp) {
    p.lastIndex = 0;
    return p.test(path);
  }
  return p.endsWith('*') ? path.startsWith(p.slice(0, -1)) : path === p;
}
