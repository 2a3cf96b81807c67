import {
  getNamedType,
  getNullableType,
  isCompositeType,
  isListType,
  isObjectType,
  isInterfaceType,
  Kind,
  type DocumentNode,
  type GraphQLCompositeType,
  type GraphQLSchema,
  type OperationDefinitionNode,
  type SelectionSetNode,
  type ValueNode,
} from 'graphql';
import { fragmentsOf } from './query-depth';

/** The size assumed for a list field whose page size the client did not state. */
export const DEFAULT_LIST_SIZE = 10;
const PAGE_SIZE_ARGUMENTS = new Set(['first', 'limit', 'last']);

function intValue(node: ValueNode, variables: Readonly<Record<string, unknown>>): number | undefined {
  if (node.kind === Kind.INT) return Number(node.value);
  if (node.kind === Kind.VARIABLE) {
    const value = variables[node.name.value];
    return typeof value === 'number' && Number.isFinite(value) ? value : undefined;
  }
  return undefined;
}

/**
 * A static cost: every field costs 1, and what a list field selects costs once per item, the
 * item count being its `first`/`limit` argument or DEFAULT_LIST_SIZE. Cheap to compute before
 * anything runs, and it bounds the work an operation can ask of the subgraphs.
 */
export function operationCost(
  schema: GraphQLSchema,
  document: DocumentNode,
  operation: OperationDefinitionNode,
  variables: Readonly<Record<string, unknown>> = {},
): number {
  const fragments = fragmentsOf(document);
  const root =
    operation.operation === 'mutation' ? schema.getMutationType() : operation.operation === 'subscription' ? schema.getSubscriptionType() : schema.getQueryType();
  if (!root) return 0;

  const costOf = (set: SelectionSetNode, parent: GraphQLCompositeType, visiting: ReadonlySet<string>): number => {
    let total = 0;
    for (const selection of set.selections) {
      if (selection.kind === Kind.FIELD) {
        const name = selection.name.value;
        if (name.startsWith('__')) continue;
        const field = isObjectType(parent) || isInterfaceType(parent) ? parent.getFields()[name] : undefined;
        if (!field) {
          total += 1;
          continue;
        }
        let multiplier = 1;
        if (isListType(getNullableType(field.type))) {
          multiplier = DEFAULT_LIST_SIZE;
        }
        for (const argument of selection.arguments ?? []) {
          if (!PAGE_SIZE_ARGUMENTS.has(argument.name.value)) continue;
          const stated = intValue(argument.value, variables);
          if (stated !== undefined) multiplier = Math.max(1, stated);
        }
        const named = getNamedType(field.type);
        const below = selection.selectionSet && isCompositeType(named) ? costOf(selection.selectionSet, named, visiting) : 0;
        total += 1 + multiplier * below;
      } else if (selection.kind === Kind.INLINE_FRAGMENT) {
        const conditioned = selection.typeCondition ? schema.getType(selection.typeCondition.name.value) : parent;
        total += costOf(selection.selectionSet, conditioned && isCompositeType(conditioned) ? conditioned : parent, visiting);
      } else {
        const name = selection.name.value;
        const fragment = fragments.get(name);
        if (!fragment || visiting.has(name)) continue;
        const conditioned = schema.getType(fragment.typeCondition.name.value);
        total += costOf(fragment.selectionSet, conditioned && isCompositeType(conditioned) ? conditioned : parent, new Set([...visiting, name]));
      }
    }
    return total;
  };
  return costOf(operation.selectionSet, root, new Set());
}
