// Page helpers for the VS Code web workbench (code-server 4.99 / VS Code 1.99), shared by the e2e
// scenarios. Every wait has a time-out; nothing sleeps for a fixed time.
// Webview content: page.frameLocator('iframe.webview.ready').frameLocator('#active-frame').

export class Workbench {
  /** @param {import('playwright-core').Page} page */
  constructor(page) {
    this.page = page;
  }

  /** Waits until the workbench is up and connected to the server (the Explorer shows the folder). */
  async ready(timeout = 60_000) {
    const { page } = this;
    await page.locator('.monaco-workbench .part.activitybar .action-item').first().waitFor({ timeout });
    await page.locator('.part.statusbar').waitFor({ timeout });
    // The remote indicator and the explorer's folder both need the server connection.
    await page.locator('.part.sidebar .explorer-folders-view, .part.sidebar .pane-header[aria-label*="Section"]')
      .first().waitFor({ timeout });
  }

  /** The activity-bar entry whose label is `title` (e.g. "ServeLens"). */
  activityBarItem(title) {
    return this.page.locator(`.part.activitybar .action-item a.action-label[aria-label="${title}"], ` +
      `.part.activitybar .action-item a.action-label[aria-label^="${title} ("]`);
  }

  /** Clicks a view container in the activity bar and waits for the side bar to show it. */
  async openViewContainer(title, timeout = 30_000) {
    const item = this.activityBarItem(title);
    await item.waitFor({ timeout });
    await item.click();
    await this.page.locator('.part.sidebar .composite.title h2', { hasText: title }).waitFor({ timeout });
  }

  /** The side bar's title, as the DOM holds it (CSS may show it upper-cased). */
  async sideBarTitle() {
    return (await this.page.locator('.part.sidebar .composite.title h2').first().textContent())?.trim() ?? '';
  }

  /** Titles of the views (panes) in the open side-bar container. */
  async sideBarViewTitles() {
    return this.page.locator('.part.sidebar .pane-header h3.title').allTextContents();
  }

  /** The body of the side-bar view titled `title`. */
  viewBody(title) {
    return this.page.locator('.part.sidebar .pane', { has: this.page.locator('.pane-header h3.title', { hasText: title }) })
      .locator('.pane-body');
  }

  /** Opens the command palette (F1) and runs the command with this exact label. */
  async runCommand(label, timeout = 15_000) {
    const input = await this.openQuickInput(`>${label}`, timeout);
    const row = this.quickInputRow(label);
    await row.first().waitFor({ timeout });
    await input.press('Enter');
  }

  /** Opens the quick input with `text` typed into it; returns the input box. */
  async openQuickInput(text, timeout = 15_000) {
    const { page } = this;
    const input = page.locator('.quick-input-widget input.input');
    await page.locator('.monaco-workbench').click({ position: { x: 700, y: 400 } }).catch(() => {});
    await page.keyboard.press('F1');
    await input.waitFor({ state: 'visible', timeout });
    await input.fill(text);
    return input;
  }

  /** Rows of the open quick pick whose label contains `label`. */
  quickInputRow(label) {
    return this.page.locator('.quick-input-widget .monaco-list-row', { hasText: label });
  }

  /** Labels of all rows of the open quick pick. */
  async quickInputLabels() {
    return this.page.locator('.quick-input-widget .monaco-list-row .label-name').allTextContents();
  }

  async closeQuickInput() {
    await this.page.keyboard.press('Escape');
    await this.page.locator('.quick-input-widget').waitFor({ state: 'hidden', timeout: 5_000 }).catch(() => {});
  }
}
