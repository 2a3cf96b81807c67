import { unwrapResolverError } from '@apollo/server/errors';
import { GraphQLError, type GraphQLFormattedError } from 'graphql';
import { AppError, type ErrorCode } from '../errors/app-error';

const HTTP_STATUS: Partial<Record<ErrorCode, number>> = { UNAUTHENTICATED: 401, FORBIDDEN: 403, RATE_LIMITED: 429 };

/** An AppError as a GraphQL error: the code and safe details land in `extensions`. */
export function toGraphQLError(error: AppError): GraphQLError {
  const status = HTTP_STATUS[error.code];
  return new GraphQLError(error.message, {
    originalError: error,
    extensions: { ...error.details, code: error.code, ...(status ? { http: { status } } : {}) },
  });
}

/**
 * The one place errors leave a server: AppErrors keep their code and details; anything else is an
 * INTERNAL error whose message (and stack) is hidden in production.
 */
export function makeFormatError(production: boolean) {
  return (formatted: GraphQLFormattedError, error: unknown): GraphQLFormattedError => {
    const original = unwrapResolverError(error);
    if (original instanceof AppError) {
      return { ...formatted, message: original.message, extensions: { ...original.details, code: original.code } };
    }
    const code = formatted.extensions?.code;
    if (typeof code === 'string' && code !== 'INTERNAL_SERVER_ERROR') {
      if (!production) return formatted;
      const { stacktrace: _stacktrace, ...extensions } = formatted.extensions ?? {};
      return { ...formatted, extensions };
    }
    if (!production) return { ...formatted, extensions: { ...formatted.extensions, code: 'INTERNAL' } };
    return { message: 'internal error', locations: formatted.locations, path: formatted.path, extensions: { code: 'INTERNAL' } };
  };
}
