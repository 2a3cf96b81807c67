import { session } from '../session/session';

export interface GraphQLErrorShape {
  message: string;
  path?: ReadonlyArray<string | number>;
  extensions?: Record<string, unknown>;
}

/** A failed request with the contract's code (`extensions.code`), or NETWORK when the gateway is unreachable. */
export class ApiError extends Error {
  constructor(
    message: string,
    readonly code: string,
    readonly extensions: Record<string, unknown> = {},
  ) {
    super(message);
  }
}

export const codeOf = (error: GraphQLErrorShape): string => (typeof error.extensions?.code === 'string' ? error.extensions.code : 'INTERNAL_SERVER_ERROR');

export interface GraphQLResult<T> {
  data: T | null;
  errors: GraphQLErrorShape[];
}

/**
 * Posts one operation to the gateway. Partial answers are kept (a federated query may lose one
 * subgraph's fields and still be useful); an UNAUTHENTICATED answer ends the session.
 */
export async function request<T>(query: string, variables: Record<string, unknown> = {}): Promise<GraphQLResult<T>> {
  const token = session.info?.token;
  let response: Response;
  try {
    response = await fetch('/graphql', {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
      body: JSON.stringify({ query, variables }),
    });
  } catch {
    throw new ApiError('Cannot reach the Sightline gateway.', 'NETWORK');
  }
  let body: { data?: T | null; errors?: GraphQLErrorShape[] };
  try {
    body = (await response.json()) as typeof body;
  } catch {
    throw new ApiError(`The gateway answered ${response.status} without a GraphQL body.`, response.status >= 500 ? 'UNAVAILABLE' : 'NETWORK');
  }
  const errors = body.errors ?? [];
  if (errors.some((e) => codeOf(e) === 'UNAUTHENTICATED')) {
    session.end('The gateway refused your token (expired or invalid). Sign in again.');
    throw new ApiError('Your session has ended.', 'UNAUTHENTICATED');
  }
  return { data: body.data ?? null, errors };
}

/** Like request(), but any error fails the call: for mutations, where a partial answer means nothing. */
export async function execute<T>(query: string, variables: Record<string, unknown> = {}): Promise<T> {
  const { data, errors } = await request<T>(query, variables);
  const first = errors[0];
  if (first) throw new ApiError(first.message, codeOf(first), first.extensions ?? {});
  if (!data) throw new ApiError('The gateway returned no data.', 'INTERNAL_SERVER_ERROR');
  return data;
}
