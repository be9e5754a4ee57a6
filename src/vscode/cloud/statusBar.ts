/**
 * The account and project in the status bar ("$(account) you@example.com · my-project"), and the
 * picker behind it: choose the project the trees list first, add one, choose a service-account key
 * file, or read how to sign in. The account is never a secret; tokens never reach the item.
 */
import * as vscode from 'vscode';
import { checkProject } from '../../core/cloud/names';
import { describeError } from '../../core/errors';
import { Commands } from '../constants';
import { Disposable } from '../lifecycle';
import type { Logger } from '../log';
import type { CloudSession } from './session';
import { CloudSettings } from './session';

const ADC_COMMAND = 'gcloud auth application-default login';

export class CloudStatusBar extends Disposable {
  private readonly item = this._register(vscode.window.createStatusBarItem('servelens.cloud.account', vscode.StatusBarAlignment.Left, 40));
  #generation = 0;
  /** What the item says now (for tests). */
  text = '';

  constructor(
    private readonly session: () => CloudSession,
    private readonly logger: Logger,
  ) {
    super();
    this.item.name = 'ServeLens: Google Cloud account';
    this.item.command = Commands.cloudSelectProject;
    // Nothing is asked at activation: the account is read once a cloud view lists something.
    this.show('$(cloud) Google Cloud', 'ServeLens: Google Cloud. Click to choose the project or sign in.');
  }

  /** Reads the account and project again (after sign-in, a settings change, a picker choice). */
  update(): void {
    const generation = ++this.#generation;
    const session = this.session();
    this.show('$(sync~spin) Google Cloud', 'ServeLens: signing in…');
    void (async () => {
      try {
        const info = await session.identity();
        const projects = await session.projects().catch(() => [] as string[]);
        if (generation !== this.#generation) return;
        const project = projects[0];
        const account = info.account ?? info.detail ?? info.kind;
        this.show(
          `$(account) ${account}${project ? ` · ${project}` : ''}`,
          `Signed in to Google Cloud as ${account} (${info.kind}${info.detail ? `: ${info.detail}` : ''})` +
            `${project ? `\nProject: ${project}${projects.length > 1 ? ` (+${projects.length - 1} more)` : ''}` : '\nNo project'}` +
            `${session.apiEndpoint ? `\nAPI endpoint: ${session.apiEndpoint.url}` : ''}\nClick to choose the project.`,
        );
      } catch (err) {
        if (generation !== this.#generation) return;
        this.logger.info('cloud', `not signed in: ${describeError(err)}`);
        this.show('$(account) Sign in to Google Cloud', `ServeLens is not signed in: ${describeError(err)}\nClick for the options.`);
      }
    })();
  }

  private show(text: string, tooltip: string): void {
    this.text = text;
    this.item.text = text;
    this.item.tooltip = tooltip;
    this.item.show();
  }

  /** The project picker (servelens.cloud.selectProject). */
  async pick(): Promise<string | undefined> {
    const session = this.session();
    const config = vscode.workspace.getConfiguration('servelens');
    const configured = [...session.configuredProjects];
    const detected = await session
      .identity()
      .then((i) => i.project)
      .catch(() => undefined);
    const projects = [...new Set([...configured, ...(detected ? [detected] : [])])];
    type Item = vscode.QuickPickItem & { run: () => Promise<string | undefined> };
    const items: (Item | vscode.QuickPickItem)[] = [];
    if (projects.length) items.push({ label: 'Projects', kind: vscode.QuickPickItemKind.Separator });
    for (const p of projects) {
      items.push({
        label: `$(project) ${p}`,
        description: [p === configured[0] ? 'listed first' : undefined, p === detected ? 'from your credentials' : undefined].filter(Boolean).join(' · '),
        run: async () => {
          await config.update(CloudSettings.projects, [p, ...configured.filter((c) => c !== p)], vscode.ConfigurationTarget.Global);
          return p;
        },
      });
    }
    items.push(
      { label: 'More', kind: vscode.QuickPickItemKind.Separator },
      {
        label: '$(add) Add a project…',
        run: async () => {
          const v = await vscode.window.showInputBox({
            title: 'Google Cloud project',
            prompt: 'The project ID (or number) whose models the trees list',
            placeHolder: 'my-project',
            ignoreFocusOut: true,
            validateInput: (x) => {
              try {
                checkProject(x.trim());
                return undefined;
              } catch (err) {
                return describeError(err);
              }
            },
          });
          if (!v?.trim()) return undefined;
          const p = v.trim();
          await config.update(CloudSettings.projects, [p, ...configured.filter((c) => c !== p)], vscode.ConfigurationTarget.Global);
          return p;
        },
      },
      {
        label: '$(key) Use a service-account key file…',
        detail: 'Kept in your user settings (servelens.cloud.keyFile); the key itself never leaves the file.',
        run: async () => {
          const file = await vscode.window.showOpenDialog({ canSelectMany: false, filters: { 'Key file': ['json'] }, title: 'Service-account key file' });
          if (!file?.[0]) return undefined;
          await config.update(CloudSettings.keyFile, file[0].fsPath, vscode.ConfigurationTarget.Global);
          return undefined;
        },
      },
      { label: '$(question) How to sign in', run: async () => (await this.signInHelp(), undefined) },
    );
    const choice = await vscode.window.showQuickPick(items, { title: 'ServeLens: Google Cloud project', placeHolder: 'The project the Vertex AI and AI Platform views list first' });
    if (!choice || !('run' in choice)) return undefined;
    return choice.run();
  }

  /** Sign-in guidance (servelens.cloud.signIn): runs the ADC login in a terminal on request. */
  async signInHelp(): Promise<void> {
    const run = 'Run in Terminal';
    const key = 'Use a Key File…';
    const choice = await vscode.window.showInformationMessage(
      'ServeLens signs in with Application Default Credentials (or a service-account key file, or the gcloud CLI). ' +
        `Run "${ADC_COMMAND}" and then refresh the views.`,
      run,
      key,
    );
    if (choice === run) {
      const terminal = vscode.window.createTerminal({ name: 'Google Cloud sign-in' });
      terminal.show();
      terminal.sendText(ADC_COMMAND);
    } else if (choice === key) {
      await this.pick();
    }
  }
}
