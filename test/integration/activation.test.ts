// The extension's shell inside a real extension host: lazy activation, the command table, the view
// container and the log channel. (Activation by opening the view is proven in a fresh host by the
// e2e scenario test/e2e/scenarios/01-servelens-view.mjs; one host can only activate once.)
import * as assert from 'node:assert/strict';
import * as vscode from 'vscode';

const EXTENSION_ID = 'servelens.servelens';

interface ContributedCommand {
  command: string;
  title: string;
}
interface ServeLensApi {
  readonly logChannelName: string;
}

/** Polls `check` until it returns a value other than undefined/false, or fails after `timeoutMs`. */
async function waitFor<T>(what: string, check: () => T | undefined | false, timeoutMs = 10_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = check();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** Resolves with the first opened document that matches, or one already open. */
function documentOpened(what: string, match: (d: vscode.TextDocument) => boolean, timeoutMs = 10_000) {
  return new Promise<vscode.TextDocument>((resolve, reject) => {
    const open = vscode.workspace.textDocuments.find(match);
    if (open) return resolve(open);
    const timer = setTimeout(() => {
      sub.dispose();
      reject(new Error(`timed out after ${timeoutMs} ms waiting for ${what}`));
    }, timeoutMs);
    const sub = vscode.workspace.onDidOpenTextDocument((d) => {
      if (!match(d)) return;
      clearTimeout(timer);
      sub.dispose();
      resolve(d);
    });
  });
}

describe('activation', () => {
  const ext = vscode.extensions.getExtension<ServeLensApi>(EXTENSION_ID);
  const contributed: ContributedCommand[] = ext?.packageJSON?.contributes?.commands ?? [];

  it('is installed from the development folder with lazy activation events', () => {
    assert.ok(ext, `extension ${EXTENSION_ID} is not known to the extension host`);
    const events: string[] = ext.packageJSON.activationEvents ?? [];
    assert.ok(!events.includes('*'), 'activationEvents must not contain "*"');
    assert.ok(!events.includes('onStartupFinished'), 'activationEvents must not contain onStartupFinished');
    assert.ok(events.includes('onView:servelens.models'), `onView:servelens.models missing from ${events.join(', ')}`);
    assert.ok(contributed.length > 0, 'package.json contributes no commands');
  });

  it('is not active until something asks for it', () => {
    assert.equal(ext?.isActive, false, 'the extension activated on start-up with no ServeLens file or view open');
  });

  it('activates when one of its commands runs (servelens.log.show)', async () => {
    await vscode.commands.executeCommand('servelens.log.show');
    assert.equal(ext?.isActive, true);
    const api = ext?.exports;
    assert.equal(api?.logChannelName, 'ServeLens');
  });

  it('registers every command contributed in package.json', async () => {
    const registered = new Set(await vscode.commands.getCommands(true));
    const missing = contributed.map((c) => c.command).filter((id) => !registered.has(id));
    assert.deepEqual(missing, [], `contributed but not registered: ${missing.join(', ')}`);
  });

  it('shows its log channel "ServeLens" with the activation line', async () => {
    const name = ext?.exports.logChannelName ?? 'ServeLens';
    // The output channel's document reaches extensions once the Output view shows it.
    await vscode.commands.executeCommand('servelens.log.show');
    const doc = await documentOpened(`the "${name}" output channel`, (d) =>
      d.uri.scheme === 'output' && decodeURIComponent(d.uri.toString()).includes(name));
    const text = await waitFor('the activation line in the log', () => /ServeLens .* activated/.test(doc.getText()) && doc.getText());
    assert.match(text, /\[activate\] ServeLens \d+\.\d+\.\d+ activated/);
  });

  it('opens its activity-bar container (workbench.view.extension.servelens)', async () => {
    const all = await vscode.commands.getCommands(false);
    assert.ok(all.includes('workbench.view.extension.servelens'), 'no view container command for "servelens"');
    await vscode.commands.executeCommand('workbench.view.extension.servelens');
    await vscode.commands.executeCommand('servelens.models.focus');
  });
});
