import { z } from 'zod';
import { oneOf, optionalText } from './parsers.js';
import { optionalWhenUnset } from './shape.js';

/** Logs and the liveness heartbeat. */
export const observabilitySection = z
  .object({
    LOG_LEVEL: oneOf(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const, 'info'),
    /** touched every 10 s by serve/worker processes, for container health checks (scripts/healthcheck.mjs) */
    HEARTBEAT_FILE: optionalText(),
  })
  .transform((e) => optionalWhenUnset({ logLevel: e.LOG_LEVEL, heartbeatFile: e.HEARTBEAT_FILE }));
