// The packaged extension contributes a "ServeLens" activity-bar container with a "Models" view,
// backed by the extension's tree, and opening it activates the extension (its "ServeLens" log channel
// appears) in a fresh host.
import assert from 'node:assert/strict';

export const name = 'servelens-view';

/** @param {{ page: import('playwright-core').Page, workbench: import('../workbench.mjs').Workbench, shot: (label?: string) => Promise<string>, log: (m: string) => void }} ctx */
export async function run({ page, workbench, shot, log }) {
  await workbench.openViewContainer('ServeLens');

  const title = await workbench.sideBarTitle();
  // Several views in the container: VS Code titles the side bar with the container's name.
  assert.match(title, /^ServeLens/, `side bar title was "${title}"`);
  const views = await workbench.sideBarViewTitles();
  for (const v of ['Models', 'Vertex AI', 'AI Platform', 'TF Serving']) {
    assert.ok(views.some((t) => t.trim() === v), `no "${v}" view in the container: ${JSON.stringify(views)}`);
  }
  // With several views each pane carries its own title actions, shown while the pane is hovered.
  const header = page.locator('.part.sidebar .pane-header', { has: page.locator('h3.title', { hasText: /^Models$/ }) });
  await header.hover();
  const refresh = header.locator('a.action-label[aria-label="Refresh Models"]');
  await refresh.waitFor({ timeout: 10_000 });

  // The Models view is backed by the extension's tree: it lists models or, after its first scan of
  // the workspace, says it found none (welcome content). Never VS Code's "no data provider".
  const body = workbench.viewBody('Models');
  await body.locator('.monaco-list-row, .welcome-view-content:has-text("No SavedModels")').first()
    .waitFor({ timeout: 30_000 });
  const bodyText = (await body.textContent()) ?? '';
  assert.ok(!bodyText.includes('no data provider'), `Models view: ${bodyText}`);
  log(`Models view: ${bodyText.replace(/\s+/g, ' ').trim().slice(0, 120)}`);

  // Nothing else asked for ServeLens in this window: its log channel exists only if opening the
  // view activated it (activation event onView:servelens.models).
  // Activation is asynchronous: reopen the channel list until it shows up or time runs out.
  const deadline = Date.now() + 30_000;
  let channels = [];
  for (;;) {
    await workbench.openQuickInput('>Output: Show Output Channels');
    await workbench.quickInputRow('Output: Show Output Channels').first().waitFor({ timeout: 10_000 });
    await page.keyboard.press('Enter');
    await workbench.quickInputRow('Window').first().waitFor({ timeout: 10_000 }); // the channel list is up
    channels = await workbench.quickInputLabels();
    await workbench.closeQuickInput();
    if (channels.includes('ServeLens') || Date.now() > deadline) break;
    await page.waitForTimeout(500);
  }
  log(`output channels: ${channels.join(', ')}`);
  assert.ok(channels.includes('ServeLens'), `no "ServeLens" output channel in ${JSON.stringify(channels)}`);

  log(`screenshot: ${await shot()}`);
}
