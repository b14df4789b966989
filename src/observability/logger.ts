import { pino, type Logger } from 'pino';

export type { Logger };

/** Structured JSON logs on stderr (stdout stays free for CLI output). */
export function createLogger(opts: { level: string; name?: string; bindings?: Record<string, unknown> }): Logger {
  return pino(
    { level: opts.level, name: opts.name ?? 'codeintel', base: { pid: process.pid, ...opts.bindings } },
    pino.destination({ fd: 2, sync: false }),
  );
}

export const silentLogger = (): Logger => pino({ level: 'silent' });
