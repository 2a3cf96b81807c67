import type { FormattedExecutionResult as ExecutionResult } from 'graphql';
import type { RequestContext } from '../../../lib/auth/identity';
import type { SubscriptionChannel } from './frame-writer';
import type { SubscriptionRequest } from './inner-query';

/** A subscription's context; `channel` is set over graphql-ws, where the gateway may write frames itself. */
export type SubscriptionContext = RequestContext & { channel?: SubscriptionChannel };

/** One root field of the Subscription type: turns a request into a stream of results. */
export interface SubscriptionKind {
  /** Resolves once the subscription will see every message published from then on. */
  subscribe(request: SubscriptionRequest, context: SubscriptionContext): Promise<AsyncIterableIterator<ExecutionResult>>;
}

export interface SubscriptionHooks {
  /** A subscription opened (+1) or closed (-1). */
  onOpen(field: string, delta: 1 | -1): void;
  /** Payloads queued or written: `pushed` in all, `dropped` of them lost to a slow subscriber's bound. Counted in bulk: fan-out pushes hundreds of thousands a second. */
  onPush(field: string, pushed: number, dropped: number): void;
  /**
   * Where a batched payload's time went, for `events` payloads at once: `batching` (message
   * received -> its batch's query sent: the window and the wait for a free slot), `query` (the
   * payload query, read-model wait included), `delivery` (query answered -> frames written, in
   * message order). Optional: only the metrics use it.
   */
  onStage?(field: string, stage: PayloadStage, seconds: number, events: number): void;
}

export type PayloadStage = 'batching' | 'query' | 'delivery';
