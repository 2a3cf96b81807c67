import type { Config } from '../../lib/config/config';
import { serviceAmqp } from '../../lib/events/service-amqp';
import type { Logger } from '../../lib/logging/logger';
import type { GatewayExecutor } from './context/gateway-executor';
import type { GatewayMetrics } from './observability/metrics';
import { AmqpFeed } from './subscriptions/amqp-feed';
import { EventRecordedSubscriptions } from './subscriptions/event-recorded';
import { EventStatsSubscriptions } from './subscriptions/event-stats';
import { StreamStatusSubscriptions } from './subscriptions/stream-status';
import type { SubscriptionHooks, SubscriptionKind } from './subscriptions/subscription-kind';

export interface SubscriptionFeeds {
  /** The Subscription root fields the gateway serves, by name. */
  kinds: Readonly<Record<string, SubscriptionKind>>;
  /** Whether the broker connection is up (readiness). */
  connected(): boolean;
  /** Stops the timers of the subscriptions (eventStats' windows); the broker stays connected until close. */
  stopTimers(): void;
  close(): Promise<void>;
}

/** The three subscription fields fed from the broker's event and stream messages, counted in the gateway's metrics. */
export async function startSubscriptionFeeds(config: Config, executor: GatewayExecutor, metrics: GatewayMetrics, logger: Logger): Promise<SubscriptionFeeds> {
  const amqp = serviceAmqp(config, logger, 'sightline-gateway');
  const feed = new AmqpFeed(amqp, config.namespace, logger);
  const hooks: SubscriptionHooks = {
    onOpen: (field, delta) => metrics.subscriptionsOpen.inc({ field }, delta),
    onPush: (field, pushed, dropped) => {
      metrics.subscriptionPushes.inc({ field }, pushed);
      if (dropped > 0) metrics.subscriptionDrops.inc({ field }, dropped);
    },
    onStage: (field, stage, seconds, events) => {
      const histogram = metrics.subscriptionStages.labels({ field, stage });
      for (let i = 0; i < events; i++) histogram.observe(seconds);
    },
  };
  const queueMax = config.gateway.subscriberQueueMax;
  const eventRecorded = new EventRecordedSubscriptions(executor, feed, hooks, queueMax);
  const eventStats = new EventStatsSubscriptions(executor, feed, hooks, queueMax, Date.now, config.gateway.eventStatsGroupsMax);
  const streamStatus = new StreamStatusSubscriptions(executor, feed, hooks, queueMax);
  feed.on('events', async (message) => {
    await Promise.all([eventRecorded.handle(message), eventStats.handle(message)]);
  });
  feed.on('streams', (message) => streamStatus.handle(message));
  await feed.start();
  amqp.start();
  return {
    kinds: { eventRecorded, eventStatsUpdated: eventStats, streamStatusChanged: streamStatus },
    connected: () => amqp.connected,
    stopTimers: () => eventStats.close(),
    close: () => amqp.close(),
  };
}
