import type { ApolloServerPlugin } from '@apollo/server';
import type { DocumentNode, GraphQLError, OperationDefinitionNode } from 'graphql';
import type { RequestContext } from '../auth/identity';
import { hasRole, requiredRoleFor, type Role } from '../auth/roles';
import { AppError } from '../errors/app-error';
import { toGraphQLError } from './errors';
import { rootFieldsOf, rootTypeName } from './root-fields';

/** FORBIDDEN for the first root field of the operation that the role may not use; undefined when it may run it all. */
export function roleRefusal(role: Role, document: DocumentNode, operation: OperationDefinitionNode): GraphQLError | undefined {
  const rootType = rootTypeName(operation);
  for (const field of rootFieldsOf(document, operation)) {
    const needed = requiredRoleFor(rootType, field);
    if (!hasRole(role, needed)) return toGraphQLError(new AppError('FORBIDDEN', `${rootType}.${field} needs role ${needed}`));
  }
  return undefined;
}

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
          const refusal = roleRefusal(contextValue.identity.role, document, operation);
          if (refusal) throw refusal;
        },
      };
    },
  };
}
