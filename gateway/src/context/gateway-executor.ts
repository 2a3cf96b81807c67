import type { FormattedExecutionResult } from 'graphql';
import type { RequestContext } from '../../../lib/auth/identity';

/** Runs a query through the gateway itself (supergraph planning, roles, signed subgraph calls). */
export type GatewayExecutor = (
  query: string,
  variables: Record<string, unknown>,
  context: RequestContext,
  operationName?: string | null,
) => Promise<FormattedExecutionResult>;
