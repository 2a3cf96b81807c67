import type { EventEnvelope } from '../../../../lib/events/envelope';

/** The relay's checkpoint, fenced by a lease: only the holder may move it. */
export interface RelayCheckpoint {
  /** Takes (or keeps) the lease; the checkpoint position when held, null when someone else holds it. */
  acquire(owner: string, ttlMs: number): Promise<number | null>;
  /** Moves the checkpoint and extends the lease; false when the lease was lost. */
  save(owner: string, position: number, ttlMs: number): Promise<boolean>;
  /** Extends the lease only; false when it was lost. */
  renew(owner: string, ttlMs: number): Promise<boolean>;
  release(owner: string): Promise<void>;
}

/** Publishes envelopes in order and resolves once the broker confirmed every one of them. */
export interface EventPublisher {
  /** `previousPosition`: the stored event right before the first envelope (0 for none), for PREVIOUS_POSITION_HEADER. */
  publish(envelopes: readonly EventEnvelope[], previousPosition: number): Promise<void>;
}
