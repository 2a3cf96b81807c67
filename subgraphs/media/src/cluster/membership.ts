import { randomUUID } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import type { Logger } from '../../../../lib/logging/logger';
import type { MemberRegistry } from '../sessions/ports';
import { liveMembers, type Member } from './placement';

export interface MembershipOptions {
  registry: MemberRegistry;
  /** This service: MEDIA_NODE_ID, the URL the others reach it on, its MEDIA_MAX_SESSIONS. */
  id: string;
  url: string;
  capacity: number;
  /** A member whose entry was not renewed for this long is dead to the others. */
  ttlMs: number;
  logger: Logger;
}

/**
 * This media service's entry among the live ones: renewed every quarter of the TTL with an expiry
 * in wall-clock time (the services' clocks are assumed in step, as NTP keeps them). A service that
 * could not renew for most of the TTL knows the others may be taking its sessions over: `fresh()`
 * turns false before they can, and the session manager then halts its ffmpeg processes.
 */
export class Membership {
  /** This process (a restarted service keeps its id but gets a new incarnation). */
  readonly incarnation = randomUUID();
  private lastRenewed = Number.NEGATIVE_INFINITY;
  private timer: NodeJS.Timeout | undefined;
  private renewing = false;
  private joined: Promise<void> | undefined;

  constructor(private readonly options: MembershipOptions) {}

  get id(): string {
    return this.options.id;
  }

  /** Registers at once (throws when the store is down), then keeps renewing. Once: later calls share the first. */
  join(): Promise<void> {
    this.joined ??= this.renew().then(
      () => {
        this.timer = setInterval(() => void this.renewQuietly(), this.options.ttlMs / 4);
        this.timer.unref();
      },
      (error: unknown) => {
        this.joined = undefined;
        throw error;
      },
    );
    return this.joined;
  }

  /** Renewed recently enough that nobody can have judged this service dead. */
  fresh(): boolean {
    return performance.now() - this.lastRenewed < this.options.ttlMs - this.options.ttlMs / 4;
  }

  /** The live members, this one included while fresh. */
  async live(): Promise<Member[]> {
    const members = liveMembers(await this.options.registry.all(), new Date()).filter((member) => member.id !== this.options.id);
    return this.fresh() ? [this.self(), ...members] : members;
  }

  /** Leaves at shutdown, so the others take the sessions over at once instead of after the TTL. */
  async leave(): Promise<void> {
    clearInterval(this.timer);
    await this.options.registry
      .leave(this.options.id)
      .catch((error: unknown) => this.options.logger.warn({ err: (error as Error).message }, 'leave not recorded'));
  }

  private self(): Member {
    return { id: this.options.id, url: this.options.url, capacity: this.options.capacity, expiresAt: new Date(Date.now() + this.options.ttlMs) };
  }

  private async renew(): Promise<void> {
    const started = performance.now();
    await this.options.registry.beat(this.self());
    this.lastRenewed = started;
  }

  private async renewQuietly(): Promise<void> {
    if (this.renewing) return;
    this.renewing = true;
    try {
      await this.renew();
    } catch (error) {
      this.options.logger.warn({ err: (error as Error).message, fresh: this.fresh() }, 'media membership not renewed');
    } finally {
      this.renewing = false;
    }
  }
}
