import { AppError } from '../../../../lib/errors/app-error';
import type { EventStore, SnapshotStore } from '../../../../lib/event-store/event-store';
import { AGGREGATE_OF, streamIdOf, type CameraEvent, type DomainEvent, type IncidentEvent } from '../../../../lib/events/domain-events';
import { decideCamera, evolveCamera, type CameraCommand, type CameraState } from '../domain/camera';
import { decideIncident, evolveIncident, type IncidentCommand, type IncidentState } from '../domain/incident';
import { DEFAULT_OCCURRED_AT_WINDOW, type OccurredAtWindow } from '../domain/validation';
import { AggregateRepository, type Loaded } from './aggregate-repository';
import { metadataOf, type CommandContext, type CommandResult } from './command-context';
import { commandHash, uuidv7 } from './ids';

export interface CommandServiceOptions {
  cacheSize?: number;
  snapshotEvery?: number;
  /** The `occurredAt` an event may carry (default: from 2000-01-01 to 24 h ahead). */
  occurredAtWindow?: OccurredAtWindow;
}

const conflict = (streamId: string, actualVersion: number, expectedVersion?: number) =>
  new AppError('CONCURRENCY_CONFLICT', `${streamId} is at version ${actualVersion}${expectedVersion === undefined ? '' : `, not ${expectedVersion}`}`, {
    actualVersion,
    ...(expectedVersion === undefined ? {} : { expectedVersion }),
  });

/**
 * Runs commands: load the aggregate, decide, append the next version. A client id makes a creation
 * idempotent (its stream id is deterministic and version 1 can be taken once); `expectedVersion`
 * makes a change conditional. The only engine it knows is the EventStore port.
 */
export class CommandService {
  readonly cameras: AggregateRepository<CameraState, CameraEvent>;
  readonly incidents: AggregateRepository<IncidentState, IncidentEvent>;
  readonly occurredAtWindow: OccurredAtWindow;

  constructor(
    readonly store: EventStore & SnapshotStore,
    options: CommandServiceOptions = {},
  ) {
    const repoOptions = { cacheSize: options.cacheSize ?? 50000, snapshotEvery: options.snapshotEvery ?? 100 };
    this.cameras = new AggregateRepository(store, { evolve: evolveCamera }, repoOptions);
    this.incidents = new AggregateRepository(store, { evolve: evolveIncident }, repoOptions);
    this.occurredAtWindow = options.occurredAtWindow ?? DEFAULT_OCCURRED_AT_WINDOW;
  }

  /** Creates version 1 of a stream once; a repeat with the same content gets the original result. */
  async create<S, E extends DomainEvent>(
    repository: AggregateRepository<S, E>,
    id: string,
    event: E,
    hash: string,
    context: CommandContext,
    occurredAt = new Date().toISOString(),
  ): Promise<CommandResult> {
    const streamId = streamIdOf(AGGREGATE_OF[event.type], id);
    const [outcome] = (
      await this.store.append([{ streamId, version: 1, id: uuidv7(), event, occurredAt, metadata: metadataOf(context, hash) }])
    ).outcomes;
    if (!outcome) throw new Error('append returned no outcome');
    if (outcome.status === 'written') {
      repository.appended({ state: null, version: 0, position: 0 }, outcome.envelope);
      return { id, version: 1, position: outcome.envelope.position };
    }
    return this.repeatOf(outcome.existing, id, hash);
  }

  /** The original result when `existing` (version 1 of the id's stream) came from the same command. */
  repeatOf(existing: { version: number; position: number; metadata: { commandHash?: string } }, id: string, hash: string): CommandResult {
    if (existing.metadata.commandHash === hash) return { id, version: existing.version, position: existing.position };
    throw new AppError('DUPLICATE_ID', `id ${id} was already used by a different command`, { id });
  }

  async changeCamera(command: Exclude<CameraCommand, { kind: 'RegisterCamera' }>, expectedVersion: number | undefined, context: CommandContext) {
    return this.change(this.cameras, streamIdOf('camera', command.cameraId), command.cameraId, expectedVersion, context, (state) =>
      decideCamera(command, state),
    );
  }

  async changeIncident(command: Exclude<IncidentCommand, { kind: 'RecordEvent' }>, expectedVersion: number | undefined, context: CommandContext) {
    return this.change(this.incidents, streamIdOf('event', command.eventId), command.eventId, expectedVersion, context, (state) =>
      decideIncident(command, state),
    );
  }

  /**
   * Appends the decided event as the next version. A stale view (another writer was first) is
   * decided once more on fresh state; with `expectedVersion` that becomes CONCURRENCY_CONFLICT.
   */
  private async change<S, E extends DomainEvent>(
    repository: AggregateRepository<S, E>,
    streamId: string,
    id: string,
    expectedVersion: number | undefined,
    context: CommandContext,
    decide: (state: S | null) => E | null,
  ): Promise<CommandResult> {
    let loaded: Loaded<S> | undefined;
    for (let attempt = 0; attempt < 2; attempt += 1) {
      // The cached state first (a stale one is refused by the store and decided again); a version
      // mismatch is confirmed against the store before it is reported.
      loaded = await repository.load(streamId, attempt === 0 ? Infinity : 0);
      if (expectedVersion !== undefined && loaded.version !== expectedVersion && attempt === 0) {
        loaded = await repository.load(streamId);
      }
      if (expectedVersion !== undefined && loaded.version !== expectedVersion) throw conflict(streamId, loaded.version, expectedVersion);
      const event = decide(loaded.state);
      if (!event) return { id, version: loaded.version, position: loaded.position };
      const [outcome] = (
        await this.store.append([
          { streamId, version: loaded.version + 1, id: uuidv7(), event, occurredAt: new Date().toISOString(), metadata: metadataOf(context) },
        ])
      ).outcomes;
      if (outcome?.status === 'written') {
        const after = repository.appended(loaded, outcome.envelope);
        return { id, version: after.version, position: after.position };
      }
      repository.forget(streamId);
    }
    const actual = (await repository.load(streamId)).version;
    throw conflict(streamId, actual, expectedVersion);
  }

  /** The hash of a creation command's content (everything but the id). */
  static hashOf(kind: string, content: unknown): string {
    return commandHash(kind, content);
  }
}
