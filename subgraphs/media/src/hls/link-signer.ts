import { createHmac, timingSafeEqual } from 'node:crypto';

export interface SignedLink {
  exp: number;
  sig: string;
}

/**
 * HLS links that expire: the signature covers the session id and the expiry, so a link opens exactly
 * one session's files until `exp` (unix seconds) and nothing else. Players keep the query on every
 * segment because the served playlist carries it (see playlist-signing).
 */
export class LinkSigner {
  constructor(
    private readonly secret: string,
    private readonly ttlSeconds: number,
    private readonly nowMs: () => number = Date.now,
  ) {}

  sign(sessionId: string): SignedLink {
    const exp = Math.floor(this.nowMs() / 1000) + this.ttlSeconds;
    return { exp, sig: this.mac(sessionId, exp) };
  }

  query(sessionId: string): string {
    const { exp, sig } = this.sign(sessionId);
    return `exp=${exp}&sig=${sig}`;
  }

  /** 'ok', or why the link is refused. */
  verify(sessionId: string, exp: unknown, sig: unknown): 'ok' | 'expired' | 'invalid' {
    if (typeof exp !== 'string' || typeof sig !== 'string' || !/^\d{1,12}$/.test(exp) || !/^[A-Za-z0-9_-]{43}$/.test(sig)) {
      return 'invalid';
    }
    const expected = Buffer.from(this.mac(sessionId, Number(exp)));
    const given = Buffer.from(sig);
    if (expected.length !== given.length || !timingSafeEqual(expected, given)) return 'invalid';
    return Number(exp) * 1000 < this.nowMs() ? 'expired' : 'ok';
  }

  private mac(sessionId: string, exp: number): string {
    return createHmac('sha256', this.secret).update(`hls:${sessionId}:${exp}`).digest('base64url');
  }
}
