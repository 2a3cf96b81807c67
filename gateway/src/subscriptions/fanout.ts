import type { FormattedExecutionResult as ExecutionResult } from 'graphql';
import type { Identity } from '../../../lib/auth/identity';
import type { GatewayExecutor } from '../context/gateway-executor';
import { batchQueryText, batchVariable, splitBatchResult, type BatchTarget } from './batch-query';
import { FrameOutbox, FrameWriter, type SubscriptionChannel } from './frame-writer';
import type { InnerQuery } from './inner-query';
import type { FeedName, MessageFeed } from './message-feed';
import type { LookupCache, Ticket } from './lookup-cache';
import { PushQueue } from './push-queue';
import type { SubscriptionHooks } from './subscription-kind';

export interface Subscriber {
  /** What graphql-ws iterates; closing it (complete, disconnect) ends the subscription. */
  queue: PushQueue<ExecutionResult>;
  /** Set when the gateway writes this subscription's frames itself (eventRecorded over graphql-ws). */
  frames?: FrameWriter;
  query: InnerQuery;
  identity: Identity;
  /**
   * A field asked alongside the client's selection for the gateway's own use (e.g. the camera's
   * site, which the envelope does not carry); removed before delivery. Part of `query.key`, so
   * every subscriber of a group has the same.
   */
  probe?: string;
  /** Decides from the resolved payload (probe included) whether this subscriber gets it. */
  accepts?: (payload: Record<string, unknown>) => boolean;
  /**
   * Answers from the message itself, without a query (publishLocal): set only where that answer is
   * the one the query would give. Part of the selection, so the same for a whole group.
   */
  answer?: (message: never) => ExecutionResult;
  /**
   * Resolves most of the payload from the message and only the rest by a smaller query (e.g. the
   * event's camera): set only where the composed answer is the one `query` gives. Part of the
   * selection, so the same for a whole group.
   */
  lookup?: Lookup;
}

/**
 * A payload built from its message plus one looked-up value: per batch, one query of `target`
 * resolves each distinct `valuesOf(message)` once (e.g. each camera of the batch's events).
 */
export interface Lookup {
  /** Resolves one looked-up value; its response key holds the value `compose` takes. */
  query: InnerQuery;
  target: BatchTarget;
  /** The lookup's per-item argument values for a message, e.g. `{ id: cameraId }`. */
  valuesOf: (message: never) => Record<string, unknown>;
  compose: (message: never, value: unknown) => ExecutionResult;
  /**
   * Set where a looked-up answer can be kept between batches (Fanout's LookupCache): the item the
   * values name (e.g. the camera id), whose changes the cache is told of.
   */
  itemOf?: (values: Record<string, unknown>) => string;
}

export interface OpenOptions extends Omit<Subscriber, 'queue' | 'frames'> {
  channel?: SubscriptionChannel;
}

/** One item of a batch: which subscribers want it and the variables that resolve it. */
export interface BatchItem {
  match: (subscriber: Subscriber) => boolean;
  /** Per-item argument values, by argument name (e.g. `{ id }`). */
  values: Record<string, unknown>;
  /** The message itself, for groups that compose their payload from it (Subscriber.lookup). */
  message?: unknown;
}

/** A batch being resolved (`answered`: its queries are done) and delivered (`delivered`). */
export interface PublishedBatch {
  answered: Promise<void>;
  delivered: Promise<void>;
}

const STALE_READ_ATTEMPTS = 3;
/**
 * Frames written in one turn of the event loop at most (about 10 ms of work): a batch of 60
 * events to 1,000 subscribers written in one go held the loop for 60 ms and more, and the answer of
 * the next payload query waited behind it (bench/gateway/README.md, "Where a payload's time goes").
 */
const FRAMES_PER_TURN = 10_000;
const nextTurn = () => new Promise<void>((resolve) => setImmediate(resolve));
const isStale = (result: ExecutionResult): boolean => (result.errors ?? []).some((e) => e.extensions?.code === 'STALE_READ');

const unavailable = (error: unknown): ExecutionResult => ({
  errors: [{ message: `could not resolve the payload: ${(error as Error).message}`, extensions: { code: 'UNAVAILABLE' } }],
});

const groupKey = (subscriber: Pick<Subscriber, 'identity' | 'query'>): string => `${subscriber.identity.role}\u0000${subscriber.query.key}`;

