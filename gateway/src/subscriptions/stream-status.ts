import type { FormattedExecutionResult as ExecutionResult } from 'graphql';
import type { RequestContext } from '../../../lib/auth/identity';
import type { StreamStatusMessage } from '../../../lib/events/stream-status';
import type { GatewayExecutor } from '../context/gateway-executor';
import { Fanout, type Subscriber } from './fanout';
import { buildInnerQuery, innerVariable, type SubscriptionRequest } from './inner-query';
import type { FeedMessage, MessageFeed } from './message-feed';
import type { SubscriptionHooks, SubscriptionKind } from './subscription-kind';

const FIELD = 'streamStatusChanged';

/**
 * `streamStatusChanged(cameraId)`: each status message from the media subgraph becomes the
 * federated StreamSession, resolved as `streamSession(id)` with the subscriber's selection.
 */
export class StreamStatusSubscriptions implements SubscriptionKind {
  private readonly fanout: Fanout;
  private readonly cameras = new WeakMap<Subscriber, string | null>();

  constructor(executor: GatewayExecutor, feed: MessageFeed, hooks: SubscriptionHooks, queueMax: number) {
    this.fanout = new Fanout(FIELD, executor, feed, 'streams', hooks, queueMax);
  }

  async subscribe(request: SubscriptionRequest, context: RequestContext): Promise<AsyncIterableIterator<ExecutionResult>> {
    const cameraId = typeof request.arguments.cameraId === 'string' ? request.arguments.cameraId : null;
    const query = buildInnerQuery(request, { field: 'streamSession', arguments: { id: 'ID!' } });
    const subscriber = await this.fanout.open({ query, identity: context.identity });
    this.cameras.set(subscriber, cameraId);
    return subscriber.queue;
  }

  async handle(message: FeedMessage): Promise<void> {
    const status = message.body as StreamStatusMessage;
    if (this.fanout.size === 0 || typeof status.sessionId !== 'string') return;
    await this.fanout.publish(
      (subscriber) => {
        const wanted = this.cameras.get(subscriber);
        return !wanted || wanted === status.cameraId;
      },
      { [innerVariable('id')]: status.sessionId },
      `stream-${status.sessionId}`,
    );
  }
}
