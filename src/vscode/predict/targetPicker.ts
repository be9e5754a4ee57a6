/**
 * "Target: <name> ▾": a QuickPick of every place a request can go, grouped by kind — recently used
 * first, then local models (the Models view), Vertex AI endpoints and their deployed models,
 * AI Platform models and versions, TF Serving models (settings) — listed while the picker is open
 * (each group fills in when its listing answers; a failed listing shows as an item with its hint).
 * Choosing one binds the file through "Bind Request File to Target" (the workspace's .servelens.json).
 */
import { resolve } from 'node:path';
import * as vscode from 'vscode';
import { listAcrossRegions } from '../../core/cloud/paging';
import { deployedModelsOf } from '../../core/cloud/vertex';
import { describeError } from '../../core/errors';
import type { BindingTarget } from '../../core/request/binding';
import type { CloudApi } from '../cloud/registerCloudViews';
import { Commands } from '../constants';
import type { Logger } from '../log';
import type { ModelsApi } from '../models/registerModelsView';
import { bindableModelDir, portablePath } from '../requests/bindTarget';
import type { RequestFilesApi } from '../requests/registerRequestFiles';
import { modelLabel, targetLabel } from '../requests/core';

const RECENT_KEY = 'servelens.targets.recent';
const MAX_RECENT = 8;
/** Listing stops after this many items per group (a picker is not a browser). */
const MAX_PER_GROUP = 200;

interface TargetItem extends vscode.QuickPickItem {
  target?: BindingTarget;
  /** Vertex AI: the deployed model picked (remembered for Explain). */
  deployedModelId?: string;
  endpoint?: string;
  /** "Other target…": the full bind dialog. */
  other?: true;
}

type Group = 'recent' | 'local' | 'vertex' | 'aiplatform' | 'tfserving' | 'other';
const GROUP_TITLES: Record<Group, string> = {
  recent: 'Recently used',
  local: 'Local models (run with TensorFlow.js)',
  vertex: 'Vertex AI endpoints',
  aiplatform: 'AI Platform models',
  tfserving: 'TF Serving',
  other: 'Other',
};
const ORDER: Group[] = ['recent', 'local', 'vertex', 'aiplatform', 'tfserving', 'other'];

const keyOf = (t: BindingTarget): string => JSON.stringify(t);

export interface PickerDeps {
  logger: Logger;
  cloud: CloudApi;
  models?: ModelsApi;
  /** The workspace's bindings: local models they name are offered too. */
  requests?: RequestFilesApi;
  state: vscode.Memento;
}

/** Remembers a target as recently used (most recent first). */
export async function rememberTarget(state: vscode.Memento, target: BindingTarget): Promise<void> {
  const list = (state.get<BindingTarget[]>(RECENT_KEY) ?? []).filter((t) => keyOf(t) !== keyOf(target));
  await state.update(RECENT_KEY, [target, ...list].slice(0, MAX_RECENT));
}

/** The command: pick a target for `uri` (the active editor's file) and bind it. */
export function pickTargetCommand(deps: PickerDeps) {
  return async (arg?: unknown): Promise<BindingTarget | undefined> => {
    const uri = arg instanceof vscode.Uri ? arg : vscode.window.activeTextEditor?.document.uri;
    const folder = uri ? vscode.workspace.getWorkspaceFolder(uri) : undefined;
    const root = folder?.uri.scheme === 'file' ? folder.uri.fsPath : undefined;
    const chosen = await pick(deps, root);
    if (!chosen) return undefined;
    if (chosen.other) {
      await vscode.commands.executeCommand(Commands.requestBindTarget, uri);
      return undefined;
    }
    const target = chosen.target!;
    if (chosen.endpoint && chosen.deployedModelId) {
      await deps.state.update(`servelens.explain.deployedModel:${chosen.endpoint}`, chosen.deployedModelId);
    }
    await rememberTarget(deps.state, target);
    await vscode.commands.executeCommand(Commands.requestBindTarget, uri, target);
    return target;
  };
}