/**
 * Delivers messages to many subscribers: the payload query runs once per distinct selection (and
 * role), not once per subscriber, concurrently across messages, while every subscriber still
 * receives payloads in message order. A payload is serialized once per selection; subscribers with
 * a FrameWriter get it written as is, all frames of a delivery round to one connection in one write.
 */
export class Fanout {
  private readonly subscribers = new Set<Subscriber>();
  /** The subscribers by selection (and role), kept as they come and go: matching never rebuilds keys. */
  private readonly groups = new Map<string, Set<Subscriber>>();
  private tail: Promise<void> = Promise.resolve();
  private hold: { bound: Promise<void>; release: () => void } | undefined;

  constructor(
    private readonly field: string,
    private readonly executor: GatewayExecutor,
    private readonly feed: MessageFeed,
    private readonly feedName: FeedName,
    private readonly hooks: SubscriptionHooks,
    private readonly queueMax: number,
    private readonly lookupCache?: LookupCache,
  ) {}

  get size(): number {
    return this.subscribers.size;
  }

  /**
   * Opens a subscriber's queue; the feed is retained while anyone listens. Closing the queue
   * (complete, disconnect) removes the subscriber and, for the last one, releases the feed.
   */
  async open({ channel, ...parts }: OpenOptions): Promise<Subscriber> {
    const key = groupKey(parts);
    const subscriber: Subscriber = {
      ...parts,
      queue: new PushQueue<ExecutionResult>(this.queueMax, () => {
        this.subscribers.delete(subscriber);
        const members = this.groups.get(key);
        members?.delete(subscriber);
        if (members?.size === 0) this.groups.delete(key);
        this.hooks.onOpen(this.field, -1);
        if (this.subscribers.size === 0) {
          this.hold?.release();
          this.hold = undefined;
          // Unbound, the feed brings no camera events: kept answers could go stale unseen.
          this.lookupCache?.clear();
        }
      }),
    };
    if (channel) subscriber.frames = new FrameWriter(channel, () => subscriber.queue.isClosed);
    this.subscribers.add(subscriber);
    const members = this.groups.get(key);
    if (members) members.add(subscriber);
    else this.groups.set(key, new Set([subscriber]));
    this.hooks.onOpen(this.field, 1);
    this.hold ??= this.feed.retain(this.feedName);
    // Subscribed means "will see every event from now on": wait until the broker binding exists.
    await this.hold.bound;
    return subscriber;
  }

  /**
   * Delivers right away to the groups that answer from the message itself (`answer`); the others
   * are left to publish/publishBatch, which skip these groups. A subscriber is in one kind of group
   * only, so each still receives its payloads in message order.
   */
  publishLocal<M>(match: (subscriber: Subscriber) => boolean, message: M): void {
    const groups = this.groupsOf((subscriber) => subscriber.answer !== undefined && match(subscriber));
    if (groups.size === 0) return;
    const outbox = new FrameOutbox();
    for (const members of groups.values()) {
      const answer = members[0]?.answer as ((message: M) => ExecutionResult) | undefined;
      if (answer) this.deliver(members, answer(message), outbox);
    }
    outbox.flush();
  }

  /** Resolves once the payload is queued for every matching subscriber. */
  publish(match: (subscriber: Subscriber) => boolean, variables: Record<string, unknown>, correlationId: string): Promise<void> {
    const groups = this.groupsOf((subscriber) => subscriber.answer === undefined && match(subscriber));
    if (groups.size === 0) return this.tail;
    const results = Promise.all(
      [...groups.values()].map(async (group) => {
        const [first] = group as [Subscriber, ...Subscriber[]];
        const result = await this.resolve(first.query.text, { ...first.query.variables, ...variables }, first.identity, correlationId);
        return { group, result };
      }),
    );
    return this.chain(async () => {
      const outbox = new FrameOutbox();
      for (const { group, result } of await results) this.deliver(group, result, outbox);
      outbox.flush();
    });
  }

