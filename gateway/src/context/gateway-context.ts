import { randomUUID } from 'node:crypto';
import type { RequestContext } from '../../../lib/auth/identity';

/** The identity of the gateway itself: its schema loads of the subgraphs and its own queries (projection lag). */
export const GATEWAY_IDENTITY = { subject: 'sightline-gateway', role: 'viewer' } as const;

/** What every operation through the gateway carries, whichever transport brought it. */
export type GatewayContext = RequestContext & {
  /**
   * Set on the gateway's own operations built from a client operation whose limits were already
   * checked when it was admitted (a graphql-ws subscription, for ONE payload, or a query sent over
   * the socket). A subscription's payload queries resolve many events at once (batch-query.ts):
   * how many is the gateway's business, so they are not held to the per-request cost limit.
   */
  limitsChecked?: boolean;
  /** Set on the gateway's own operations (subscription payloads, ws queries): logged at debug. */
  internal?: boolean;
  /** performance.now() when the request reached the gateway: subgraph calls share answers only from after it. */
  receivedAt?: number;
};

/** The caller's correlation id when it is a sane token (so logs cannot be forged with newlines), else a new one. */
export function correlationIdOf(header: string | string[] | undefined): string {
  const value = Array.isArray(header) ? header[0] : header;
  return value && /^[A-Za-z0-9._:-]{1,128}$/.test(value) ? value : randomUUID();
}