function pick(deps: PickerDeps, root: string | undefined): Promise<TargetItem | undefined> {
  const qp = vscode.window.createQuickPick<TargetItem>();
  qp.title = 'Prediction target';
  qp.placeholder = 'Where ▶ Predict and Explain send this request (type to filter)';
  qp.matchOnDescription = true;
  qp.matchOnDetail = true;
  const groups = new Map<Group, TargetItem[]>(ORDER.map((g) => [g, []]));
  const redraw = () => {
    const items: TargetItem[] = [];
    for (const g of ORDER) {
      const list = groups.get(g)!;
      if (!list.length) continue;
      items.push({ label: GROUP_TITLES[g], kind: vscode.QuickPickItemKind.Separator });
      items.push(...list);
    }
    const active = qp.activeItems[0]?.label;
    qp.items = items;
    const keep = items.find((i) => i.label === active && i.kind !== vscode.QuickPickItemKind.Separator);
    if (keep) qp.activeItems = [keep];
  };
  const abort = new AbortController();
  let pending = 0;
  const fill = (g: Group, work: () => Promise<TargetItem[]>) => {
    pending++;
    qp.busy = true;
    void work()
      .catch((err: unknown) => [{ label: `$(warning) ${GROUP_TITLES[g]} could not be listed`, detail: describeError(err), alwaysShow: true } as TargetItem])
      .then((items) => {
        if (abort.signal.aborted) return;
        groups.set(g, items.slice(0, MAX_PER_GROUP));
        redraw();
      })
      .finally(() => {
        if (--pending === 0) qp.busy = false;
      });
  };

  const recent = deps.state.get<BindingTarget[]>(RECENT_KEY) ?? [];
  groups.set('recent', recent.map((t) => ({ label: `$(history) ${targetLabel(t)}`, description: Object.values(t)[0], target: t })));
  groups.set('other', [{ label: '$(edit) Other target…', detail: 'A model path, an endpoint, model version or TF Serving URL typed in', other: true, alwaysShow: true }]);
  fill('local', () => localItems(deps, root));
  fill('vertex', () => vertexItems(deps, abort.signal));
  fill('aiplatform', () => aiPlatformItems(deps, abort.signal));
  fill('tfserving', async () => tfServingItems(deps));
  redraw();

  return new Promise((resolve) => {
    let done = false;
    const finish = (v: TargetItem | undefined) => {
      if (done) return;
      done = true;
      abort.abort();
      resolve(v);
      qp.dispose();
    };
    qp.onDidAccept(() => {
      const sel = qp.selectedItems[0];
      if (sel && (sel.target || sel.other)) finish(sel);
    });
    qp.onDidHide(() => finish(undefined));
    qp.show();
  });
}

/** The models of the Models view, and the local models the workspace's bindings already name. */
async function localItems(deps: PickerDeps, root: string | undefined): Promise<TargetItem[]> {
  const items: TargetItem[] = [];
  const seen = new Set<string>();
  const add = (dir: string, label: string, detail?: string) => {
    const key = resolve(dir);
    if (seen.has(key)) return;
    seen.add(key);
    items.push({ label: `$(symbol-structure) ${label}`, description: vscode.workspace.asRelativePath(dir), detail, target: { model: root ? portablePath(root, dir) : dir } });
  };
  for (const m of deps.models?.models() ?? []) {
    const dir = m.versioned ? m.dir : bindableModelDir(m.versions[m.versions.length - 1]?.file ?? `${m.dir}/saved_model.pb`);
    add(dir, m.label || modelLabel(dir), m.versioned ? `versions ${m.versions.map((v) => v.name).join(', ')}` : undefined);
  }
  if (root && deps.requests) {
    const loaded = await deps.requests.bindings.bindings(root).catch(() => undefined);
    for (const b of loaded?.bindings ?? []) {
      if ('model' in b.target) add(resolve(root, b.target.model), modelLabel(b.target.model), `bound to ${b.files} in ${vscode.workspace.asRelativePath(loaded!.path ?? root)}`);
    }
  }
  return items;
}

