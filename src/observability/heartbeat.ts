import { promises as fs } from 'node:fs';
import path from 'node:path';

/**
 * Touch a file every `intervalMs` while the event loop turns, so a container
 * health check can tell a live worker from a hung one without an HTTP port
 * (`node scripts/healthcheck.mjs --heartbeat <file>`). Returns a stop function.
 */
export function startHeartbeat(file: string, intervalMs = 10_000): () => Promise<void> {
  const beat = async () => {
    try {
      await fs.mkdir(path.dirname(file), { recursive: true });
      await fs.writeFile(file, `${new Date().toISOString()}\n`);
    } catch {
      // a missing heartbeat is what the health check reports; nothing to do here
    }
  };
  void beat();
  const timer = setInterval(() => void beat(), intervalMs);
  timer.unref();
  return async () => {
    clearInterval(timer);
    await fs.rm(file, { force: true });
  };
}