  /**
   * Resolves and delivers many messages at once: per distinct selection, ONE query resolves every
   * item some subscriber of that selection wants (batchQueryText), with `shared` argument values
   * common to the batch. `answered` settles once every query of the batch answered, `delivered` once
   * every payload is queued or written, in item order (after every earlier batch's).
   */
  publishBatch(items: readonly BatchItem[], shared: Record<string, unknown>, target: BatchTarget, correlationId: string): PublishedBatch {
    // group key -> subscribers of that group wanting each item (by item index)
    const groups = new Map<string, { first: Subscriber; wanted: Map<number, Subscriber[]> }>();
    items.forEach((item, index) => {
      for (const [key, members] of this.groupsOf((subscriber) => subscriber.answer === undefined && item.match(subscriber))) {
        const group = groups.get(key) ?? { first: members[0] as Subscriber, wanted: new Map<number, Subscriber[]>() };
        group.wanted.set(index, members);
        groups.set(key, group);
      }
    });
    if (groups.size === 0) return { answered: Promise.resolve(), delivered: this.tail };
    const sent = performance.now();
    let answeredAt = sent;
    const resolved = Promise.all(
      [...groups.values()].map(async ({ first, wanted }) => {
        const indexes = [...wanted.keys()];
        const wantedItems = indexes.map((i) => items[i] as BatchItem);
        const results = first.lookup
          ? await this.resolveByLookup(first, first.lookup, wantedItems, shared, target, correlationId)
          : await this.resolveBatch(
              first.query,
              first.identity,
              wantedItems.map((item) => item.values),
              shared,
              target,
              correlationId,
            );
        return indexes.map((index, n) => ({ index, group: wanted.get(index) as Subscriber[], result: results[n] as ExecutionResult }));
      }),
    ).then((all) => {
      // When the last selection's query answered (one selection in the common case).
      answeredAt = performance.now();
      this.hooks.onStage?.(this.field, 'query', (answeredAt - sent) / 1000, items.length);
      return all;
    });
    const delivered = this.chain(async () => {
      const deliveries = (await resolved).flat().sort((a, b) => a.index - b.index);
      const outbox = new FrameOutbox();
      let frames = 0;
      for (const { group, result } of deliveries) {
        frames += this.deliver(group, result, outbox);
        if (frames < FRAMES_PER_TURN) continue;
        // A large batch leaves in slices, each its own turn of the event loop: the answers of the
        // next payload queries and the broker's messages are not held behind all of it.
        outbox.flush();
        frames = 0;
        await nextTurn();
      }
      outbox.flush();
      this.hooks.onStage?.(this.field, 'delivery', (performance.now() - answeredAt) / 1000, items.length);
    });
    return { answered: resolved.then(() => undefined), delivered };
  }

  private groupsOf(match: (subscriber: Subscriber) => boolean): Map<string, Subscriber[]> {
    const groups = new Map<string, Subscriber[]>();
    for (const [key, members] of this.groups) {
      const matching: Subscriber[] = [];
      for (const subscriber of members) if (match(subscriber)) matching.push(subscriber);
      if (matching.length > 0) groups.set(key, matching);
    }
    return groups;
  }

  /** Delivers in call order whatever order the queries finish in. */
  private chain(step: () => Promise<void>): Promise<void> {
    const delivered = this.tail.then(step);
    this.tail = delivered.catch(() => undefined);
    return delivered;
  }

  private async resolve(text: string, variables: Record<string, unknown>, identity: Identity, correlationId: string): Promise<ExecutionResult> {
    const run = () => this.executor(text, variables, { identity, correlationId }).catch(unavailable);
    let result = await run();
    // The read model is further behind than one bounded wait: wait again rather than push an error.
    for (let attempt = 1; attempt < STALE_READ_ATTEMPTS && isStale(result); attempt++) result = await run();
    return result;
  }

