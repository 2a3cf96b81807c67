import { loadConfig } from '../../lib/config/config';
import { nodeUrls } from '../../lib/engines/node-urls';

/** The engines the tests talk to: the same variables (and defaults) the services read. */
const config = loadConfig(process.env);
/** With SIGHTLINE_ENGINES=cluster the variables list every node; a test's own plain client takes the first. */
const firstAmqp = nodeUrls(config.amqp.url)[0] as string;

/** The broker's address with the external publishers' account (created by the engine scripts). */
function ingestUrl(): string {
  if (process.env.AMQP_INGEST_URL) return process.env.AMQP_INGEST_URL;
  const url = new URL(firstAmqp);
  url.username = 'sightline-ingest';
  url.password = 'sightline-ingest';
  return url.toString();
}

export const ENGINE_URLS = {
  mongodb: config.mongodb.url,
  /** One node (amqplib takes one URL); the services get AMQP_URL as it is. */
  amqp: firstAmqp,
  /** AMQP_INGEST_URL: may only publish to `<namespace>.ingest`. */
  amqpIngest: ingestUrl(),
  /** One node, for plain HTTP requests. */
  elasticsearch: nodeUrls(config.elasticsearch.url)[0] as string,
} as const;
