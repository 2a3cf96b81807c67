import type http from 'node:http';
import { CORRELATION_HEADER } from '../../../lib/auth/internal-token';
import { AppError } from '../../../lib/errors/app-error';
import { toGraphQLError } from '../../../lib/graphql/errors';
import type { TokenVerifier } from '../auth/user-token';
import { correlationIdOf, type GatewayContext } from '../context/gateway-context';
import type { RequestAdmission } from '../protection/authorize-operation';

/**
 * The context of a GraphQL request over HTTP, built before its operation is parsed: the caller its
 * token names (refused with UNAUTHENTICATED or FORBIDDEN otherwise), one token of that caller's
 * rate limit, and the correlation id. authorizeOperation runs later, on the parsed operation.
 */
export function httpRequestContext(verifyToken: TokenVerifier, admit: RequestAdmission): (req: http.IncomingMessage) => Promise<GatewayContext> {
  return async (req) => {
    const receivedAt = performance.now();
    const correlationId = correlationIdOf(req.headers[CORRELATION_HEADER]);
    let identity: GatewayContext['identity'];
    try {
      ({ identity } = await verifyToken(req.headers.authorization));
    } catch (error) {
      if (error instanceof AppError) throw toGraphQLError(error);
      throw error;
    }
    const overRate = admit(identity.subject, 'http');
    if (overRate) throw overRate;
    return { identity, correlationId, receivedAt };
  };
}
