import { GraphQLError, type DocumentNode, type GraphQLSchema, type OperationDefinitionNode } from 'graphql';
import { operationCost } from './query-cost';
import { operationDepth } from './query-depth';

export interface OperationLimits {
  maxDepth: number;
  maxCost: number;
}

/** An over-limit operation: refused before anything runs, with the figures that tell the client why. */
export function limitExceeded(message: string, details: Record<string, number>): GraphQLError {
  return new GraphQLError(message, { extensions: { code: 'LIMIT_EXCEEDED', ...details, http: { status: 400 } } });
}

// Per parsed operation. Apollo Server keeps one parsed DocumentNode per query text (its document
// store, emptied when the schema changes), so a repeated query finds its figures here. The cost
// depends on variables only when the operation declares some: those are computed every time.
const depths = new WeakMap<OperationDefinitionNode, number>();
const costs = new WeakMap<OperationDefinitionNode, { schema: GraphQLSchema; cost: number }>();

function depthOf(document: DocumentNode, operation: OperationDefinitionNode): number {
  let depth = depths.get(operation);
  if (depth === undefined) {
    depth = operationDepth(document, operation);
    depths.set(operation, depth);
  }
  return depth;
}

function costOf(...args: Parameters<typeof operationCost>): number {
  const [schema, , operation] = args;
  if (operation.variableDefinitions && operation.variableDefinitions.length > 0) return operationCost(...args);
  const known = costs.get(operation);
  if (known && known.schema === schema) return known.cost;
  const cost = operationCost(...args);
  costs.set(operation, { schema, cost });
  return cost;
}

/** Checks an operation against the depth limit alone; the errors are empty when it passes. */
export function checkDepth(limits: OperationLimits, document: DocumentNode, operation: OperationDefinitionNode): GraphQLError[] {
  const depth = depthOf(document, operation);
  if (depth > limits.maxDepth) return [limitExceeded(`operation depth ${depth} exceeds the limit ${limits.maxDepth}`, { depth, maxDepth: limits.maxDepth })];
  return [];
}

/** Checks an operation against the depth and cost limits; the errors are empty when it passes. */
export function checkOperationLimits(limits: OperationLimits, ...args: Parameters<typeof operationCost>): GraphQLError[] {
  const [schema, document, operation, variables] = args;
  const tooDeep = checkDepth(limits, document, operation);
  if (tooDeep.length > 0) return tooDeep;
  const cost = costOf(schema, document, operation, variables);
  if (cost > limits.maxCost) return [limitExceeded(`operation cost ${cost} exceeds the limit ${limits.maxCost}`, { cost, maxCost: limits.maxCost })];
  return [];
}
