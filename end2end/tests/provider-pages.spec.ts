// The embedded provider's sign-in pages in a real browser (issue 11): the code field (a pasted
// "513 768", six typed digits submitting by themselves, a malformed code costing no attempt),
// a sign-in restarted in another tab, ended sign-ins and unknown pages with a way back, the
// application's name, logo and brand colour, sign-up off, and no sideways scrolling on a phone.
// Every provider page visited is checked with axe (WCAG 2.1 AA).
import { test, expect, type APIRequestContext, type Page } from "@playwright/test";
import {
  codeFor,
  expectAccessible,
  expectNoSidewaysScroll,
  hydrated,
  uniqueEmail,
  PHONE,
  PROVIDER,
} from "./support";

const APP_NAME = "Leptos × Logto";
const APP_HOME = /^http:\/\/localhost:3000\/$/;
const M2M_ID = process.env.LOGTO_M2M_APP_ID ?? "leptos-logto-m2m-dev";
const M2M_SECRET = process.env.LOGTO_M2M_APP_SECRET ?? "dev-only-m2m-secret-not-for-production";

/** A Management API token of the app's machine-to-machine client (as the settings page gets one). */
async function managementToken(request: APIRequestContext): Promise<string> {
  const basic = btoa(`${encodeURIComponent(M2M_ID)}:${encodeURIComponent(M2M_SECRET)}`);
  const response = await request.post(`${PROVIDER}/oidc/token`, {
    headers: { authorization: `Basic ${basic}` },
    form: { grant_type: "client_credentials", resource: "https://default.logto.app/api", scope: "all" },
  });
  expect(response.status(), await response.text()).toBe(200);
  return ((await response.json()) as { access_token: string }).access_token;
}

type Json = Record<string, unknown>;

async function signInExperience(request: APIRequestContext, token: string): Promise<Json> {
  const response = await request.get(`${PROVIDER}/api/sign-in-exp`, {
    headers: { authorization: `Bearer ${token}` },
  });
  expect(response.status()).toBe(200);
  return (await response.json()) as Json;
}

async function patchSignInExperience(request: APIRequestContext, token: string, body: Json): Promise<void> {
  const response = await request.patch(`${PROVIDER}/api/sign-in-exp`, {
    headers: { authorization: `Bearer ${token}` },
    data: body,
  });
  expect(response.status(), await response.text()).toBe(200);
}

/** From the app's home, the "Sign in" button, to the provider's sign-in page. */
async function startSignIn(page: Page): Promise<void> {
  await page.goto("/");
  await hydrated(page);
  await page.getByTestId("sign-in").click();
  await expect(page).toHaveURL(`${PROVIDER}/sign-in`);
  await expect(page.getByRole("heading", { level: 1 })).toHaveText(`Sign in to ${APP_NAME}`);
}

/** Enters `email` on the sign-in page; returns the mailed code, on the code page. */
async function toCodePage(page: Page, email: string): Promise<string> {
  await page.locator('input[name="email"]').fill(email);
  await page.getByRole("button", { name: "Continue" }).click();
  await expect(page).toHaveURL(`${PROVIDER}/sign-in/verify`);
  return codeFor(page.request, email);
}

/** A code that is certainly wrong (each digit shifted by one). */
function wrongCode(code: string): string {
  return code.replace(/\d/g, (d) => String((Number(d) + 1) % 10));
}

test("a code pasted with a space in it signs in, by itself", async ({ page }) => {
  const email = uniqueEmail("paste");
  await startSignIn(page);
  await expectAccessible(page);
  const code = await toCodePage(page, email);
  const codeInput = page.locator("#code");
  await expect(codeInput).toHaveAttribute("inputmode", "numeric");
  await expect(codeInput).toHaveAttribute("autocomplete", "one-time-code");
  expect(await codeInput.getAttribute("maxlength"), "a pasted `513 768` must fit").toBeNull();
  await expectAccessible(page);

  // A real paste event of "513 768": the page keeps the digits and submits the form.
  const spaced = `${code.slice(0, 3)} ${code.slice(3)}`;
  await codeInput.evaluate((input, text) => {
    const data = new DataTransfer();
    data.setData("text/plain", text);
    input.dispatchEvent(new ClipboardEvent("paste", { clipboardData: data, bubbles: true, cancelable: true }));
  }, spaced);
  await expect(page).toHaveURL("/");
  await expect(page.getByTestId("welcome")).toContainText(email);
});

