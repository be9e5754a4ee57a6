/**
 * Request files in the editor: diagnostics as you type, quick fixes, hover and completion on
 * aliases, the binding in the status bar, and the commands to bind and validate. Everything is
 * owned by `context.subscriptions`.
 */
import * as vscode from 'vscode';
import { registerCommands } from '../commands';
import { Commands } from '../constants';
import type { Logger } from '../log';
import { bindTargetCommand } from './bindTarget';
import { BindingStore } from './bindings';
import { RequestCodeActionProvider } from './codeActions';
import { RequestCompletionProvider } from './completion';
import { RequestDiagnostics } from './diagnostics';
import { RequestHoverProvider } from './hover';
import { RequestResolver } from './resolver';
import { SignatureCache } from './signatures';
import { RequestStatusBar } from './statusBar';
import { validateCommand } from './validateCommand';

/** Request files are JSON or JSON Lines on disk; the providers themselves check name and binding. */
export const REQUEST_SELECTOR: vscode.DocumentSelector = [
  { scheme: 'file', language: 'json' },
  { scheme: 'file', language: 'jsonc' },
  { scheme: 'file', language: 'jsonl' },
];

/** The request-file services other parts of the shell use (Predict / Explain, batch). */
export interface RequestFilesApi {
  readonly bindings: BindingStore;
  readonly signatures: SignatureCache;
  readonly resolver: RequestResolver;
  readonly diagnostics: RequestDiagnostics;
}

export function registerRequestFiles(context: vscode.ExtensionContext, logger: Logger): RequestFilesApi {
  const bindings = new BindingStore();
  const signatures = new SignatureCache();
  const resolver = new RequestResolver(bindings, signatures);
  const diagnostics = new RequestDiagnostics(resolver, logger);
  context.subscriptions.push(
    bindings,
    signatures,
    resolver,
    diagnostics,
    new RequestStatusBar(diagnostics),
    vscode.languages.registerCodeActionsProvider(
      REQUEST_SELECTOR,
      new RequestCodeActionProvider(diagnostics),
      RequestCodeActionProvider.metadata,
    ),
    vscode.languages.registerHoverProvider(REQUEST_SELECTOR, new RequestHoverProvider(resolver, diagnostics)),
    vscode.languages.registerCompletionItemProvider(
      REQUEST_SELECTOR,
      new RequestCompletionProvider(resolver, diagnostics),
      ...RequestCompletionProvider.triggerCharacters,
    ),
  );
  registerCommands(context.subscriptions, logger, {
    [Commands.requestBindTarget]: bindTargetCommand({ bindings, signatures, logger }),
    [Commands.requestValidate]: validateCommand({ diagnostics, signatures }),
  });
  return { bindings, signatures, resolver, diagnostics };
}
