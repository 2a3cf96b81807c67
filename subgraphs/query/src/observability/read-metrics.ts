import type { Express } from 'express';
import { Histogram, Registry, collectDefaultMetrics } from 'prom-client';

/** Read-path latencies and the process's own figures (CPU, event loop), in Prometheus text on `/metrics`. */
export class ReadMetrics {
  readonly registry = new Registry();
  /** How long a read waited for the read model (`minPosition`, or a position held after an Elasticsearch outage). */
  readonly readModelWait = new Histogram({
    name: 'sightline_query_read_model_wait_seconds',
    help: 'Time a read waited for the read model before reading, by root field',
    labelNames: ['field'] as const,
    buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
    registers: [this.registry],
  });
  /** One Elasticsearch round trip of a read (an `mget` of the documents a request needs). */
  readonly viewRead = new Histogram({
    name: 'sightline_query_view_read_seconds',
    help: 'Elasticsearch round trip of a document read, by view',
    labelNames: ['view'] as const,
    buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
    registers: [this.registry],
  });
  /** A GraphQL request as this process sees it: from its arrival to the end of its answer. */
  readonly request = new Histogram({
    name: 'sightline_query_request_duration_seconds',
    help: 'GraphQL requests to the query subgraph, from arrival to the last byte of the answer',
    buckets: [0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
    registers: [this.registry],
  });

  constructor() {
    collectDefaultMetrics({ register: this.registry, prefix: 'sightline_query_' });
  }

  /** `/metrics`, and the request timing of `/graphql` (mounted before it). */
  mount(app: Express): void {
    app.get('/metrics', async (_req, res) => {
      res.type(this.registry.contentType).send(await this.registry.metrics());
    });
    app.use('/graphql', (_req, res, next) => {
      const end = this.request.startTimer();
      res.once('finish', () => end());
      next();
    });
  }
}
