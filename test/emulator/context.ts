/**
 * What the route families share: the live state, the long-running operations, id generation and
 * the access check every Google API route makes before it reads anything.
 */
import { accessMode, checkAuth, refusal } from './access';
import type { EmuRequest, EmuResponse } from './http';
import { findProject } from './state';
import type { EmulatorState, Predictor, ProjectState, ServiceName } from './types';

export interface OperationRecord {
  /** Full name with the project number. */
  name: string;
  startedAt: number;
  done: boolean;
  metadata: () => Record<string, unknown>;
  /** Runs once when the operation completes; returns the `response` (an Any with @type). */
  complete?: () => Record<string, unknown>;
  response?: Record<string, unknown>;
  error?: { code: number; message: string };
  /** Set while the operation is running, applied to enum fields on output. */
  responseKind?: 'endpoint';
}

export class EmuContext {
  readonly operations = new Map<string, OperationRecord>();
  private counter = 0;
  /** Runs the models behind the prediction routes; absent: they answer 501. */
  predictor?: Predictor;
  /** Requests routed by traffic split so far (picks the deployed model deterministically). */
  predictions = 0;

  constructor(public state: EmulatorState) {}

  /** A fresh numeric id (19 digits, as Vertex AI ids look). */
  nextId(prefix = '7'): string {
    this.counter++;
    return `${prefix}${String(Date.now() % 1e12).padStart(12, '0')}${String(this.counter).padStart(6, '0')}`;
  }

  now(): number {
    return Date.now();
  }

  /**
   * The project a Google API request names, after the 401/403 checks. Throws nothing: returns either
   * the project or the response to answer (401, or 403 for a refused or unknown project).
   */
  guard(
    req: EmuRequest,
    service: ServiceName,
    permission: string,
    rpcMethod: string,
    projectRef: string,
    resource: string,
  ): { id: string; project: ProjectState } | { response: EmuResponse } {
    const unauth = checkAuth(req, this.state, service, rpcMethod);
    if (unauth) return { response: unauth };
    const found = findProject(this.state, projectRef);
    if (!found) return { response: refusal(service, 'PERMISSION_DENIED', permission, resource, projectRef) };
    const [id, project] = found;
    const mode = accessMode(project, service);
    if (mode) return { response: refusal(service, mode, permission, resource, project.number) };
    return { id, project };
  }
}
