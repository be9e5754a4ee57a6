/** What a webview gets from VS Code: messages to the host and its saved state. */
export interface VsCodeApi {
  postMessage(message: unknown): void;
  getState(): unknown;
  setState(state: unknown): void;
}

declare function acquireVsCodeApi(): VsCodeApi;

/** The webview's handle on VS Code; VS Code allows one acquisition per page, so call it once. */
export function vsCodeApi(): VsCodeApi {
  return acquireVsCodeApi();
}
