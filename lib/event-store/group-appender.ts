import type { AppendCandidate, AppendResult } from './event-store';

interface Pending {
  candidates: readonly AppendCandidate[];
  resolve(result: AppendResult): void;
  reject(error: unknown): void;
}

/**
 * Group commit: appends that arrive while one is being written go out together as the next one
 * (one slot of the log, one `insertMany`), so N concurrent commands cost one round of engine writes
 * instead of N. Each caller still gets only its own outcomes; a group never holds two events of one
 * stream (a second one waits for the next group) nor more than `maxEvents`.
 */
export class GroupAppender {
  private readonly queue: Pending[] = [];
  private draining = false;

  constructor(
    private readonly write: (candidates: readonly AppendCandidate[]) => Promise<AppendResult>,
    private readonly maxEvents: number,
  ) {}

  append(candidates: readonly AppendCandidate[]): Promise<AppendResult> {
    return new Promise((resolve, reject) => {
      this.queue.push({ candidates, resolve, reject });
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
    for (let i = 0; i < this.queue.length; ) {
      const pending = this.queue[i] as Pending;
      const fits = size + pending.candidates.length <= this.maxEvents && pending.candidates.every((c) => !streams.has(c.streamId));
      if (!fits && group.length > 0) {
        i += 1;
        continue;
      }
      this.queue.splice(i, 1);
      group.push(pending);
      size += pending.candidates.length;
      for (const c of pending.candidates) streams.add(c.streamId);
    }
    return group;
  }
}
