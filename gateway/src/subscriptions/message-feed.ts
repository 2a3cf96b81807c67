/** The two broker feeds the gateway turns into subscriptions. */
export type FeedName = 'events' | 'streams';

export interface FeedMessage {
  routingKey: string;
  body: unknown;
}

export type FeedHandler = (message: FeedMessage) => Promise<void>;

/**
 * Where subscription messages come from (RabbitMQ in the gateway, an in-memory fake in unit tests).
 * A feed is bound only while retained: no subscriber, no traffic.
 */
export interface MessageFeed {
  /** Registers the one handler of a feed; the feed acknowledges a message once it resolves. */
  on(feed: FeedName, handler: FeedHandler): void;
  /**
   * Starts the feed if it is not running. `bound` resolves once messages published from now on
   * will arrive (the broker binding exists); `release` gives this hold back.
   */
  retain(feed: FeedName): { bound: Promise<void>; release: () => void };
  /** Bumped by every (re)connection: messages published between two may never arrive. */
  readonly epoch?: number;
}