test("typing the six digits submits the code without a click", async ({ page }) => {
  const email = uniqueEmail("typed");
  await startSignIn(page);
  const code = await toCodePage(page, email);
  await page.locator("#code").pressSequentially(code, { delay: 30 });
  await expect(page).toHaveURL("/");
  await expect(page.getByTestId("welcome")).toContainText(email);
});

test("a malformed code is explained and leaves the attempts left as they were", async ({ page }) => {
  const email = uniqueEmail("malformed");
  await startSignIn(page);
  const code = await toCodePage(page, email);
  const input = page.locator('input[name="code"]');
  const attempts = page.locator("#code-attempts");

  await input.fill(wrongCode(code));
  await page.getByRole("button", { name: "Verify and continue" }).click();
  await expect(page.getByRole("alert")).toContainText("That code isn't right. 9 attempts left.");
  await expect(attempts).toHaveText("9 attempts left");
  await expectAccessible(page);

  for (const malformed of ["12345", "abcdef"]) {
    await input.fill(malformed);
    await page.getByRole("button", { name: "Verify and continue" }).click();
    await expect(page).toHaveURL(`${PROVIDER}/sign-in/verify`);
    const alert = page.getByRole("alert");
    await expect(alert).toHaveCount(1);
    await expect(alert).toHaveText("Enter the 6-digit code from the email.");
    await expect(alert).toHaveAttribute("id", "code-error");
    await expect(input).toHaveAttribute("aria-invalid", "true");
    await expect(input).toHaveAttribute("aria-describedby", /^code-error /);
    await expect(input).toBeFocused();
    await expect(attempts).toHaveText("9 attempts left");
    await expectAccessible(page);
  }

  await input.fill(code);
  await page.getByRole("button", { name: "Verify and continue" }).click();
  await expect(page).toHaveURL("/");
});

test("a code sent in a tab whose sign-in was restarted in another tab says so, with ways on", async ({ page, context }) => {
  const email = uniqueEmail("tabs");
  // Tab A: up to the code page.
  await startSignIn(page);
  const code = await toCodePage(page, email);
  // Tab B, same browser: a new sign-in replaces A's.
  const other = await context.newPage();
  await startSignIn(other);

  // A's right code, in A.
  await page.locator('input[name="code"]').fill(code);
  await page.getByRole("button", { name: "Verify and continue" }).click();
  await expect(page.getByRole("heading", { level: 1 })).toHaveText("This sign-in was restarted in another tab");
  const continueThere = page.getByRole("link", { name: "Continue signing in" });
  await expect(continueThere).toHaveAttribute("href", "/sign-in");
  await expect(page.getByRole("main").getByRole("link", { name: "Back to the app" })).toHaveAttribute("href", APP_HOME);
  await expectAccessible(page);
  await page.setViewportSize(PHONE);
  await expectNoSidewaysScroll(page);

  // Continuing there finishes the newer sign-in, in this tab.
  await continueThere.click();
  await expect(page).toHaveURL(`${PROVIDER}/sign-in`);
  const newer = await toCodePage(page, email);
  await page.locator('input[name="code"]').fill(newer);
  await page.getByRole("button", { name: "Verify and continue" }).click();
  await expect(page).toHaveURL("/");
  await other.close();
});

test("an ended sign-in and an unknown page explain themselves and lead back to the app", async ({ page }) => {
  await page.setViewportSize(PHONE);
  // No sign-in in this browser: the sign-in has expired.
  await page.goto(`${PROVIDER}/sign-in/verify`);
  await expect(page.getByRole("heading", { level: 1 })).toHaveText("This sign-in has expired");
  await expect(page.getByText("Start again from the app.")).toBeVisible();
  await expect(page.getByText("only in the browser")).toHaveCount(0);
  await expectAccessible(page);
  await expectNoSidewaysScroll(page);

  await page.goto(`${PROVIDER}/no-such-page`);
  await expect(page.getByRole("heading", { level: 1 })).toHaveText("Page not found");
  await expectAccessible(page);
  await expectNoSidewaysScroll(page);
  await page.getByRole("main").getByRole("link", { name: "Back to the app" }).click();
  await expect(page).toHaveURL("/");
});

