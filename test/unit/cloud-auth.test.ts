/**
 * Credential sources (src/core/cloud/auth.ts): a service-account key signing its own JWTs, ADC
 * through google-auth-library (a key file named by GOOGLE_APPLICATION_CREDENTIALS, and the metadata
 * server moved to 127.0.0.1 with GCE_METADATA_HOST), the gcloud CLI (a stand-in script), the chain,
 * and the typed errors with their hints. Nothing here leaves 127.0.0.1.
 */
import { strict as assert } from 'node:assert';
import { createPublicKey, generateKeyPairSync, verify } from 'node:crypto';
import { chmod, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { inspect } from 'node:util';
import { after, before, describe, it } from 'node:test';
import {
  AdcSource,
  ChainedSource,
  CLOUD_PLATFORM_SCOPE,
  FixedTokenSource,
  GcloudSource,
  ServiceAccountKeySource,
  defaultCredentialSource,
  envTokenSource,
  type CredentialSource,
} from '../../src/core/cloud/auth';
import { CloudAuthError, isCloudError } from '../../src/core/cloud/errors';
import { HttpClient } from '../../src/core/cloud/http';
import { redact } from '../../src/core/cloud/secrets';

let dir = '';
const savedEnv = { ...process.env };

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'servelens-auth-'));
  // No real credentials of this machine may take part: an empty gcloud config folder, no ADC file.
  process.env.CLOUDSDK_CONFIG = join(dir, 'gcloud-config');
  delete process.env.GOOGLE_APPLICATION_CREDENTIALS;
  delete process.env.SERVELENS_ACCESS_TOKEN;
});
after(async () => {
  for (const k of Object.keys(process.env)) if (!(k in savedEnv)) delete process.env[k];
  Object.assign(process.env, savedEnv);
  await rm(dir, { recursive: true, force: true });
});

async function authError(p: Promise<unknown>): Promise<CloudAuthError> {
  try {
    await p;
  } catch (err) {
    assert.ok(err instanceof CloudAuthError, `expected CloudAuthError, got ${inspect(err)}`);
    return err;
  }
  assert.fail('expected a sign-in failure');
}

const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
const PEM = privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
const EMAIL = 'lister@demo-project.iam.gserviceaccount.com';

async function keyFile(name: string, content: unknown): Promise<string> {
  const p = join(dir, name);
  await writeFile(p, typeof content === 'string' ? content : JSON.stringify(content));
  return p;
}

const saKey = (extra: Record<string, unknown> = {}) => ({
  type: 'service_account',
  project_id: 'demo-project',
  private_key_id: 'key-id-1',
  private_key: PEM,
  client_email: EMAIL,
  client_id: '1234567890',
  token_uri: 'https://oauth2.googleapis.com/token',
  ...extra,
});

/** Checks a self-signed JWT: signature by the test key, issuer, scope, one hour of life. */
function assertSelfSignedJwt(token: string): void {
  const [h, p, s] = token.split('.');
  assert.ok(h && p && s, 'three JWT parts');
  const header = JSON.parse(Buffer.from(h, 'base64url').toString()) as Record<string, unknown>;
  const payload = JSON.parse(Buffer.from(p, 'base64url').toString()) as Record<string, unknown>;
  assert.equal(header.alg, 'RS256');
  assert.equal(header.kid, 'key-id-1');
  assert.equal(payload.iss, EMAIL);
  assert.equal(payload.sub, EMAIL);
  assert.equal(payload.scope, CLOUD_PLATFORM_SCOPE);
  assert.equal(Number(payload.exp) - Number(payload.iat), 3600);
  assert.ok(verify('RSA-SHA256', Buffer.from(`${h}.${p}`), createPublicKey(publicKey.export({ type: 'spki', format: 'pem' })), Buffer.from(s, 'base64url')), 'signed by the key');
}

