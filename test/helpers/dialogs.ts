import * as vscode from 'vscode';

/**
 * Replaces window.showWarningMessage while `body` runs, answering every question with `answer`;
 * returns the body's result and the messages asked. The original is always put back.
 */
export async function answering<T>(answer: string | undefined, body: () => Promise<T>): Promise<{ result: T; asked: string[] }> {
  const window = vscode.window as { showWarningMessage: (...args: unknown[]) => Thenable<unknown> };
  const original = window.showWarningMessage;
  const asked: string[] = [];
  window.showWarningMessage = (message: unknown) => {
    asked.push(String(message));
    return Promise.resolve(answer);
  };
  try {
    return { result: await body(), asked };
  } finally {
    window.showWarningMessage = original;
  }
}
