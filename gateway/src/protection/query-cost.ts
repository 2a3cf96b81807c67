import {
  getArgumentValues,
  getNamedType,
  getNullableType,
  getVariableValues,
  isCompositeType,
  isListType,
  isObjectType,
  isInterfaceType,
  Kind,
  type DocumentNode,
  type FieldNode,
  type GraphQLCompositeType,
  type GraphQLField,
  type GraphQLSchema,
  type OperationDefinitionNode,
  type SelectionSetNode,
} from 'graphql';
import { fragmentsOf } from './query-depth';

/** The size assumed for a list field whose page size the client did not state. */
export const DEFAULT_LIST_SIZE = 10;
const PAGE_SIZE_ARGUMENTS = new Set(['first', 'limit', 'last']);

/**
 * The variable values execution will use: the request's, coerced, with the operation's defaults
 * for those it left out. Raw request variables would miss `query($n: Int = 500)` sent without `n`.
 * Values that do not coerce make the request fail before it runs; the cost then sees none.
 */
function coercedVariables(schema: GraphQLSchema, operation: OperationDefinitionNode, variables: Readonly<Record<string, unknown>>): Record<string, unknown> {
  if (!operation.variableDefinitions || operation.variableDefinitions.length === 0) return {};
  const { coerced } = getVariableValues(schema, operation.variableDefinitions, { ...variables });
  return coerced ?? {};
}

/** The page sizes a field is called with, as execution will see them (literal, variable or default alike). */
function statedSize(field: GraphQLField<unknown, unknown>, node: FieldNode, variables: Record<string, unknown>): number | undefined {
  if (!field.args.some((argument) => PAGE_SIZE_ARGUMENTS.has(argument.name))) return undefined;
  let values: Record<string, unknown>;
  try {
    values = getArgumentValues(field, node, variables);
  } catch {
    // An argument that does not coerce fails the request before anything runs.
    return undefined;
  }
  let size: number | undefined;
  for (const name of PAGE_SIZE_ARGUMENTS) {
    const value = values[name];
    if (typeof value === 'number' && Number.isFinite(value)) size = Math.max(size ?? 1, value);
  }
  return size;
}

/**
 * A static cost: every field costs 1, and what a list field selects costs once per item, the
 * item count being its `first`/`limit`/`last` argument or DEFAULT_LIST_SIZE. Arguments are read
 * the way execution reads them: a size counts the same as a literal, a variable or a default
 * (of the variable or of the argument). Cheap to compute before anything runs, and it bounds the
 * work an operation can ask of the subgraphs.
 */
export function operationCost(
  schema: GraphQLSchema,
  document: DocumentNode,
  operation: OperationDefinitionNode,
  variables: Readonly<Record<string, unknown>> = {},
): number {
  const fragments = fragmentsOf(document);
  const values = coercedVariables(schema, operation, variables);
  const root =
    operation.operation === 'mutation'
      ? schema.getMutationType()
      : operation.operation === 'subscription'
        ? schema.getSubscriptionType()
        : schema.getQueryType();
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
        const stated = statedSize(field, selection, values);
        const multiplier = stated ?? (isListType(getNullableType(field.type)) ? DEFAULT_LIST_SIZE : 1);
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
