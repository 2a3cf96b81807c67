import type { Member, Slot } from '../../../subgraphs/media/src/cluster/placement';
import type { MemberRegistry, Ownership, SessionRecord, SessionRepository } from '../../../subgraphs/media/src/sessions/ports';
import type { StreamSession } from '../../../subgraphs/media/src/sessions/session';

/** The session repository's contract kept in memory, for driving the session manager without an engine. */
export class MemorySessionRepository implements SessionRepository {
  readonly saved = new Map<string, StreamSession>();
  readonly ownership = new Map<string, Ownership>();
  readonly active = new Map<string, Slot>();
  readonly order: string[] = [];
  /** Place lookups made, to show how far a page walked. */
  placesRead = 0;

  async insert(fresh: Omit<StreamSession, 'seq'>, ownership: Ownership): Promise<StreamSession> {
    this.order.push(fresh.id);
    const session = { ...fresh, seq: this.order.length };
    this.saved.set(session.id, session);
    this.ownership.set(session.id, ownership);
    return session;
  }

  async save(session: StreamSession, lease: number): Promise<boolean> {
    if ((this.ownership.get(session.id)?.lease ?? 0) !== lease) return false;
    this.saved.set(session.id, session);
    return true;
  }

  async get(id: string): Promise<StreamSession | null> {
    return this.saved.get(id) ?? null;
  }

  async record(id: string): Promise<SessionRecord | null> {
    const session = this.saved.get(id);
    if (!session) return null;
    return { session, ...(this.ownership.get(id) ?? { owner: null, lease: 0, runBy: null }) };
  }

  async claim(id: string, lease: number, next: { session: StreamSession; owner: string | null; runBy: string | null }): Promise<boolean> {
    if (!this.saved.has(id) || (this.ownership.get(id)?.lease ?? 0) !== lease) return false;
    this.saved.set(id, next.session);
    this.ownership.set(id, { owner: next.owner, runBy: next.runBy, lease: lease + 1 });
    return true;
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

  async slots(): Promise<Slot[]> {
    return [...this.active.values()];
  }

  async slot(cameraId: string): Promise<Slot | null> {
    return this.active.get(cameraId) ?? null;
  }

  async claimSlot(slot: Slot): Promise<boolean> {
    if (this.active.has(slot.cameraId)) return false;
    this.active.set(slot.cameraId, slot);
    return true;
  }

  async updateSlot(slot: Slot): Promise<void> {
    if (this.active.get(slot.cameraId)?.sessionId === slot.sessionId) this.active.set(slot.cameraId, slot);
  }

  async releaseSlot(cameraId: string, sessionId: string): Promise<void> {
    if (this.active.get(cameraId)?.sessionId === sessionId) this.active.delete(cameraId);
  }

  clear(): void {
    this.saved.clear();
    this.ownership.clear();
    this.active.clear();
    this.order.length = 0;
    this.placesRead = 0;
  }
}

/** The members' registry in memory. */
export class MemoryMemberRegistry implements MemberRegistry {
  readonly members = new Map<string, Member>();
  /** The store is unreachable: renewals fail. */
  down = false;

  async beat(member: Member): Promise<void> {
    if (this.down) throw new Error('store unreachable');
    this.members.set(member.id, member);
  }

  async leave(memberId: string): Promise<void> {
    this.members.delete(memberId);
  }

  async all(): Promise<Member[]> {
    return [...this.members.values()];
  }
}
