import type { Config } from '../config/index.js';
import type { Logger } from '../observability/logger.js';
import type { Sink } from './port.js';

/** The production sinks the settings switch on (Neo4j, OpenSearch); none on embedded defaults. */
export async function createOptionalSinks(config: Config, logger: Logger): Promise<Sink[]> {
  const sinks: Sink[] = [];
  if (config.neo4j) {
    const { createNeo4jSink } = await import('./neo4jSink.js');
    sinks.push(createNeo4jSink(config.neo4j));
  }
  if (config.opensearch) {
    const { createOpenSearchSink } = await import('./opensearchSink.js');
    sinks.push(createOpenSearchSink(config.opensearch));
  }
  if (sinks.length) logger.info({ sinks: sinks.map((s) => s.name) }, 'production sinks enabled');
  return sinks;
}
