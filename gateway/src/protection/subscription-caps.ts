export interface SubscriptionLimits {
  perConnection: number;
  perIdentity: number;
}

/** Why a subscription was not admitted: which cap, and its value. */
export interface CapRefusal {
  scope: 'connection' | 'identity';
  max: number;
}

/**
 * The active subscriptions of one graphql-ws connection, each held under a token unique to its
 * subscribe message (graphql-ws hands the same payload object to onSubscribe and onComplete). An
 * operation id would not do: a client may complete an id and subscribe again under it before the
 * first has finished, and releasing by id would then free the new one's place.
 */
export class ConnectionSubscriptions {
  private readonly held = new Set<object>();

  constructor(
    private readonly caps: SubscriptionCaps,
    readonly subject: string,
  ) {}

  get size(): number {
    return this.held.size;
  }

  /** Takes a place for one more subscription, or says which cap refuses it. */
  admit(token: object): CapRefusal | undefined {
    if (this.held.has(token)) return undefined;
    const refusal = this.caps.take(this.subject, this.held.size);
    if (!refusal) this.held.add(token);
    return refusal;
  }

  /** Frees a subscription's place; a token never admitted (or already freed) changes nothing. */
  release(token: object): void {
    if (this.held.delete(token)) this.caps.give(this.subject, 1);
  }

  /** The connection closed: frees every place it still held. */
  releaseAll(): void {
    this.caps.give(this.subject, this.held.size);
    this.held.clear();
  }
}

/**
 * Caps on active graphql-ws subscriptions, per connection and per identity across connections (in
 * this gateway process): one client cannot hold any number of them, whatever its request rate.
 */
export class SubscriptionCaps {
  private readonly byIdentity = new Map<string, number>();

  constructor(private readonly limits: SubscriptionLimits) {}

  connection(subject: string): ConnectionSubscriptions {
    return new ConnectionSubscriptions(this, subject);
  }

  /** Active subscriptions of an identity. */
  countOf(subject: string): number {
    return this.byIdentity.get(subject) ?? 0;
  }

  /** @internal ConnectionSubscriptions' side: counts one more for `subject` unless a cap refuses. */
  take(subject: string, onConnection: number): CapRefusal | undefined {
    if (onConnection >= this.limits.perConnection) return { scope: 'connection', max: this.limits.perConnection };
    const count = this.countOf(subject);
    if (count >= this.limits.perIdentity) return { scope: 'identity', max: this.limits.perIdentity };
    this.byIdentity.set(subject, count + 1);
    return undefined;
  }

  /** @internal */
  give(subject: string, count: number): void {
    if (count <= 0) return;
    const left = this.countOf(subject) - count;
    // Identities without a subscription are forgotten: memory follows the active ones.
    if (left > 0) this.byIdentity.set(subject, left);
    else this.byIdentity.delete(subject);
  }
}
