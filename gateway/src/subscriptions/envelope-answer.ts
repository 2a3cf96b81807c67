import { Kind, type FormattedExecutionResult as ExecutionResult, type SelectionNode, type SelectionSetNode } from 'graphql';
import type { EventRecorded } from '../../../lib/events/domain-events';
import type { WireEnvelope } from '../../../lib/events/envelope';

const isoOf = (value: string): string => new Date(value).toISOString();

/**
 * Event fields that never change once the event is recorded, as the query subgraph answers them
 * (its projection copies them from this very envelope; DateTime in its canonical UTC form).
 */
const IMMUTABLE: Record<string, (data: EventRecorded['data'], envelope: WireEnvelope<EventRecorded>) => unknown> = {
  id: (d) => d.eventId,
  type: (d) => d.type,
  severity: (d) => d.severity,
  occurredAt: (d) => isoOf(d.occurredAt),
  recordedAt: (_d, e) => isoOf(e.recordedAt),
  source: (d) => d.source,
  attributes: (d) => d.attributes,
  __typename: () => 'Event',
};

export type EnvelopeAnswer = (envelope: WireEnvelope<EventRecorded>) => ExecutionResult;

/** Reads one field of the Event from the envelope. */
export type EnvelopeRead = (typeof IMMUTABLE)[string];

/**
 * How a selected field is read from the envelope: set only for an immutable Event field asked
 * plainly (an alias allowed; no arguments, directives or nested selection).
 */
export function envelopeReadOf(node: SelectionNode): { key: string; read: EnvelopeRead } | undefined {
  if (node.kind !== Kind.FIELD || node.selectionSet || (node.directives?.length ?? 0) > 0 || (node.arguments?.length ?? 0) > 0) return undefined;
  const read = Object.hasOwn(IMMUTABLE, node.name.value) ? IMMUTABLE[node.name.value] : undefined;
  return read ? { key: node.alias?.value ?? node.name.value, read } : undefined;
}

/**
 * For a selection made only of immutable Event fields (aliases allowed; no fragments, directives
 * or nested selections), the payload straight from the envelope: no read-model wait, no query.
 * It is the very answer `event(id, minPosition)` gives at the event's position or any later one,
 * because none of these fields changes after EventRecorded. Undefined for any other selection.
 */
export function envelopeAnswerFor(selection: SelectionSetNode, responseKey: string): EnvelopeAnswer | undefined {
  const fields: Array<[string, EnvelopeRead]> = [];
  for (const node of selection.selections) {
    const field = envelopeReadOf(node);
    if (!field) return undefined;
    fields.push([field.key, field.read]);
  }
  return (envelope) => {
    const { data } = envelope;
    const payload: Record<string, unknown> = {};
    for (const [key, read] of fields) payload[key] = read(data, envelope);
    return { data: { [responseKey]: payload } };
  };
}
