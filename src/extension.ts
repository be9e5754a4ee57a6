import * as vscode from 'vscode';
import { registerCommands } from './vscode/commands';
import { Commands, LOG_CHANNEL_NAME } from './vscode/constants';
import { createLogger } from './vscode/log';

/** What `activate` returns: a small surface the integration tests read. */
export interface ServeLensApi {
  readonly logChannelName: string;
}

export function activate(context: vscode.ExtensionContext): ServeLensApi {
  const { logger, channel } = createLogger();
  context.subscriptions.push(channel);
  logger.info('activate', `ServeLens ${context.extension.packageJSON.version as string} activated`);

  registerCommands(context.subscriptions, logger, {
    [Commands.logShow]: () => logger.show(),
  });

  return { logChannelName: LOG_CHANNEL_NAME };
}

export function deactivate(): void {
  // Everything is owned by context.subscriptions and disposed by VS Code.
}
