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

/** Run every check in parallel (each bounded in time) and fold them into one mode. */
export async function evaluateReadiness(
  checks: Record<string, () => Promise<ReadinessCheck>>,
  timeoutMs = 3_000,
): Promise<Readiness> {
  const entries = await Promise.all(
    Object.entries(checks).map(async ([name, run]): Promise<[string, ReadinessCheck]> => {
      let timer: NodeJS.Timeout | undefined;
      try {
        const result = await Promise.race([
          run(),
          new Promise<never>((_, reject) => {
            timer = setTimeout(() => reject(new Error(`check timed out after ${timeoutMs} ms`)), timeoutMs);
          }),
        ]);
        return [name, result];
      } catch (err) {
        return [name, { ok: false, required: true, detail: (err as Error).message }];
      } finally {
        clearTimeout(timer);
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
