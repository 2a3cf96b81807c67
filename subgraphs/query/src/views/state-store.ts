import type { Client } from '@elastic/elasticsearch';
import { createHash } from 'node:crypto';
import type { ViewNames } from './names';
import type { CheckpointStorage, SavedCheckpoint } from './ports';
import { statusOf } from './elastic-errors';

const isConflict = (error: unknown): boolean => statusOf(error) === 409;

/**
 * The projector's own state in Elasticsearch: the checkpoint (written with external versioning =
 * the position, so concurrent processes can only move it forward) and one record per dead-lettered
 * event (id derived from the event, so a redelivered poison message is counted once).
 */
export class StateStore implements CheckpointStorage {
  constructor(
    private readonly client: Client,
    private readonly names: ViewNames,
  ) {}

  async loadCheckpoint(): Promise<SavedCheckpoint> {
    const response = await this.client.get<{ position: number; nodes?: string }>({ index: this.names.state, id: 'checkpoint' }, { ignore: [404] });
    const saved = response.found ? response._source : undefined;
    return saved ? { position: saved.position, ...(saved.nodes === undefined ? {} : { nodes: saved.nodes }) } : { position: 0 };
  }

  /** `nodes`: the Elasticsearch node identity the position was reached under (RestartHealer). */
  async saveCheckpoint(position: number, nodes: string): Promise<void> {
    if (position < 1) return;
    try {
      await this.client.index({
        index: this.names.state,
        id: 'checkpoint',
        document: { kind: 'checkpoint', position, nodes, at: new Date().toISOString() },
        version: position,
        version_type: 'external_gte',
      });
    } catch (error) {
      if (!isConflict(error)) throw error;
    }
  }

  /**
   * Takes or renews a named lease for `ttlMs` (compare-and-set on one document); false while another
   * owner holds it. The rollup worker runs only while holding its lease: two workers recomputing the
   * same hour at once could let the slower one overwrite the hour's documents after the faster one
   * marked it clean.
   */
  async holdLease(name: string, owner: string, ttlMs: number, now = Date.now()): Promise<boolean> {
    const id = `lease-${name}`;
    const current = await this.client.get<{ owner: string; until: number }>({ index: this.names.state, id }, { ignore: [404] });
    const held = current.found ? current._source : undefined;
    if (held && held.owner !== owner && held.until > now) return false;
    const document = { kind: 'lease', owner, until: now + ttlMs, at: new Date(now).toISOString() };
    try {
      await this.client.index(
        current.found && current._seq_no !== undefined && current._primary_term !== undefined
          ? { index: this.names.state, id, document, if_seq_no: current._seq_no, if_primary_term: current._primary_term }
          : { index: this.names.state, id, document, op_type: 'create' },
      );
      return true;
    } catch (error) {
      if (isConflict(error)) return false;
      throw error;
    }
  }

  /** Gives a lease up (if this owner still holds it), so another process need not wait for it to expire. */
  async releaseLease(name: string, owner: string): Promise<void> {
    const id = `lease-${name}`;
    const current = await this.client.get<{ owner: string }>({ index: this.names.state, id }, { ignore: [404] });
    if (!current.found || current._source?.owner !== owner || current._seq_no === undefined || current._primary_term === undefined) return;
    const document = { kind: 'lease', owner, until: 0, at: new Date().toISOString() };
    await this.client
      .index({ index: this.names.state, id, document, if_seq_no: current._seq_no, if_primary_term: current._primary_term })
      .catch((error: unknown) => {
        if (!isConflict(error)) throw error;
      });
  }

  async recordDeadLetter(reason: string, position: number | undefined, body: Buffer): Promise<void> {
    const id = `dead-${position ?? createHash('sha256').update(body).digest('hex').slice(0, 32)}`;
    await this.client.index({ index: this.names.state, id, document: { kind: 'dead', reason, position: position ?? null, at: new Date().toISOString() } });
  }

  /** Which of these positions were dead-lettered, by any process: the checkpoint counts them as done. */
  async deadPositions(positions: readonly number[]): Promise<Set<number>> {
    if (positions.length === 0) return new Set();
    const response = await this.client.mget({ index: this.names.state, ids: positions.map((p) => `dead-${p}`), _source: false });
    return new Set(response.docs.filter((doc) => 'found' in doc && doc.found).map((doc) => Number(doc._id.slice('dead-'.length))));
  }

  async deadLetters(): Promise<{ count: number; lastReason: string | undefined }> {
    const response = await this.client.search<{ reason: string }>({
      index: this.names.state,
      query: { term: { kind: 'dead' } },
      sort: [{ at: 'desc' }],
      size: 1,
      track_total_hits: true,
    });
    const total = response.hits.total;
    return {
      count: typeof total === 'number' ? total : (total?.value ?? 0),
      lastReason: response.hits.hits[0]?._source?.reason,
    };
  }
}
