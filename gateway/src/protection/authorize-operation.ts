import type { ApolloServerPlugin } from '@apollo/server';
import { GraphQLError, type DocumentNode, type GraphQLErrorExtensions, type GraphQLSchema, type OperationDefinitionNode } from 'graphql';
import type { Identity } from '../../../lib/auth/identity';
import { roleRefusal } from '../../../lib/graphql/role-check-plugin';
import type { GatewayContext } from '../context/gateway-context';
import { checkDepth, checkOperationLimits, type OperationLimits } from './operation-limits';
import type { RateLimiter } from './rate-limiter';

// The checks a client operation passes in the gateway, written once for HTTP and graphql-ws: the
// rate limit at the door (admitRequest), then, once the operation is parsed and validated,
// authorizeOperation. The token itself is verified by auth/user-token before either.

/** Takes one request's token of the caller's rate limit: RATE_LIMITED when none is left. */
export type RequestAdmission = (subject: string, transport: 'http' | 'graphql-ws') => GraphQLError | undefined;

/**
 * Runs before the operation is parsed, so a malformed request costs a token too. Over HTTP the
 * refusal is a 429 with Retry-After; over graphql-ws it is the `error` message of the operation.
 */
export function requestAdmission(rateLimiter: RateLimiter, onRefused: () => void): RequestAdmission {
  return (subject, transport) => {
    const taken = rateLimiter.take(subject);
    if (taken.allowed) return undefined;
    onRefused();
    const seconds = taken.retryAfterSeconds;
    // Apollo Server reads response headers from a Map here.
    const http = transport === 'http' ? { http: { status: 429, headers: new Map([['retry-after', String(seconds)]]) } } : {};
    // Cast: other libraries in the build (Hive Gateway, for the bench) narrow `http.headers` globally to a record.
    const extensions = { code: 'RATE_LIMITED', retryAfter: seconds, ...http } as unknown as GraphQLErrorExtensions;
    return new GraphQLError(`rate limit exceeded for ${subject}: retry in ${seconds} s`, { extensions });
  };
}

/** An operation parsed and validated against the schema it will run on. */
export interface ResolvedOperation {
  schema: GraphQLSchema;
  document: DocumentNode;
  operation: OperationDefinitionNode;
  variables: Record<string, unknown>;
}

/**
 * Whether an identity may run an operation, decided before any of it runs: the contract's role
 * matrix on every root field, then the depth and cost limits (depth alone when `limitsChecked`, see
 * GatewayContext). The first refusal, or undefined.
 */
export function authorizeOperation(
  identity: Identity,
  { schema, document, operation, variables }: ResolvedOperation,
  limits: OperationLimits,
  limitsChecked = false,
): GraphQLError | undefined {
  const forbidden = roleRefusal(identity.role, document, operation);
  if (forbidden) return forbidden;
  const [overLimit] = limitsChecked ? checkDepth(limits, document, operation) : checkOperationLimits(limits, schema, document, operation, variables);
  return overLimit;
}

/** authorizeOperation on every operation Apollo Server runs: HTTP requests and the gateway's own executions. */
export function authorizationPlugin(limits: OperationLimits): ApolloServerPlugin<GatewayContext> {
  return {
    async requestDidStart() {
      return {
        async didResolveOperation({ schema, document, operation, request, contextValue }) {
          if (!operation) return;
          const refusal = authorizeOperation(
            contextValue.identity,
            { schema, document, operation, variables: request.variables ?? {} },
            limits,
            contextValue.limitsChecked,
          );
          if (refusal) throw refusal;
        },
      };
    },
  };
}
