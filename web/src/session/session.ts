import { readToken, type TokenInfo } from './token';

const STORAGE_KEY = 'sightline.token';

type Listener = (info: TokenInfo | undefined, reason?: string) => void;

/**
 * The signed-in user. The token lives in sessionStorage (gone when the tab closes), and a
 * `#token=<jwt>` fragment signs in scripts; the fragment is removed from the address bar at once.
 */
class Session {
  private current: TokenInfo | undefined;
  private expiryTimer: ReturnType<typeof setTimeout> | undefined;
  private readonly listeners = new Set<Listener>();

  get info(): TokenInfo | undefined {
    return this.current;
  }

  /**
   * Signs in with a `#token=` fragment, if the address has one (on load, or pasted into an open tab).
   * Returns whether there was one, and the reason when its token was refused.
   */
  signInFromFragment(): { found: boolean; error?: string } {
    const fragment = new URLSearchParams(location.hash.slice(1)).get('token');
    if (fragment === null) return { found: false };
    history.replaceState(null, '', location.pathname + location.search);
    try {
      this.signIn(fragment);
      return { found: true };
    } catch (error) {
      this.end();
      return { found: true, error: error instanceof Error ? error.message : String(error) };
    }
  }

  /** Restores a session from the URL fragment or storage; returns an error message for a bad fragment token. */
  restore(): string | undefined {
    const fragment = this.signInFromFragment();
    if (fragment.found) return fragment.error;
    const stored = sessionStorage.getItem(STORAGE_KEY);
    if (stored) {
      try {
        this.signIn(stored);
      } catch {
        sessionStorage.removeItem(STORAGE_KEY);
      }
    }
    return undefined;
  }

  signIn(raw: string): TokenInfo {
    const info = readToken(raw);
    this.current = info;
    sessionStorage.setItem(STORAGE_KEY, info.token);
    clearTimeout(this.expiryTimer);
    if (info.expiresAt !== undefined) {
      // setTimeout overflows past ~24.8 days; such tokens are re-checked on the next request anyway.
      const delay = Math.min(info.expiresAt - Date.now(), 2 ** 31 - 1);
      this.expiryTimer = setTimeout(() => this.end('Your session expired. Sign in again with a new token.'), delay);
    }
    this.emit(undefined);
    return info;
  }

  /** Ends the session; `reason` is shown on the sign-in form (expired token, refused token). */
  end(reason?: string): void {
    if (!this.current) return;
    this.current = undefined;
    clearTimeout(this.expiryTimer);
    sessionStorage.removeItem(STORAGE_KEY);
    this.emit(reason);
  }

  onChange(listener: Listener): void {
    this.listeners.add(listener);
  }

  private emit(reason: string | undefined): void {
    for (const listener of this.listeners) listener(this.current, reason);
  }
}

export const session = new Session();
