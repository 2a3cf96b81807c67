import type { Channel, ChannelModel, ConsumeMessage } from 'amqplib';
import type { AmqpConnection } from '../../../lib/engines/amqp';
import { amqpNames, assertSharedTopology, type AmqpNames } from '../../../lib/events/topology';
import type { Logger } from '../../../lib/logging/logger';
import type { FeedHandler, FeedName, MessageFeed } from './message-feed';

// Broker-side bound for a gateway that falls behind: the oldest messages go first.
const QUEUE_MAX_LENGTH = 20000;
// Messages being resolved at once; the broker holds the rest.
const PREFETCH = 256;

const BINDINGS = (names: AmqpNames): Record<FeedName, { exchange: string; patterns: string[] }> => ({
  // Camera events too: payloads answered from kept camera reads must see every camera change (lookup-cache.ts).
  events: { exchange: names.eventsExchange, patterns: ['event.*', 'camera.*'] },
  streams: { exchange: names.streamStatusExchange, patterns: ['stream.*'] },
});

/**
 * RabbitMQ behind the MessageFeed port: one exclusive auto-delete queue per gateway process, bound
 * to an exchange only while some subscriber needs it. Every (re)connect redeclares the queue and
 * rebinds what is retained (AmqpConnection reruns this setup).
 */
export class AmqpFeed implements MessageFeed {
  private readonly handlers = new Map<FeedName, FeedHandler>();
  /** Connections so far: each has a queue of its own, and what was published between two is lost. */
  epoch = 0;
  private readonly holds = new Map<FeedName, number>();
  /** The last (un)bind of each feed: a new hold waits for it to be in place. */
  private readonly binding = new Map<FeedName, Promise<void>>();
  private readonly bindings: Record<FeedName, { exchange: string; patterns: string[] }>;
  private readonly names: AmqpNames;
  private channel: Channel | undefined;
  private queue: string | undefined;
  /** Holds taken before the first connect wait here: the setup binds them. */
  private readonly setUp: Array<() => void> = [];

  constructor(
    private readonly connection: AmqpConnection,
    namespace: string,
    private readonly logger: Logger,
  ) {
    this.names = amqpNames(namespace);
    this.bindings = BINDINGS(this.names);
  }

  async start(): Promise<void> {
    await this.connection.use((model) => this.setup(model));
  }

  on(feed: FeedName, handler: FeedHandler): void {
    this.handlers.set(feed, handler);
  }

  retain(feed: FeedName): { bound: Promise<void>; release: () => void } {
    const holds = (this.holds.get(feed) ?? 0) + 1;
    this.holds.set(feed, holds);
    if (holds === 1) this.binding.set(feed, this.bind(feed, true));
    let released = false;
    return {
      bound: this.binding.get(feed) ?? Promise.resolve(),
      release: () => {
        if (released) return;
        released = true;
        const left = (this.holds.get(feed) ?? 1) - 1;
        this.holds.set(feed, left);
        if (left === 0) this.binding.set(feed, this.bind(feed, false));
      },
    };
  }

  private async setup(model: ChannelModel): Promise<void> {
    const channel = await model.createChannel();
    channel.on('error', (error: Error) => this.logger.warn({ err: error.message }, 'subscription feed channel error'));
    await assertSharedTopology(channel, this.names);
    const { queue } = await channel.assertQueue('', {
      exclusive: true,
      autoDelete: true,
      arguments: { 'x-max-length': QUEUE_MAX_LENGTH, 'x-overflow': 'drop-head' },
    });
    await channel.prefetch(PREFETCH);
    await channel.consume(queue, (message) => {
      if (message) void this.dispatch(channel, message);
    });
    channel.on('close', () => {
      if (this.channel === channel) this.channel = undefined;
    });
    this.channel = channel;
    this.queue = queue;
    this.epoch += 1;
    for (const [feed, holds] of this.holds) if (holds > 0) await this.bindNow(feed, true);
    for (const wake of this.setUp.splice(0)) wake();
  }

  private async bind(feed: FeedName, on: boolean): Promise<void> {
    await this.binding.get(feed);
    // Not connected: the next setup binds every retained feed; wait for it.
    if (!this.channel) return new Promise((resolve) => this.setUp.push(resolve));
    await this.bindNow(feed, on);
  }

  private async bindNow(feed: FeedName, on: boolean): Promise<void> {
    const { channel, queue } = this;
    if (!channel || !queue) return;
    const { exchange, patterns } = this.bindings[feed];
    try {
      for (const pattern of patterns) {
        if (on) await channel.bindQueue(queue, exchange, pattern);
        else await channel.unbindQueue(queue, exchange, pattern);
      }
    } catch (error) {
      this.logger.warn({ err: (error as Error).message, feed, on }, 'subscription feed (un)bind failed');
    }
  }

  private async dispatch(channel: Channel, message: ConsumeMessage): Promise<void> {
    const feed: FeedName = message.fields.exchange === this.names.streamStatusExchange ? 'streams' : 'events';
    const handler = this.handlers.get(feed);
    try {
      const body: unknown = JSON.parse(message.content.toString('utf8'));
      if (handler && (this.holds.get(feed) ?? 0) > 0) await handler({ routingKey: message.fields.routingKey, body });
    } catch (error) {
      this.logger.warn({ err: (error as Error).message, routingKey: message.fields.routingKey }, 'subscription message not delivered');
    }
    try {
      channel.ack(message);
    } catch {
      // the channel closed meanwhile: the exclusive queue went with it
    }
  }
}
