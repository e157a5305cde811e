// The app's own pages as people meet them: sign-up entry points that follow the provider, an
// ended session's way back, readable dates, no sideways scrolling on a phone, axe on each, and
// a bundle under hashed names that a returning browser keeps.
import { test, expect, type Page } from "@playwright/test";
import {
  completeEmailCode,
  expectAccessible,
  expectNoSidewaysScroll,
  hydrated,
  uniqueEmail,
  PHONE,
} from "./support";

const ADMIN = "admin@example.com"; // PROVIDER_ADMIN_EMAILS in scripts/test

async function signIn(page: Page, email: string, path = "/logto/sign-in") {
  await page.goto(path);
  await completeEmailCode(page, email);
}

/** Sets "New people can create an account" on the settings page, as an admin. */
async function setSignUp(page: Page, open: boolean) {
  await page.goto("/settings/sign-in-experience");
  await hydrated(page);
  const box = page.getByTestId("email-sign-up");
  if (open) await box.check();
  else await box.uncheck();
  await page.getByTestId("save-sign-in").click();
  await expect(page.getByTestId("sign-in-outcome")).toContainText("saved");
}


test("Create account is offered only while sign-up is open", async ({ page, browser }) => {
  const visitor = await (await browser.newContext()).newPage();
  await visitor.goto("/");
  await hydrated(visitor);
  await expect(visitor.getByTestId("create-account")).toBeVisible();
  await expectAccessible(visitor);

  await signIn(page, ADMIN);
  await setSignUp(page, false);
  try {
    await visitor.reload();
    await hydrated(visitor);
    await expect(visitor.getByTestId("sign-in")).toBeVisible();
    await expect(visitor.getByTestId("create-account")).toHaveCount(0);
  } finally {
    await setSignUp(page, true);
  }
  await visitor.reload();
  await expect(visitor.getByTestId("create-account")).toBeVisible();
});

test("an ended session says so, offers to sign in again, and the header stops greeting", async ({ page, context }) => {
  const email = uniqueEmail("ended");
  await page.goto("/logto/sign-up");
  await completeEmailCode(page, email);
  await page.goto("/profile");
  await hydrated(page);
  await expect(page.getByRole("link", { name: "Profile" })).toBeVisible();

  // Signed out in another tab of the same browser.
  const other = await context.newPage();
  await other.goto("/");
  await hydrated(other);
  await other.getByRole("button", { name: "Sign out" }).first().click();
  await expect(other.getByTestId("sign-in")).toBeVisible();

  await page.getByTestId("refresh").click();
  const ended = page.getByTestId("session-ended");
  await expect(ended).toContainText("Your session has ended");
  await expect(ended.getByRole("link", { name: "Sign in again" })).toHaveAttribute(
    "href",
    "/logto/sign-in?return_to=/profile",
  );
  await expect(page.getByRole("link", { name: "Sign in", exact: true })).toBeVisible();
  await expect(page.getByRole("link", { name: "Profile" })).toHaveCount(0);
});

test("dates on the profile are local and readable, with the raw value on hover", async ({ page }) => {
  await page.goto("/logto/sign-up");
  await completeEmailCode(page, uniqueEmail("dates"));
  await page.goto("/profile");
  await hydrated(page);
  const expiry = page.getByTestId("access-expiry").locator("time");
  await expect(expiry).toHaveAttribute("datetime", /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
  await expect(expiry).toHaveAttribute("title", /Unix time \d+/);
  await expect(expiry).not.toContainText("UTC"); // the browser's local rendering replaced it
  const claims = page.getByTestId("claims");
  const exp = claims.locator("tr", { has: page.locator("code", { hasText: /^exp$/ }) }).locator("time");
  await expect(exp).toHaveAttribute("title", /Unix time \d{10}/);
  await expect(exp).not.toHaveText(/^\d+$/);
  await expect(exp).not.toContainText("UTC"); // made local by the page's LocalTimes island
  await expectAccessible(page);
});

test("no page scrolls sideways on a 390 px phone, and each passes axe", async ({ page }) => {
  await page.setViewportSize(PHONE);
  const name = `A-very-long-display-name-without-any-spaces-${Date.now()}@example.com`;
  await page.goto("/logto/sign-up");
  await completeEmailCode(page, name.toLowerCase());
  for (const path of ["/", "/profile", "/sign-in-error?reason=cancelled", "/no/such/page"]) {
    await page.goto(path);
    await hydrated(page);
    await expectNoSidewaysScroll(page);
    await expectAccessible(page);
  }
});

test("the 403 and settings pages fit a phone too", async ({ page }) => {
  await page.setViewportSize(PHONE);
  await signIn(page, ADMIN);
  await page.goto("/settings/sign-in-experience");
  await hydrated(page);
  await expectNoSidewaysScroll(page);
  await expectAccessible(page);
});

test("an old sign-in link used while signed in says so and lets the person go on", async ({ page }) => {
  await page.goto("/logto/sign-up");
  await completeEmailCode(page, uniqueEmail("already"));
  await page.goto("/logto/sign-in-callback?code=old-code&state=old-state");
  await expect(page).toHaveURL(/\/sign-in-error\?reason=/);
  await expect(page.getByTestId("already-signed-in")).toContainText("you are signed in as");
  await page.getByRole("link", { name: "Continue to the app" }).click();
  await expect(page.getByTestId("welcome")).toBeVisible();
});

test("the bundle loads under content-hashed names kept for a year, and a warm visit fetches none of it again", async ({ page, request }) => {
  const bundle: string[] = [];
  page.on("response", (response) => {
    if (new URL(response.url()).pathname.startsWith("/pkg/")) bundle.push(response.url());
  });
  await page.goto("/");
  await hydrated(page);
  const names = bundle.map((url) => new URL(url).pathname);
  for (const kind of ["js", "wasm", "css"]) {
    expect(names.some((name) => new RegExp(`^/pkg/leptos-logto\\.[A-Za-z0-9_-]{16,}\\.${kind}$`).test(name)), `${kind} in ${names}`).toBe(true);
  }
  for (const url of bundle) {
    const answer = await request.get(url);
    expect(answer.status()).toBe(200);
    expect(answer.headers()["cache-control"]).toBe("public, max-age=31536000, immutable");
  }
  const page_answer = await request.get("/");
  expect(page_answer.headers()["cache-control"]).toContain("no-store");
  const icon = await request.get("/favicon.svg");
  expect(icon.headers()["cache-control"]).toBe("no-cache");
  expect(icon.headers()["last-modified"]).toBeTruthy();

  // Another visit within the year takes the script and styles from the browser's cache: nothing is
  // fetched. (Not the WASM here: the debug build's 8 MB WASM is more than the test browser's
  // in-memory cache keeps per entry; its headers above are the same as the others'.)
  await page.goto("/sign-in-error");
  await page.goto("/");
  await hydrated(page);
  const fromNetwork = await page.evaluate(() =>
    performance
      .getEntriesByType("resource")
      .filter((entry) => /^\/pkg\/.*\.(js|css)$/.test(new URL(entry.name).pathname))
      .filter((entry) => (entry as PerformanceResourceTiming).transferSize > 0)
      .map((entry) => entry.name),
  );
  expect(fromNetwork, "bundle files fetched over the network on a warm load").toEqual([]);
});
