import {
  getArgumentValues,
  getVariableValues,
  Kind,
  print,
  visit,
  type DocumentNode,
  type FieldNode,
  type FragmentDefinitionNode,
  type GraphQLSchema,
  type OperationDefinitionNode,
  type SelectionSetNode,
} from 'graphql';
import { AppError } from '../../../lib/errors/app-error';
import { fragmentsOf } from '../protection/query-depth';

/** The one root field a subscription operation selects, with its coerced arguments. */
export interface SubscriptionRequest {
  document: DocumentNode;
  operation: OperationDefinitionNode;
  field: FieldNode;
  /** The key the client expects in `data` (its alias or the field name). */
  responseKey: string;
  arguments: Record<string, unknown>;
  /** The client's raw variables. */
  variables: Readonly<Record<string, unknown>>;
}

/** The query that resolves a subscription's payload through the supergraph, the same for every subscriber that selects the same. */
export interface InnerQuery {
  text: string;
  /** The client variables the selection uses, passed on unchanged. */
  variables: Record<string, unknown>;
  responseKey: string;
  /** Identifies subscribers that can share one execution of the query. */
  key: string;
  /** The pieces of `text`, to build a query that resolves many payloads at once (batch-query.ts). */
  parts: {
    /** The client's variable definitions the selection uses, printed. */
    clientDefinitions: string[];
    /** The selection set, printed (extra selection included). */
    selection: string;
    fragments: string[];
    name: string;
  };
}

export function readSubscriptionRequest(
  schema: GraphQLSchema,
  document: DocumentNode,
  operationName: string | null | undefined,
  variables: Readonly<Record<string, unknown>> | null | undefined,
): SubscriptionRequest {
  const operations = document.definitions.filter((d): d is OperationDefinitionNode => d.kind === Kind.OPERATION_DEFINITION);
  const operation = operationName ? operations.find((o) => o.name?.value === operationName) : operations.length === 1 ? operations[0] : undefined;
  if (!operation) throw new AppError('BAD_USER_INPUT', 'cannot tell which operation to run');
  const fields = operation.selectionSet.selections.filter((s): s is FieldNode => s.kind === Kind.FIELD);
  const field = fields[0];
  // Validation already demands exactly one root field for subscriptions (fragments included).
  if (!field || fields.length !== 1 || operation.selectionSet.selections.length !== 1) {
    throw new AppError('BAD_USER_INPUT', 'a subscription selects exactly one root field, without fragments');
  }
  const fieldDef = schema.getSubscriptionType()?.getFields()[field.name.value];
  if (!fieldDef) throw new AppError('BAD_USER_INPUT', `unknown subscription ${field.name.value}`);
  const coerced = getVariableValues(schema, operation.variableDefinitions ?? [], { ...(variables ?? {}) });
  if (coerced.errors) throw new AppError('BAD_USER_INPUT', coerced.errors.map((e) => e.message).join('; '));
  return {
    document,
    operation,
    field,
    responseKey: field.alias?.value ?? field.name.value,
    arguments: getArgumentValues(fieldDef, field, coerced.coerced),
    variables: variables ?? {},
  };
}

/** The variable name `buildInnerQuery` binds a target argument to. */
export const innerVariable = (argument: string): string => `sightline${argument[0]?.toUpperCase() ?? ''}${argument.slice(1)}`;

function usedFragments(selection: SelectionSetNode, fragments: Map<string, FragmentDefinitionNode>): FragmentDefinitionNode[] {
  const used = new Map<string, FragmentDefinitionNode>();
  const walk = (node: SelectionSetNode | FragmentDefinitionNode): void => {
    visit(node, {
      FragmentSpread(spread) {
        const name = spread.name.value;
        const fragment = fragments.get(name);
        if (fragment && !used.has(name)) {
          used.set(name, fragment);
          walk(fragment);
        }
      },
    });
  };
  walk(selection);
  return [...used.values()];
}

/**
 * Turns a subscription's selection into a query on a supergraph root field, e.g.
 * `eventRecorded { id camera { name } }` into `query($sightlineId: ID!, ...) { eventRecorded: event(id: $sightlineId ...) { id camera { name } } }`.
 * `targetArguments` are `name -> [variable type, ...]` bound to `$sightline<Name>` variables.
 */
export function buildInnerQuery(
  request: SubscriptionRequest,
  target: { field: string; arguments: Record<string, string> },
  extraSelection = '',
  /** The operation's name is `Sightline_<name>`; by default the subscription field's. */
  name = request.field.name.value,
): InnerQuery {
  const selectionSet = request.field.selectionSet;
  if (!selectionSet) throw new AppError('BAD_USER_INPUT', `${request.field.name.value} needs a selection set`);
  const fragments = usedFragments(selectionSet, fragmentsOf(request.document));
  const usedVariables = new Set<string>();
  for (const node of [selectionSet, ...fragments]) {
    visit(node, {
      Variable(variable) {
        usedVariables.add(variable.name.value);
      },
    });
  }
  const clientDefinitions = (request.operation.variableDefinitions ?? []).filter((d) => usedVariables.has(d.variable.name.value));
  const definitions = [
    ...Object.entries(target.arguments).map(([argument, type]) => `$${innerVariable(argument)}: ${type}`),
    ...clientDefinitions.map((d) => print(d)),
  ];
  const callArguments = Object.keys(target.arguments).map((argument) => `${argument}: $${innerVariable(argument)}`);
  const printed = print(selectionSet);
  const selection = extraSelection ? `${printed.slice(0, -1)}  ${extraSelection}\n}` : printed;
  const printedFragments = fragments.map((f) => print(f));
  const operationName = `Sightline_${name}`;
  const text = [
    `query ${operationName}(${definitions.join(', ')}) {`,
    `  ${request.responseKey}: ${target.field}(${callArguments.join(', ')}) ${selection}`,
    '}',
    ...printedFragments,
  ].join('\n');
  const variables = Object.fromEntries(clientDefinitions.map((d) => [d.variable.name.value, request.variables[d.variable.name.value]]));
  return {
    text,
    variables,
    responseKey: request.responseKey,
    key: `${text}\u0000${JSON.stringify(variables)}`,
    parts: { clientDefinitions: clientDefinitions.map((d) => print(d)), selection, fragments: printedFragments, name: operationName },
  };
}
