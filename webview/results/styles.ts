/**
 * The Results view's styles, adopted as a constructed stylesheet (the CSP allows no inline <style>
 * and no style attributes). Every colour is a theme variable, chart bars included.
 */
const CSS = `
body { font-family: var(--vscode-font-family); font-size: var(--vscode-font-size); color: var(--vscode-foreground); padding: 0 18px 24px; line-height: 1.45; }
header { display: flex; flex-wrap: wrap; align-items: center; justify-content: space-between; gap: 8px 16px; margin: 14px 0 6px; }
header h1 { font-size: 1.35em; font-weight: 600; margin: 0; display: flex; align-items: center; gap: 10px; flex-wrap: wrap; }
header .op { color: var(--vscode-descriptionForeground); font-weight: 400; }
header .actions { display: flex; flex-wrap: wrap; gap: 6px; }
.badge { font-size: 0.65em; font-weight: 600; padding: 2px 7px; border-radius: 9px; }
.status-ok { background: var(--vscode-badge-background); color: var(--vscode-badge-foreground); }
.status-error { background: var(--vscode-inputValidation-errorBackground, transparent); color: var(--vscode-errorForeground); border: 1px solid var(--vscode-errorForeground); }
.facts { display: flex; flex-wrap: wrap; gap: 4px 18px; margin: 6px 0; }
.fact-label { color: var(--vscode-descriptionForeground); margin-right: 5px; }
.fact-value { font-family: var(--vscode-editor-font-family); word-break: break-all; }
.error-box { border-left: 3px solid var(--vscode-errorForeground); background: var(--vscode-inputValidation-errorBackground, transparent); padding: 8px 14px; margin: 10px 0; }
.error-summary { font-weight: 600; word-break: break-word; }
.error-label { margin-top: 8px; color: var(--vscode-descriptionForeground); font-size: 0.9em; text-transform: uppercase; letter-spacing: 0.04em; }
.server-message { white-space: pre-wrap; word-break: break-word; margin: 4px 0; font-family: var(--vscode-editor-font-family); }
.did-you-mean, .expected { margin-top: 6px; }
.next-steps { margin: 4px 0 0; padding-left: 22px; }
.none, .hint { color: var(--vscode-descriptionForeground); }
.none { font-style: italic; }
.notes { margin: 4px 0 8px; padding-left: 18px; color: var(--vscode-editorWarning-foreground, var(--vscode-descriptionForeground)); }
vscode-panels { margin-top: 8px; }
vscode-panel-view { flex-direction: column; padding: 8px 0; }
table.predictions { border-collapse: collapse; width: 100%; }
table.predictions th, table.predictions td { text-align: left; vertical-align: top; padding: 4px 10px; border-bottom: 1px solid var(--vscode-editorWidget-border, rgba(128,128,128,0.3)); }
table.predictions th { font-weight: 600; color: var(--vscode-descriptionForeground); position: sticky; top: 0; background: var(--vscode-editor-background); }
table.predictions td { font-family: var(--vscode-editor-font-family); }
table.predictions code { color: inherit; font-family: inherit; }
table.predictions tbody tr:hover { background: var(--vscode-list-hoverBackground); }
.c-index { width: 1%; color: var(--vscode-descriptionForeground); }
.c-input code, .v-list, .v-text { word-break: break-all; }
details.folded summary { cursor: pointer; }
.fold-summary { font-weight: 600; margin-right: 8px; }
.fold-head { color: var(--vscode-descriptionForeground); }
.fold-values { white-space: pre-wrap; word-break: break-all; max-height: 320px; overflow: auto; margin: 4px 0; }
ol.topk { margin: 0; padding-left: 18px; }
ol.topk li { white-space: nowrap; }
.topk-label { font-weight: 600; }
.topk-score { color: var(--vscode-descriptionForeground); margin-right: 6px; }
.score-bar rect { fill: var(--vscode-progressBar-background, var(--vscode-charts-blue)); }
img.thumb { max-width: 96px; max-height: 96px; display: block; margin-bottom: 2px; image-rendering: pixelated; }
section.chart { margin: 6px 0 18px; }
.chart-title { font-size: 1.05em; margin: 0 0 4px; }
.chart-scroll { overflow-x: auto; }
svg.attributions text { fill: var(--vscode-foreground); font-family: var(--vscode-editor-font-family); font-size: 12px; }
svg.attributions text.bar-value { fill: var(--vscode-descriptionForeground); }
svg.attributions .bar-pos { fill: var(--vscode-charts-green); }
svg.attributions .bar-neg { fill: var(--vscode-charts-red); }
svg.attributions .axis { stroke: var(--vscode-descriptionForeground); stroke-width: 1; }
.chart-more { color: var(--vscode-descriptionForeground); margin: 2px 0 0; }
.raw-toolbar { display: flex; align-items: center; gap: 6px; margin-bottom: 6px; }
.raw-toolbar .hint { margin-left: 8px; }
pre.raw { font-family: var(--vscode-editor-font-family); font-size: var(--vscode-editor-font-size); background: var(--vscode-textCodeBlock-background, rgba(128,128,128,0.1)); padding: 8px 10px; margin: 0; white-space: pre-wrap; word-break: break-all; overflow: auto; max-height: 70vh; }
.compare-summary { font-weight: 600; }
.compare-summary.identical { color: var(--vscode-charts-green); }
.compare h4 { margin: 12px 0 4px; color: var(--vscode-descriptionForeground); }
.c-mono { font-family: var(--vscode-editor-font-family); word-break: break-all; }
.notice { position: fixed; right: 16px; bottom: 10px; padding: 4px 10px; border-radius: 3px; background: var(--vscode-notifications-background, var(--vscode-editorWidget-background)); color: var(--vscode-notifications-foreground, var(--vscode-foreground)); border: 1px solid var(--vscode-notifications-border, transparent); max-width: 60vw; }
.notice.error { border-color: var(--vscode-errorForeground); }
.notice:empty { display: none; }
`;

export function adoptResultsStyles(): void {
  const sheet = new CSSStyleSheet();
  sheet.replaceSync(CSS);
  document.adoptedStyleSheets = [...document.adoptedStyleSheets, sheet];
}
