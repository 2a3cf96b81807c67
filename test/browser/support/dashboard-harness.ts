import { mkdirSync } from 'node:fs';
import path from 'node:path';
import type { Page } from 'playwright-core';
import { signDevelopmentToken } from '../../../lib/auth/development-token';
import type { Role } from '../../../lib/auth/roles';
import { repoRoot } from '../../../lib/paths';
import { type Stack, startStack, TEST_JWT_SECRET } from '../../support/stack';
import type { BrowserGlobals } from './browser-globals';
import { type Browser, launchChromium } from './chromium';
import { ensureWebBuild } from './web-build';

export const ARTIFACTS = path.join(repoRoot, 'test-artifacts', 'browser');
export const LAPTOP = { width: 1280, height: 900 };
export const PHONE = { width: 390, height: 844 };

export interface Harness {
  stack: Stack;
  browser: Browser;
  page: Page;
  /** Uncaught errors in the page: a test ends by expecting none. */
  pageErrors: string[];
  tokenFor(role: Role, subject: string, expiresInSeconds?: number): string;
  /** Opens the dashboard signed in through `/#token=`, waiting until the signed-in header shows. */
  openAs(role: Role, subject: string, expiresInSeconds?: number): Promise<void>;
  /** Waits until no panel still says "Loading…" (answers or error states are shown). */
  settled(): Promise<void>;
  shot(name: string): Promise<void>;
  /** Polls `condition` (bounded: every 100 ms up to `timeoutMs`) until it holds. */
  waitUntil(condition: () => Promise<boolean>, timeoutMs?: number): Promise<void>;
  /** The page's width in CSS pixels including anything that overflows sideways. */
  scrollWidth(): Promise<number>;
  close(): Promise<void>;
}

/** A built page (web/dist), a real stack serving it, and Chromium with one page open. */
export async function startHarness(label: string, env: Record<string, string> = {}): Promise<Harness> {
  mkdirSync(ARTIFACTS, { recursive: true });
  ensureWebBuild();
  const stack = await startStack({ label, env });
  let browser: Browser;
  try {
    browser = await launchChromium();
  } catch (error) {
    await stack.stop();
    throw error;
  }
  const page = await browser.context.newPage();
  await page.setViewportSize(LAPTOP);
  const pageErrors: string[] = [];
  page.on('pageerror', (error) => pageErrors.push(error.message));
  // A Content-Security-Policy refusal shows only on the console: count it as a page error.
  page.on('console', (message) => {
    if (message.type() === 'error' && /Content Security Policy/i.test(message.text())) pageErrors.push(message.text());
    if (process.env.DASHBOARD_CONSOLE) console.log(`[page ${message.type()}] ${message.text()}`);
  });
  // The rebuild button asks for confirmation.
  page.on('dialog', (dialog) => void dialog.accept());
  const tokenFor = (role: Role, subject: string, expiresInSeconds = 3600) => signDevelopmentToken(TEST_JWT_SECRET, { subject, role, expiresInSeconds });
  return {
    stack,
    browser,
    page,
    pageErrors,
    tokenFor,
    openAs: async (role, subject, expiresInSeconds) => {
      await page.goto(`${stack.baseUrl}/#token=${tokenFor(role, subject, expiresInSeconds)}`);
      await page.locator('#who').filter({ hasText: subject }).waitFor();
    },
    settled: async () => {
      await page.waitForFunction(
        () => ![...(globalThis as unknown as BrowserGlobals).document.querySelectorAll('.status')].some((e) => !e.hidden && e.textContent === 'Loading…'),
      );
    },
    shot: async (name) => {
      await page.screenshot({ path: path.join(ARTIFACTS, `${label}-${name}.png`), fullPage: true });
    },
    waitUntil: async (condition, timeoutMs = 30000) => {
      for (let waited = 0; !(await condition()); waited += 100) {
        if (waited >= timeoutMs) throw new Error(`condition not met within ${timeoutMs} ms`);
        await page.waitForTimeout(100);
      }
    },
    scrollWidth: () =>
      page.evaluate(() => {
        const { document } = globalThis as unknown as BrowserGlobals;
        return Math.max(document.documentElement.scrollWidth, document.body.scrollWidth);
      }),
    close: async () => {
      await browser.close();
      await stack.stop();
    },
  };
}
