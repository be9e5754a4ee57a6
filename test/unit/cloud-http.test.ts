/**
 * The HTTP path (src/core/cloud/http.ts) against small servers on 127.0.0.1 that misbehave on
 * purpose: which failures are retried and which never are, Retry-After, the retry budget, resets,
 * cut-off bodies, time-outs, cancellation, the 401 token refresh, and the User-Agent.
 */
import { strict as assert } from 'node:assert';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { FixedTokenSource, type AccessToken, type CredentialInfo, type CredentialSource } from '../../src/core/cloud/auth';
import { CloudApiError, isCloudError } from '../../src/core/cloud/errors';
import { HttpClient, parseRetryAfter, type HttpClientOptions, type Transport } from '../../src/core/cloud/http';
import { servelensVersion } from '../../src/core/cloud/version';

type Handler = (req: IncomingMessage, res: ServerResponse, n: number) => void;

interface Seen {
  method: string;
  url: string;
  headers: IncomingMessage['headers'];
}

/** One server for the file; each test sets `handler` and reads `seen`. */
const server = {
  url: '',
  handler: ((_req, res) => res.end('{}')) as Handler,
  seen: [] as Seen[],
  close: () => Promise.resolve(),
};

before(async () => {
  const s = createServer((req, res) => {
    server.seen.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers });
    req.resume();
    req.on('end', () => server.handler(req, res, server.seen.length));
  });
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', () => r()));
  server.url = `http://127.0.0.1:${(s.address() as AddressInfo).port}`;
  server.close = () => {
    s.closeAllConnections();
    return new Promise((r) => s.close(() => r()));
  };
});
after(() => server.close());

function use(handler: Handler): void {
  server.handler = handler;
  server.seen = [];
}

const TOKEN = 'ya29.test-token-for-http-tests-0123456789';

function rpcError(res: ServerResponse, code: number, status: string, message: string, headers: Record<string, string> = {}, details: unknown[] = []): void {
  res.writeHead(code, { 'content-type': 'application/json', ...headers });
  res.end(JSON.stringify({ error: { code, message, status, details } }));
}

/** A client whose pauses are recorded and cut to 1 ms, so back-off is asserted without waiting. */
function client(opts: HttpClientOptions = {}): { http: HttpClient; delays: number[]; log: string[] } {
  const delays: number[] = [];
  const log: string[] = [];
  const http = new HttpClient({
    credentials: new FixedTokenSource(TOKEN),
    random: () => 0.5,
    sleep: (ms, signal) => {
      delays.push(ms);
      return new Promise((resolve, reject) => {
        if (signal?.aborted) return reject(signal.reason);
        setTimeout(resolve, 1);
      });
    },
    log: (l) => log.push(l),
    ...opts,
  });
  return { http, delays, log };
}

const get = (http: HttpClient, path = '/v1/projects/p/locations/us-central1/endpoints', extra = {}) =>
  http.json<Record<string, unknown>>({ method: 'GET', url: `${server.url}${path}`, service: 'vertex', ...extra });

async function rejects(p: Promise<unknown>): Promise<CloudApiError> {
  try {
    await p;
  } catch (err) {
    assert.ok(isCloudError(err), `expected a CloudError, got ${String(err)}`);
    return err as CloudApiError;
  }
  assert.fail('expected the call to fail');
}

