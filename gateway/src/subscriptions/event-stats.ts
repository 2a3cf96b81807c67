import type { FormattedExecutionResult as ExecutionResult } from 'graphql';
import type { Identity, RequestContext } from '../../../lib/auth/identity';
import { AppError } from '../../../lib/errors/app-error';
import type { WireEnvelope } from '../../../lib/events/envelope';
import type { GatewayExecutor } from '../context/gateway-executor';
import { buildInnerQuery, innerVariable, type InnerQuery, type SubscriptionRequest } from './inner-query';
import type { FeedMessage, MessageFeed } from './message-feed';
import { PushQueue } from './push-queue';
import type { SubscriptionHooks, SubscriptionKind } from './subscription-kind';

const FIELD = 'eventStatsUpdated';
const MIN_INTERVAL_MS = 1000;
const TICK_MS = 100;

interface StatsGroup {
  query: InnerQuery;
  identity: Identity;
  filter: unknown;
  interval: unknown;
  queues: Set<PushQueue<ExecutionResult>>;
  /** The last pushed answer, serialized: pushes happen only when it changes. */
  last: string | undefined;
  lastResult: ExecutionResult | undefined;
  dirty: boolean;
  lastRunAt: number;
  running: boolean;
}

/**
 * `eventStatsUpdated(filter, interval)`: subscribers asking the same (filter, interval, selection)
 * share one group; a group recomputes through the gateway at most once a second, only after new
 * events arrived, and pushes only when the answer changed. A new subscriber first gets the current
 * answer.
 *
 * Each group is one eventStats on Elasticsearch per second while events arrive, whoever asked: the
 * number of groups is capped (`maxGroups`), so that varied filters cannot saturate Elasticsearch.
 * Joining an existing group is always possible; starting one more is refused with LIMIT_EXCEEDED.
 */
export class EventStatsSubscriptions implements SubscriptionKind {
  private readonly groups = new Map<string, StatsGroup>();
  private timer: NodeJS.Timeout | undefined;
  private hold: { bound: Promise<void>; release: () => void } | undefined;
  private headPosition: string | undefined;

  constructor(
    private readonly executor: GatewayExecutor,
    private readonly feed: MessageFeed,
    private readonly hooks: SubscriptionHooks,
    private readonly queueMax: number,
    private readonly now: () => number = () => Date.now(),
    private readonly maxGroups = Number.POSITIVE_INFINITY,
  ) {}

  async subscribe(request: SubscriptionRequest, context: RequestContext): Promise<AsyncIterableIterator<ExecutionResult>> {
    const query = buildInnerQuery(request, {
      field: 'eventStats',
      arguments: { filter: 'EventFilter', interval: 'Interval!', minPosition: 'String' },
    });
    const filter = request.arguments.filter ?? null;
    const interval = request.arguments.interval;
    const key = JSON.stringify([context.identity.role, query.key, filter, interval]);
    let group = this.groups.get(key);
    if (!group) {
      if (this.groups.size >= this.maxGroups) {
        throw new AppError(
          'LIMIT_EXCEEDED',
          `too many distinct eventStatsUpdated subscriptions on this gateway (at most ${this.maxGroups}): subscribe with a filter already in use, or retry later`,
          {
            maxGroups: this.maxGroups,
          },
        );
      }
      group = {
        query,
        identity: context.identity,
        filter,
        interval,
        queues: new Set(),
        last: undefined,
        lastResult: undefined,
        dirty: true,
        lastRunAt: 0,
        running: false,
      };
      this.groups.set(key, group);
    }
    const owner = group;
    const queue = new PushQueue<ExecutionResult>(this.queueMax, () => {
      owner.queues.delete(queue);
      this.hooks.onOpen(FIELD, -1);
      if (owner.queues.size === 0) this.groups.delete(key);
      if (this.groups.size === 0) this.stop();
    });
    group.queues.add(queue);
    if (group.lastResult) this.hooks.onPush(FIELD, 1, queue.push(group.lastResult) ? 0 : 1);
    this.hooks.onOpen(FIELD, 1);
    this.hold ??= this.feed.retain('events');
    this.timer ??= setInterval(() => void this.tick(), TICK_MS);
    await this.hold.bound;
    return queue;
  }

  async handle(message: FeedMessage): Promise<void> {
    const envelope = message.body as WireEnvelope;
    if (typeof envelope.position === 'string' || typeof envelope.position === 'number') {
      const position = String(envelope.position);
      if (this.headPosition === undefined || BigInt(position) > BigInt(this.headPosition)) this.headPosition = position;
    }
    for (const group of this.groups.values()) group.dirty = true;
  }

  /** Runs every due group once; exposed so tests can drive time. */
  tick(): Promise<void> {
    const now = this.now();
    const due = [...this.groups.values()].filter((g) => g.dirty && !g.running && now - g.lastRunAt >= MIN_INTERVAL_MS);
    return Promise.all(due.map((group) => this.recompute(group, now))).then(() => undefined);
  }

  private async recompute(group: StatsGroup, now: number): Promise<void> {
    group.running = true;
    group.dirty = false;
    group.lastRunAt = now;
    try {
      const result = await this.executor(
        group.query.text,
        {
          ...group.query.variables,
          [innerVariable('filter')]: group.filter,
          [innerVariable('interval')]: group.interval,
          [innerVariable('minPosition')]: this.headPosition ?? null,
        },
        { identity: group.identity, correlationId: 'event-stats' },
      );
      const payload = result.data?.[group.query.responseKey];
      if (payload === null || payload === undefined) {
        // Try again on the next tick rather than push an error every second.
        group.dirty = true;
        return;
      }
      const serialized = JSON.stringify(payload);
      if (serialized === group.last) return;
      group.last = serialized;
      group.lastResult = { data: { [group.query.responseKey]: payload } };
      let dropped = 0;
      for (const queue of group.queues) if (!queue.push(group.lastResult)) dropped += 1;
      this.hooks.onPush(FIELD, group.queues.size, dropped);
    } catch {
      group.dirty = true;
    } finally {
      group.running = false;
    }
  }

  private stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    this.hold?.release();
    this.hold = undefined;
  }

  close(): void {
    this.stop();
  }
}
