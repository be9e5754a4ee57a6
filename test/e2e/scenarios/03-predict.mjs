// Predict as a person does it: open samples/requests/half_plus_two.request.json (bound to the
// fixture SavedModel in samples/.servelens.json), click "▶ Predict" above its first line, and read
// the answer from the table inside the results webview — the packaged extension runs the model
// with its own TensorFlow.js worker and wasm binaries. Then Explain from the CodeLens draws a chart.
import assert from 'node:assert/strict';

export const name = 'predict';

/** @param {{ page: import('playwright-core').Page, workbench: import('../workbench.mjs').Workbench, shot: (label?: string) => Promise<string>, log: (m: string) => void }} ctx */
export async function run({ page, workbench, shot, log }) {
  const refused = [];
  page.on('console', (m) => {
    if (/Content Security Policy|Refused to/i.test(m.text())) refused.push(m.text());
  });

  // samples/cloud/ has a file of the same name (bound to a Vertex AI endpoint): name the folder too.
  const input = await workbench.openQuickInput('requests/half_plus_two.request.json');
  await workbench.quickInputRow('half_plus_two.request.json').first().waitFor({ timeout: 15_000 });
  await input.press('Enter');
  await page.locator('.tabs-container .tab', { hasText: 'half_plus_two.request.json' }).first().waitFor({ timeout: 30_000 });

  // The CodeLenses above the first line.
  const lens = (title) => page.locator('.contentWidgets .codelens-decoration a', { hasText: title });
  await lens('▶ Predict').first().waitFor({ timeout: 30_000 });
  const titles = (await page.locator('.contentWidgets .codelens-decoration a').allTextContents()).map((t) => t.trim());
  for (const t of ['▶ Predict', 'Explain', 'Predict locally', 'Target: half_plus_two_cpu ▾']) assert.ok(titles.includes(t), `CodeLens "${t}" among ${JSON.stringify(titles)}`);
  log(`screenshot: ${await shot('codelens')}`);

  await lens('▶ Predict').first().click();
  const view = page.frameLocator('iframe.webview.ready').frameLocator('#active-frame');
  const table = view.locator('table.predictions');
  await table.waitFor({ timeout: 90_000 });
  const header = (await table.locator('thead th').allTextContents()).map((t) => t.trim());
  assert.deepEqual(header, ['#', 'Instance', 'y']);
  const rows = table.locator('tbody tr');
  assert.equal(await rows.count(), 3);
  const ys = [];
  for (let i = 0; i < 3; i++) ys.push(Number((await rows.nth(i).locator('td').last().textContent())?.trim()));
  assert.deepEqual(ys, [2.5, 3, 4.5], 'half_plus_two: y = 0.5 x + 2 for x = 1, 2, 5');
  const status = (await view.locator('.status').first().textContent())?.trim() ?? '';
  assert.match(status, /OK/, `status badge: ${status}`);
  log(`screenshot: ${await shot()}`);

  // Explain from the CodeLens: the local runner's attributions, drawn as one chart per instance.
  await page.locator('.tabs-container .tab', { hasText: 'half_plus_two.request.json' }).first().click();
  await lens('Explain').first().click();
  const charts = view.locator('.chart');
  await charts.first().waitFor({ timeout: 90_000 });
  assert.equal(await charts.count(), 3, 'one chart per instance');
  assert.ok(await view.locator('.chart svg').first().isVisible(), 'the bars are an SVG');
  log(`screenshot: ${await shot('explain')}`);
  assert.deepEqual(refused, [], 'CSP violations in the console');
}
