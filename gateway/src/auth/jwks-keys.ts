import { createPublicKey, type KeyObject } from 'node:crypto';
import { JwksClient } from 'jwks-rsa';
import { AppError } from '../../../lib/errors/app-error';

/** One verification key of the identity provider's set. */
export interface PublishedKey {
  kid: string | undefined;
  /** PEM. */
  publicKey: string;
}

export interface JwksKeysOptions {
  /** Reads the whole key set; by default from the JWKS URL, through jwks-rsa's parser. */
  fetchKeys?: () => Promise<PublishedKey[]>;
  /** Least time between two reads of the key set (a token with an unknown `kid` waits for the next one). */
  minRefetchMs?: number;
  /** Age after which the key set is read again (a key withdrawn upstream stops verifying then). */
  maxAgeMs?: number;
  now?: () => number;
}

export const DEFAULT_MIN_REFETCH_MS = 30_000;
export const DEFAULT_KEYS_MAX_AGE_MS = 10 * 60_000;

export function jwksFetcher(jwksUri: string): () => Promise<PublishedKey[]> {
  // jwks-rsa only reads and parses here: caching and rate limiting are JwksKeys' job (see there).
  const client = new JwksClient({ jwksUri, cache: false, rateLimit: false, timeout: 10_000 });
  return async () => (await client.getSigningKeys()).map((key) => ({ kid: key.kid, publicKey: key.getPublicKey() }));
}

const unknownKey = (kid: string | undefined): AppError =>
  new AppError('UNAUTHENTICATED', kid === undefined ? 'token names no signing key' : 'token signed with an unknown key', { reason: 'invalid' });

/**
 * The identity provider's verification keys, read as a whole set and kept.
 *
 * jwks-rsa's own cache remembers keys one `kid` at a time, and its rate limit counts every miss:
 * tokens with made-up `kid`s used up the fetch budget, and then a real user whose `kid` had not been
 * asked for yet (or whose cached key had aged out) was refused until the budget refilled. Here
 * every key of the set is known after one read, a known `kid` never waits for the network, and
 * unknown `kid`s cause at most one read per `minRefetchMs` (concurrent ones share it): a flood of
 * them costs one request to the identity provider per interval and locks nobody out. A key added
 * upstream (rotation) is usable at the next read. A failed read keeps the keys already known.
 */
export class JwksKeys {
  private keys = new Map<string, KeyObject>();
  /** The only key of the set, for tokens without `kid`. */
  private sole: KeyObject | undefined;
  private loadedAt: number | undefined;
  private lastReadAt = Number.NEGATIVE_INFINITY;
  private reading: Promise<void> | undefined;
  private readonly fetchKeys: () => Promise<PublishedKey[]>;
  private readonly minRefetchMs: number;
  private readonly maxAgeMs: number;
  private readonly now: () => number;

  constructor(jwksUri: string, options: JwksKeysOptions = {}) {
    this.fetchKeys = options.fetchKeys ?? jwksFetcher(jwksUri);
    this.minRefetchMs = options.minRefetchMs ?? DEFAULT_MIN_REFETCH_MS;
    this.maxAgeMs = options.maxAgeMs ?? DEFAULT_KEYS_MAX_AGE_MS;
    this.now = options.now ?? Date.now;
  }

  /** The key that verifies a token naming `kid`; refused (UNAUTHENTICATED) when the set has none. */
  async keyFor(kid: string | undefined): Promise<KeyObject> {
    const known = this.lookup(kid);
    if (known) {
      // An old set is refreshed behind the answer: a known key never waits for the network.
      if (this.loadedAt !== undefined && this.now() - this.loadedAt >= this.maxAgeMs) this.read().catch(() => undefined);
      return known;
    }
    await this.read();
    const fresh = this.lookup(kid);
    if (!fresh) throw unknownKey(kid);
    return fresh;
  }

  private lookup(kid: string | undefined): KeyObject | undefined {
    return kid === undefined ? this.sole : this.keys.get(kid);
  }

  /** Reads the set unless it was read less than `minRefetchMs` ago; concurrent callers share one read. */
  private read(): Promise<void> {
    if (this.reading) return this.reading;
    const at = this.now();
    if (at - this.lastReadAt < this.minRefetchMs) return Promise.resolve();
    this.lastReadAt = at;
    const reading = this.fetchKeys().then((published) => {
      const keys = new Map<string, KeyObject>();
      for (const { kid, publicKey } of published) if (kid !== undefined) keys.set(kid, createPublicKey(publicKey));
      this.keys = keys;
      this.sole = published.length === 1 && published[0] ? createPublicKey(published[0].publicKey) : undefined;
      this.loadedAt = at;
    });
    this.reading = reading.finally(() => {
      this.reading = undefined;
    });
    return this.reading;
  }
}
