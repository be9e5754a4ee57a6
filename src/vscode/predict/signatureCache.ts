/**
 * One reading of each Predict target's signatures, shared by Predict / Explain (choosing TF
 * Serving's verb, checking before sending, explaining a failure) and by the request files'
 * validation as you type (through RequestResolver's RemoteSignatures). A reading is kept five
 * minutes, a failure one minute; the cloud session's rebuild forgets them all.
 */
import * as vscode from 'vscode';
import { AiPlatformClient } from '../../core/cloud/aiplatform';
import { targetSignatures, type TargetSignatures } from '../../core/predict/signatures';
import { targetName, type PredictTarget } from '../../core/predict/target';
import type { CloudApi } from '../cloud/registerCloudViews';
import { Disposable } from '../lifecycle';
import type { SignatureReading } from '../requests/resolver';
import type { SignatureCache as LocalSignatures } from '../requests/signatures';

const TTL_MS = 5 * 60_000;
const ERROR_TTL_MS = 60_000;

interface Entry extends SignatureReading {
  at: number;
}

export class TargetSignatureCache extends Disposable {
  readonly #entries = new Map<string, Entry>();
  readonly #changed = this._register(new vscode.EventEmitter<void>());
  /** Fires when a reading settled, or the readings were forgotten. */
  readonly onDidChange = this.#changed.event;

  constructor(
    private readonly cloud: CloudApi,
    private readonly local: LocalSignatures,
  ) {
    super();
    this._register(cloud.onDidRebuild(() => this.forget()));
  }

  /** The reading of `target`'s signatures: started when there is none (or it is stale); settled or not. */
  entry(target: PredictTarget): SignatureReading {
    const key = targetName(target);
    const e = this.#entries.get(key);
    if (e && (!e.settled || Date.now() - e.at < (e.error !== undefined ? ERROR_TTL_MS : TTL_MS))) return e;
    const entry: Entry = { at: Date.now(), settled: false, promise: Promise.resolve() };
    entry.promise = this.#read(target).then(
      (value) => {
        if (value) entry.value = value;
        else entry.error = new Error('the target names no model whose signatures can be read (nothing deployed, or no artifact URI)');
      },
      (err: unknown) => {
        entry.error = err;
      },
    ).finally(() => {
      entry.settled = true;
      entry.at = Date.now();
      if (this.#entries.get(key) === entry && !this.isDisposed) this.#changed.fire();
    });
    this.#entries.set(key, entry);
    return entry;
  }

  /** The target's signatures (waits for the reading; throws what it failed with). */
  async get(target: PredictTarget): Promise<TargetSignatures> {
    const e = this.entry(target);
    await e.promise;
    if (e.error !== undefined) throw e.error;
    return e.value!;
  }

  /** The reading's result when it has settled well, without starting one. */
  peek(target: PredictTarget): TargetSignatures | undefined {
    return this.#entries.get(targetName(target))?.value;
  }

  forget(): void {
    this.#entries.clear();
    this.#changed.fire();
  }

  #read(target: PredictTarget): Promise<TargetSignatures | undefined> {
    const session = this.cloud.session();
    const apiEndpoint = session.apiEndpoint?.url;
    return targetSignatures(target, {
      http: session.http,
      ...(apiEndpoint ? { apiEndpoint } : {}),
      vertex: session.vertex,
      artifacts: session.artifacts,
      aiPlatform: (region) => (region === 'global' ? session.aiPlatform : new AiPlatformClient({ http: session.http, region, ...(apiEndpoint ? { apiEndpoint } : {}) })),
      local: (path) => this.local.get(path).then((m) => m.signatures),
    });
  }
}
