import { AppError } from '../errors/app-error';
import type { AppendCandidate, AppendResult } from './event-store';

/** How big one write (one commit) may get. */
export interface GroupLimits {
  maxEvents: number;
  /** Bytes the written commit may hold, as `weigh` counts them. */
  maxBytes: number;
  /** A candidate's share of `maxBytes` (an upper estimate of what it adds to the written commit). */
  weigh(candidate: AppendCandidate): number;
}

interface Pending {
  candidates: readonly AppendCandidate[];
  bytes: number;
  resolve(result: AppendResult): void;
  reject(error: unknown): void;
}

/**
 * Group commit: appends that arrive while one is being written go out together as the next one
 * (one slot of the log, one `insertMany`), so N concurrent commands cost one round of engine writes
 * instead of N. Each caller still gets only its own outcomes; a write never holds two events of one
 * stream (a second one waits for the next write), nor more than the limits: an append larger than
 * them alone is written as several commits (each event is still written or not on its own).
 */
export class GroupAppender {
  private readonly queue: Pending[] = [];
  private draining = false;

  constructor(
    private readonly write: (candidates: readonly AppendCandidate[]) => Promise<AppendResult>,
    private readonly limits: GroupLimits,
  ) {}

  append(candidates: readonly AppendCandidate[]): Promise<AppendResult> {
    const weights = candidates.map((candidate) => this.limits.weigh(candidate));
    const heaviest = weights.findIndex((weight) => weight > this.limits.maxBytes);
    if (heaviest >= 0) {
      const candidate = candidates[heaviest] as AppendCandidate;
      return Promise.reject(
        new AppError(
          'BAD_USER_INPUT',
          `event ${candidate.id} takes ${weights[heaviest]} bytes; the event store holds at most ${this.limits.maxBytes} per commit`,
        ),
      );
    }
    const parts = this.split(candidates, weights);
    if (parts.length === 1) return this.enqueue(parts[0] as Part);
    return Promise.all(parts.map((part) => this.enqueue(part))).then((results) => ({ outcomes: results.flatMap((result) => result.outcomes) }));
  }

  /** Consecutive runs of candidates, each within the limits. */
  private split(candidates: readonly AppendCandidate[], weights: number[]): Part[] {
    const parts: Part[] = [];
    let part: Part = { candidates: [], bytes: 0 };
    candidates.forEach((candidate, index) => {
      const weight = weights[index] as number;
      if (part.candidates.length > 0 && (part.candidates.length >= this.limits.maxEvents || part.bytes + weight > this.limits.maxBytes)) {
        parts.push(part);
        part = { candidates: [], bytes: 0 };
      }
      part.candidates.push(candidate);
      part.bytes += weight;
    });
    parts.push(part);
    return parts;
  }

  private enqueue(part: Part): Promise<AppendResult> {
    return new Promise((resolve, reject) => {
      this.queue.push({ ...part, resolve, reject });
      if (!this.draining) void this.drain();
    });
  }

  private async drain(): Promise<void> {
    this.draining = true;
    while (this.queue.length > 0) {
      const group = this.takeGroup();
      try {
        const { outcomes } = await this.write(group.flatMap((p) => p.candidates));
        let offset = 0;
        for (const pending of group) {
          pending.resolve({ outcomes: outcomes.slice(offset, offset + pending.candidates.length) });
          offset += pending.candidates.length;
        }
      } catch (error) {
        for (const pending of group) pending.reject(error);
      }
    }
    this.draining = false;
  }

  private takeGroup(): Pending[] {
    const group: Pending[] = [];
    const streams = new Set<string>();
    let size = 0;
    let bytes = 0;
    for (let i = 0; i < this.queue.length;) {
      const pending = this.queue[i] as Pending;
      const fits =
        size + pending.candidates.length <= this.limits.maxEvents &&
        bytes + pending.bytes <= this.limits.maxBytes &&
        pending.candidates.every((c) => !streams.has(c.streamId));
      if (!fits && group.length > 0) {
        // Left for a later write: so is every later append to its streams (their order holds).
        for (const c of pending.candidates) streams.add(c.streamId);
        i += 1;
        continue;
      }
      this.queue.splice(i, 1);
      group.push(pending);
      size += pending.candidates.length;
      bytes += pending.bytes;
      for (const c of pending.candidates) streams.add(c.streamId);
    }
    return group;
  }
}

interface Part {
  candidates: AppendCandidate[];
  bytes: number;
}
