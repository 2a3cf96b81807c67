import { AppError, isAppError } from '../../../../lib/errors/app-error';
import type { AppendCandidate, EventStore, SnapshotStore } from '../../../../lib/event-store/event-store';
import { streamIdOf, type AggregateKind, type EventsOfKind } from '../../../../lib/events/domain-events';
import type { EventEnvelope } from '../../../../lib/events/envelope';
import type { Decider } from '../domain/decider';
import { AggregateRepository, type Loaded } from './aggregate-repository';
import { metadataOf, type CommandContext, type CommandResult } from './command-context';
import { uuidv7 } from './ids';

/** One command to one aggregate, as the handler runs it. */
export interface AggregateCommand<C> {
  /** The aggregate's id: its stream is `<kind>-<id>`. */
  id: string;
  command: C;
  context: CommandContext;
  /**
   * Set when the command creates its aggregate. It is then decided on the initial state without
   * reading the stream: version 1 can be written once, so the store refuses it to a second creation.
   * `hash` (of the command's content) tells a repeat, which gets the original result, from another
   * command reusing the id (DUPLICATE_ID).
   */
  creation?: { hash: string };
  /** The version the aggregate must be at (CONCURRENCY_CONFLICT otherwise). */
  expectedVersion?: number;
  /** When the fact happened (default: now). */
  occurredAt?: string;
}

/** What became of one command. */
export type CommandOutcome =
  /** Its event was written, or it changes nothing: the aggregate as it is now. */
  | { status: 'accepted'; result: CommandResult }
  /** A creation repeated: the result the first one got. */
  | { status: 'duplicate'; result: CommandResult }
  | { status: 'rejected'; error: AppError };

export interface RepositoryOptions {
  cacheSize: number;
  snapshotEvery: number;
}

interface Pending<C> {
  command: AggregateCommand<C>;
  index: number;
}

interface Decided<S, C> extends Pending<C> {
  loaded: Loaded<S>;
  candidate: AppendCandidate;
}

const conflict = (streamId: string, actualVersion: number, expectedVersion?: number) =>
  new AppError('CONCURRENCY_CONFLICT', `${streamId} is at version ${actualVersion}${expectedVersion === undefined ? '' : `, not ${expectedVersion}`}`, {
    actualVersion,
    ...(expectedVersion === undefined ? {} : { expectedVersion }),
  });

/** A command's own refusal as its outcome; anything else (an engine failure, UNAVAILABLE, a bug) fails the whole call. */
export function rejected(error: unknown): { status: 'rejected'; error: AppError } {
  if (!isAppError(error) || error.code === 'UNAVAILABLE') throw error;
  return { status: 'rejected', error };
}

/**
 * The one write path of an aggregate kind: load, decide, append. Single commands and batches both
 * run here, and a batch stays one append (one commit of the log, one round of engine writes), each
 * of its events written or refused on its own. The only engine it knows is the EventStore port.
 */
export class CommandHandler<K extends AggregateKind, S, C> {
  readonly repository: AggregateRepository<K, S>;

  constructor(
    private readonly store: EventStore & SnapshotStore,
    private readonly kind: K,
    private readonly decider: Decider<S, C, EventsOfKind[K]>,
    options: RepositoryOptions,
  ) {
    this.repository = new AggregateRepository(store, kind, decider, options);
  }

  /** One command: its result, or its refusal thrown. */
  async run(command: AggregateCommand<C>): Promise<CommandResult> {
    const [outcome] = await this.handle([command]);
    if (!outcome) throw new Error('no outcome');
    if (outcome.status === 'rejected') throw outcome.error;
    return outcome.result;
  }

