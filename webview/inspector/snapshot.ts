/**
 * Reads back what the inspector rendered, from the DOM itself (not from the model it was given),
 * so that tests on the host assert what a user sees.
 */
import type { RenderedSignature, RenderedSnapshot, RenderedTensor } from '../shared/protocol';
import { LIMITS } from '../shared/protocol';

function text(node: Element | null | undefined): string {
  return (node?.textContent ?? '').trim();
}

function tensors(section: Element, cls: string): RenderedTensor[] {
  const g = section.querySelector(`vscode-data-grid.${cls}`);
  if (!g) return [];
  return [...g.querySelectorAll('vscode-data-grid-row[row-type="default"]')].map((row) => {
    const cells = [...row.querySelectorAll('vscode-data-grid-cell')].map(text);
    return { alias: cells[0] ?? '', dtype: cells[1] ?? '', shape: cells[2] ?? '', tensor: cells[3] ?? '' };
  });
}

export function readSnapshot(root: HTMLElement, state: RenderedSnapshot['state'], file: string): RenderedSnapshot {
  const signatures: RenderedSignature[] = [];
  for (const mg of root.querySelectorAll('.metagraph')) {
    const tags = (mg.getAttribute('data-tags') ?? '').split(',').filter(Boolean);
    for (const s of mg.querySelectorAll('section.signature')) {
      signatures.push({
        tags,
        name: text(s.querySelector('.signature-name')),
        method: text(s.querySelector('.signature-method')),
        inputs: tensors(s, 'inputs'),
        outputs: tensors(s, 'outputs'),
      });
    }
  }
  const lint = [...root.querySelectorAll('.lint-list > li')].map(
    (li) => `${li.getAttribute('data-severity') ?? ''} ${li.getAttribute('data-code') ?? ''}`,
  );
  const errorBox = state === 'error' ? root.querySelector('.error-box') : null;
  const error = errorBox
    ? [text(errorBox.querySelector('.error-message')), text(errorBox.querySelector('.error-hint'))].filter(Boolean).join(' ')
    : undefined;
  return {
    state,
    file,
    signatures,
    lint,
    error,
    opsPending: root.querySelector('.ops-pending') !== null,
    text: (root.textContent ?? '').replace(/\s+/g, ' ').trim().slice(0, LIMITS.text),
  };
}
