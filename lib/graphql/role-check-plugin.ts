import type { ApolloServerPlugin } from '@apollo/server';
import type { RequestContext } from '../auth/identity';
import { hasRole, requiredRoleFor } from '../auth/roles';
import { AppError } from '../errors/app-error';
import { toGraphQLError } from './errors';
import { rootFieldsOf, rootTypeName } from './root-fields';

/**
 * Enforces the contract's role matrix on every root field of an operation. The gateway runs it and
 * each subgraph runs it again: the gateway is not the only line of defence.
 */
export function roleCheckPlugin(): ApolloServerPlugin<RequestContext> {
  return {
    async requestDidStart() {
      return {
        async didResolveOperation({ document, operation, contextValue }) {
          if (!operation) return;
          const rootType = rootTypeName(operation);
          for (const field of rootFieldsOf(document, operation)) {
            const needed = requiredRoleFor(rootType, field);
            if (!hasRole(contextValue.identity.role, needed)) {
              throw toGraphQLError(new AppError('FORBIDDEN', `${rootType}.${field} needs role ${needed}`));
            }
          }
        },
      };
    },
  };
}
