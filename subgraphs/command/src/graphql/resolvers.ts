import type { RequestContext } from '../../../../lib/auth/identity';
import { AppError, isAppError } from '../../../../lib/errors/app-error';
import type { CameraHostAllowList } from '../../../../lib/security/camera-hosts';
import type { CommandContext, CommandResult } from '../application/command-context';
import type { CommandService } from '../application/command-service';
import { recordEvents, type ItemResult } from '../application/event-recorder';
import { uuidv7 } from '../application/ids';
import { LIMITS, boundedText, optionalText, validExpectedVersion, validId, validRecording, validRtspUrl, validTags } from '../domain/validation';

type Args = Record<string, unknown>;
type Input = Record<string, unknown>;

const contextOf = (request: RequestContext): CommandContext => ({
  actor: request.identity.subject,
  correlationId: request.correlationId,
  causationId: null,
});

const wire = (result: CommandResult) => ({ ...result, position: String(result.position) });

/** The first rejection of a single-item call, thrown as the call's error. */
function single(result: ItemResult | undefined) {
  if (!result) throw new Error('no result');
  if (result.status === 'rejected') throw result.error;
  return wire(result.result);
}

/**
 * For a command that creates an id: an UNAVAILABLE answer carries the id in `extensions.id`. The
 * append may still complete after the error (a reader finishes an intent that reached the store),
 * so a client retries with that id, which is idempotent, instead of creating a second one.
 */
async function tellingTheId<T>(id: string, command: () => Promise<T>): Promise<T> {
  try {
    return await command();
  } catch (error) {
    if (isAppError(error) && error.code === 'UNAVAILABLE') throw new AppError(error.code, error.message, { ...error.details, id }, { cause: error });
    throw error;
  }
}

/** `cameraHosts`: CAMERA_ALLOWED_HOSTS, checked before a camera URL is stored (the media service checks again before use). */
export function commandResolvers(service: CommandService, cameraHosts: CameraHostAllowList) {
  return {
    Mutation: {
      async registerCamera(_: unknown, { input }: { input: Input }, request: RequestContext) {
        const id = input.id === undefined || input.id === null ? uuidv7() : validId(input.id, 'id');
        const command = {
          kind: 'RegisterCamera' as const,
          cameraId: id,
          name: boundedText(input.name, 'name', LIMITS.name),
          site: optionalText(input.site, 'site', LIMITS.site),
          rtspUrl: validRtspUrl(input.rtspUrl),
          tags: input.tags === undefined || input.tags === null ? [] : validTags(input.tags),
          // Left out when not given, so that a retry of a registration stored before recording existed hashes the same.
          ...optionalRecording(input.recording),
        };
        await cameraHosts.check(command.rtspUrl);
        return wire(await tellingTheId(id, () => service.registerCamera(command, contextOf(request))));
      },
      async updateCamera(_: unknown, { input }: { input: Input }, request: RequestContext) {
        const cameraId = validId(input.id, 'id');
        const rtspUrl = input.rtspUrl === undefined || input.rtspUrl === null ? undefined : validRtspUrl(input.rtspUrl);
        if (rtspUrl !== undefined) await cameraHosts.check(rtspUrl);
        const command = {
          kind: 'UpdateCamera' as const,
          cameraId,
          ...(input.name === undefined || input.name === null ? {} : { name: boundedText(input.name, 'name', LIMITS.name) }),
          ...(input.site === undefined ? {} : { site: optionalText(input.site, 'site', LIMITS.site) }),
          ...(rtspUrl === undefined ? {} : { rtspUrl }),
          ...(input.tags === undefined || input.tags === null ? {} : { tags: validTags(input.tags) }),
          ...optionalRecording(input.recording),
        };
        return wire(await service.changeCamera(command, validExpectedVersion(input.expectedVersion), contextOf(request)));
      },
      async decommissionCamera(_: unknown, args: Args, request: RequestContext) {
        const cameraId = validId(args.id, 'id');
        return wire(await service.changeCamera({ kind: 'DecommissionCamera', cameraId }, validExpectedVersion(args.expectedVersion), contextOf(request)));
      },
      async recordEvent(_: unknown, { input }: { input: Input }, request: RequestContext) {
        // The id is chosen here, not in recordEvents, so that an UNAVAILABLE answer can tell it.
        const id = input.id === undefined || input.id === null ? uuidv7() : String(input.id);
        const item = { input, source: 'graphql', context: contextOf(request), fallbackId: id };
        const [result] = await tellingTheId(id, () => recordEvents(service, [item]));
        return single(result);
      },
      async recordEvents(_: unknown, { inputs }: { inputs: Input[] }, request: RequestContext) {
        if (inputs.length > LIMITS.batch) throw new AppError('BAD_USER_INPUT', `at most ${LIMITS.batch} inputs per call (got ${inputs.length})`);
        const context = contextOf(request);
        const results = await recordEvents(
          service,
          inputs.map((input) => ({ input, source: 'graphql', context })),
        );
        let position = 0;
        for (const r of results) if (r.status === 'accepted') position = Math.max(position, r.result.position);
        return {
          accepted: results.filter((r) => r.status === 'accepted').length,
          duplicates: results.filter((r) => r.status === 'duplicate').length,
          position: position > 0 ? String(position) : null,
          errors: results.flatMap((r) => (r.status === 'rejected' ? [{ index: r.index, code: r.error.code, message: r.error.message }] : [])),
        };
      },
      async acknowledgeEvent(_: unknown, args: Args, request: RequestContext) {
        return wire(await service.changeIncident(lifecycle('AcknowledgeEvent', args, request), validExpectedVersion(args.expectedVersion), contextOf(request)));
      },
      async resolveEvent(_: unknown, args: Args, request: RequestContext) {
        return wire(await service.changeIncident(lifecycle('ResolveEvent', args, request), validExpectedVersion(args.expectedVersion), contextOf(request)));
      },
    },
  };
}

function optionalRecording(value: unknown) {
  const recording = validRecording(value);
  return recording === undefined ? {} : { recording };
}

function lifecycle<K extends 'AcknowledgeEvent' | 'ResolveEvent'>(kind: K, args: Args, request: RequestContext) {
  return { kind, eventId: validId(args.id, 'id'), by: request.identity.subject, note: optionalText(args.note, 'note', LIMITS.note) };
}
