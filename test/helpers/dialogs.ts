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

/**
 * Replaces window.showQuickPick while `body` runs, choosing the item `choose` picks among those
 * offered (undefined: dismissed); returns the body's result and the labels offered.
 */
export async function picking<T>(choose: (items: readonly vscode.QuickPickItem[]) => vscode.QuickPickItem | undefined, body: () => Thenable<T>): Promise<{ result: T; offered: string[] }> {
  const window = vscode.window as { showQuickPick: (...args: unknown[]) => Thenable<unknown> };
  const original = window.showQuickPick;
  const offered: string[] = [];
  window.showQuickPick = async (items: unknown) => {
    const list = (await items) as vscode.QuickPickItem[];
    offered.push(...list.map((i) => i.label));
    return choose(list);
  };
  try {
    return { result: await body(), offered };
  } finally {
    window.showQuickPick = original;
  }
}
