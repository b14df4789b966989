import { withTimeout } from '../resilience/index.js';

export interface ReadinessCheck {
  ok: boolean;
  /** a failing required check makes the service `down`; an optional one `degraded` */
  required: boolean;
  detail?: string;
  [extra: string]: unknown;
}

export type ReadinessMode = 'ready' | 'degraded' | 'down';

export interface Readiness {
  mode: ReadinessMode;
  checks: Record<string, ReadinessCheck>;
  /** RFC 9457 detail when the mode is not ready */
  problem?: { type: string; title: string; status: number; detail: string };
}

/** A readiness check; `required: false` declares up front that its failure only degrades the service. */
export type ReadinessProbe = (() => Promise<ReadinessCheck>) & { required?: boolean };

/** Run every check in parallel (each bounded in time) and fold them into one mode. */
export async function evaluateReadiness(
  checks: Record<string, ReadinessProbe>,
  timeoutMs = 3_000,
): Promise<Readiness> {
  const entries = await Promise.all(
    Object.entries(checks).map(async ([name, run]): Promise<[string, ReadinessCheck]> => {
      try {
        return [name, await withTimeout(() => run(), timeoutMs, { message: `check timed out after ${timeoutMs} ms` })];
      } catch (err) {
        // a check that never answered is as required as it says it is (required unless declared otherwise)
        return [name, { ok: false, required: run.required ?? true, detail: (err as Error).message }];
      }
    }),
  );
  const result: Record<string, ReadinessCheck> = Object.fromEntries(entries);
  const failedRequired = entries.filter(([, c]) => !c.ok && c.required);
  const failedOptional = entries.filter(([, c]) => !c.ok && !c.required);
  const mode: ReadinessMode = failedRequired.length ? 'down' : failedOptional.length ? 'degraded' : 'ready';
  const readiness: Readiness = { mode, checks: result };
  if (mode !== 'ready') {
    const failed = mode === 'down' ? failedRequired : failedOptional;
    readiness.problem = {
      type: `https://codeintel.dev/problems/${mode === 'down' ? 'not-ready' : 'degraded'}`,
      title: mode === 'down' ? 'Service Unavailable' : 'Degraded',
      status: mode === 'down' ? 503 : 200,
      detail: failed.map(([n, c]) => `${n}: ${c.detail ?? 'failed'}`).join('; '),
    };
  }
  return readiness;
}
