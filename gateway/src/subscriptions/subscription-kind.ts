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
}
