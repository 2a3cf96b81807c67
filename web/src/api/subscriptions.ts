import { type Client, createClient } from 'graphql-ws';
import { session } from '../session/session';
import { ApiError, codeOf, type GraphQLErrorShape } from './graphql';

export type LinkState = 'connecting' | 'live' | 'down';

let client: Client | undefined;
const stateListeners = new Set<(state: LinkState) => void>();

function notify(state: LinkState): void {
  for (const listener of stateListeners) listener(state);
}

// Close codes graphql-ws servers use for refused credentials.
const AUTH_CLOSE_CODES = new Set([4401, 4403]);

function getClient(): Client {
  if (client) return client;
  // Bound to the token of its session: a socket of an ended session must neither authenticate
  // with the next user's token nor end the next user's session when the server refuses it.
  const token = session.info?.token ?? '';
  const url = `${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}/graphql`;
  client = createClient({
    url,
    connectionParams: { authorization: `Bearer ${token}` },
    lazy: true,
    keepAlive: 10000,
    retryAttempts: Number.MAX_SAFE_INTEGER,
    retryWait: async (retries) => {
      await new Promise((resolve) => setTimeout(resolve, Math.min(1000 * 2 ** retries, 10000)));
    },
    shouldRetry: (event) => !(event instanceof CloseEvent && AUTH_CLOSE_CODES.has(event.code)),
    on: {
      connecting: () => session.info?.token === token && notify('connecting'),
      connected: () => session.info?.token === token && notify('live'),
      closed: (event) => {
        if (session.info?.token !== token) return;
        notify('down');
        if (event instanceof CloseEvent && AUTH_CLOSE_CODES.has(event.code)) {
          session.end('The live connection refused your token (expired or invalid). Sign in again.');
        }
      },
    },
  });
  return client;
}

/** Listens to the live link's state; returns the function that stops listening. */
export function onLinkState(listener: (state: LinkState) => void): () => void {
  stateListeners.add(listener);
  return () => stateListeners.delete(listener);
}

/** Subscribes through graphql-ws; returns the function that ends the subscription. */
export function subscribe<T>(query: string, variables: Record<string, unknown>, onData: (data: T) => void, onError: (error: ApiError) => void): () => void {
  return getClient().subscribe<T>(
    { query, variables },
    {
      next: (result) => {
        const errors = (result.errors ?? []) as GraphQLErrorShape[];
        const first = errors[0];
        if (first) onError(new ApiError(first.message, codeOf(first), first.extensions ?? {}));
        if (result.data) onData(result.data as T);
      },
      error: (error: unknown) => {
        if (Array.isArray(error)) {
          const first = error[0] as GraphQLErrorShape | undefined;
          onError(new ApiError(first?.message ?? 'Subscription refused.', first ? codeOf(first) : 'INTERNAL_SERVER_ERROR'));
        } else if (error instanceof CloseEvent) {
          onError(new ApiError(`Live connection closed (${error.code} ${error.reason}).`, 'NETWORK'));
        } else {
          onError(new ApiError('The live connection failed.', 'NETWORK'));
        }
      },
      complete: () => undefined,
    },
  );
}

/** Drops the socket (on sign-out) so the next subscription authenticates with the new token. */
export function disconnect(): void {
  // dispose() waits for a pending connection and rejects when that attempt failed: nothing to do then.
  if (client) Promise.resolve(client.dispose()).catch(() => undefined);
  client = undefined;
  notify('down');
}
