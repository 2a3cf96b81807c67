import { Kind, type FieldNode, type SelectionNode } from 'graphql';
import type { EventRecorded } from '../../../lib/events/domain-events';
import type { WireEnvelope } from '../../../lib/events/envelope';
import type { BatchTarget } from './batch-query';
import { envelopeReadOf, type EnvelopeRead } from './envelope-answer';
import type { Lookup } from './fanout';
import { buildInnerQuery, type SubscriptionRequest } from './inner-query';

const CAMERA_TARGET: BatchTarget = { field: 'camera', perItem: { id: 'ID!' }, shared: { minPosition: 'String' } };

type Envelope = WireEnvelope<EventRecorded>;

/**
 * For a selection made of immutable Event fields plus one `camera { … }` (the bench's
 * `id type attributes camera { name site }`, and what a wall of camera tiles asks), the payload is
 * built from the envelope and `camera(id: <the envelope's cameraId>, minPosition)`: a batch then
 * reads each of its cameras once (usually one or a few) instead of every event and then its camera.
 *
 * Why it is the same answer as `event(id, minPosition) { … }`: the immutable fields are the ones the
 * projection copies from this very envelope (envelope-answer.ts), and `Event.camera` is the camera
 * document of `cameraId` read at the same `minPosition`, mapped by the same code as `camera(id)`,
 * for the same identity. The one case where they differ, a camera the read model does not hold
 * (`Event.camera` then answers a placeholder), comes back null here, and such items, like any
 * answered with an error, are resolved by the full `event` query instead (Fanout).
 *
 * Undefined for any other selection: fragments or directives at the top, arguments on `camera`,
 * a second `camera`, or any field that can change after the event was recorded.
 */
export function cameraLookupFor(request: SubscriptionRequest): Lookup | undefined {
  const selections = request.field.selectionSet?.selections ?? [];
  const fields: Array<{ key: string; read: EnvelopeRead | 'camera' }> = [];
  let camera: FieldNode | undefined;
  for (const node of selections) {
    const immutable = envelopeReadOf(node);
    if (immutable) {
      fields.push(immutable);
      continue;
    }
    const isPlainCamera =
      node.kind === Kind.FIELD &&
      node.name.value === 'camera' &&
      !!node.selectionSet &&
      (node.arguments?.length ?? 0) === 0 &&
      (node.directives?.length ?? 0) === 0;
    if (!isPlainCamera || camera) return undefined;
    camera = node;
    fields.push({ key: node.alias?.value ?? node.name.value, read: 'camera' });
  }
  if (!camera) return undefined;
  const cacheable = keptAnswerFits(camera);
  const cameraKey = camera.alias?.value ?? camera.name.value;
  const query = buildInnerQuery(
    { ...request, field: camera, responseKey: cameraKey },
    { field: 'camera', arguments: { id: 'ID!', minPosition: 'String' } },
    '',
    request.field.name.value,
  );
  const { responseKey } = request;
  return {
    query,
    target: CAMERA_TARGET,
    valuesOf: (envelope: Envelope) => ({ id: envelope.data.cameraId }),
    ...(cacheable ? { itemOf: (values: Record<string, unknown>) => String(values.id) } : {}),
    compose: (envelope: Envelope, found: unknown) => {
      const payload: Record<string, unknown> = {};
      for (const { key, read } of fields) payload[key] = read === 'camera' ? found : read(envelope.data, envelope);
      return { data: { [responseKey]: payload } };
    },
  };
}

/**
 * Camera fields that only camera events change (the query subgraph's projection of them): an answer
 * made of these alone can be kept until the camera's next event (lookup-cache.ts). Not `stats`
 * (every event changes it) nor the media subgraph's `liveStream` (it changes without events).
 */
const KEPT_CAMERA_FIELDS = new Set(['__typename', 'id', 'name', 'site', 'rtspUrl', 'tags', 'status', 'version', 'registeredAt', 'recording']);

function keptAnswerFits(camera: FieldNode): boolean {
  const plain = (node: SelectionNode, allowed: (name: string) => boolean): boolean =>
    node.kind === Kind.FIELD && allowed(node.name.value) && (node.arguments?.length ?? 0) === 0 && (node.directives?.length ?? 0) === 0;
  return (camera.selectionSet?.selections ?? []).every(
    (node) =>
      plain(node, (name) => KEPT_CAMERA_FIELDS.has(name)) &&
      (node as FieldNode).selectionSet?.selections.every((inner) => plain(inner, () => true) && !(inner as FieldNode).selectionSet) !== false,
  );
}
