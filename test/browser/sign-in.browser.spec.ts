/**
 * Signing in and out of the dashboard in a real browser (Debian's Chromium through playwright-core),
 * served by a real gateway: the form, `/#token=`, roles, an expiring token, phone width.
 * Screenshots go to test-artifacts/browser/.
 */
import type { BrowserGlobals } from './support/browser-globals';
import { type Harness, LAPTOP, PHONE, startHarness } from './support/dashboard-harness';

jest.setTimeout(120000);

describe('dashboard sign-in (browser)', () => {
  let h: Harness;

  beforeAll(async () => {
    h = await startHarness('sign-in');
  });

  afterAll(async () => {
    await h?.close();
  });

  it('is served at / with the sign-in form, explains a bad token, and signs in by keyboard', async () => {
    const { page } = h;
    const response = await page.goto(`${h.stack.baseUrl}/`);
    expect(response?.status()).toBe(200);
    await page.getByLabel('Access token').fill('not-a-token');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('alert').filter({ hasText: 'not a token' }).waitFor();
    await h.shot('bad-token');
    const token = h.tokenFor('operator', 'alice');
    await page.getByLabel('Access token').fill(token);
    await page.keyboard.press('Enter');
    await page.locator('#who').filter({ hasText: 'alice · Operator' }).waitFor();
    // The expiry shows its date, not only a time: the year of `exp`, as the page's clock and zone see it.
    const { exp } = JSON.parse(Buffer.from(token.split('.')[1] ?? '', 'base64url').toString('utf8')) as { exp: number };
    const year = await page.evaluate((seconds) => new Date(seconds * 1000).getFullYear(), exp);
    expect(await page.locator('#who .expiry').textContent()).toContain(String(year));
    // The page's sections are all there, each labelled by its heading.
    for (const name of ['Cameras', 'Live events', 'Statistics', 'Projections']) await page.getByRole('region', { name }).waitFor();
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.getByLabel('Access token').waitFor();
  });

  it('signs in from /#token= and removes the token from the address bar', async () => {
    await h.openAs('viewer', 'victor');
    // Read in the page: page.url() can lag behind history.replaceState.
    expect(await h.page.evaluate(() => (globalThis as unknown as BrowserGlobals).location.href)).not.toContain('token=');
    expect(await h.page.locator('#main').getAttribute('data-role')).toBe('viewer');
    // A viewer is offered nothing it may not do.
    expect(await h.page.getByRole('button', { name: /^(Start|Stop|Acknowledge|Resolve|Rebuild)/ }).count()).toBe(0);
  });

  it('keeps the session on reload and ends it on sign-out', async () => {
    await h.page.reload();
    await h.page.locator('#who').filter({ hasText: 'victor' }).waitFor();
    // Keyboard users meet the skip link first.
    await h.page.keyboard.press('Tab');
    expect(await h.page.locator(':focus').textContent()).toBe('Skip to content');
    await h.page.getByRole('button', { name: 'Sign out' }).click();
    await h.page.reload();
    await h.page.getByLabel('Access token').waitFor();
  });

  it('refuses an expired token in the link with a clear message', async () => {
    await h.page.goto(`${h.stack.baseUrl}/#token=${h.tokenFor('operator', 'late', -60)}`);
    await h.page.getByRole('alert').filter({ hasText: 'expired' }).waitFor();
  });

  it('returns to sign-in with a clear message when the token expires', async () => {
    await h.openAs('operator', 'shortlived', 2);
    await h.page.getByRole('alert').filter({ hasText: 'expired' }).waitFor({ timeout: 10000 });
    await h.shot('token-expired');
  });

  it('is readable at phone width: nothing wider than the screen', async () => {
    await h.page.setViewportSize(PHONE);
    await h.openAs('admin', 'ada');
    await h.page.getByRole('region', { name: 'Projections' }).waitFor();
    await h.settled();
    expect(await h.scrollWidth()).toBeLessThanOrEqual(PHONE.width);
    await h.shot('phone-admin');
    await h.page.setViewportSize(LAPTOP);
    expect(h.pageErrors).toEqual([]);
  });
});