describe('cloud auth: fixed and environment tokens', () => {
  it('SERVELENS_ACCESS_TOKEN is used when set, ignored when empty, and never shown by describe()', async () => {
    assert.equal(envTokenSource({}), undefined);
    assert.equal(envTokenSource({ SERVELENS_ACCESS_TOKEN: '  ' }), undefined);
    const src = envTokenSource({ SERVELENS_ACCESS_TOKEN: ' ya29.env-token-value-123456 \n' })!;
    assert.equal((await src.getAccessToken()).token, 'ya29.env-token-value-123456');
    assert.deepEqual(src.describe(), { kind: 'env-token', detail: 'SERVELENS_ACCESS_TOKEN' });
    const chosen = defaultCredentialSource({ env: { SERVELENS_ACCESS_TOKEN: 'ya29.env-token-value-123456' }, keyFile: '/nonexistent' });
    assert.equal(chosen.describe().kind, 'env-token');
  });

  it('a fixed token source honours an aborted signal', async () => {
    const ac = new AbortController();
    ac.abort();
    const err = await authError(new FixedTokenSource('ya29.fixed-token-0000000').getAccessToken(ac.signal));
    assert.equal(err.reason, 'cancelled');
  });
});

describe('cloud auth: service-account key file (settings)', () => {
  it('signs a one-hour JWT with the key (no token endpoint), reuses it, and describes the account and project', async () => {
    const src = new ServiceAccountKeySource(await keyFile('sa.json', saKey()));
    const a = await src.getAccessToken();
    assertSelfSignedJwt(a.token);
    assert.ok(a.expiresAt! - Date.now() > 3_500_000);
    assert.equal((await src.getAccessToken()).token, a.token);
    assert.deepEqual(src.describe(), { kind: 'service-account-key', detail: join(dir, 'sa.json'), account: EMAIL, project: 'demo-project' });
    assert.deepEqual(await src.identify(), src.describe());
  });

  it('explains files it cannot use, without showing their contents', async () => {
    const cases: [string, unknown, RegExp][] = [
      ['missing.json', undefined, /ENOENT/],
      ['notjson.json', 'not json at all', /not JSON/],
      ['notype.json', { client_email: EMAIL }, /no "type"/],
      ['nokey.json', saKey({ private_key: undefined }), /lacks client_email or private_key/],
      ['badkey.json', saKey({ private_key: '-----BEGIN PRIVATE KEY-----\nAAAAsecretmaterialAAAA\n-----END PRIVATE KEY-----\n' }), /cannot sign/],
    ];
    for (const [name, content, re] of cases) {
      const path = content === undefined ? join(dir, name) : await keyFile(name, content);
      const err = await authError(new ServiceAccountKeySource(path).getAccessToken());
      assert.equal(err.reason, 'invalid-key-file', name);
      assert.match(err.message, re, name);
      assert.ok(err.hint, name);
      assert.ok(!`${err.message} ${err.hint}`.includes('secretmaterial'), `${name}: key material in the message`);
      assert.ok(!`${err.message} ${err.hint}`.includes('MII'), `${name}: key material in the message`);
    }
  });
});

