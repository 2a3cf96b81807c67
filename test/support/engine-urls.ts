import { loadConfig } from '../../lib/config/config';

/** The engines the tests talk to: the same variables (and defaults) the services read. */
const config = loadConfig(process.env);
export const ENGINE_URLS = {
  mongodb: config.mongodb.url,
  amqp: config.amqp.url,
  elasticsearch: config.elasticsearch.url,
} as const;
