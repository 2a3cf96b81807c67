import type { FormattedExecutionResult as ExecutionResult } from 'graphql';
import type { RequestContext } from '../../../lib/auth/identity';
import type { SubscriptionRequest } from './inner-query';

/** One root field of the Subscription type: turns a request into a stream of results. */
export interface SubscriptionKind {
  /** Resolves once the subscription will see every message published from then on. */
  subscribe(request: SubscriptionRequest, context: RequestContext): Promise<AsyncIterableIterator<ExecutionResult>>;
}

export interface SubscriptionHooks {
  /** A subscription opened (+1) or closed (-1). */
  onOpen(field: string, delta: 1 | -1): void;
  /** A payload was queued; `dropped` when that pushed out an older one. */
  onPush(field: string, dropped: boolean): void;
}
