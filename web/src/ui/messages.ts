import { ApiError } from '../api/graphql';

const UNREACHABLE = /ECONNREFUSED|ECONNRESET|socket hang up|fetch failed|request to \S+ failed/i;

/** Turns an error into a sentence a person can act on. `what` names the thing that failed ("the cameras"). */
export function describeError(error: unknown, what: string): string {
  if (!(error instanceof ApiError)) return `Could not load ${what}: ${error instanceof Error ? error.message : String(error)}`;
  // The gateway reports a subgraph it cannot reach as a failed fetch; say that, not the internal URL.
  if (error.code !== 'UNAVAILABLE' && UNREACHABLE.test(error.message)) {
    return `A Sightline service is not answering, so ${what} cannot be shown right now. Retrying; nothing was lost.`;
  }
  switch (error.code) {
    case 'NETWORK':
      return `Cannot reach the Sightline gateway to load ${what}. Check the connection; retrying.`;
    case 'UNAVAILABLE':
      // The gateway says "the <name> service is not answering" for a subgraph it cannot reach;
      // any other UNAVAILABLE comes from an engine behind a subgraph.
      if (/service is not answering/.test(error.message)) {
        return `A Sightline service is not answering, so ${what} cannot be shown right now. Retrying; nothing was lost.`;
      }
      return `A storage engine behind Sightline is down, so ${what} cannot be shown right now. Retrying; nothing was lost.`;
    case 'STALE_READ':
      return `The read model is behind; ${what} may be out of date for a moment.`;
    case 'FORBIDDEN': {
      // The gateway names the role the operation needs ("… needs role operator").
      const needed = /needs role (\w+)/.exec(error.message)?.[1];
      return needed
        ? `Your role does not allow ${what}: it needs the ${needed} role. Ask an administrator for a token with that role.`
        : `Your role does not allow ${what}. Ask an administrator for a token with a higher role.`;
    }
    case 'RATE_LIMITED': {
      const after = typeof error.extensions.retryAfter === 'number' ? ` about ${error.extensions.retryAfter} s` : ' a few seconds';
      return `Too many requests from you in a short time, so ${what} was not done. Wait${after} and try again; nothing was changed.`;
    }
    case 'LIMIT_EXCEEDED':
      return `Sightline is at a limit and refused ${what}: ${error.message}. Stop a stream you no longer watch, or narrow the request, and try again.`;
    case 'UNAUTHENTICATED':
      return 'Your session has ended. Sign in again.';
    case 'NOT_FOUND':
      return `Not found: ${what} no longer exists.`;
    case 'BAD_USER_INPUT':
      return `Sightline refused ${what}: ${error.message}`;
    default:
      return `Something went wrong with ${what}: ${error.message}`;
  }
}

/** A status line: role=status so screen readers announce changes. */
export function setStatus(element: HTMLElement, text: string, kind: 'info' | 'error' | 'empty' = 'info'): void {
  element.textContent = text;
  element.dataset.kind = kind;
  element.hidden = text === '';
}

/** A panel's status line, saying "Loading…" until its first answer arrives. */
export function statusLine(): HTMLElement {
  const element = document.createElement('p');
  element.className = 'status';
  element.setAttribute('role', 'status');
  setStatus(element, 'Loading…', 'empty');
  return element;
}
