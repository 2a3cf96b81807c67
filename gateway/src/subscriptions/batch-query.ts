import type { FormattedExecutionResult as ExecutionResult, GraphQLFormattedError } from 'graphql';
import { innerVariable, type InnerQuery } from './inner-query';

/** How a root field is called once per item of a batch. */
export interface BatchTarget {
  field: string;
  /** Arguments that differ per item: name -> variable type; bound to `$sightline<Name><i>`. */
  perItem: Record<string, string>;
  /** Arguments with one value for the whole batch: name -> variable type; bound to `$sightline<Name>`. */
  shared: Record<string, string>;
}

export const batchAlias = (index: number): string => `sightlineItem${index}`;
export const batchVariable = (argument: string, index: number): string => `${innerVariable(argument)}${index}`;

const texts = new WeakMap<InnerQuery, Map<number, string>>();

/**
 * One query resolving `size` payloads of the same selection, one aliased root field each:
 * `query($sightlineMinPosition: String, $sightlineId0: ID!, …) { sightlineItem0: event(id: $sightlineId0, minPosition: $sightlineMinPosition) {…} sightlineItem1: … }`.
 * The supergraph plans it once per size (the text is the same for every batch of that size), and
 * the entity fetches of all items (e.g. each event's camera) go to their subgraph in one call.
 */
export function batchQueryText(query: InnerQuery, size: number, target: BatchTarget): string {
  let bySize = texts.get(query);
  if (!bySize) {
    bySize = new Map();
    texts.set(query, bySize);
  }
  const known = bySize.get(size);
  if (known) return known;
  const { clientDefinitions, selection, fragments, name } = query.parts;
  const definitions = [
    ...Object.entries(target.shared).map(([argument, type]) => `$${innerVariable(argument)}: ${type}`),
    ...Array.from({ length: size }, (_, i) => Object.entries(target.perItem).map(([argument, type]) => `$${batchVariable(argument, i)}: ${type}`)).flat(),
    ...clientDefinitions,
  ];
  const fields = Array.from({ length: size }, (_, i) => {
    const args = [
      ...Object.keys(target.perItem).map((argument) => `${argument}: $${batchVariable(argument, i)}`),
      ...Object.keys(target.shared).map((argument) => `${argument}: $${innerVariable(argument)}`),
    ];
    return `  ${batchAlias(i)}: ${target.field}(${args.join(', ')}) ${selection}`;
  });
  const text = [`query ${name}_batch(${definitions.join(', ')}) {`, ...fields, '}', ...fragments].join('\n');
  bySize.set(size, text);
  return text;
}

/**
 * Splits a batch's answer into the answer each item would have had on its own: its alias's data
 * under the subscription's response key, the errors whose path starts at its alias (path rewritten),
 * and the errors without a path (the whole request failed) for every item.
 */
export function splitBatchResult(result: ExecutionResult, size: number, responseKey: string): ExecutionResult[] {
  const general: GraphQLFormattedError[] = [];
  const byIndex = new Map<number, GraphQLFormattedError[]>();
  for (const error of result.errors ?? []) {
    const head = error.path?.[0];
    const index = typeof head === 'string' && head.startsWith('sightlineItem') ? Number(head.slice('sightlineItem'.length)) : NaN;
    if (!Number.isInteger(index)) {
      general.push(error);
      continue;
    }
    const list = byIndex.get(index) ?? [];
    list.push({ ...error, path: [responseKey, ...(error.path ?? []).slice(1)] });
    byIndex.set(index, list);
  }
  return Array.from({ length: size }, (_, i) => {
    const errors = [...general, ...(byIndex.get(i) ?? [])];
    const value = result.data ? (result.data[batchAlias(i)] ?? null) : null;
    return { data: result.data ? { [responseKey]: value } : null, ...(errors.length > 0 ? { errors } : {}) };
  });
}
