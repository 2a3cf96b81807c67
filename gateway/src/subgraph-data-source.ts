import { STATUS_CODES } from 'node:http';
import { RemoteGraphQLDataSource, type GraphQLDataSourceProcessOptions } from '@apollo/gateway';
import { GraphQLError, type GraphQLErrorExtensions } from 'graphql';
import { Agent, request as httpRequest, type Dispatcher } from 'undici';
import type { Identity, RequestContext } from '../../lib/auth/identity';
import { CORRELATION_HEADER, INTERNAL_HEADER } from '../../lib/auth/internal-token';
import { AppError } from '../../lib/errors/app-error';
import { toGraphQLError } from '../../lib/graphql/errors';
import { internalHeaderCache } from './auth/internal-header';
import { GATEWAY_IDENTITY } from './context/gateway-context';
import { SessionFloors } from './session-floors';

type GatewayGraphQLResponse = Awaited<ReturnType<RemoteGraphQLDataSource['process']>>;

/** What a subgraph answered, before parsing: shared by the callers of one deduplicated request. */
interface RawAnswer {
  status: number;
  contentType: string;
  text: string;
}

interface Inflight {
  answer: Promise<RawAnswer>;
  /** performance.now() when the call left. */
  sentAt: number;
}

/** When the gateway received the client request behind a subgraph call (set in the request context). */
export const receivedAtOf = (context: unknown): number | undefined => {
  const value = (context as { receivedAt?: unknown } | undefined)?.receivedAt;
  return typeof value === 'number' ? value : undefined;
};

// One keep-alive pool per subgraph origin, shared by the data sources of every supergraph reload.
let sharedAgent: Agent | undefined;

/**
 * Which calls in flight a query may share:
 * - `request`: only one that left after the request arrived. Its answer then reflects the
 *   subgraph's state at a moment inside the request's own lifetime, exactly as a call of its own
 *   could have (a client that wrote anywhere and then reads never gets an answer from before).
 * - `session`: any one that left after the identity's last mutation and after the call behind its
 *   last answer (SessionFloors). For a subgraph whose reads state their own freshness: the query
 *   subgraph answers a read model that lags the writes by design, and a read that must see a write
 *   says so with `minPosition`, which is part of the shared query, so the subgraph enforces it.
 */
export type ShareScope = 'request' | 'session';

