import { Lru } from '../../lib/cache/lru';

/** Identities remembered; one forgotten simply starts a new session. */
const MAX_IDENTITIES = 10_000;

/**
 * Per identity, the earliest moment a subgraph call must have left for one of this identity's
 * requests to share it: after the identity's last completed mutation (read-your-writes) and after
 * the call behind the last answer it got (monotonic reads): the guarantees of a causally consistent
 * session, kept by this gateway process.
 */
export class SessionFloors {
  private readonly floors = new Lru<string, number>(MAX_IDENTITIES);

  floor(identity: string): number {
    return this.floors.get(identity) ?? Number.NEGATIVE_INFINITY;
  }

  raise(identity: string, at: number): void {
    if (at > this.floor(identity)) this.floors.set(identity, at);
  }
}
