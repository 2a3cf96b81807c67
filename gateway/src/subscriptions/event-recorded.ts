import type { FormattedExecutionResult as ExecutionResult } from 'graphql';
import type { EventRecorded } from '../../../lib/events/domain-events';
import type { WireEnvelope } from '../../../lib/events/envelope';
import type { BatchTarget } from './batch-query';
import { cameraLookupFor } from './camera-lookup';
import { envelopeAnswerFor } from './envelope-answer';
import { matchesRecordedEvent, needsSite, siteMatches, type EventFilter } from './event-filter';
import type { GatewayExecutor } from '../context/gateway-executor';
import { Fanout, type BatchItem, type Subscriber } from './fanout';
import { buildInnerQuery, type SubscriptionRequest } from './inner-query';
import { LookupCache } from './lookup-cache';
import type { FeedMessage, MessageFeed } from './message-feed';
import { MicroBatcher, type BatchWork } from './micro-batch';
import type { SubscriptionContext, SubscriptionHooks, SubscriptionKind } from './subscription-kind';

const FIELD = 'eventRecorded';
// Asked alongside the client's selection only when its filter names sites, then removed.
const SITE_PROBE = 'sightlineSiteProbe';
const TARGET: BatchTarget = { field: 'event', perItem: { id: 'ID!' }, shared: { minPosition: 'String' } };

export interface BatchOptions {
  /** How long the first event of a batch waits for others (ms). */
  windowMs: number;
  /** Events resolved by one query at most. */
  max: number;
  /** Batches being resolved at once; more events wait and make the next batch larger. */
  maxInFlight?: number;
}

export const DEFAULT_BATCH: BatchOptions = { windowMs: 10, max: 100, maxInFlight: 2 };

interface Recorded {
  envelope: WireEnvelope;
  data: EventRecorded['data'];
  /** performance.now() when the message was handed to this subscription kind. */
  receivedAt: number;
}

/**
 * `eventRecorded(filter)`: each EventRecorded envelope from the events exchange becomes the
 * federated Event entity, resolved through the gateway with the subscriber's selection as
 * `event(id, minPosition)`. The read model may lag the exchange; `minPosition` makes the query
 * subgraph answer only once its projection has reached the event, so the payload is never an
 * older state or a NOT_FOUND.
 *
 * Envelopes arriving within a few milliseconds are resolved together: ONE query per distinct
 * selection resolves every event of the batch (aliases), with `minPosition` the batch's highest
 * position, which covers every event of it (positions are global and the projection applies them
 * in order), then each payload is serialized once and written to every subscriber of that selection.
 * A selection made only of immutable Event fields is answered from the envelope at once
 * (envelope-answer.ts): the same answer, without the read-model wait. One of immutable fields plus
 * `camera { … }` is built from the envelope and one `camera(id, minPosition)` read per camera of the
 * batch (camera-lookup.ts), instead of reading every event and then its camera; a camera read is
 * kept for later batches until that camera's next event (lookup-cache.ts).
 */
export class EventRecordedSubscriptions implements SubscriptionKind {
  private readonly fanout: Fanout;
  private readonly filters = new WeakMap<Subscriber, EventFilter | null>();
  private readonly batcher: MicroBatcher<Recorded>;
  /** Camera reads of payloads, kept until the camera's next event (lookup-cache.ts). */
  private readonly cameras: LookupCache;

  constructor(
    executor: GatewayExecutor,
    feed: MessageFeed,
    private readonly hooks: SubscriptionHooks,
    queueMax: number,
    batch: BatchOptions = DEFAULT_BATCH,
  ) {
    this.cameras = new LookupCache(() => feed.epoch ?? 0);
    this.fanout = new Fanout(FIELD, executor, feed, 'events', hooks, queueMax, this.cameras);
    this.batcher = new MicroBatcher((items) => this.publish(items), batch.windowMs, batch.max, batch.maxInFlight ?? 2);
  }

  async subscribe(request: SubscriptionRequest, context: SubscriptionContext): Promise<AsyncIterableIterator<ExecutionResult>> {
    const filter = (request.arguments.filter ?? null) as EventFilter | null;
    const withSite = needsSite(filter);
    const query = buildInnerQuery(
      request,
      { field: 'event', arguments: { id: 'ID!', minPosition: 'String' } },
      withSite ? `${SITE_PROBE}: camera { site }` : '',
    );
    // A selection of immutable fields only is answered from the envelope: no wait, no query.
    const answer = withSite || !request.field.selectionSet ? undefined : envelopeAnswerFor(request.field.selectionSet, request.responseKey);
    // Immutable fields and the event's camera: the envelope plus one camera read per batch.
    const lookup = withSite || answer ? undefined : cameraLookupFor(request);
    const subscriber = await this.fanout.open({
      query,
      identity: context.identity,
      ...(answer ? { answer: answer as (message: never) => ExecutionResult } : {}),
      ...(lookup ? { lookup } : {}),
      ...(context.channel ? { channel: context.channel } : {}),
      ...(withSite
        ? {
            probe: SITE_PROBE,
            accepts: (payload: Record<string, unknown>) => siteMatches(filter, (payload[SITE_PROBE] as { site?: string | null } | null)?.site),
          }
        : {}),
    });
    this.filters.set(subscriber, filter);
    return subscriber.queue;
  }

  /** Handles one message of the events feed; resolves once its payloads are queued or written. */
  async handle(message: FeedMessage): Promise<void> {
    const envelope = message.body as WireEnvelope;
    if (message.routingKey.startsWith('camera.')) {
      const cameraId = (envelope.data as { cameraId?: unknown } | undefined)?.cameraId;
      if (typeof cameraId === 'string') this.cameras.changed(cameraId);
      return;
    }
    if (envelope.type !== 'EventRecorded' || this.fanout.size === 0) return;
    const { data } = envelope;
    this.fanout.publishLocal((subscriber) => matchesRecordedEvent(this.filters.get(subscriber), data), envelope);
    await this.batcher.add({ envelope, data, receivedAt: performance.now() });
  }

  private publish(batch: readonly Recorded[]): BatchWork {
    const now = performance.now();
    for (const { receivedAt } of batch) this.hooks.onStage?.(FIELD, 'batching', (now - receivedAt) / 1000, 1);
    let highest: bigint | undefined;
    for (const { envelope } of batch) {
      const raw: unknown = envelope.position;
      if ((typeof raw !== 'string' || !/^\d+$/.test(raw)) && typeof raw !== 'number') continue;
      const position = BigInt(raw);
      if (highest === undefined || position > highest) highest = position;
    }
    const items: BatchItem[] = batch.map(({ envelope, data }) => ({
      match: (subscriber) => matchesRecordedEvent(this.filters.get(subscriber), data),
      values: { id: data.eventId },
      message: envelope,
    }));
    const correlationId = batch.length === 1 ? (batch[0]?.envelope.metadata?.correlationId ?? 'event-feed') : `event-feed-batch-${String(highest)}`;
    const { answered, delivered } = this.fanout.publishBatch(items, { minPosition: highest === undefined ? null : String(highest) }, TARGET, correlationId);
    // The slot is free once the query answered: the next batch's query overlaps this one's delivery.
    return { freed: answered, done: delivered };
  }
}
