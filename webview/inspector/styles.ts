/**
 * The inspector's styles, adopted as a constructed stylesheet: the CSP allows no inline <style>
 * and no style attributes, and constructed sheets need neither. Colours come from the theme.
 */
const CSS = `
body {
  font-family: var(--vscode-font-family);
  font-size: var(--vscode-font-size);
  color: var(--vscode-foreground);
  padding: 0 20px 24px;
  line-height: 1.4;
}
h1 { font-size: 1.5em; font-weight: 600; margin: 16px 0 4px; display: flex; align-items: center; gap: 10px; }
h2 { font-size: 1.2em; font-weight: 600; margin: 20px 0 6px; }
h3 { font-size: 1.05em; font-weight: 600; margin: 0; font-family: var(--vscode-editor-font-family); }
h4 { font-size: 0.95em; font-weight: 600; margin: 12px 0 4px; color: var(--vscode-descriptionForeground); text-transform: uppercase; letter-spacing: 0.04em; }
.path { color: var(--vscode-descriptionForeground); font-family: var(--vscode-editor-font-family); word-break: break-all; margin: 0 0 8px; }
.facts { display: flex; flex-wrap: wrap; gap: 6px 18px; margin: 8px 0 4px; align-items: center; }
.fact-label { color: var(--vscode-descriptionForeground); margin-right: 4px; }
.versions { display: inline-flex; gap: 6px; align-items: center; }
.version-current { font-weight: 600; }
.counts { display: flex; gap: 14px; margin: 6px 0 0; }
.sev { display: inline-flex; align-items: center; gap: 4px; }
.sev-icon { font-weight: 700; width: 1.1em; display: inline-block; text-align: center; }
.sev-error .sev-icon { color: var(--vscode-errorForeground); }
.sev-warning .sev-icon { color: var(--vscode-editorWarning-foreground, var(--vscode-problemsWarningIcon-foreground)); }
.sev-info .sev-icon { color: var(--vscode-editorInfo-foreground, var(--vscode-problemsInfoIcon-foreground)); }
.metagraph { margin-bottom: 12px; width: 100%; }
.signature {
  border: 1px solid var(--vscode-panel-border, var(--vscode-widget-border, rgba(128,128,128,0.35)));
  border-radius: 4px;
  padding: 10px 12px;
  margin: 10px 0;
}
.signature.internal { opacity: 0.75; }
.signature-head { display: flex; flex-wrap: wrap; align-items: center; gap: 8px 12px; }
.badge {
  font-size: 0.6em;
  font-weight: 600;
  padding: 2px 6px;
  border-radius: 2px;
  background: var(--vscode-badge-background);
  color: var(--vscode-badge-foreground);
}
.spinner {
  width: 14px; height: 14px; border-radius: 50%;
  border: 2px solid var(--vscode-progressBar-background, currentColor);
  border-right-color: transparent;
  animation: spin 0.8s linear infinite;
}
@keyframes spin { to { transform: rotate(360deg); } }
.signature-method {
  font-family: var(--vscode-editor-font-family);
  font-size: 0.9em;
  padding: 1px 6px;
  border-radius: 3px;
  background: var(--vscode-textCodeBlock-background, rgba(128,128,128,0.15));
  color: var(--vscode-descriptionForeground);
}
.signature-head .actions { margin-left: auto; display: flex; gap: 8px; }
.none { color: var(--vscode-descriptionForeground); font-style: italic; margin: 2px 0; }
.findings { list-style: none; padding: 0; margin: 6px 0; }
.findings li { display: flex; gap: 6px; align-items: baseline; margin: 4px 0; }
.finding-code { font-family: var(--vscode-editor-font-family); color: var(--vscode-descriptionForeground); }
.finding-fix { color: var(--vscode-descriptionForeground); }
.finding-where { color: var(--vscode-descriptionForeground); font-family: var(--vscode-editor-font-family); }
.grid { margin: 2px 0 6px; }
.c-alias, .c-key, .c-tensor, .c-mono { font-family: var(--vscode-editor-font-family); word-break: break-all; }
.totals { margin: 4px 0 8px; }
.error-box {
  border-left: 3px solid var(--vscode-errorForeground);
  padding: 8px 14px;
  margin: 16px 0;
  background: var(--vscode-inputValidation-errorBackground, transparent);
}
.error-message { font-weight: 600; word-break: break-word; }
.error-hint { margin-top: 6px; }
.error-details { margin-top: 8px; color: var(--vscode-descriptionForeground); font-family: var(--vscode-editor-font-family); }
.loading { display: flex; gap: 10px; align-items: center; margin: 24px 0; }
.notice { position: fixed; bottom: 10px; right: 16px; padding: 4px 10px; border-radius: 3px;
  background: var(--vscode-notifications-background, var(--vscode-editorWidget-background));
  color: var(--vscode-notifications-foreground, var(--vscode-foreground));
  border: 1px solid var(--vscode-notifications-border, transparent); }
.notice:empty { display: none; }
vscode-panels { margin-top: 10px; }
vscode-panel-view { flex-direction: column; padding: 10px 0; }
`;

export function adoptStyles(): void {
  const sheet = new CSSStyleSheet();
  sheet.replaceSync(CSS);
  document.adoptedStyleSheets = [...document.adoptedStyleSheets, sheet];
}