test("the sign-in, code and error pages fit a phone without sideways scrolling", async ({ page }) => {
  await page.setViewportSize(PHONE);
  const email = uniqueEmail("a-rather-long-address-for-a-small-screen");
  await startSignIn(page);
  await expectNoSidewaysScroll(page);
  await expectAccessible(page);
  await page.locator('input[name="email"]').fill("not-an-email");
  await page.getByRole("button", { name: "Continue" }).click();
  await expect(page.getByRole("alert")).toContainText("Enter a valid email address");
  await expect(page.locator('input[name="email"]')).toBeFocused();
  await expectNoSidewaysScroll(page);
  await expectAccessible(page);
  const code = await toCodePage(page, email);
  await expectNoSidewaysScroll(page);
  await expectAccessible(page);
  await page.locator('input[name="code"]').fill(wrongCode(code));
  await page.getByRole("button", { name: "Verify and continue" }).click();
  await expect(page.getByRole("alert")).toBeVisible();
  await expectNoSidewaysScroll(page);
  await expectAccessible(page);
});

test("the provider shows the app's name, its logo, a link back and the brand colour", async ({ page, request }) => {
  const token = await managementToken(request);
  const before = await signInExperience(request, token);
  try {
    await patchSignInExperience(request, token, {
      branding: { logoUrl: `${PROVIDER}/static/favicon.svg`, darkLogoUrl: `${PROVIDER}/static/favicon.svg` },
      color: { primaryColor: "#0F766E", darkPrimaryColor: "#5EEAD4", isDarkModeEnabled: true },
    });
    // The public document the app reads says the same.
    const wellKnown = await request.get(`${PROVIDER}/api/.well-known/sign-in-exp`);
    expect(wellKnown.status()).toBe(200);
    expect(((await wellKnown.json()) as { color: Json }).color.primaryColor).toBe("#0F766E");

    await startSignIn(page);
    const brand = page.locator("header a.brand");
    await expect(brand).toHaveAttribute("href", APP_HOME);
    await expect(brand).toContainText(APP_NAME);
    await expect(page.locator("img.brand__logo--light")).toBeVisible();
    await expect(page.locator("img.brand__logo--dark")).toBeHidden();
    const button = page.getByRole("button", { name: "Continue" });
    await expect(button).toHaveCSS("background-color", "rgb(15, 118, 110)");
    await expectAccessible(page);

    // The dark theme: the dark logo and the dark brand colour.
    await page.emulateMedia({ colorScheme: "dark" });
    await expect(page.locator("img.brand__logo--dark")).toBeVisible();
    await expect(page.locator("img.brand__logo--light")).toBeHidden();
    await expect(button).toHaveCSS("background-color", "rgb(94, 234, 212)");
    await expectAccessible(page);
    await page.setViewportSize(PHONE);
    await expectNoSidewaysScroll(page);

    // The link back leads to the app.
    await brand.click();
    await expect(page).toHaveURL("/");
  } finally {
    await patchSignInExperience(request, token, { branding: before.branding, color: before.color });
  }
});

test("with sign-up off, no account is offered and the code page promises nothing", async ({ page, request }) => {
  const token = await managementToken(request);
  const before = await signInExperience(request, token);
  try {
    await patchSignInExperience(request, token, {
      signUp: { identifiers: [], password: false, verify: true },
    });
    await startSignIn(page);
    await expect(page.getByRole("link", { name: "Create one" })).toHaveCount(0);
    await expect(page.locator("#sign-up-closed")).toContainText("New accounts can't be created here");
    await expectAccessible(page);

    // Answered as a known address would be (security.md), on a code page that promises nothing
    // and says why no code may come.
    const email = uniqueEmail("stranger");
    await page.locator('input[name="email"]').fill(email);
    await page.getByRole("button", { name: "Continue" }).click();
    await expect(page).toHaveURL(`${PROVIDER}/sign-in/verify`);
    await expect(page.getByText("has an account here, we sent it a 6-digit code")).toBeVisible();
    await expect(page.locator("#no-new-accounts")).toContainText("New accounts can't be created here");
    await expectAccessible(page);

    // /register is the sign-in screen, saying why.
    await page.goto(`${PROVIDER}/register`);
    await expect(page.getByRole("heading", { level: 1 })).toHaveText(`Sign in to ${APP_NAME}`);
    await expect(page.locator("#sign-up-closed")).toBeVisible();
    await expectAccessible(page);
  } finally {
    // Other specs create accounts: sign-up goes back on whatever happened.
    await patchSignInExperience(request, token, { signUp: before.signUp });
  }
});