async function vertexItems(deps: PickerDeps, signal: AbortSignal): Promise<TargetItem[]> {
  const session = deps.cloud.session();
  const projects = await session.projects();
  const items: TargetItem[] = [];
  for (const project of projects) {
    const results = await listAcrossRegions(project, session.regions, (region, sig) => session.vertex.listEndpoints(project, region, sig ? { signal: sig } : {}), { signal });
    const failed: string[] = [];
    let failure: unknown;
    for (const { region, value, error } of results) {
      if (error !== undefined) {
        failed.push(region);
        failure = error;
        continue;
      }
      for (const e of value?.items ?? []) {
        const models = deployedModelsOf(e);
        const id = e.name.split('/').pop()!;
        const target: BindingTarget = { endpoint: `projects/${project}/locations/${region}/endpoints/${id}` };
        items.push({
          label: `$(cloud) ${e.displayName ?? id}`,
          description: `${project} · ${region} · ${models.length} deployed model${models.length === 1 ? '' : 's'}`,
          detail: target.endpoint,
          target,
        });
        for (const m of models) {
          items.push({
            label: `$(package) ${m.displayName ?? m.id}`,
            description: `deployed on ${e.displayName ?? id} · ${m.trafficPercent}% of traffic`,
            detail: `Predict follows the traffic split; Explain goes to deployed model ${m.id}`,
            target,
            endpoint: target.endpoint,
            deployedModelId: m.id,
          });
        }
      }
    }
    if (failed.length) items.push({ label: `$(warning) Vertex AI in ${failed.join(', ')} (${project})`, detail: describeError(failure), alwaysShow: true });
  }
  return items;
}

async function aiPlatformItems(deps: PickerDeps, signal: AbortSignal): Promise<TargetItem[]> {
  const session = deps.cloud.session();
  const projects = await session.projects();
  const items: TargetItem[] = [];
  for (const project of projects) {
    const page = await session.aiPlatform.listModels(project, { signal });
    const models = page.items.slice(0, 50).map((m) => (m.name.startsWith('projects/') ? m.name : `projects/${project}/models/${m.name}`));
    // Every model's versions at once (the picker waits for the slowest, not for their sum).
    const versions = await Promise.all(models.map((name) => session.aiPlatform.listVersions(name, { signal }).then((p) => p.items, () => [])));
    page.items.slice(0, 50).forEach((m, k) => {
      const name = models[k]!;
      const short = name.split('/').pop()!;
      items.push({ label: `$(cloud) ${short}`, description: `${project} · default version${m.defaultVersion?.name ? ` ${m.defaultVersion.name.split('/').pop()}` : ''}`, target: { version: name } });
      for (const v of versions[k]!) {
        const vid = v.name.split('/').pop()!;
        items.push({
          label: `$(versions) ${short} ${vid}`,
          description: [v.isDefault ? 'default' : undefined, v.state, v.runtimeVersion ? `runtime ${v.runtimeVersion}` : undefined, v.framework].filter(Boolean).join(' · '),
          target: { version: `${name}/versions/${vid}` },
        });
      }
    });
  }
  return items;
}

function tfServingItems(deps: PickerDeps): TargetItem[] {
  const session = deps.cloud.session();
  const items: TargetItem[] = [];
  for (const { server, problem } of session.tfServing) {
    if (problem) {
      items.push({ label: `$(warning) ${server.name}`, detail: problem, alwaysShow: true });
      continue;
    }
    const base = (() => {
      const u = new URL(server.url);
      u.username = '';
      u.password = '';
      return u.toString().replace(/\/+$/, '');
    })();
    for (const model of server.models) {
      items.push({ label: `$(server) ${model}`, description: server.name, detail: `${base}/v1/models/${model}`, target: { tfServing: `${base}/v1/models/${model}` } });
    }
  }
  return items;
}
