import { RemoteGraphQLDataSource, type GraphQLDataSourceProcessOptions } from '@apollo/gateway';
import type { RequestContext } from '../../lib/auth/identity';
import { CORRELATION_HEADER, INTERNAL_HEADER, signInternalToken } from '../../lib/auth/internal-token';
import { AppError } from '../../lib/errors/app-error';
import { toGraphQLError } from '../../lib/graphql/errors';

/** The identity of the gateway itself, for its own schema introspection of the subgraphs. */
export const GATEWAY_IDENTITY = { subject: 'sightline-gateway', role: 'viewer' } as const;

/**
 * Calls a subgraph with the signed internal header: the subgraph learns who the caller is and
 * that the call came through the gateway, plus the correlation id for its logs and event metadata.
 */
export class SignedSubgraphDataSource extends RemoteGraphQLDataSource<RequestContext> {
  constructor(
    url: string,
    private readonly internalSecret: string,
    serviceName = 'a backend',
  ) {
    // Node's own fetch (undici, pooled keep-alive) instead of the default make-fetch-happen, whose
    // cache layer costs more per subgraph call than the call itself on loopback (bench/gateway).
    super({ url, fetcher: fetch as unknown as RemoteGraphQLDataSource['fetcher'] });
    this.serviceName = serviceName;
  }

  private readonly serviceName: string;

  /**
   * A subgraph that does not answer (refused, reset, or a 5xx without a GraphQL body) is an
   * UNAVAILABLE the client may retry, never an INTERNAL error carrying an internal URL.
   */
  override didEncounterError(error: Error, _request: unknown, response?: { status: number }): void {
    if (!response || response.status >= 502) {
      throw toGraphQLError(
        new AppError('UNAVAILABLE', `the ${this.serviceName} service is not answering; retry shortly`, { service: this.serviceName, retryable: true }),
      );
    }
    throw error;
  }

  override willSendRequest({ request, context }: GraphQLDataSourceProcessOptions<RequestContext>): void {
    // Health checks and schema loads run without a request context.
    const ctx = 'identity' in context ? (context as RequestContext) : undefined;
    const identity = ctx?.identity ?? GATEWAY_IDENTITY;
    const correlationId = ctx?.correlationId ?? 'gateway';
    request.http?.headers.set(INTERNAL_HEADER, signInternalToken(this.internalSecret, identity, correlationId));
    request.http?.headers.set(CORRELATION_HEADER, correlationId);
  }
}
