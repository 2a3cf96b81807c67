import { loadConfig } from '../../lib/config/config';

/** The engines the tests talk to: the same variables (and defaults) the services read. */
const config = loadConfig(process.env);

/** The broker's address with the external publishers' account (created by the engine scripts). */
function ingestUrl(): string {
  if (process.env.AMQP_INGEST_URL) return process.env.AMQP_INGEST_URL;
  const url = new URL(config.amqp.url.split(',')[0] as string);
  url.username = 'sightline-ingest';
  url.password = 'sightline-ingest';
  return url.toString();
}

export const ENGINE_URLS = {
  mongodb: config.mongodb.url,
  amqp: config.amqp.url,
  /** AMQP_INGEST_URL: may only publish to `<namespace>.ingest`. */
  amqpIngest: ingestUrl(),
  elasticsearch: config.elasticsearch.url,
} as const;
