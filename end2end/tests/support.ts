// Shared helpers for the sign-in specs: unique addresses, the dev mailbox, page-error watching.
import { expect, type Page, type APIRequestContext } from "@playwright/test";

export const PROVIDER = process.env.PROVIDER_URL ?? "http://127.0.0.1:3001";

/** A fresh address per test run, so runs never share accounts or rate limits. */
export function uniqueEmail(label: string): string {
  return `${label}-${Date.now()}-${Math.floor(Math.random() * 1e6)}@example.com`;
}

/** Collects console errors and uncaught exceptions. */
export function watchForErrors(page: Page): string[] {
  const errors: string[] = [];
  page.on("console", (message) => {
    if (message.type() === "error") errors.push(message.text());
  });
  page.on("pageerror", (error) => errors.push(error.message));
  return errors;
}

/** The newest code mailed to `email` by the dev mailbox connector. */
export async function codeFor(request: APIRequestContext, email: string): Promise<string> {
  let code = "";
  await expect
    .poll(async () => {
      const response = await request.get(`${PROVIDER}/dev/mailbox.json`);
      const mails = (await response.json()) as { to: string; subject: string }[];
      const mail = mails.find((m) => m.to === email);
      code = mail ? mail.subject.replace(/\D/g, "") : "";
      return code.length;
    })
    .toBe(6);
  return code;
}

/** At the provider's pages: enter the address, then the mailed code. */
export async function completeEmailCode(page: Page, email: string): Promise<void> {
  await expect(page).toHaveURL(new RegExp(`^${PROVIDER}/(sign-in|register)`));
  await page.locator('input[name="email"]').fill(email);
  await page.getByRole("button", { name: "Continue" }).click();
  await expect(page).toHaveURL(`${PROVIDER}/sign-in/verify`);
  const code = await codeFor(page.request, email);
  await page.locator('input[name="code"]').fill(code);
  await page.getByRole("button", { name: "Verify and continue" }).click();
}

export async function hydrated(page: Page): Promise<void> {
  await expect(page.locator("html")).toHaveAttribute("data-hydrated", "true");
}

// ---------------------------------------------------------------------------------------------
// Token leak detection. The embedded provider's access and refresh tokens are opaque: 32 random
// bytes in base64url without padding (src/idp/random.rs `token()`), exactly 43 characters of
// [A-Za-z0-9_-]. Its ID tokens are JWTs (`eyJ…`.`…`.`…`). The app's own random values (state,
// nonce, PKCE verifier) are 64 bytes (86 characters), its session id and CSP nonces are shorter,
// so a run of exactly 43 such characters in anything the app hands the browser is a token-shaped
// value that must not be there.

const OPAQUE = /(?<![A-Za-z0-9_-])[A-Za-z0-9_-]{43}(?![A-Za-z0-9_-])/g;
const JWT = /eyJ[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]*/g;

/** Token-shaped values in `text`: opaque ones, and JWTs unless `allowJwt`. */
export function tokenShaped(text: string, allowJwt = false): string[] {
  const found = [...text.matchAll(OPAQUE)].map((m) => m[0]);
  if (!allowJwt) found.push(...[...text.matchAll(JWT)].map((m) => m[0]));
  return found;
}

/** One response from the app's origin, as the browser received it. */
export interface Seen {
  url: string;
  status: number;
  headers: Record<string, string>;
  /** Absent for redirects (the browser never sees their bodies) and static assets. */
  body?: string;
}

/**
 * Records every response from `appOrigin` while the test runs: headers always; bodies of pages
 * and server functions. The sign-in callback is reached through the provider's redirect, which
 * routing cannot intercept, so the provider's code form post is routed instead: the test sends
 * it, fetches the callback it redirects to itself (same cookie jar, redirects not followed),
 * records the callback's headers *and* body, and sends the browser on to where the callback
 * pointed. The provider's end-session answers are recorded as well (where sign-out goes).
 */
