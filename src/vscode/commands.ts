import * as vscode from 'vscode';
import { ServeLensError, describeError } from '../core/errors';
import type { CommandId } from './constants';
import { Commands } from './constants';
import type { Logger } from './log';

export type CommandHandler = (...args: unknown[]) => unknown;

/**
 * Runs every ServeLens command: logs the call, and turns any error into a message that says
 * what happened and what to do next, with "Show Log" for the details. It never swallows an error:
 * it is logged at error level and shown, and the command's promise rejects so that callers
 * (tests, other commands) see it too.
 */
export function runCommand(logger: Logger, id: CommandId, handler: CommandHandler): CommandHandler {
  return async (...args: unknown[]) => {
    const started = Date.now();
    logger.trace('command', `${id} started`);
    try {
      const result = await handler(...args);
      logger.trace('command', `${id} finished in ${Date.now() - started} ms`);
      return result;
    } catch (err) {
      if (err instanceof vscode.CancellationError) {
        logger.info('command', `${id} cancelled`);
        return undefined;
      }
      const text = describeError(err);
      logger.error('command', `${id} failed: ${text}`, ServeLensError.is(err) ? undefined : err);
      void vscode.window.showErrorMessage(`ServeLens: ${text}`, 'Show Log').then((choice) => {
        if (choice === 'Show Log') void vscode.commands.executeCommand(Commands.logShow);
      });
      throw err;
    }
  };
}

/** Registers a table of commands through `runCommand`; every registration is owned by `subscriptions`. */
export function registerCommands(
  subscriptions: vscode.Disposable[],
  logger: Logger,
  table: Partial<Record<CommandId, CommandHandler>>,
): void {
  for (const [id, handler] of Object.entries(table) as [CommandId, CommandHandler][]) {
    subscriptions.push(vscode.commands.registerCommand(id, runCommand(logger, id, handler)));
  }
}
