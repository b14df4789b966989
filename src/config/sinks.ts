import { z } from 'zod';
import { boltUri, httpUrl, int, optionalText, text } from './parsers.js';
import { optionalWhenUnset } from './shape.js';

/** The optional production sinks (Neo4j, OpenSearch), each on when its URL is set, and how sink.batch treats them. */
export const sinksSection = z
  .object({
    NEO4J_URI: boltUri(),
    NEO4J_USER: text('neo4j'),
    NEO4J_PASSWORD: optionalText(),
    NEO4J_DATABASE: optionalText(),
    OPENSEARCH_URL: httpUrl(),
    OPENSEARCH_INDEX: text('codeintel-chunks'),
    OPENSEARCH_USER: optionalText(),
    OPENSEARCH_PASSWORD: optionalText(),
    /** attempts per batch for each optional sink before it is reported failed */
    SINK_RETRY_ATTEMPTS: int(3, 1, 20),
    /** after a sink used up its attempts, skip it for this long instead of retrying on every batch */
    SINK_CIRCUIT_COOLDOWN_S: int(30, 0),
  })
  .transform((e) =>
    optionalWhenUnset({
      neo4j: e.NEO4J_URI
        ? optionalWhenUnset({ uri: e.NEO4J_URI, user: e.NEO4J_USER, password: e.NEO4J_PASSWORD, database: e.NEO4J_DATABASE })
        : undefined,
      opensearch: e.OPENSEARCH_URL
        ? optionalWhenUnset({ url: e.OPENSEARCH_URL, index: e.OPENSEARCH_INDEX, user: e.OPENSEARCH_USER, password: e.OPENSEARCH_PASSWORD })
        : undefined,
      /** how sink.batch treats the optional sinks */
      sinks: { retryAttempts: e.SINK_RETRY_ATTEMPTS, circuitCooldownMs: e.SINK_CIRCUIT_COOLDOWN_S * 1000 },
    }),
  );
