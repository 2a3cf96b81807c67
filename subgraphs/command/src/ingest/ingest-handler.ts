import { isAppError } from '../../../../lib/errors/app-error';
import type { Logger } from '../../../../lib/logging/logger';
import type { CommandService } from '../application/command-service';
import { recordEvents, type RecordItem } from '../application/event-recorder';
import { LIMITS } from '../domain/validation';
import { DEFAULT_MAX_MESSAGE_BYTES, parseIngestMessage, type IngestMessage } from './ingest-message';

/** What to do with one delivery once its batch was processed. */
export type Disposition =
  | { action: 'ack' }
  /** Publish `body` to the dead-letter queue with the reason, then ack. */
  | { action: 'dead-letter'; reason: string; body: Buffer }
  /** The event store is down: requeue it as it is (after a pause); the attempt does not count. */
  | { action: 'retry' }
  /**
   * The store answers, yet this message could not be stored: after `delayMs`, publish it again
   * carrying `attempts` (counted across redeliveries and processes), then ack this delivery.
   */
  | { action: 'retry-later'; attempts: number; delayMs: number };

/** After this many failures for reasons that are not the engine's, a message is dead-lettered. */
export const MAX_ATTEMPTS = 3;

export interface IngestHandlerOptions {
  /** Largest message body accepted (INGEST_MAX_MESSAGE_BYTES). */
  maxMessageBytes?: number;
  /** UNAVAILABLE attempts, while the store answered, after which a message is dead-lettered (INGEST_MAX_ATTEMPTS). */
  maxUnavailableAttempts?: number;
  /** Delay before the first counted retry; it doubles with every attempt up to `maxRetryDelayMs`. */
  retryDelayMs?: number;
  maxRetryDelayMs?: number;
  /**
   * Whether the event store answers right now (a ping). Only a failure while it answers counts
   * against a message: a store that is down never makes good messages dead letters. Without it,
   * no UNAVAILABLE attempt counts.
   */
  storeAnswers?: () => Promise<boolean>;
}

export const INGEST_DEFAULTS = { maxMessageBytes: DEFAULT_MAX_MESSAGE_BYTES, maxUnavailableAttempts: 20, retryDelayMs: 1000, maxRetryDelayMs: 60_000 };

type Entry = { message: number; items: RecordItem[] };

/**
 * Decides a whole batch of deliveries with one append per ≤1,000 items: valid items are stored
 * (or found to be repeats), invalid ones go to the dead-letter queue with their reason.
 */
export class IngestHandler {
  private readonly failures = new Map<string, number>();
  private readonly options: Required<Omit<IngestHandlerOptions, 'storeAnswers'>> & Pick<IngestHandlerOptions, 'storeAnswers'>;

  constructor(
    private readonly service: CommandService,
    private readonly logger: Logger,
    options: IngestHandlerOptions = {},
  ) {
    this.options = { ...INGEST_DEFAULTS, ...options };
  }

  async handle(messages: readonly IngestMessage[]): Promise<Disposition[]> {
    const dispositions: Disposition[] = new Array(messages.length);
    const parsed = messages.map((message) => parseIngestMessage(message, this.options.maxMessageBytes));
    const pending: Entry[] = [];
    parsed.forEach((p, i) => {
      if (p.ok) pending.push({ message: i, items: p.items });
      else dispositions[i] = { action: 'dead-letter', reason: p.reason, body: (messages[i] as IngestMessage).body };
    });
    // Group whole messages into calls of at most LIMITS.batch items.
    let group: Entry[] = [];
    let size = 0;
    const groups: Entry[][] = [];
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

  private async handleGroup(messages: readonly IngestMessage[], group: Entry[], out: Disposition[]): Promise<void> {
    try {
      await this.record(messages, group, out);
    } catch (error) {
      if (isAppError(error) && error.code === 'UNAVAILABLE') return this.unavailable(messages, group, out, error.message);
      // Not the engine: find the message that breaks it by trying each one alone.
      if (group.length > 1) {
        for (const entry of group) await this.handleGroup(messages, [entry], out);
        return;
      }
      const entry = group[0] as Entry;
      const message = messages[entry.message] as IngestMessage;
      // A coded refusal (e.g. an event too large to store) will not change on a retry.
      if (isAppError(error)) {
        out[entry.message] = { action: 'dead-letter', reason: `${error.code}: ${error.message}`.slice(0, 4000), body: message.body };
        return;
      }
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

  /**
   * The store failed the group. Down: requeue everything, uncounted. Answering: the failure is the
   * messages' own, so each is tried alone and one that still fails counts an attempt, is retried
   * with a growing delay, and after `maxUnavailableAttempts` dead-lettered instead of looping forever.
   */
  private async unavailable(messages: readonly IngestMessage[], group: Entry[], out: Disposition[], reason: string): Promise<void> {
    const answers = this.options.storeAnswers ? await this.options.storeAnswers().catch(() => false) : false;
    if (!answers) {
      for (const entry of group) out[entry.message] = { action: 'retry' };
      return;
    }
    if (group.length > 1) {
      for (const entry of group) await this.handleGroup(messages, [entry], out);
      return;
    }
    const entry = group[0] as Entry;
    const message = messages[entry.message] as IngestMessage;
    const attempts = (message.attempts ?? 0) + 1;
    this.logger.warn({ err: reason, attempts, messageId: message.messageId }, 'ingest message unavailable although the event store answers');
    if (attempts >= this.options.maxUnavailableAttempts) {
      out[entry.message] = {
        action: 'dead-letter',
        reason: `UNAVAILABLE ${attempts} times while the event store answered: ${reason}`.slice(0, 4000),
        body: message.body,
      };
      return;
    }
    const delayMs = Math.min(this.options.retryDelayMs * 2 ** (attempts - 1), this.options.maxRetryDelayMs);
    out[entry.message] = { action: 'retry-later', attempts, delayMs };
  }

  private async record(messages: readonly IngestMessage[], group: Entry[], out: Disposition[]) {
    const results = await recordEvents(
      this.service,
      group.flatMap((entry) => entry.items),
    );
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