describe('cloud HTTP: retries', () => {
  it('retries 503, 500, 502, 504 and 429 on a GET and succeeds within the budget, with exponential full-jitter pauses', async () => {
    const statuses = [503, 500, 502, 504];
    use((_req, res, n) => (n <= statuses.length ? rpcError(res, statuses[n - 1]!, 'UNAVAILABLE', 'try later') : res.end('{"endpoints":[]}')));
    const { http, delays } = client({ retry: { maxAttempts: 5, initialDelayMs: 100, multiplier: 2, maxDelayMs: 300 } });
    assert.deepEqual(await get(http), { endpoints: [] });
    assert.equal(server.seen.length, 5);
    // random() = 0.5: half of min(max, initial × 2^n) → 50, 100, 150 (capped at 300), 150
    assert.deepEqual(delays, [50, 100, 150, 150]);
  });

  it('gives up after maxAttempts with the typed error of the last answer and the attempt count', async () => {
    use((_req, res) => rpcError(res, 503, 'UNAVAILABLE', 'The service is currently unavailable.'));
    const { http } = client({ retry: { maxAttempts: 3 } });
    const err = await rejects(get(http));
    assert.equal(err.reason, 'unavailable');
    assert.equal(err.httpStatus, 503);
    assert.equal(err.attempts, 3);
    assert.equal(server.seen.length, 3);
    assert.match(err.message, /after 3 attempts/);
    assert.match(err.hint ?? '', /3 times/);
  });

  it('never retries 4xx input errors (400, 401 without refresh, 403, 404, 409)', async () => {
    for (const [code, status, reason] of [
      [400, 'INVALID_ARGUMENT', 'invalid-argument'],
      [403, 'PERMISSION_DENIED', 'permission-denied'],
      [404, 'NOT_FOUND', 'not-found'],
      [409, 'ALREADY_EXISTS', 'conflict'],
      [401, 'UNAUTHENTICATED', 'unauthenticated'],
    ] as const) {
      use((_req, res) => rpcError(res, code, status, 'no'));
      const err = await rejects(get(client().http));
      assert.equal(err.reason, reason, `${code}`);
      assert.equal(server.seen.length, 1, `${code} was sent ${server.seen.length} times`);
    }
  });

  it('never retries a POST unless it is marked idempotent', async () => {
    use((_req, res) => rpcError(res, 503, 'UNAVAILABLE', 'busy'));
    const post = (idempotent?: boolean) =>
      client().http.json({ method: 'POST', url: `${server.url}/v1/x:cancel`, service: 'vertex', json: {}, ...(idempotent === undefined ? {} : { idempotent }) });
    await rejects(post());
    assert.equal(server.seen.length, 1);
    use((_req, res, n) => (n === 1 ? rpcError(res, 503, 'UNAVAILABLE', 'busy') : res.end('{}')));
    assert.deepEqual(await post(true), {});
    assert.equal(server.seen.length, 2);
    assert.equal(server.seen[0]!.method, 'POST');
  });

  it('honours Retry-After in seconds and as an HTTP date, and google.rpc.RetryInfo', async () => {
    use((_req, res, n) => (n === 1 ? rpcError(res, 429, 'RESOURCE_EXHAUSTED', 'Quota exceeded', { 'retry-after': '2' }) : res.end('{}')));
    const a = client();
    await get(a.http);
    assert.deepEqual(a.delays, [2000]);

    const date = new Date(Date.now() + 3000).toUTCString();
    use((_req, res, n) => (n === 1 ? rpcError(res, 503, 'UNAVAILABLE', 'later', { 'retry-after': date }) : res.end('{}')));
    const b = client();
    await get(b.http);
    assert.equal(b.delays.length, 1);
    assert.ok(b.delays[0]! > 1000 && b.delays[0]! <= 3000, `delay ${b.delays[0]}`);

    const retryInfo = { '@type': 'type.googleapis.com/google.rpc.RetryInfo', retryDelay: '1.5s' };
    use((_req, res, n) => (n === 1 ? rpcError(res, 429, 'RESOURCE_EXHAUSTED', 'slow down', {}, [retryInfo]) : res.end('{}')));
    const c = client();
    await get(c.http);
    assert.deepEqual(c.delays, [1500]);
  });

  it('does not wait for a Retry-After beyond the total time budget: fails at once with quota and the pause asked', async () => {
    use((_req, res) => rpcError(res, 429, 'RESOURCE_EXHAUSTED', 'Quota exceeded for aiplatform.googleapis.com/online_prediction_requests', { 'retry-after': '120' }));
    const { http, delays } = client({ retry: { totalTimeoutMs: 10_000 } });
    const err = await rejects(get(http));
    assert.equal(err.reason, 'quota');
    assert.equal(err.retryAfterMs, 120_000);
    assert.deepEqual(delays, []);
    assert.equal(server.seen.length, 1);
    assert.match(err.hint ?? '', /Quotas/);
  });

  it('parses Retry-After values', () => {
    assert.equal(parseRetryAfter('7'), 7000);
    assert.equal(parseRetryAfter('Wed, 21 Oct 2015 07:28:00 GMT', Date.parse('Wed, 21 Oct 2015 07:27:50 GMT')), 10_000);
    assert.equal(parseRetryAfter('soon'), undefined);
    assert.equal(parseRetryAfter(null), undefined);
  });

  it('retries a connection reset on a GET, not on a POST', async () => {
    use((req, res, n) => (n === 1 ? req.socket.destroy() : res.end('{"ok":true}')));
    const { http } = client();
    assert.deepEqual(await get(http), { ok: true });
    assert.equal(server.seen.length, 2);

    use((req) => req.socket.destroy());
    const err = await rejects(client().http.json({ method: 'POST', url: `${server.url}/v1/jobs`, service: 'vertex', json: { a: 1 } }));
    assert.equal(err.reason, 'network');
    assert.equal(server.seen.length, 1);
    assert.match(err.hint ?? '', /network/);
  });

  it('retries a body cut off mid-way (content-length not reached) and a body that is not JSON', async () => {
    use((req, res, n) => {
      if (n === 1) {
        res.writeHead(200, { 'content-type': 'application/json', 'content-length': '100' });
        res.write('{"endpoints": [');
        setTimeout(() => req.socket.destroy(), 5);
      } else if (n === 2) {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end('{"endpoints": [');
      } else res.end('{"endpoints":[]}');
    });
    const { http } = client();
    assert.deepEqual(await get(http), { endpoints: [] });
    assert.equal(server.seen.length, 3);
  });

  it('a call that keeps timing out fails with reason timeout after its attempts; the time-out covers slow bodies', async () => {
    use((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.write('{"endpoints":'); // and never more
    });
    const { http } = client({ timeoutMs: 80, retry: { maxAttempts: 2 } });
    const t0 = Date.now();
    const err = await rejects(get(http));
    assert.equal(err.reason, 'timeout');
    assert.equal(err.attempts, 2);
    assert.ok(Date.now() - t0 < 2000);
    assert.match(err.message, /no answer within 0\.1 s/);
  });

  it('cancellation stops the call at once (during the answer and during a back-off pause) with reason cancelled, and no more requests go out', async () => {
    use(() => undefined); // never answers
    const ac = new AbortController();
    const http = new HttpClient({ credentials: new FixedTokenSource(TOKEN) });
    setTimeout(() => ac.abort(), 30);
    const err = await rejects(get(http, undefined, { signal: ac.signal }));
    assert.equal(err.reason, 'cancelled');

    use((_req, res) => rpcError(res, 503, 'UNAVAILABLE', 'busy', { 'retry-after': '30' }));
    const ac2 = new AbortController();
    const slow = new HttpClient({ credentials: new FixedTokenSource(TOKEN), retry: { totalTimeoutMs: 120_000 } });
    const t0 = Date.now();
    setTimeout(() => ac2.abort(), 100);
    const err2 = await rejects(get(slow, undefined, { signal: ac2.signal }));
    assert.equal(err2.reason, 'cancelled');
    assert.ok(Date.now() - t0 < 5000, 'the 30 s pause was cut short');
    assert.equal(server.seen.length, 1);

    const ac3 = new AbortController();
    ac3.abort();
    const before = server.seen.length;
    assert.equal((await rejects(get(slow, undefined, { signal: ac3.signal }))).reason, 'cancelled');
    assert.equal(server.seen.length, before);
  });

  it('an unreachable host is a network error, not retried (connection refused)', async () => {
    const closed = createServer();
    await new Promise<void>((r) => closed.listen(0, '127.0.0.1', () => r()));
    const port = (closed.address() as AddressInfo).port;
    await new Promise((r) => closed.close(r));
    const { http, delays } = client();
    const err = await rejects(http.json({ method: 'GET', url: `http://127.0.0.1:${port}/v1/x`, service: 'vertex' }));
    assert.equal(err.reason, 'network');
    assert.equal(err.code, 'ECONNREFUSED');
    assert.deepEqual(delays, []);
  });
});

