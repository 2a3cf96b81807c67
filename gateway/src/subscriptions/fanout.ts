import type { FormattedExecutionResult as ExecutionResult } from 'graphql';
import type { Identity, RequestContext } from '../../../lib/auth/identity';
import type { InnerQuery } from './inner-query';
import type { FeedName, MessageFeed } from './message-feed';
import { PushQueue } from './push-queue';
import type { SubscriptionHooks } from './subscription-kind';

/** Runs a query through the gateway itself (supergraph planning, roles, signed subgraph calls). */
export type GatewayExecutor = (
  query: string,
  variables: Record<string, unknown>,
  context: RequestContext,
  operationName?: string | null,
) => Promise<ExecutionResult>;

export interface Subscriber {
  queue: PushQueue<ExecutionResult>;
  query: InnerQuery;
  identity: Identity;
  /**
   * Decides, from the resolved payload, whether this subscriber gets it and in which form (e.g. a
   * filter on the camera's site, which the envelope does not carry). Undefined: deliver as is.
   */
  shape?: (payload: Record<string, unknown>) => Record<string, unknown> | undefined;
}

const STALE_READ_ATTEMPTS = 3;
const isStale = (result: ExecutionResult): boolean => (result.errors ?? []).some((e) => e.extensions?.code === 'STALE_READ');

const unavailable = (error: unknown): ExecutionResult => ({
  errors: [{ message: `could not resolve the payload: ${(error as Error).message}`, extensions: { code: 'UNAVAILABLE' } }],
});

/**
 * Delivers one message to many subscribers: the payload query runs once per distinct selection
 * (and role), not once per subscriber, concurrently across messages, while every subscriber still
 * receives payloads in message order.
 */
export class Fanout {
  private readonly subscribers = new Set<Subscriber>();
  private tail: Promise<void> = Promise.resolve();
  private hold: { bound: Promise<void>; release: () => void } | undefined;
  private readonly onPush: (kept: boolean) => void;

  constructor(
    private readonly field: string,
    private readonly executor: GatewayExecutor,
    private readonly feed: MessageFeed,
    private readonly feedName: FeedName,
    private readonly hooks: SubscriptionHooks,
    private readonly queueMax: number,
  ) {
    this.onPush = (kept) => hooks.onPush(field, kept);
  }

  get size(): number {
    return this.subscribers.size;
  }

  /**
   * Opens a subscriber's queue; the feed is retained while anyone listens. Closing the queue
   * (complete, disconnect) removes the subscriber and, for the last one, releases the feed.
   */
  async open(parts: Omit<Subscriber, 'queue'>): Promise<Subscriber> {
    const subscriber: Subscriber = {
      ...parts,
      queue: new PushQueue<ExecutionResult>(this.queueMax, () => {
        this.subscribers.delete(subscriber);
        this.hooks.onOpen(this.field, -1);
        if (this.subscribers.size === 0) {
          this.hold?.release();
          this.hold = undefined;
        }
      }),
    };
    this.subscribers.add(subscriber);
    this.hooks.onOpen(this.field, 1);
    this.hold ??= this.feed.retain(this.feedName);
    // Subscribed means "will see every event from now on": wait until the broker binding exists.
    await this.hold.bound;
    return subscriber;
  }

  /** Resolves once the payload is queued for every matching subscriber. */
  publish(match: (subscriber: Subscriber) => boolean, variables: Record<string, unknown>, correlationId: string): Promise<void> {
    const groups = new Map<string, Subscriber[]>();
    for (const subscriber of this.subscribers) {
      if (!match(subscriber)) continue;
      const key = `${subscriber.identity.role}\u0000${subscriber.query.key}`;
      const group = groups.get(key);
      if (group) group.push(subscriber);
      else groups.set(key, [subscriber]);
    }
    if (groups.size === 0) return this.tail;
    const results = Promise.all(
      [...groups.values()].map(async (group) => {
        const [first] = group as [Subscriber, ...Subscriber[]];
        const run = () => this.executor(first.query.text, { ...first.query.variables, ...variables }, { identity: first.identity, correlationId }).catch(unavailable);
        let result = await run();
        // The read model is further behind than one bounded wait: wait again rather than push an error.
        for (let attempt = 1; attempt < STALE_READ_ATTEMPTS && isStale(result); attempt++) result = await run();
        return { group, result };
      }),
    );
    const delivered = this.tail.then(async () => {
      for (const { group, result } of await results) for (const subscriber of group) this.deliver(subscriber, result);
    });
    this.tail = delivered.catch(() => undefined);
    return delivered;
  }

  private deliver(subscriber: Subscriber, result: ExecutionResult): void {
    if (subscriber.queue.isClosed) return;
    const key = subscriber.query.responseKey;
    const payload = result.data?.[key];
    if (payload === null || payload === undefined) {
      // Nothing to show and nothing to explain: the entity is gone or hidden, skip it.
      if (!result.errors?.length) return;
      this.onPush(subscriber.queue.push({ data: null, errors: result.errors }));
      return;
    }
    const shaped = subscriber.shape ? subscriber.shape(payload as Record<string, unknown>) : (payload as Record<string, unknown>);
    if (!shaped) return;
    this.onPush(subscriber.queue.push({ data: { [key]: shaped }, ...(result.errors?.length ? { errors: result.errors } : {}) }));
  }
}
