/**
 * Resilience: retry with backoff and jitter, circuit breaking and timeouts,
 * for every caller in the project: vLLM client (retries, Retry-After, per-call
 * and health timeouts), optional sinks (retries, circuit), OpenSearch bulk
 * items, retrieval channel and rerank budgets, readiness and GPU health
 * checks, the repo-lock and Neo4j index polls, the CLI's stream reconnect.
 *
 * Decision: our own small module, not `cockatiel` (4.0.0 was read for this).
 * - Abort: cockatiel's retry waits out its backoff on a plain setTimeout that
 *   ignores the signal; an aborted job would sit out the pause. Ours aborts it.
 * - Retry-After: cockatiel has none; it would need a custom backoff factory
 *   reading the error from the retry context. Here it is one option, capped.
 * - Jitter: cockatiel's generators (full/half/decorrelated) call Math.random
 *   themselves; ours is one formula (x[0.8, 1.2)) with an injectable random.
 * - Testability: cockatiel reads Date.now and global setTimeout, so tests need
 *   fake timers; our callers' tests inject sleep/random/now and assert exact
 *   delays, which keeps them deterministic and fast.
 * - Circuit: cockatiel's breaker reads Date.now (no injectable clock), its
 *   half-open admits one sampled call and refuses the rest, and its
 *   BrokenCircuitError says neither what failed nor when the next try is due
 *   (the sink circuit's skip message needs both; policy.lastFailure has one).
 * - Timeout: cockatiel's TimeoutPolicy does hand an AbortSignal to the work,
 *   but with a fixed "Operation timed out" message; callers here put their own
 *   message in API answers ("missed its 150 ms budget").
 * Per-attempt classification is equal in both (handleWhen vs `retryable`).
 * With cockatiel each of these would need glue around it; what is left here
 * is about 240 lines with comments, no dependency, and no policy-composition
 * layer, which none of the callers needs.
 *
 * This is a bottom-layer module: it imports nothing of the project.
 */
export { backoffDelay, jittered, type BackoffOptions } from './backoff.js';
export { circuitBreaker, type CircuitBreaker, type CircuitBreakerOptions, type CircuitOpen, type CircuitState } from './circuit.js';
export { retry, type RetryInfo, type RetryOptions } from './retry.js';
export { parseRetryAfter } from './retryAfter.js';
export { abortableSleep, type Sleep } from './sleep.js';
export { TimeoutError, withTimeout, type TimeoutOptions } from './timeout.js';
