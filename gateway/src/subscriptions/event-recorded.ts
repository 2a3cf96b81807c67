import type { FormattedExecutionResult as ExecutionResult } from 'graphql';
import type { RequestContext } from '../../../lib/auth/identity';
import type { EventRecorded } from '../../../lib/events/domain-events';
import type { WireEnvelope } from '../../../lib/events/envelope';
import { matchesRecordedEvent, needsSite, siteMatches, type EventFilter } from './event-filter';
import { Fanout, type GatewayExecutor, type Subscriber } from './fanout';
import { buildInnerQuery, innerVariable, type SubscriptionRequest } from './inner-query';
import type { FeedMessage, MessageFeed } from './message-feed';
import type { SubscriptionHooks, SubscriptionKind } from './subscription-kind';

const FIELD = 'eventRecorded';
// Asked alongside the client's selection only when its filter names sites, then removed.
const SITE_PROBE = 'sightlineSiteProbe';

/**
 * `eventRecorded(filter)`: each EventRecorded envelope from the events exchange becomes the
 * federated Event entity by running the subscriber's selection as
 * `event(id, minPosition: <envelope position>)` through the gateway. The read model may lag the
 * exchange; `minPosition` makes the query subgraph answer only once its projection has reached this
 * very event, so the payload is never an older state or a NOT_FOUND.
 */
export class EventRecordedSubscriptions implements SubscriptionKind {
  private readonly fanout: Fanout;
  private readonly filters = new WeakMap<Subscriber, EventFilter | null>();

  constructor(executor: GatewayExecutor, feed: MessageFeed, hooks: SubscriptionHooks, queueMax: number) {
    this.fanout = new Fanout(FIELD, executor, feed, 'events', hooks, queueMax);
  }

  async subscribe(request: SubscriptionRequest, context: RequestContext): Promise<AsyncIterableIterator<ExecutionResult>> {
    const filter = (request.arguments.filter ?? null) as EventFilter | null;
    const withSite = needsSite(filter);
    const query = buildInnerQuery(
      request,
      { field: 'event', arguments: { id: 'ID!', minPosition: 'String' } },
      withSite ? `${SITE_PROBE}: camera { site }` : '',
    );
    const subscriber = await this.fanout.open({
      query,
      identity: context.identity,
      ...(withSite
        ? {
            shape: (payload) => {
              const { [SITE_PROBE]: probe, ...rest } = payload;
              return siteMatches(filter, (probe as { site?: string | null } | null)?.site) ? rest : undefined;
            },
          }
        : {}),
    });
    this.filters.set(subscriber, filter);
    return subscriber.queue;
  }

  /** Handles one message of the events feed; resolves once its payloads are queued. */
  async handle(message: FeedMessage): Promise<void> {
    const envelope = message.body as WireEnvelope;
    if (envelope.type !== 'EventRecorded' || this.fanout.size === 0) return;
    const data = envelope.data as EventRecorded['data'];
    await this.fanout.publish(
      (subscriber) => matchesRecordedEvent(this.filters.get(subscriber), data),
      { [innerVariable('id')]: data.eventId, [innerVariable('minPosition')]: String(envelope.position) },
      envelope.metadata?.correlationId ?? 'event-feed',
    );
  }
}