// Queries the query planner generates start with `query` or `{`; mutations are never shared.
const isQuery = (query: string | undefined): boolean => query !== undefined && /^\s*(query\b|\{)/.test(query);

/**
 * Calls a subgraph with the signed internal header: the subgraph learns who the caller is and that
 * the call came through the gateway; the correlation id travels in its own header, for the
 * subgraph's logs and event metadata.
 *
 * It replaces Apollo's `process` (no APQ, no Cache-Control hints: the gateway uses neither) and, per
 * call, avoids the work Apollo's default path does (bench/gateway profile): the internal
 * header is signed once per identity and reused (internalHeaderCache), the request goes through
 * undici's pooled keep-alive `request` instead of node-fetch objects over WHATWG fetch, and
 * identical queries in flight at the same moment for the same identity share one subgraph call
 * (as Hive Gateway does by default). Sharing is for queries only (they have no effect), and only
 * with a call recent enough for the subgraph's ShareScope (above). Each caller parses its own copy
 * of the answer. The shared call carries the first caller's correlation id.
 */
export class SignedSubgraphDataSource extends RemoteGraphQLDataSource<RequestContext> {
  private readonly inflight = new Map<string, Inflight>();
  private readonly internalHeader: (identity: Identity) => string;
  private readonly dispatcher: Dispatcher;
  private readonly onFetch: ((shared: boolean) => void) | undefined;
  private readonly sessions: SessionFloors;
  private readonly shareScope: ShareScope;

  constructor(
    url: string,
    internalSecret: string,
    private readonly serviceName = 'a backend',
    options: {
      dispatcher?: Dispatcher;
      internalHeader?: (identity: Identity) => string;
      onFetch?: (shared: boolean) => void;
      /** One per gateway, given to every data source: a mutation through one raises the floors of all. */
      sessions?: SessionFloors;
      shareScope?: ShareScope;
    } = {},
  ) {
    super({ url });
    this.onFetch = options.onFetch;
    this.sessions = options.sessions ?? new SessionFloors();
    this.shareScope = options.shareScope ?? 'request';
    this.internalHeader = options.internalHeader ?? internalHeaderCache(internalSecret);
    this.dispatcher = options.dispatcher ?? (sharedAgent ??= new Agent({ keepAliveTimeout: 30_000, connections: 64 }));
  }

  override async process(options: GraphQLDataSourceProcessOptions<RequestContext>): Promise<GatewayGraphQLResponse> {
    const { request, context } = options;
    if (!request.query) throw new Error('Missing query');
    const headers: Record<string, string> = {};
    // Headers the gateway itself asks for (introspection on schema loads), then ours.
    if (request.http?.headers) for (const [name, value] of request.http.headers) headers[name.toLowerCase()] = value;
    headers['content-type'] = 'application/json';
    // Health checks and schema loads run without a request context.
    const ctx = 'identity' in context ? (context as RequestContext) : undefined;
    const identity = ctx?.identity ?? GATEWAY_IDENTITY;
    headers[INTERNAL_HEADER] = this.internalHeader(identity);
    headers[CORRELATION_HEADER] = ctx?.correlationId ?? 'gateway';
    const { http: _http, ...payload } = request;
    const body = JSON.stringify(payload);
    let answer: RawAnswer | undefined;
    try {
      answer = await this.answerOf(headers, body, `${identity.subject}\u0000${identity.role}`, isQuery(request.query) ? receivedAtOf(context) : undefined);
      if (answer.status < 200 || answer.status >= 300) throw this.httpError(answer);
      const parsed: unknown = answer.contentType.includes('json') ? JSON.parse(answer.text) : answer.text;
      if (typeof parsed !== 'object' || parsed === null) throw new Error(`Expected JSON response body, but received: ${String(parsed)}`);
      return parsed as GatewayGraphQLResponse;
    } catch (error) {
      throw this.failure(error as Error, answer);
    }
  }

  /**
   * A subgraph that does not answer (refused, reset, or a 5xx without a GraphQL body) is an
   * UNAVAILABLE the client may retry, never an INTERNAL error carrying an internal URL.
   */
  private failure(error: Error, answer: RawAnswer | undefined): Error {
    if (!answer || answer.status >= 502) {
      return toGraphQLError(
        new AppError('UNAVAILABLE', `the ${this.serviceName} service is not answering; retry shortly`, { service: this.serviceName, retryable: true }),
      );
    }
    return error;
  }

  /** `receivedAt` undefined: this call is not shared (a mutation, or no request time known). */
  private async answerOf(headers: Record<string, string>, body: string, identity: string, receivedAt: number | undefined): Promise<RawAnswer> {
    if (receivedAt === undefined) {
      this.onFetch?.(false);
      const answer = await this.call(headers, body);
      // A write is done once answered: no later read of this identity shares a call from before it.
      this.sessions.raise(identity, performance.now());
      return answer;
    }
    const key = `${headers[INTERNAL_HEADER] ?? ''}\u0000${body}`;
    const running = this.inflight.get(key);
    const floor = this.shareScope === 'session' ? this.sessions.floor(identity) : receivedAt;
    let entry: Inflight;
    if (running && running.sentAt >= floor) {
      this.onFetch?.(true);
      entry = running;
    } else {
      this.onFetch?.(false);
      entry = { answer: this.call(headers, body), sentAt: performance.now() };
      this.inflight.set(key, entry);
      const forget = () => {
        if (this.inflight.get(key) === entry) this.inflight.delete(key);
      };
      entry.answer.then(forget, forget);
    }
    const answer = await entry.answer;
    this.sessions.raise(identity, entry.sentAt);
    return answer;
  }

  private async call(headers: Record<string, string>, body: string): Promise<RawAnswer> {
    const response = await httpRequest(this.url, { method: 'POST', headers, body, dispatcher: this.dispatcher });
    const text = await response.body.text();
    const type = response.headers['content-type'];
    return { status: response.statusCode, contentType: (Array.isArray(type) ? type[0] : type) ?? '', text };
  }

  /** The error Apollo's own path raises for a non-2xx answer (status, and the body for the logs). */
  private httpError(answer: RawAnswer): GraphQLError {
    let body: unknown = answer.text;
    if (answer.contentType.includes('json')) {
      try {
        body = JSON.parse(answer.text);
      } catch {
        // keep the text
      }
    }
    const statusText = STATUS_CODES[answer.status] ?? '';
    const extensions: GraphQLErrorExtensions = {
      response: { url: this.url, status: answer.status, statusText, body },
      ...(answer.status === 401 ? { code: 'UNAUTHENTICATED' } : answer.status === 403 ? { code: 'FORBIDDEN' } : {}),
    };
    return new GraphQLError(`${answer.status}: ${statusText}`, { extensions });
  }
}