  /**
   * Commands to distinct aggregates (an append holds one event per stream), outcomes in their order.
   * A change decided on a stale state (another writer took the version first) is decided once more
   * on fresh state; with `expectedVersion`, or taken again, that is CONCURRENCY_CONFLICT.
   */
  async handle(commands: readonly AggregateCommand<C>[]): Promise<CommandOutcome[]> {
    const outcomes: CommandOutcome[] = new Array(commands.length);
    let pending: Pending<C>[] = commands.map((command, index) => ({ command, index }));
    for (let attempt = 0; pending.length > 0; attempt += 1) pending = await this.attempt(pending, attempt, outcomes);
    return outcomes;
  }

  /** Decides every pending command and appends their events together; returns those to decide again. */
  private async attempt(pending: Pending<C>[], attempt: number, outcomes: CommandOutcome[]): Promise<Pending<C>[]> {
    const decisions = await Promise.all(
      pending.map(async (item): Promise<Decided<S, C> | undefined> => {
        try {
          const loaded = item.command.creation ? this.repository.initial : await this.stateToChange(item.command, attempt);
          const event = this.decider.decide(item.command.command, loaded.state);
          if (event) return { ...item, loaded, candidate: this.candidate(item.command, loaded, event) };
          outcomes[item.index] = { status: 'accepted', result: resultOf(item.command.id, loaded) };
        } catch (error) {
          outcomes[item.index] = rejected(error);
        }
        return undefined;
      }),
    );
    // In the commands' order: a batch's events get positions in the order they were given.
    const decided = decisions.filter((d) => d !== undefined);
    if (decided.length === 0) return [];
    const { outcomes: appended } = await this.store.append(decided.map((d) => d.candidate));
    const again: Pending<C>[] = [];
    for (const [i, outcome] of appended.entries()) {
      const { command, index, loaded, candidate } = decided[i] as Decided<S, C>;
      if (outcome.status === 'written') {
        outcomes[index] = { status: 'accepted', result: resultOf(command.id, this.repository.appended(loaded, outcome.envelope)) };
      } else if (command.creation) {
        outcomes[index] = repeatOf(outcome.existing, command.id, command.creation.hash);
      } else {
        this.repository.forget(candidate.streamId);
        if (attempt === 0) again.push({ command, index });
        else outcomes[index] = rejected(conflict(candidate.streamId, (await this.repository.load(candidate.streamId)).version, command.expectedVersion));
      }
    }
    return again;
  }

  /**
   * The state a change is decided on: the cached one first (a stale one is refused by the store and
   * decided again); a version mismatch is confirmed against the store before it is reported.
   */
  private async stateToChange(command: AggregateCommand<C>, attempt: number): Promise<Loaded<S>> {
    const streamId = streamIdOf(this.kind, command.id);
    const { expectedVersion } = command;
    let loaded = await this.repository.load(streamId, attempt === 0 ? Infinity : 0);
    if (expectedVersion !== undefined && loaded.version !== expectedVersion && attempt === 0) loaded = await this.repository.load(streamId);
    if (expectedVersion !== undefined && loaded.version !== expectedVersion) throw conflict(streamId, loaded.version, expectedVersion);
    return loaded;
  }

  private candidate(command: AggregateCommand<C>, loaded: Loaded<S>, event: EventsOfKind[K]): AppendCandidate {
    return {
      streamId: streamIdOf(this.kind, command.id),
      version: loaded.version + 1,
      id: uuidv7(),
      event,
      occurredAt: command.occurredAt ?? new Date().toISOString(),
      metadata: metadataOf(command.context, command.creation?.hash),
    };
  }
}

const resultOf = (id: string, loaded: Loaded<unknown>): CommandResult => ({ id, version: loaded.version, position: loaded.position });

/** The original result when `existing` (version 1 of the id's stream) came from the same command. */
function repeatOf(existing: EventEnvelope, id: string, hash: string): CommandOutcome {
  if (existing.metadata.commandHash === hash) return { status: 'duplicate', result: { id, version: existing.version, position: existing.position } };
  return { status: 'rejected', error: new AppError('DUPLICATE_ID', `id ${id} was already used by a different command`, { id }) };
}
