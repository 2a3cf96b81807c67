import type { SessionRepository } from '../../../subgraphs/media/src/sessions/ports';
import type { StreamSession } from '../../../subgraphs/media/src/sessions/session';

/** The session repository's contract kept in memory, for driving the session manager without an engine. */
export class MemorySessionRepository implements SessionRepository {
  readonly saved = new Map<string, StreamSession>();
  readonly order: string[] = [];
  /** Place lookups made, to show how far a page walked. */
  placesRead = 0;

  async insert(fresh: Omit<StreamSession, 'seq'>): Promise<StreamSession> {
    this.order.push(fresh.id);
    const session = { ...fresh, seq: this.order.length };
    await this.save(session);
    return session;
  }

  async save(session: StreamSession): Promise<void> {
    this.saved.set(session.id, session);
  }

  async get(id: string): Promise<StreamSession | null> {
    return this.saved.get(id) ?? null;
  }

  async newestPlace(): Promise<number> {
    return this.order.length;
  }

  async idsAt(places: readonly number[]): Promise<Array<string | null>> {
    this.placesRead += places.length;
    return places.map((place) => this.order[place - 1] ?? null);
  }

  async unfinished(): Promise<StreamSession[]> {
    return [...this.saved.values()].filter((s) => s.status !== 'STOPPED');
  }

  clear(): void {
    this.saved.clear();
    this.order.length = 0;
    this.placesRead = 0;
  }
}
