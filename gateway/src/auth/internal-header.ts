import type { Identity } from '../../../lib/auth/identity';
import { INTERNAL_TOKEN_TTL_SECONDS, signInternalIdentityToken } from '../../../lib/auth/internal-token';
import { Lru } from '../../../lib/cache/lru';

/**
 * The signed internal header for an identity, signed once and reused until half its validity has
 * passed (so a reused header always has at least TTL/2 left when a subgraph checks it). Signing per
 * subgraph call was a visible share of the gateway's CPU (bench/gateway profile).
 */
export function internalHeaderCache(secret: string, options: { max?: number; now?: () => number } = {}): (identity: Identity) => string {
  const now = options.now ?? Date.now;
  const reuseMs = (INTERNAL_TOKEN_TTL_SECONDS * 1000) / 2;
  const cache = new Lru<string, { token: string; until: number }>(options.max ?? 10000);
  return (identity) => {
    const key = `${identity.role}\u0000${identity.subject}`;
    const at = now();
    const hit = cache.get(key);
    if (hit && hit.until > at) return hit.token;
    const token = signInternalIdentityToken(secret, identity);
    cache.set(key, { token, until: at + reuseMs });
    return token;
  };
}
