import type { Logger } from '../observability/logger.js';
import { cancelChannel } from './keys.js';
import type { SubscriptionHub } from './pubsub.js';
import type { AnswerStore } from './store.js';
import { CancelledError } from '../errors/cancelledError.js';

/**
 * The worker side of cancellation. Every answer a worker runs gets an
 * AbortSignal that fires when a cancel message for it arrives on the control
 * channel (DELETE /v1/answers/:id, or the last SSE client left), or when the
 * cancel flag was already set before the answer started.
 */
export interface CancelWatcher {
  watch(answerId: string): Promise<{ signal: AbortSignal; dispose(): void }>;
  close(): Promise<void>;
}

export function createCancelWatcher(opts: { hub: SubscriptionHub; store: AnswerStore; prefix: string; logger: Logger }): CancelWatcher {
  const active = new Map<string, Set<AbortController>>();
  let subscription: Promise<() => void> | null = null;

  const ensureSubscribed = () => {
    subscription ??= opts.hub
      .subscribe(cancelChannel(opts.prefix), {
        message(answerId) {
          const controllers = active.get(answerId);
          if (!controllers) return;
          opts.logger.info({ answerId }, 'answer cancelled');
          for (const c of controllers) c.abort(new CancelledError());
        },
        // a cancel sent while we were disconnected is still in the flag
        resync() {
          for (const [answerId, controllers] of active) {
            void opts.store.cancelRequested(answerId).then(
              (yes) => yes && controllers.forEach((c) => c.abort(new CancelledError())),
              () => {},
            );
          }
        },
      })
      .catch((err) => {
        subscription = null;
        throw err;
      });
    return subscription;
  };

  return {
    async watch(answerId) {
      await ensureSubscribed();
      const controller = new AbortController();
      let set = active.get(answerId);
      if (!set) active.set(answerId, (set = new Set()));
      set.add(controller);
      // after subscribing: a cancel is either in the flag already or will arrive as a message
      if (await opts.store.cancelRequested(answerId)) controller.abort(new CancelledError());
      return {
        signal: controller.signal,
        dispose() {
          set!.delete(controller);
          if (set!.size === 0 && active.get(answerId) === set) active.delete(answerId);
        },
      };
    },
    async close() {
      const s = subscription;
      subscription = null;
      if (s) (await s.catch(() => () => {}))();
    },
  };
}

