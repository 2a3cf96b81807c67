import type { FeedHandler, FeedName, MessageFeed } from '../../../gateway/src/subscriptions/message-feed';

/** An in-memory MessageFeed: records holds, so tests see binds and unbinds. */
export class FakeFeed implements MessageFeed {
  readonly holds: Record<FeedName, number> = { events: 0, streams: 0 };
  readonly handlers = new Map<FeedName, FeedHandler>();

  on(feed: FeedName, handler: FeedHandler): void {
    this.handlers.set(feed, handler);
  }

  retain(feed: FeedName): { bound: Promise<void>; release: () => void } {
    this.holds[feed] += 1;
    let released = false;
    return {
      bound: Promise.resolve(),
      release: () => {
        if (!released) this.holds[feed] -= 1;
        released = true;
      },
    };
  }
}

export const noHooks = { onOpen: () => undefined, onPush: () => undefined };