describe('cloud auth: Application Default Credentials', () => {
  let meta: Server;
  let metaHost = '';
  let tokenCalls = 0;
  const META_TOKEN = 'ya29.metadata-server-token-abcdef0123';

  before(async () => {
    meta = createServer((req, res) => {
      if (req.headers['metadata-flavor'] !== 'Google') {
        res.writeHead(403);
        return res.end('Missing Metadata-Flavor header');
      }
      const h = { 'metadata-flavor': 'Google', 'content-type': 'application/text' };
      const path = (req.url ?? '').split('?')[0];
      if (path === '/computeMetadata/v1/instance' || path === '/computeMetadata/v1/instance/') {
        res.writeHead(200, h);
        return res.end('attributes/\nhostname\nservice-accounts/\n');
      }
      if (path === '/computeMetadata/v1/instance/service-accounts/default/token') {
        tokenCalls++;
        res.writeHead(200, { ...h, 'content-type': 'application/json' });
        return res.end(JSON.stringify({ access_token: META_TOKEN, expires_in: 3599, token_type: 'Bearer' }));
      }
      if (path === '/computeMetadata/v1/project/project-id') {
        res.writeHead(200, h);
        return res.end('metadata-project');
      }
      if (path === '/computeMetadata/v1/instance/service-accounts/default/email') {
        res.writeHead(200, h);
        return res.end('vm-sa@metadata-project.iam.gserviceaccount.com');
      }
      if (path === '/computeMetadata/v1/universe/universe-domain') {
        res.writeHead(200, h);
        return res.end('googleapis.com');
      }
      res.writeHead(404, h);
      res.end('not found');
    });
    await new Promise<void>((r) => meta.listen(0, '127.0.0.1', () => r()));
    metaHost = `127.0.0.1:${(meta.address() as AddressInfo).port}`;
  });
  after(() => {
    meta.closeAllConnections();
    return new Promise<void>((r) => meta.close(() => r()));
  });

  it('with nothing to find it fails with no-credentials and names the command to run', async () => {
    process.env.METADATA_SERVER_DETECTION = 'none';
    try {
      const err = await authError(new AdcSource().getAccessToken());
      assert.equal(err.reason, 'no-credentials');
      assert.match(err.hint ?? '', /gcloud auth application-default login/);
      assert.match(err.hint ?? '', /GOOGLE_APPLICATION_CREDENTIALS/);
    } finally {
      delete process.env.METADATA_SERVER_DETECTION;
    }
  });

  it('GOOGLE_APPLICATION_CREDENTIALS naming a service-account key: a self-signed JWT, offline', async () => {
    process.env.GOOGLE_APPLICATION_CREDENTIALS = await keyFile('adc-sa.json', saKey());
    try {
      const src = new AdcSource();
      const t = await src.getAccessToken();
      assertSelfSignedJwt(t.token);
      assert.equal(src.describe().kind, 'adc');
      assert.equal(src.describe().detail, 'service_account');
      const info = await src.identify();
      assert.equal(info.account, EMAIL);
      assert.equal(info.project, 'demo-project');
    } finally {
      delete process.env.GOOGLE_APPLICATION_CREDENTIALS;
    }
  });

  it('GOOGLE_APPLICATION_CREDENTIALS naming a missing file: invalid-key-file', async () => {
    process.env.GOOGLE_APPLICATION_CREDENTIALS = join(dir, 'nope.json');
    try {
      const err = await authError(new AdcSource().getAccessToken());
      assert.equal(err.reason, 'invalid-key-file');
      assert.match(err.hint ?? '', /GOOGLE_APPLICATION_CREDENTIALS/);
    } finally {
      delete process.env.GOOGLE_APPLICATION_CREDENTIALS;
    }
  });

  it('the metadata server (GCE_METADATA_HOST): token with expiry, cached by the library, account and project', async () => {
    process.env.GCE_METADATA_HOST = metaHost;
    try {
      const src = new AdcSource();
      const t = await src.getAccessToken();
      assert.equal(t.token, META_TOKEN);
      assert.ok(t.expiresAt && t.expiresAt > Date.now() + 3_000_000);
      await src.getAccessToken();
      assert.equal(tokenCalls, 1, 'the second call used the cached token');
      assert.equal(src.describe().kind, 'metadata-server');
      const info = await src.identify();
      assert.equal(info.project, 'metadata-project');
      assert.equal(info.account, 'vm-sa@metadata-project.iam.gserviceaccount.com');
    } finally {
      delete process.env.GCE_METADATA_HOST;
    }
  });
});

