/**
 * The few browser globals the tests read inside page functions, typed here because this project's
 * TypeScript has no DOM library. Use as `(globalThis as unknown as BrowserGlobals).document`; the
 * cast is erased, so the function still serializes into the page. (String expressions would be
 * simpler but need 'unsafe-eval', which the dashboard's Content-Security-Policy rightly refuses.)
 */
export interface BrowserElement {
  hidden: boolean;
  textContent: string | null;
  dataset: Record<string, string | undefined>;
  currentTime?: number;
}

export interface BrowserGlobals {
  document: {
    querySelector(selector: string): BrowserElement | null;
    querySelectorAll(selector: string): Iterable<BrowserElement>;
    documentElement: { scrollWidth: number };
    body: { scrollWidth: number };
  };
  location: { href: string };
}
