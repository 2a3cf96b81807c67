import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

const MAX_OPERATION_LABELS = 200;

/** The gateway's Prometheus metrics, in a registry of its own (served on /metrics). */
export class GatewayMetrics {
  readonly registry = new Registry();
  readonly requests = new Counter({
    name: 'sightline_gateway_requests_total',
    help: 'GraphQL operations handled, by operation name, type and outcome',
    labelNames: ['operation', 'type', 'outcome'] as const,
    registers: [this.registry],
  });
  readonly duration = new Histogram({
    name: 'sightline_gateway_request_duration_seconds',
    help: 'GraphQL operation latency, by operation name and type',
    labelNames: ['operation', 'type'] as const,
    buckets: [0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [this.registry],
  });
  readonly subscriptionsOpen = new Gauge({
    name: 'sightline_gateway_subscriptions_open',
    help: 'Open graphql-ws subscriptions, by root field',
    labelNames: ['field'] as const,
    registers: [this.registry],
  });
  readonly subscriptionPushes = new Counter({
    name: 'sightline_gateway_subscription_pushes_total',
    help: 'Subscription payloads queued for delivery, by root field',
    labelNames: ['field'] as const,
    registers: [this.registry],
  });
  readonly subscriptionDrops = new Counter({
    name: 'sightline_gateway_subscription_dropped_total',
    help: 'Subscription payloads dropped because a subscriber could not keep up',
    labelNames: ['field'] as const,
    registers: [this.registry],
  });
  readonly subscriptionStages = new Histogram({
    name: 'sightline_gateway_subscription_stage_seconds',
    help: 'Per payload of a batched subscription: time from the message to its query (batching), in the payload query (query), and from the answer to the written frames (delivery)',
    labelNames: ['field', 'stage'] as const,
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.15, 0.25, 0.5, 1, 2.5, 5],
    registers: [this.registry],
  });
  readonly projectionLag = new Gauge({
    name: 'sightline_projection_lag',
    help: 'Events between the event store head and each read-model projection',
    labelNames: ['projection'] as const,
    registers: [this.registry],
  });
  readonly projectionDeadLettered = new Gauge({
    name: 'sightline_projection_dead_lettered',
    help: 'Events the projection dead-lettered (poison messages, documents Elasticsearch refuses); the reason of the last is in projections.lastError',
    labelNames: ['projection'] as const,
    registers: [this.registry],
  });
  readonly subgraphCalls = new Counter({
    name: 'sightline_gateway_subgraph_fetches_total',
    help: 'Subgraph fetches of the query plans, by subgraph; shared="yes" when an identical query in flight answered it',
    labelNames: ['subgraph', 'shared'] as const,
    registers: [this.registry],
  });
  readonly rateLimited = new Counter({
    name: 'sightline_gateway_rate_limited_total',
    help: 'Requests refused by the per-identity rate limit',
    registers: [this.registry],
  });

  private readonly operationNames = new Set<string>();

  constructor() {
    collectDefaultMetrics({ register: this.registry, prefix: 'sightline_gateway_' });
  }

  /** Operation names come from clients: keep the label set bounded and clean. */
  operationLabel(name: string | null | undefined): string {
    if (!name) return 'anonymous';
    if (!/^[A-Za-z_][A-Za-z0-9_]{0,63}$/.test(name)) return 'invalid';
    if (this.operationNames.has(name)) return name;
    if (this.operationNames.size >= MAX_OPERATION_LABELS) return 'other';
    this.operationNames.add(name);
    return name;
  }
}