describe('cloud auth: the gcloud CLI', () => {
  let gcloud = '';
  let calls = '';
  const GCLOUD_TOKEN = 'ya29.gcloud-printed-token-9876543210';

  before(async () => {
    gcloud = join(dir, 'gcloud');
    calls = join(dir, 'gcloud-calls.log');
    await writeFile(
      gcloud,
      [
        '#!/bin/sh',
        'echo "$*" >> "$CALLS"',
        'case "$MODE" in',
        '  noaccount) echo "ERROR: (gcloud.auth.print-access-token) You do not currently have an active account selected." >&2; exit 1 ;;',
        '  reauth) echo "ERROR: (gcloud.auth.print-access-token) There was a problem refreshing your current auth tokens: Reauthentication required." >&2; exit 1 ;;',
        '  crash) echo "Traceback: something broke" >&2; exit 2 ;;',
        '  slow) sleep 5 ;;',
        'esac',
        'if [ "$1 $2" = "auth print-access-token" ]; then echo "WARNING: a warning on stderr" >&2; echo "$TOKEN"; fi',
        `if [ "$1 $2" = "config list" ]; then echo '{"core": {"account": "dev@example.com", "disable_usage_reporting": "True", "project": "demo-project"}}'; fi`,
      ].join('\n'),
    );
    await chmod(gcloud, 0o755);
  });

  const src = (mode = 'ok', extra: Partial<ConstructorParameters<typeof GcloudSource>[0]> = {}) =>
    new GcloudSource({ command: gcloud, env: { PATH: process.env.PATH, MODE: mode, CALLS: calls, TOKEN: GCLOUD_TOKEN }, ...extra });
  const runs = async () => {
    const { readFile } = await import('node:fs/promises');
    return (await readFile(calls, 'utf8').catch(() => '')).split('\n').filter(Boolean);
  };

  it('prints a token once for concurrent callers, reuses it, and runs again after invalidate()', async () => {
    await rm(calls, { force: true });
    const s = src();
    const tokens = await Promise.all(Array.from({ length: 6 }, () => s.getAccessToken()));
    assert.ok(tokens.every((t) => t.token === GCLOUD_TOKEN));
    assert.deepEqual(await runs(), ['auth print-access-token']);
    await s.getAccessToken();
    assert.equal((await runs()).length, 1);
    s.invalidate();
    await s.getAccessToken();
    assert.equal((await runs()).length, 2);
  });

  it('asks again once the reuse time has passed (refresh on expiry)', async () => {
    await rm(calls, { force: true });
    const s = src('ok', { reuseMs: 30 });
    await s.getAccessToken();
    await new Promise((r) => setTimeout(r, 50));
    await s.getAccessToken();
    assert.equal((await runs()).length, 2);
  });

  it('identify() reads account and project from `gcloud config list --format=json`', async () => {
    const s = src();
    assert.deepEqual(await s.identify(), { kind: 'gcloud', account: 'dev@example.com', project: 'demo-project' });
    assert.ok((await runs()).includes('config list --format=json'));
  });

  it('failures are typed: not signed in, reauthentication, a crash, a hang, not installed, cancelled', async () => {
    const noAccount = await authError(src('noaccount').getAccessToken());
    assert.equal(noAccount.reason, 'no-credentials');
    assert.match(noAccount.message, /active account/);
    assert.match(noAccount.hint ?? '', /gcloud auth login/);

    const reauth = await authError(src('reauth').getAccessToken());
    assert.equal(reauth.reason, 'expired');

    const crash = await authError(src('crash').getAccessToken());
    assert.equal(crash.reason, 'gcloud-failed');
    assert.match(crash.message, /Traceback/);

    const t0 = Date.now();
    const slow = await authError(src('slow', { timeoutMs: 200 }).getAccessToken());
    assert.equal(slow.reason, 'gcloud-failed');
    assert.match(slow.message, /did not finish within/);
    assert.ok(Date.now() - t0 < 3000);

    const missing = await authError(new GcloudSource({ command: join(dir, 'no-such-gcloud') }).getAccessToken());
    assert.equal(missing.reason, 'no-credentials');
    assert.match(missing.hint ?? '', /Install the Google Cloud CLI/);

    const ac = new AbortController();
    const pending = src('slow', { timeoutMs: 10_000 }).getAccessToken(ac.signal);
    setTimeout(() => ac.abort(), 50);
    assert.equal((await authError(pending)).reason, 'cancelled');
  });
});