  /**
   * Composes each item's payload from its message and its looked-up value, each distinct value
   * looked up once for the batch; an item whose lookup found nothing or failed is resolved by the
   * group's full query instead, so it gets exactly the answer (or error) that query gives.
   */
  private async resolveByLookup(
    first: Subscriber,
    lookup: Lookup,
    items: readonly BatchItem[],
    shared: Record<string, unknown>,
    target: BatchTarget,
    correlationId: string,
  ): Promise<ExecutionResult[]> {
    const slots = new Map<string, number>();
    const distinct: Array<Record<string, unknown>> = [];
    const slotOf = items.map((item) => {
      if (item.message === undefined) return -1;
      const values = lookup.valuesOf(item.message as never);
      const key = JSON.stringify(values);
      let slot = slots.get(key);
      if (slot === undefined) {
        slot = distinct.length;
        slots.set(key, slot);
        distinct.push(values);
      }
      return slot;
    });
    // Answers kept from earlier batches are used as they are; only the others are read.
    const cache = lookup.itemOf ? this.lookupCache : undefined;
    const group = groupKey(first);
    const itemOf = (slot: number) => (lookup.itemOf as (values: Record<string, unknown>) => string)(distinct[slot] as Record<string, unknown>);
    const values: unknown[] = distinct.map((_, slot) => cache?.get(group, itemOf(slot)));
    const toRead = distinct.flatMap((_, slot) => (values[slot] === undefined ? [slot] : []));
    const tickets = cache ? toRead.map((slot) => cache.ticket(itemOf(slot))) : [];
    const found =
      toRead.length > 0
        ? await this.resolveBatch(
            lookup.query,
            first.identity,
            toRead.map((slot) => distinct[slot] as Record<string, unknown>),
            shared,
            lookup.target,
            correlationId,
          )
        : [];
    toRead.forEach((slot, n) => {
      const result = found[n];
      const value = result && !result.errors?.length ? result.data?.[lookup.query.responseKey] : undefined;
      values[slot] = value;
      if (cache && value !== null && value !== undefined) cache.set(group, itemOf(slot), tickets[n] as Ticket, value);
    });
    const answers = items.map((item, i): ExecutionResult | undefined => {
      const value = values[slotOf[i] as number];
      return value === null || value === undefined ? undefined : lookup.compose(item.message as never, value);
    });
    const rest = answers.flatMap((answer, i) => (answer ? [] : [i]));
    if (rest.length > 0) {
      const full = await this.resolveBatch(
        first.query,
        first.identity,
        rest.map((i) => (items[i] as BatchItem).values),
        shared,
        target,
        correlationId,
      );
      rest.forEach((i, n) => (answers[i] = full[n]));
    }
    return answers as ExecutionResult[];
  }

  private async resolveBatch(
    query: InnerQuery,
    identity: Identity,
    values: ReadonlyArray<Record<string, unknown>>,
    shared: Record<string, unknown>,
    target: BatchTarget,
    correlationId: string,
  ): Promise<ExecutionResult[]> {
    const answers: Array<ExecutionResult | undefined> = values.map(() => undefined);
    let pending = values.map((_, i) => i);
    for (let attempt = 0; attempt < STALE_READ_ATTEMPTS && pending.length > 0; attempt++) {
      const variables: Record<string, unknown> = { ...query.variables };
      for (const [argument, value] of Object.entries(shared)) variables[`sightline${argument[0]?.toUpperCase() ?? ''}${argument.slice(1)}`] = value;
      pending.forEach((item, n) => {
        for (const [argument, value] of Object.entries(values[item] ?? {})) variables[batchVariable(argument, n)] = value;
      });
      const text = batchQueryText(query, pending.length, target);
      const result = await this.executor(text, variables, { identity, correlationId }).catch(unavailable);
      const split = splitBatchResult(result, pending.length, query.responseKey);
      // Only the items the read model had not reached yet are asked again.
      const stale: number[] = [];
      pending.forEach((item, n) => {
        const answer = split[n] as ExecutionResult;
        answers[item] = answer;
        if (isStale(answer)) stale.push(item);
      });
      pending = stale;
    }
    return answers as ExecutionResult[];
  }

  /** Delivers one result to a group that shares its selection: shaped and serialized once. Returns how many got it. */
  private deliver(group: readonly Subscriber[], result: ExecutionResult, outbox: FrameOutbox): number {
    const [first] = group;
    if (!first) return 0;
    const key = first.query.responseKey;
    const payload = result.data?.[key] as Record<string, unknown> | null | undefined;
    let visible: ExecutionResult;
    if (payload === null || payload === undefined) {
      // Nothing to show and nothing to explain: the entity is gone or hidden, skip it.
      if (!result.errors?.length) return 0;
      visible = { data: null, errors: result.errors };
    } else {
      let shown = payload;
      if (first.probe !== undefined) {
        const { [first.probe]: _probe, ...rest } = payload;
        shown = rest;
      }
      visible = { data: { [key]: shown }, ...(result.errors?.length ? { errors: result.errors } : {}) };
    }
    let serialized: Buffer | undefined;
    let pushed = 0;
    let dropped = 0;
    for (const subscriber of group) {
      if (subscriber.queue.isClosed) continue;
      if (payload && subscriber.accepts && !subscriber.accepts(payload)) continue;
      let kept: boolean;
      if (subscriber.frames) {
        serialized ??= Buffer.from(JSON.stringify(visible));
        kept = outbox.add(subscriber.frames, serialized);
      } else {
        kept = subscriber.queue.push(visible);
      }
      pushed += 1;
      if (!kept) dropped += 1;
    }
    if (pushed > 0) this.hooks.onPush(this.field, pushed, dropped);
    return pushed;
  }
}
