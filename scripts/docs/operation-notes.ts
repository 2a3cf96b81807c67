import { LIMITS } from '../../subgraphs/command/src/domain/validation';
import { MAX_BUCKETS } from '../../subgraphs/query/src/read/stats-plan';
import { VIEW_NAMES } from '../../subgraphs/query/src/views/names';

/**
 * What the SDL does not say about an operation or a type, for the generated reference. Keyed
 * `Query.camera`, `Mutation.recordEvent`, `Subscription.eventRecorded` or a type name. The limits
 * come from the code that enforces them, so the page cannot drift from it; the generator refuses a
 * key that names nothing in the schema, so a note cannot outlive its operation.
 */
export const NOTES: Readonly<Record<string, string>> = {
  'Query.camera':
    'One camera, or null when no camera has this id. `rtspUrl` comes back with its credentials masked. ' +
    'With `minPosition` the answer waits until the view holds that position ([read your writes](semantics.md#read-your-writes)).',
  'Query.cameras':
    'Cameras sorted by name, then id, one page at a time: `first` is 0 to 500 (20 when omitted) and `after` is the ' +
    '`pageInfo.endCursor` of the page before. `filter.text` matches the name, id, site and tags.',
  'Query.event': 'One event with its incident state, or null when no event has this id.',
  'Query.events':
    'Events newest first (by `recordedAt`, then id), a page at a time with the same `first` and `after` as `cameras`. ' +
    'Events recorded later sort before any cursor already handed out, so paging stays stable while writes go on. ' +
    '`filter.text` searches the type, the source, the attributes, the notes and the ids.',
  'Query.eventStats':
    'Totals, breakdowns and a histogram (one bucket per `interval`) of the events the filter selects. `filter.from` must be ' +
    `before \`filter.to\`, and a range that needs more than ${MAX_BUCKETS.toLocaleString('en-US')} buckets is refused with ` +
    '`BAD_USER_INPUT` (choose a larger interval or a shorter range).',
  'Query.projections':
    `One entry per read-model view (${VIEW_NAMES.map((name) => `\`${name}\``).join(', ')}): the position it has applied, ` +
    'the head of the event store, the lag between the two, its state, and the events it had to dead-letter.',
  'Query.streamSession': 'One stream session by id, or null.',
  'Mutation.registerCamera':
    'Stores a new ACTIVE camera. Without `id` the server chooses one. `rtspUrl` must be `rtsp://` or `rtsps://` and its host ' +
    'allowed by `CAMERA_ALLOWED_HOSTS`; a refused URL is never stored.',
  'Mutation.updateCamera':
    'Changes the fields given and leaves the others; `site: null` clears the site. With `expectedVersion` it applies only ' +
    'to that version of the camera. An update that changes nothing writes nothing and returns the current version. A ' +
    'decommissioned camera cannot be updated (`BAD_USER_INPUT`).',
  'Mutation.decommissionCamera':
    'Marks the camera DECOMMISSIONED: no event can be recorded for it any more and its live stream stops. ' + 'Decommissioning it again writes nothing.',
  'Mutation.recordEvent':
    'Records one event for an ACTIVE camera, OPEN, with source `graphql`. Give it an `id` to make a retry safe. ' +
    `\`attributes\` is a JSON object of at most ${LIMITS.attributesBytes / 1024} KiB.`,
  'Mutation.recordEvents':
    'The accepted ones are written together, in one append. `errors` lists the refused inputs by index with their code, ' +
    '`duplicates` counts repeats of events already stored, and `position` is the highest position written (pass it as ' +
    `\`minPosition\`). Each input follows the rules of \`recordEvent\`; more than ${LIMITS.batch} inputs refuse the whole call.`,
  'Mutation.acknowledgeEvent': "It becomes ACKNOWLEDGED; the token's subject is kept as `acknowledgedBy` and the note as `acknowledgeNote`.",
  'Mutation.resolveEvent': "It becomes RESOLVED; the token's subject is kept as `resolvedBy` and the note as `resolveNote`.",
  'Mutation.rebuildProjection':
    `\`name\` is one of ${VIEW_NAMES.map((name) => `\`${name}\``).join(', ')}. The new index is filled beside the old one and ` +
    'swapped in once it has caught up, so readers see the complete old view until then. A second rebuild of a view ' +
    'while one runs is refused. `npm run rebuild -- <name>` calls it and shows the progress.',
  'Mutation.startStream':
    '`hlsUrl` plays once the status is LIVE. Refused without creating anything: an unknown camera (`NOT_FOUND`), a ' +
    'decommissioned one or a host `CAMERA_ALLOWED_HOSTS` does not allow (`BAD_USER_INPUT`), a media process at its ' +
    'session limit (`LIMIT_EXCEEDED`).',
  'Mutation.stopStream': "Stops the camera's session and returns it STOPPED, or null when the camera has none.",
  'Subscription.eventRecorded':
    'One push per recorded event (through GraphQL or AMQP ingestion) that the filter selects. The selection is resolved ' +
    'once the read model holds the event, so it never shows an older state.',
  'Subscription.eventStatsUpdated': 'A new subscriber first gets the current answer.',
  'Subscription.streamStatusChanged': "Every status change of a stream session; only that camera's when `cameraId` is given.",
  BatchItemError:
    'One refused input of `recordEvents`: its place in `inputs`, and the code and message `recordEvent` would have failed with ([errors](errors.md)).',
  ProjectionStatus:
    '`lag` is `headPosition` (the newest position in the event store) minus `position` (what readers of the view see). ' +
    '`index` is the Elasticsearch index behind the view; `rebuildProgress` runs from 0 to 1 while a rebuild is going on, null otherwise.',
  DateTime: 'An ISO-8601 date and time with a time zone, e.g. `2026-01-31T12:00:00Z`; answers are always UTC with milliseconds.',
  JSON: "Any JSON value (an event's `attributes` must be an object).",
};