describe('cloud auth: the chain and secrecy', () => {
  it('falls through a source without credentials to the next, and reports other failures as they are', async () => {
    const none: CredentialSource = {
      getAccessToken: () => Promise.reject(new CloudAuthError('no-credentials', 'adc', 'none', 'run something')),
      describe: () => ({ kind: 'adc' }),
    };
    const expired: CredentialSource = {
      getAccessToken: () => Promise.reject(new CloudAuthError('expired', 'adc', 'expired', 'sign in')),
      describe: () => ({ kind: 'adc' }),
    };
    const fixed = new FixedTokenSource('ya29.chain-token-00000000', { account: 'a@b.c' });
    const chain = new ChainedSource([none, fixed]);
    assert.equal((await chain.getAccessToken()).token, 'ya29.chain-token-00000000');
    assert.equal(chain.describe().account, 'a@b.c');
    assert.equal((await authError(new ChainedSource([expired, fixed]).getAccessToken())).reason, 'expired');
    let asked = 0;
    const counted: CredentialSource = { ...none, getAccessToken: () => (asked++, none.getAccessToken()) };
    const empty = new ChainedSource([counted, none]);
    const nothing = await authError(empty.getAccessToken());
    assert.equal(nothing.reason, 'no-credentials');
    assert.equal(nothing.message, 'none none', 'what each source found');
    assert.equal(nothing.hint, 'run something', "the first source's way to sign in");
    await authError(empty.getAccessToken());
    assert.equal(asked, 1, 'a second call soon after is answered from memory');
    empty.reset();
    await authError(empty.getAccessToken());
    assert.equal(asked, 2);
  });

  it('no token ever appears in errors, describe(), inspect() or the HTTP log, for any source', async () => {
    const tokens: string[] = [];
    const texts: string[] = [];
    const sources: CredentialSource[] = [
      new FixedTokenSource('ya29.grep-me-fixed-token-111111'),
      envTokenSource({ SERVELENS_ACCESS_TOKEN: 'opaque-grep-me-env-token-222222' })!,
      new ServiceAccountKeySource(await keyFile('grep-sa.json', saKey())),
    ];
    // A server that echoes the Authorization header into its error message, as a careless proxy might.
    const echo = createServer((req, res) => {
      res.writeHead(403, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ error: { code: 403, status: 'PERMISSION_DENIED', message: `denied for ${req.headers.authorization}` } }));
    });
    await new Promise<void>((r) => echo.listen(0, '127.0.0.1', () => r()));
    try {
      for (const source of sources) {
        tokens.push((await source.getAccessToken()).token);
        const log: string[] = [];
        const http = new HttpClient({ credentials: source, log: (l) => log.push(l) });
        try {
          await http.json({ method: 'GET', url: `http://127.0.0.1:${(echo.address() as AddressInfo).port}/v1/projects/p/locations/l/endpoints`, service: 'vertex' });
          assert.fail('the echo server refuses');
        } catch (err) {
          assert.ok(isCloudError(err, 'permission-denied'));
          texts.push(err.message, err.hint ?? '', JSON.stringify(err), inspect(err, { depth: 5 }), err.stack ?? '');
        }
        texts.push(...log, JSON.stringify(source.describe()), inspect(source, { depth: 5 }), JSON.stringify(source));
      }
    } finally {
      echo.closeAllConnections();
      await new Promise((r) => echo.close(r));
    }
    const all = texts.join('\n');
    assert.ok(all.includes('denied for Bearer [redacted]'), 'the echoed header was redacted');
    for (const t of tokens) {
      assert.ok(!all.includes(t), `a token leaked: ${t.slice(0, 12)}…`);
      assert.ok(!all.includes(t.slice(-16)), 'the end of a token leaked');
    }
  });

  it('redact() removes credential-looking text it never saw', () => {
    const text = [
      'Authorization: Bearer abc.def-ghi',
      'token ya29.a0AfH6SMB-unseen',
      'refresh 1//0gUnseenRefreshTokenValue12345',
      'jwt eyJhbGciOiJSUzI1NiJ9.eyJpc3MiOiJ4In0.c2lnbmF0dXJl',
      '{"private_key": "-----BEGIN PRIVATE KEY-----\\nMIIEv\\n-----END PRIVATE KEY-----\\n"}',
    ].join('\n');
    const out = redact(text);
    for (const secret of ['abc.def-ghi', 'a0AfH6SMB', 'UnseenRefresh', 'c2lnbmF0dXJl', 'MIIEv']) assert.ok(!out.includes(secret), secret);
    assert.match(out, /Bearer \[redacted\]/);
  });
});