export async function recordAppTraffic(
  page: Page,
  appOrigin: string,
  provider: string,
): Promise<Seen[]> {
  const seen: Seen[] = [];
  await page.route(`${provider}/sign-in/verify`, async (route) => {
    if (route.request().method() !== "POST") return route.continue();
    const verified = await route.fetch({ maxRedirects: 0 });
    const location = verified.headers()["location"] ?? "";
    if (!location.startsWith(`${appOrigin}/logto/sign-in-callback`)) {
      return route.fulfill({ response: verified });
    }
    const callback = await page.request.get(location, { maxRedirects: 0 });
    seen.push({
      url: location,
      status: callback.status(),
      headers: callback.headers(),
      body: await callback.text(),
    });
    const next = new URL(callback.headers()["location"] ?? "/", location).href;
    await route.fulfill({ status: 303, headers: { location: next } });
  });
  page.on("response", async (response) => {
    const url = response.url();
    const endSession = url.startsWith(`${provider}/oidc/session/end`);
    if (!(url.startsWith(appOrigin) || endSession)) return;
    const headers = await response.allHeaders().catch(() => ({}) as Record<string, string>);
    const entry: Seen = { url, status: response.status(), headers };
    const isAsset = new URL(url).pathname.startsWith("/pkg/");
    if (!isAsset && (response.status() < 300 || response.status() >= 400)) {
      entry.body = await response.text().catch(() => undefined);
    }
    seen.push(entry);
  });
  return seen;
}

/** Where in the browser's reach a token-shaped value turned up, as readable lines. */
export async function tokensInBrowser(page: Page, appHost: string): Promise<string[]> {
  const found: string[] = [];
  const note = (where: string, text: string, allowJwt = false) => {
    for (const token of tokenShaped(text, allowJwt)) found.push(`${where}: ${token}`);
  };
  for (const cookie of await page.context().cookies()) {
    if (cookie.domain.replace(/^\./, "") === appHost) note(`cookie ${cookie.name}`, cookie.value);
  }
  const state = await page.evaluate(() => ({
    cookie: document.cookie,
    local: JSON.stringify(Object.entries(localStorage)),
    session: JSON.stringify(Object.entries(sessionStorage)),
    // The hydration data and every inline script, as the page holds them now.
    scripts: [...document.scripts].map((s) => s.textContent ?? "").join("\n"),
    html: document.documentElement.outerHTML,
  }));
  note("document.cookie", state.cookie);
  note("localStorage", state.local);
  note("sessionStorage", state.session);
  note("inline scripts / hydration data", state.scripts);
  note(`page ${page.url()}`, state.html);
  return found;
}

/**
 * Token-shaped values in recorded responses. Two kinds of value are in headers by design and
 * skipped: the PKCE `code_challenge` (a 43-character SHA-256, public) in the redirect to the
 * provider's authorization endpoint, and the ID token as `id_token_hint` in the redirect to its
 * end-session endpoint (RP-initiated logout); that redirect is still searched for opaque tokens.
 */
export function tokensInTraffic(seen: Seen[], provider: string): string[] {
  const found: string[] = [];
  for (const entry of seen) {
    for (const [name, value] of Object.entries(entry.headers)) {
      const toAuthorize = name === "location" && value.startsWith(`${provider}/oidc/auth?`);
      if (toAuthorize) continue;
      const toEndSession = name === "location" && value.startsWith(`${provider}/oidc/session/end?`);
      for (const token of tokenShaped(value, toEndSession)) {
        found.push(`${entry.url} (${entry.status}) header ${name}: ${token}`);
      }
    }
    for (const token of tokenShaped(entry.body ?? "")) {
      found.push(`${entry.url} (${entry.status}) body: ${token}`);
    }
  }
  return found;
}

// ---------------------------------------------------------------------------------------------
// Accessibility and layout checks, run on every page the suite visits.

/** axe-core (WCAG 2.1 A/AA rules) finds no violation on the page as it is now. */
export async function expectAccessible(page: Page): Promise<void> {
  const { default: AxeBuilder } = await import("@axe-core/playwright");
  const results = await new AxeBuilder({ page })
    .withTags(["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"])
    .analyze();
  const found = results.violations.map(
    (v) => `${v.id} (${v.impact}): ${v.nodes.map((n) => n.target.join(" ")).join(", ")}`,
  );
  expect(found, `axe violations on ${page.url()}`).toEqual([]);
}

/** Nothing on the page is wider than the viewport (no sideways scrolling). */
export async function expectNoSidewaysScroll(page: Page): Promise<void> {
  const overflow = await page.evaluate(
    () => document.documentElement.scrollWidth - document.documentElement.clientWidth,
  );
  expect(overflow, `horizontal overflow on ${page.url()}`).toBeLessThanOrEqual(0);
}

/** A phone-sized viewport (iPhone 12–15: 390 × 844). */
export const PHONE = { width: 390, height: 844 };
