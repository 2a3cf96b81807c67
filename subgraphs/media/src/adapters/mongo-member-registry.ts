import type { Db } from 'mongodb';
import { engine } from '../../../../lib/event-store/mongo-collections';
import type { Member } from '../cluster/placement';
import type { MemberRegistry } from '../sessions/ports';

type MemberDoc = Omit<Member, 'id'> & { _id: string };

/** `media_members`: one document per media service (`_id` = MEDIA_NODE_ID), replaced on every renewal. A few documents: read whole. */
export class MongoMemberRegistry implements MemberRegistry {
  constructor(private readonly db: Db) {}

  private get members() {
    return this.db.collection<MemberDoc>('media_members');
  }

  async beat({ id, ...rest }: Member): Promise<void> {
    await engine(() => this.members.replaceOne({ _id: id }, rest, { upsert: true }));
  }

  async leave(memberId: string): Promise<void> {
    await engine(() => this.members.deleteOne({ _id: memberId }));
  }

  async all(): Promise<Member[]> {
    return (await engine(() => this.members.find({}).toArray())).map(({ _id, ...rest }) => ({ id: _id, ...rest }));
  }
}
