import { isAppError } from '../../../../lib/errors/app-error';
import type { Logger } from '../../../../lib/logging/logger';
import type { CommandService } from '../application/command-service';
import { recordEvents, type RecordItem } from '../application/event-recorder';
import { LIMITS } from '../domain/validation';
import { parseIngestMessage, type IngestMessage } from './ingest-message';

/** What to do with one delivery once its batch was processed. */
export type Disposition =
  | { action: 'ack' }
  /** Publish `body` to the dead-letter queue with the reason, then ack. */
  | { action: 'dead-letter'; reason: string; body: Buffer }
  /** Engine trouble: requeue it (after a pause) and try again later. */
  | { action: 'retry' };

/** After this many failures for reasons that are not the engine's, a message is dead-lettered. */
export const MAX_ATTEMPTS = 3;

/**
 * Decides a whole batch of deliveries with one append per ≤1,000 items: valid items are stored
 * (or found to be repeats), invalid ones go to the dead-letter queue with their reason.
 */
export class IngestHandler {
  private readonly failures = new Map<string, number>();

  constructor(
    private readonly service: CommandService,
    private readonly logger: Logger,
  ) {}

  async handle(messages: readonly IngestMessage[]): Promise<Disposition[]> {
    const dispositions: Disposition[] = new Array(messages.length);
    const parsed = messages.map(parseIngestMessage);
    const pending: Array<{ message: number; items: RecordItem[] }> = [];
    parsed.forEach((p, i) => {
      if (p.ok) pending.push({ message: i, items: p.items });
      else dispositions[i] = { action: 'dead-letter', reason: p.reason, body: (messages[i] as IngestMessage).body };
    });
    // Group whole messages into calls of at most LIMITS.batch items.
    let group: typeof pending = [];
    let size = 0;
    const groups: Array<typeof pending> = [];
    for (const entry of pending) {
      if (size + entry.items.length > LIMITS.batch && group.length > 0) {
        groups.push(group);
        group = [];
        size = 0;
      }
      group.push(entry);
      size += entry.items.length;
    }
    if (group.length > 0) groups.push(group);
    for (const g of groups) await this.handleGroup(messages, g, dispositions);
    return dispositions;
  }

  private async handleGroup(messages: readonly IngestMessage[], group: Array<{ message: number; items: RecordItem[] }>, out: Disposition[]) {
    try {
      await this.record(messages, group, out);
    } catch (error) {
      if (isAppError(error) && error.code === 'UNAVAILABLE') {
        for (const entry of group) out[entry.message] = { action: 'retry' };
        return;
      }
      // Not the engine: find the message that breaks it by trying each one alone.
      if (group.length > 1) {
        for (const entry of group) await this.handleGroup(messages, [entry], out);
        return;
      }
      const entry = group[0] as (typeof group)[number];
      const message = messages[entry.message] as IngestMessage;
      const key = message.messageId ?? message.body.toString('base64').slice(0, 200);
      const attempts = (this.failures.get(key) ?? 0) + 1;
      this.failures.set(key, attempts);
      this.logger.warn({ err: (error as Error).message, attempts }, 'ingest message failed');
      if (attempts >= MAX_ATTEMPTS) {
        this.failures.delete(key);
        out[entry.message] = { action: 'dead-letter', reason: `failed ${attempts} times: ${(error as Error).message}`, body: message.body };
      } else {
        out[entry.message] = { action: 'retry' };
      }
    }
  }

  private async record(messages: readonly IngestMessage[], group: Array<{ message: number; items: RecordItem[] }>, out: Disposition[]) {
    const results = await recordEvents(this.service, group.flatMap((entry) => entry.items));
    let offset = 0;
    for (const entry of group) {
      const mine = results.slice(offset, offset + entry.items.length);
      offset += entry.items.length;
      const rejected = mine.flatMap((r, i) => (r.status === 'rejected' ? [{ i, r }] : []));
      if (rejected.length === 0) {
        out[entry.message] = { action: 'ack' };
        continue;
      }
      const reason = rejected.map(({ i, r }) => `[${i}] ${r.status === 'rejected' ? `${r.error.code}: ${r.error.message}` : ''}`).join('; ');
      const message = messages[entry.message] as IngestMessage;
      // A single rejected object goes back as it came; from an array, only the rejected items go.
      const body =
        rejected.length === entry.items.length && entry.items.length === 1
          ? message.body
          : Buffer.from(JSON.stringify(rejected.map(({ i }) => entry.items[i]?.input)));
      out[entry.message] = { action: 'dead-letter', reason: reason.slice(0, 4000), body };
    }
  }
}
