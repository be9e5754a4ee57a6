// The SavedModel inspector as a person meets it: Go to File on half_plus_two's saved_model.pb
// opens the inspector (the default editor for that file), the signature table is
// read through the webview's DOM, "Copy as JSON" round-trips through the host, a tab choice
// survives the webview being hidden (state kept with setState, not retainContextWhenHidden),
// "New request from this signature" opens serving_default.request.json, and the same command from
// the palette asks for the signature of the model being inspected.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { testEnvironment } from '../../runners/code-server.mjs';

export const name = 'inspector';

const HP2 = {
  serving_default: { method: 'tensorflow/serving/predict', inputs: [['x', 'DT_FLOAT', '[-1, 1]', 'x:0']], outputs: [['y', 'DT_FLOAT', '[-1, 1]', 'y:0']] },
  regress_x_to_y: { method: 'tensorflow/serving/regress', inputs: [['inputs', 'DT_STRING', 'unknown rank', 'tf_example:0']], outputs: [['outputs', 'DT_FLOAT', '[-1, 1]', 'y:0']] },
  regress_x_to_y2: { method: 'tensorflow/serving/regress', inputs: [['inputs', 'DT_STRING', 'unknown rank', 'tf_example:0']], outputs: [['outputs', 'DT_FLOAT', '[-1, 1]', 'y2:0']] },
  regress_x2_to_y3: { method: 'tensorflow/serving/regress', inputs: [['inputs', 'DT_FLOAT', '[-1, 1]', 'x2:0']], outputs: [['outputs', 'DT_FLOAT', '[-1, 1]', 'y3:0']] },
  classify_x_to_y: { method: 'tensorflow/serving/classify', inputs: [['inputs', 'DT_STRING', 'unknown rank', 'tf_example:0']], outputs: [['scores', 'DT_FLOAT', '[-1, 1]', 'y:0']] },
};

/** @param {{ page: import('playwright-core').Page, workbench: import('../workbench.mjs').Workbench, shot: (label?: string) => Promise<string>, log: (m: string) => void }} ctx */
export async function run({ page, workbench, shot, log }) {
  const file = join(testEnvironment().SERVELENS_FIXTURES, 'savedmodels', 'saved_model_half_plus_two_cpu', '00000123', 'saved_model.pb');
  await page.context().grantPermissions(['clipboard-read', 'clipboard-write']).catch(() => {});
  // The webview runs under default-src 'none' with a nonce: nothing may be refused.
  const refused = [];
  page.on('console', (m) => {
    if (/Content Security Policy|Refused to/i.test(m.text())) refused.push(m.text());
  });

  // Go to File with the model's absolute path (quick open takes paths outside the workspace too).
  const input = await workbench.openQuickInput(file);
  await workbench.quickInputRow('saved_model.pb').first().waitFor({ timeout: 15_000 });
  await input.press('Enter');

  const tab = page.locator('.tabs-container .tab', { hasText: 'saved_model.pb' });
  await tab.first().waitFor({ timeout: 30_000 });
  const view = page.frameLocator('iframe.webview.ready').frameLocator('#active-frame');
  const card = (sig) => view.locator(`section.signature[data-name="${sig}"]`);
  await card('serving_default').waitFor({ timeout: 30_000 });

  // The signature table, read from the DOM the user sees.
  const names = await view.locator('section.signature .signature-name').allTextContents();
  assert.deepEqual(names.map((n) => n.trim()).sort(), Object.keys(HP2).sort(), 'signature names');
  assert.equal(names[0].trim(), 'serving_default', 'serving_default is listed first');
  for (const [sig, want] of Object.entries(HP2)) {
    assert.equal((await card(sig).locator('.signature-method').textContent())?.trim(), want.method, `${sig}: method`);
    for (const [cls, rowsWanted] of [['inputs', want.inputs], ['outputs', want.outputs]]) {
      const rows = card(sig).locator(`vscode-data-grid.${cls} vscode-data-grid-row[row-type="default"]`);
      assert.equal(await rows.count(), rowsWanted.length, `${sig}: ${cls} rows`);
      for (let i = 0; i < rowsWanted.length; i++) {
        const cells = (await rows.nth(i).locator('vscode-data-grid-cell').allTextContents()).map((c) => c.trim());
        assert.deepEqual(cells, rowsWanted[i], `${sig}: ${cls} row ${i + 1}`);
      }
    }
  }
  const header = (await view.locator('.facts').first().textContent()) ?? '';
  assert.match(header, /TensorFlow\s*1\.14\.0/);
  assert.match(header, /Version\s*00000123/);
  log(`screenshot: ${await shot()}`);

  // "Copy as JSON": webview → host → clipboard → a notice back in the webview.
  await card('serving_default').locator('vscode-button.copy-json').click();
  await view.locator('.notice', { hasText: 'Copied signature "serving_default" as JSON' }).waitFor({ timeout: 15_000 });

  // "New request from this signature" opens an untitled serving_default.request.json beside the model.
  await card('serving_default').locator('vscode-button.new-request').click();
  const requestTab = page.locator('.tabs-container .tab', { hasText: 'serving_default.request.json' });
  await requestTab.first().waitFor({ timeout: 15_000 });
  const editorText = page.locator('.editor-instance .monaco-editor .view-lines').first();
  await editorText.filter({ hasText: '"instances"' }).waitFor({ timeout: 15_000 });
  const text = (await editorText.textContent()) ?? '';
  assert.match(text.replace(/\s+/g, ''), /\{"instances":\[\[0\.0\]\]\}/, `request text: ${text}`);
  log(`screenshot: ${await shot('request')}`);

  // The inspector is let go while hidden (no retainContextWhenHidden): the tab chosen survives
  // through the webview state.
  await tab.first().click();
  await card('serving_default').waitFor({ timeout: 30_000 });
  await view.locator('vscode-panel-tab#tab-details').click();
  await view.locator('vscode-panels[activeid="tab-details"]').waitFor({ timeout: 5_000 });
  await requestTab.first().click();
  await card('serving_default').waitFor({ state: 'detached', timeout: 15_000 });
  await tab.first().click();
  await card('serving_default').waitFor({ state: 'attached', timeout: 30_000 });
  assert.equal(await view.locator('vscode-panels').getAttribute('activeid'), 'tab-details', 'the tab chosen before was restored');
  await view.locator('vscode-panel-view#view-tab-details vscode-data-grid.details').waitFor({ timeout: 5_000 });
  log(`screenshot: ${await shot('details')}`);

  // From the palette, with the inspector active: the model is the one shown; a QuickPick asks the signature.
  await workbench.runCommand('ServeLens: New Request from Signature');
  const pick = page.locator('.quick-input-widget input.input');
  await workbench.quickInputRow('regress_x2_to_y3').first().waitFor({ timeout: 15_000 });
  const offered = await workbench.quickInputLabels();
  assert.ok(offered.includes('serving_default') && !offered.some((l) => l.startsWith('__')), `signatures offered: ${offered.join(', ')}`);
  await pick.fill('regress_x2_to_y3');
  await pick.press('Enter');
  await page.locator('.tabs-container .tab', { hasText: 'regress_x2_to_y3.request.json' }).first().waitFor({ timeout: 15_000 });
  const regress = page.locator('.editor-instance .monaco-editor .view-lines').first();
  await regress.filter({ hasText: 'signature_name' }).waitFor({ timeout: 15_000 });
  assert.match(((await regress.textContent()) ?? '').replace(/\s+/g, ''), /"signature_name":"regress_x2_to_y3","instances":\[\[0\.0\]\]/);
  assert.deepEqual(refused, [], 'CSP violations in the console');
}
