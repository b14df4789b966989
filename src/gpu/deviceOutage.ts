import type { Logger } from '../observability/logger.js';

/**
 * A gpu worker's device (its vLLM endpoint) stopped answering, health check
 * included: the worker stops taking jobs until the health check answers
 * again, so a dead device does not keep drawing batches from the shared
 * queue that healthy devices would run now. The batches it held go back to
 * the queue (the encode job hands them back); while it is out, the other
 * devices take them.
 */
export interface DeviceOutage {
  /** The device is out: pause taking jobs (idempotent) and probe its health until it answers. */
  report(detail: string): Promise<void>;
  readonly out: boolean;
  /** Stop probing (the worker is closing). */
  close(): void;
}

export interface DeviceOutageDeps {
  /** stop taking new jobs; active ones run to their end */
  pause(): Promise<void>;
  resume(): Promise<void>;
  healthy(): Promise<boolean>;
  /** how often the health of an out device is probed */
  probeMs: number;
  logger: Logger;
  device: number;
}

export function createDeviceOutage(deps: DeviceOutageDeps): DeviceOutage {
  let out = false;
  let closed = false;
  let timer: NodeJS.Timeout | undefined;
  let since = 0;

  const probe = async () => {
    timer = undefined;
    if (closed) return;
    const ok = await deps.healthy().catch(() => false);
    if (closed) return;
    if (!ok) {
      timer = setTimeout(() => void probe(), deps.probeMs);
      return;
    }
    out = false;
    deps.logger.warn({ device: deps.device, outForMs: Date.now() - since }, 'GPU device answers its health check again: taking jobs');
    await deps.resume().catch((err: unknown) => deps.logger.error({ err, device: deps.device }, 'could not resume the gpu worker'));
  };

  return {
    get out() {
      return out;
    },
    async report(detail) {
      if (out || closed) return;
      out = true;
      since = Date.now();
      deps.logger.error({ device: deps.device, detail }, 'GPU device is out (its endpoint and health check fail): this worker takes no jobs until it answers');
      await deps.pause();
      timer = setTimeout(() => void probe(), deps.probeMs);
    },
    close() {
      closed = true;
      if (timer) clearTimeout(timer);
    },
  };
}
