import { AppError } from '../../../../lib/errors/app-error';
import { streamIdOf } from '../../../../lib/events/domain-events';
import type { CameraState } from '../domain/camera';
import { LIMITS, validRecordEventInput, type RecordEventFields } from '../domain/validation';
import type { Loaded } from './aggregate-repository';
import type { CommandContext } from './command-context';
import { rejected, type CommandOutcome } from './command-handler';
import type { CommandService } from './command-service';
import { commandHash, uuidv7 } from './ids';

export type ItemResult = CommandOutcome & { index: number };

export interface RecordItem {
  /** The raw RecordEventInput-shaped value. */
  input: unknown;
  /** Who reported it: "graphql" or the ingesting system. */
  source: string;
  /** Used as the event id when the input has none (an AMQP message_id). */
  fallbackId?: string;
  context: CommandContext;
}

interface Prepared {
  index: number;
  item: RecordItem;
  fields: RecordEventFields;
  eventId: string;
  streamId: string;
  hash: string;
}

/** Hash of what makes two recordings "the same": everything the client said, plus the source. */
export const recordHash = (fields: RecordEventFields, source: string): string => {
  const { id: _id, ...content } = fields;
  return commandHash('RecordEvent', { ...content, source });
};

/**
 * Records many events through the incidents' command handler as ONE append (one commit, one position
 * allocation), deciding each item on its own: an invalid item, an unknown camera or a reused id
 * rejects that item only.
 */
export async function recordEvents(service: CommandService, items: readonly RecordItem[]): Promise<ItemResult[]> {
  if (items.length > LIMITS.batch) throw new AppError('BAD_USER_INPUT', `at most ${LIMITS.batch} events per call (got ${items.length})`);
  const results: Array<ItemResult | undefined> = new Array(items.length);
  const primaries = new Map<string, Prepared>();
  const followers: Prepared[] = [];
  const now = Date.now();

  for (const [index, item] of items.entries()) {
    try {
      const fields = validRecordEventInput(item.input, service.occurredAtWindow, now);
      const eventId = fields.id ?? item.fallbackId ?? uuidv7();
      const prepared = { index, item, fields, eventId, streamId: streamIdOf('event', eventId), hash: recordHash(fields, item.source) };
      if (primaries.has(prepared.streamId)) followers.push(prepared);
      else primaries.set(prepared.streamId, prepared);
    } catch (error) {
      results[index] = { index, ...rejected(error) };
    }
  }

  const recording = [...primaries.values()];
  const cameras = await loadCameras(service, [...new Set(recording.map((p) => p.fields.cameraId))]);
  const outcomes = await service.incidents.handle(
    recording.map(({ fields, eventId, item, hash }) => ({
      id: eventId,
      command: {
        kind: 'RecordEvent' as const,
        eventId,
        cameraId: fields.cameraId,
        type: fields.type,
        severity: fields.severity,
        occurredAt: fields.occurredAt,
        source: item.source,
        attributes: fields.attributes,
        camera: cameras.get(fields.cameraId)?.state ?? null,
      },
      context: item.context,
      creation: { hash },
      occurredAt: fields.occurredAt,
    })),
  );
  outcomes.forEach((outcome, i) => {
    const { index } = recording[i] as Prepared;
    results[index] = { index, ...outcome };
  });

  // A repeat inside the same batch gets whatever its first occurrence got.
  for (const follower of followers) {
    const first = results[(primaries.get(follower.streamId) as Prepared).index];
    if (first && first.status !== 'rejected' && primaries.get(follower.streamId)?.hash === follower.hash) {
      results[follower.index] = { index: follower.index, status: 'duplicate', result: first.result };
    } else if (first?.status === 'rejected' && primaries.get(follower.streamId)?.hash === follower.hash) {
      results[follower.index] = { ...first, index: follower.index };
    } else {
      const error = new AppError('DUPLICATE_ID', `id ${follower.eventId} was already used by a different event`, { id: follower.eventId });
      results[follower.index] = { index: follower.index, status: 'rejected', error };
    }
  }
  return results as ItemResult[];
}

/**
 * How often a camera is re-checked when checking "exists and ACTIVE" for a new event: the check
 * reads the camera without writing to its stream, so this (plus one lookup) bounds how late another
 * process's decommission is seen. Recording itself never waits for a camera lookup once cached.
 */
const CAMERA_FRESH_MS = 2000;

async function loadCameras(service: CommandService, ids: string[]): Promise<Map<string, Loaded<CameraState | null>>> {
  const loaded = new Map<string, Loaded<CameraState | null>>();
  // A few at a time: each is one or two `_id` lookups, and the engine serialises them anyway.
  for (let i = 0; i < ids.length; i += 8) {
    const slice = ids.slice(i, i + 8);
    const states = await Promise.all(slice.map((id) => service.cameras.repository.peek(streamIdOf('camera', id), CAMERA_FRESH_MS)));
    slice.forEach((id, j) => loaded.set(id, states[j] as Loaded<CameraState | null>));
  }
  return loaded;
}
