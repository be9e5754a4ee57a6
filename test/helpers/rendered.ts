import type * as vscode from 'vscode';
import type { RenderedResults } from '../../webview/shared/results';

/** What the tests read of the results view (the extension's ResultsViewApi). */
export interface RenderedSource {
  snapshot(): RenderedResults | undefined;
  onDidRender: vscode.Event<RenderedResults>;
}

/**
 * The first render of call `id` that `accept` takes: one already shown, or the next reported
 * (subscribed before looking). The timer only turns a hang into a failure.
 */
export function rendered(results: RenderedSource, id: string, accept: (s: RenderedResults) => boolean = () => true, timeoutMs = 15_000): Promise<RenderedResults> {
  return new Promise((resolve, reject) => {
    const ok = (s: RenderedResults | undefined): s is RenderedResults => s !== undefined && s.entryId === id && accept(s);
    const timer = setTimeout(() => {
      sub.dispose();
      const seen = results.snapshot();
      reject(new Error(`timed out after ${timeoutMs} ms waiting for the results of ${id} (last render: ${seen ? `${seen.entryId} ${seen.state}` : 'none'})`));
    }, timeoutMs);
    const sub = results.onDidRender((s) => {
      if (!ok(s)) return;
      clearTimeout(timer);
      sub.dispose();
      resolve(s);
    });
    const now = results.snapshot();
    if (ok(now)) {
      clearTimeout(timer);
      sub.dispose();
      resolve(now);
    }
  });
}
