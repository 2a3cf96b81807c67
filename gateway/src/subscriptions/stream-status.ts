import type { FormattedExecutionResult as ExecutionResult } from 'graphql';
import type { RequestContext } from '../../../lib/auth/identity';
import type { StreamStatusMessage } from '../../../lib/events/stream-status';
import { Fanout, type GatewayExecutor, type Subscriber } from './fanout';
import { buildInnerQuery, innerVariable, type SubscriptionRequest } from './inner-query';
import type { FeedMessage, MessageFeed } from './message-feed';
import { PushQueue } from './push-queue';
import type { SubscriptionHooks, SubscriptionKind } from './subscription-kind';

const FIELD = 'streamStatusChanged';

/**
 * `streamStatusChanged(cameraId)`: each status message from the media subgraph becomes the
 * federated StreamSession, resolved as `streamSession(id)` with the subscriber's selection.
 */
export class StreamStatusSubscriptions implements SubscriptionKind {
  private readonly fanout: Fanout;
  private readonly cameras = new WeakMap<Subscriber, string | null>();
  private release: (() => void) | undefined;

  constructor(
    executor: GatewayExecutor,
    private readonly feed: MessageFeed,
    private readonly hooks: SubscriptionHooks,
    private readonly queueMax: number,
  ) {
    this.fanout = new Fanout(executor, (dropped) => hooks.onPush(FIELD, dropped));
  }

  subscribe(request: SubscriptionRequest, context: RequestContext): AsyncIterableIterator<ExecutionResult> {
    const cameraId = typeof request.arguments.cameraId === 'string' ? request.arguments.cameraId : null;
    const query = buildInnerQuery(request, { field: 'streamSession', arguments: { id: 'ID!' } });
    let remove: () => void = () => undefined;
    const queue = new PushQueue<ExecutionResult>(this.queueMax, () => {
      remove();
      this.hooks.onOpen(FIELD, -1);
      if (this.fanout.size === 0) {
        this.release?.();
        this.release = undefined;
      }
    });
    const subscriber: Subscriber = { queue, query, identity: context.identity };
    this.cameras.set(subscriber, cameraId);
    remove = this.fanout.add(subscriber);
    this.hooks.onOpen(FIELD, 1);
    this.release ??= this.feed.retain('streams');
    return queue;
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