describe('cloud HTTP: requests', () => {
  it('sends the bearer token, servelens/<version> as User-Agent, JSON bodies and the query', async () => {
    use((_req, res) => res.end('{}'));
    await client().http.json({ method: 'POST', url: `${server.url}/v1/a`, service: 'vertex', query: { pageSize: 5, filter: 'x="1"', skip: undefined }, json: { k: 'v' } });
    const h = server.seen[0]!.headers;
    assert.equal(h.authorization, `Bearer ${TOKEN}`);
    assert.equal(h['user-agent'], `servelens/${servelensVersion()}`);
    assert.match(servelensVersion(), /^\d+\.\d+\.\d+/);
    assert.equal(h['content-type'], 'application/json; charset=utf-8');
    assert.equal(server.seen[0]!.url, '/v1/a?pageSize=5&filter=x%3D%221%22');
  });

  it('never sends the Google token when auth is false (TF Serving)', async () => {
    use((_req, res) => res.end('{}'));
    await client().http.json({ method: 'GET', url: `${server.url}/v1/models/m`, service: 'tfserving', auth: false });
    assert.equal(server.seen[0]!.headers.authorization, undefined);
  });

  it('on a 401 it asks the credential source for a fresh token and sends once more; a second 401 fails', async () => {
    let n = 0;
    let invalidated = 0;
    const source: CredentialSource = {
      getAccessToken: async (): Promise<AccessToken> => ({ token: `ya29.rotating-token-number-${++n}` }),
      describe: (): CredentialInfo => ({ kind: 'gcloud' }),
      invalidate: () => void invalidated++,
    };
    use((req, res) => (req.headers.authorization === 'Bearer ya29.rotating-token-number-2' ? res.end('{"ok":1}') : rpcError(res, 401, 'UNAUTHENTICATED', 'Request had invalid authentication credentials.')));
    const http = new HttpClient({ credentials: source });
    assert.deepEqual(await get(http), { ok: 1 });
    assert.equal(invalidated, 1);
    assert.equal(server.seen.length, 2);

    use((_req, res) => rpcError(res, 401, 'UNAUTHENTICATED', 'Request had invalid authentication credentials.'));
    const err = await rejects(get(new HttpClient({ credentials: source })));
    assert.equal(err.reason, 'unauthenticated');
    assert.equal(server.seen.length, 2);
    assert.match(err.hint ?? '', /gcloud auth login/);
  });

  it('does not follow redirects (they would carry the token elsewhere)', async () => {
    use((_req, res) => {
      res.writeHead(302, { location: 'http://example.invalid/steal' });
      res.end();
    });
    const err = await rejects(get(client().http));
    assert.equal(err.reason, 'bad-response');
    assert.match(err.message, /redirect/);
    assert.equal(server.seen.length, 1);
  });

  it('reads TF Serving and AI Platform {"error": "..."} bodies, and non-JSON error pages', async () => {
    use((_req, res) => {
      res.writeHead(404, { 'content-type': 'application/json' });
      res.end('{ "error": "Servable not found for request: Latest(half_plus_four)" }');
    });
    const err = await rejects(client().http.json({ method: 'GET', url: `${server.url}/v1/models/half_plus_four`, service: 'tfserving', auth: false }));
    assert.equal(err.reason, 'not-found');
    assert.equal(err.serverMessage, 'Servable not found for request: Latest(half_plus_four)');
    assert.match(err.hint ?? '', /model name and version/);

    use((_req, res) => {
      res.writeHead(502, { 'content-type': 'text/html' });
      res.end('<html><body>Bad Gateway</body></html>');
    });
    const err2 = await rejects(client({ retry: { maxAttempts: 1 } }).http.json({ method: 'GET', url: `${server.url}/v1/x`, service: 'vertex' }));
    assert.equal(err2.reason, 'unavailable');
    assert.equal(err2.serverMessage, undefined);
  });

  it('a substituted Transport sends everything (no socket): requests in, answers and failures out', async () => {
    const sent: { method: string; url: string; headers: Record<string, string>; body?: string | Uint8Array }[] = [];
    let n = 0;
    const transport: Transport = {
      async send(req) {
        sent.push({ method: req.method, url: req.url, headers: req.headers, ...(req.body !== undefined ? { body: req.body } : {}) });
        if (++n === 1) throw Object.assign(new TypeError('fetch failed'), { cause: Object.assign(new Error('read ECONNRESET'), { code: 'ECONNRESET' }) });
        const bytes = new TextEncoder().encode('{"models":[{"name":"m"}]}');
        return { status: 200, headers: new Headers({ 'content-type': 'application/json' }), body: (async function* () { yield bytes.subarray(0, 5); yield bytes.subarray(5); })() };
      },
    };
    const { http, delays } = client({ transport });
    assert.deepEqual(await http.json({ method: 'GET', url: 'https://us-central1-aiplatform.googleapis.com/v1/projects/p/locations/us-central1/models', service: 'vertex', query: { pageSize: 2 } }), { models: [{ name: 'm' }] });
    assert.equal(sent.length, 2);
    assert.equal(delays.length, 1, 'the reset was retried after a pause');
    assert.equal(sent[1]!.url, 'https://us-central1-aiplatform.googleapis.com/v1/projects/p/locations/us-central1/models?pageSize=2');
    assert.equal(sent[1]!.headers.authorization, `Bearer ${TOKEN}`);
  });

  it('keeps the token out of every log line and error it produces', async () => {
    const { http, log } = client({ retry: { maxAttempts: 2 } });
    use((_req, res) => rpcError(res, 503, 'UNAVAILABLE', `echo: Bearer ${TOKEN}`));
    const err = await rejects(get(http));
    const everything = [err.message, err.hint ?? '', err.serverMessage ?? '', JSON.stringify(err), err.stack ?? '', ...log].join('\n');
    assert.ok(log.length >= 3, 'the calls were logged');
    assert.ok(!everything.includes(TOKEN), 'the token leaked');
    assert.ok(!everything.includes('test-token-for-http'), 'part of the token leaked');
  });
});
