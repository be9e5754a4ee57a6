/**
 * Predict / Explain on any target, pure Node (no `vscode`): where a request goes and sending it
 * (target.ts), failures explained against the signature (diagnose.ts), the same call as curl /
 * gcloud (commands.ts), and the call history with response comparison (history.ts).
 * See docs/cloud.md, "Predict and Explain against the cloud".
 */
export * from './target';
export * from './diagnose';
export * from './commands';
export * from './history';
export * from './signatures';
export * from './present';
