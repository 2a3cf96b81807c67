import type { EventStore, SnapshotStore } from '../../../../lib/event-store/event-store';
import { cameraDecider, type CameraCommand, type CameraState, type RegisterCamera } from '../domain/camera';
import { incidentDecider, type IncidentCommand, type IncidentState, type RecordEvent } from '../domain/incident';
import { DEFAULT_OCCURRED_AT_WINDOW, type OccurredAtWindow } from '../domain/validation';
import type { CommandContext, CommandResult } from './command-context';
import { CommandHandler } from './command-handler';
import { commandHash } from './ids';

export interface CommandServiceOptions {
  cacheSize?: number;
  snapshotEvery?: number;
  /** The `occurredAt` an event may carry (default: from 2000-01-01 to 24 h ahead). */
  occurredAtWindow?: OccurredAtWindow;
}

/**
 * The command side's aggregates, each with its handler (the one write path, see CommandHandler),
 * and the commands the API sends one at a time. Recording events, one or many, is recordEvents.
 */
export class CommandService {
  readonly cameras: CommandHandler<'camera', CameraState | null, CameraCommand>;
  readonly incidents: CommandHandler<'event', IncidentState | null, IncidentCommand>;
  readonly occurredAtWindow: OccurredAtWindow;

  constructor(
    readonly store: EventStore & SnapshotStore,
    options: CommandServiceOptions = {},
  ) {
    const repository = { cacheSize: options.cacheSize ?? 50000, snapshotEvery: options.snapshotEvery ?? 100 };
    this.cameras = new CommandHandler(store, 'camera', cameraDecider, repository);
    this.incidents = new CommandHandler(store, 'event', incidentDecider, repository);
    this.occurredAtWindow = options.occurredAtWindow ?? DEFAULT_OCCURRED_AT_WINDOW;
  }

  /** Registers a camera once; a repeat with the same content gets the original result. */
  async registerCamera(command: RegisterCamera, context: CommandContext): Promise<CommandResult> {
    const { kind, cameraId, ...content } = command;
    return this.cameras.run({ id: cameraId, command, context, creation: { hash: commandHash(kind, content) } });
  }

  async changeCamera(command: Exclude<CameraCommand, RegisterCamera>, expectedVersion: number | undefined, context: CommandContext): Promise<CommandResult> {
    return this.cameras.run({ id: command.cameraId, command, context, expectedVersion });
  }

  async changeIncident(command: Exclude<IncidentCommand, RecordEvent>, expectedVersion: number | undefined, context: CommandContext): Promise<CommandResult> {
    return this.incidents.run({ id: command.eventId, command, context, expectedVersion });
  }
}
