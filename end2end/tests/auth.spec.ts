import { test, expect } from "@playwright/test";
import {
  codeFor,
  completeEmailCode,
  hydrated,
  recordAppTraffic,
  tokensInBrowser,
  tokensInTraffic,
  uniqueEmail,
  watchForErrors,
  PROVIDER,
} from "./support";

test("sign up with an email code, use the profile, refresh, reload, sign out", async ({ page }) => {
  const errors = watchForErrors(page);
  const email = uniqueEmail("newcomer");

  await page.goto("/");
  await hydrated(page);
  await page.getByTestId("create-account").click();
  await expect(page.getByRole("heading", { name: "Create your account" })).toBeVisible();
  await completeEmailCode(page, email);

  // Back at the app, signed in.
  await expect(page).toHaveURL("/");
  await expect(page.getByTestId("welcome")).toContainText(email);

  await page.getByRole("link", { name: "Your profile" }).click();
  await expect(page).toHaveURL("/profile");
  const userId = await page.getByTestId("user-id").textContent();
  expect(userId).toMatch(/^[a-z0-9]{12}$/);
  await expect(page.getByTestId("claims")).toContainText(email);
  await expect(page.getByTestId("claims")).toContainText(userId!);
  await expect(page.getByTestId("userinfo")).toContainText(email);

  await page.getByTestId("refresh").click();
  await expect(page.getByTestId("refreshed")).toBeVisible();

  // A reload keeps the session (server-side, cookie only).
  await page.reload();
  await expect(page.getByTestId("user-id")).toHaveText(userId!);

  // Nothing in the page or its hydration data looks like a token (the whole crawl is the test
  // "no provider token reaches the browser" below).
  expect(await tokensInBrowser(page, "localhost")).toEqual([]);

  await page.getByTestId("sign-out").first().click();
  // Signed out (a view the page before the click did not show), back on the home page with a
  // clean address: sign-out sends no `state` to come back with.
  await expect(page.getByTestId("sign-in")).toBeVisible();
  await expect(page).toHaveURL(/^http:\/\/localhost:3000\/$/);
  await hydrated(page);
  await expect(page.getByTestId("sign-in")).toBeVisible();

  // Client-side navigation to the profile now sends the person to sign in: its server function
  // answers 401 (which the browser logs), and the page goes to sign in…
  const errorsBefore = errors.length;
  await page.evaluate(() => {
    const link = document.createElement("a");
    link.href = "/profile";
    link.textContent = "profile";
    document.body.appendChild(link);
    link.click();
  });
  await expect(page).toHaveURL(new RegExp(`^${PROVIDER}/sign-in`));
  const expected401 = errors.splice(errorsBefore);
  expect(expected401.every((e) => e.includes("status of 401"))).toBe(true);
  // …and so does a full page load (the provider session ended too, so its form shows).
  await page.goto("/profile");
  await expect(page).toHaveURL(new RegExp(`^${PROVIDER}/sign-in`));
  expect(errors).toEqual([]);
});

test("a returning user signs in and lands where they were going", async ({ page }) => {
  const email = uniqueEmail("returning");
  // Create the account first.
  await page.goto("/logto/sign-up");
  await completeEmailCode(page, email);
  await expect(page).toHaveURL("/");
  await page.getByTestId("sign-out").first().click();
  // Signed out (a view the page before the click did not show), back on the home page with a
  // clean address: sign-out sends no `state` to come back with.
  await expect(page.getByTestId("sign-in")).toBeVisible();
  await expect(page).toHaveURL(/^http:\/\/localhost:3000\/$/);
  await expect(page.getByTestId("sign-in")).toBeVisible();

  // A full page load of a protected page goes to sign in and comes back to it.
  await page.goto("/profile");
  await expect(page.getByRole("heading", { name: "Sign in" })).toBeVisible();
  await completeEmailCode(page, email);
  await expect(page).toHaveURL("/profile");
  await expect(page.getByTestId("claims")).toContainText(email);
});

test("cancelling at the provider shows the sign-in error page with a way to try again", async ({ page }) => {
  await page.goto("/");
  await hydrated(page);
  await page.getByTestId("sign-in").click();
  await expect(page).toHaveURL(`${PROVIDER}/sign-in`);
  await page.getByRole("link", { name: "Cancel and go back" }).click();
  await expect(page).toHaveURL("/sign-in-error?reason=cancelled");
  await expect(page.getByRole("heading", { level: 1 })).toHaveText("Sign-in cancelled");
  await expect(page.getByText("Sign-in was cancelled")).toBeVisible();
  await page.getByRole("link", { name: "Try again" }).click();
  await expect(page).toHaveURL(`${PROVIDER}/sign-in`);
});

test("a wrong code is explained and the right one still works", async ({ page }) => {
  const errors = watchForErrors(page);
  const email = uniqueEmail("typo");
  await page.goto("/logto/sign-in");
  await expect(page).toHaveURL(`${PROVIDER}/sign-in`);
  await page.locator('input[name="email"]').fill(email);
  await page.getByRole("button", { name: "Continue" }).click();
  await expect(page).toHaveURL(`${PROVIDER}/sign-in/verify`);

  // The mailed code, and one that is certainly wrong (each digit shifted by one).
  const right = await codeFor(page.request, email);
  const wrong = right.replace(/\d/g, (d) => String((Number(d) + 1) % 10));
  expect(wrong).not.toBe(right);

  await page.locator('input[name="code"]').fill(wrong);
  await page.getByRole("button", { name: "Verify and continue" }).click();
  const alert = page.getByRole("alert");
  await expect(alert).toBeVisible();
  await expect(alert).toContainText("That code isn't right");
  await expect(alert).toContainText("9 attempts left");
  await expect(page).toHaveURL(new RegExp(`^${PROVIDER}/sign-in/verify`));
  await expect(page.locator("#resend")).toBeDisabled(); // the 59 s countdown

  // The right code still works: back at the app, signed in as this address.
  await page.locator('input[name="code"]').fill(right);
  await page.getByRole("button", { name: "Verify and continue" }).click();
  await expect(page).toHaveURL("/");
  await expect(page.getByTestId("welcome")).toContainText(email);
  await page.goto("/profile");
  await expect(page).toHaveURL("/profile");
  await expect(page.getByTestId("claims")).toContainText(email);
  // The wrong code's page is a 400, which the browser logs; nothing else may be.
  expect(errors.filter((e) => !e.includes("status of 400"))).toEqual([]);
});

test("no provider token reaches the browser: callback, pages, server functions, cookies, storage, sign-out", async ({ page }) => {
  const app = "http://localhost:3000";
  const seen = await recordAppTraffic(page, app, PROVIDER);
  const email = uniqueEmail("leak");

  await page.goto("/logto/sign-up");
  await completeEmailCode(page, email);
  await expect(page).toHaveURL("/");
  await hydrated(page);
  const found: string[] = await tokensInBrowser(page, "localhost");

  // The callback answered a bare redirect to a path of the app.
  const callback = seen.filter((s) => s.url.startsWith(`${app}/logto/sign-in-callback`));
  expect(callback).toHaveLength(1);
  expect(callback[0].status).toBe(303);
  expect(callback[0].headers["location"]).toBe("/");

  // Every page and server function a signed-in person uses, SSR and client-side.
  await page.getByRole("link", { name: "Your profile" }).click();
  await expect(page).toHaveURL("/profile");
  await expect(page.getByTestId("claims")).toContainText(email);
  await page.getByTestId("refresh").click();
  await expect(page.getByTestId("refreshed")).toBeVisible();
  found.push(...(await tokensInBrowser(page, "localhost")));
  for (const path of ["/profile", "/", "/logto/sign-out", "/sign-in-error?reason=expired", "/nowhere"]) {
    await page.goto(path);
    found.push(...(await tokensInBrowser(page, "localhost")));
  }

  // Sign-out: the redirect to the provider's end-session endpoint (which may carry the ID token
  // as id_token_hint, and nothing else), the provider's answer and the page the person lands on.
  await page.goto("/");
  await hydrated(page);
  await page.getByTestId("sign-out").first().click();
  // Signed out (a view the page before the click did not show), back on the home page with a
  // clean address: sign-out sends no `state` to come back with.
  await expect(page.getByTestId("sign-in")).toBeVisible();
  await expect(page).toHaveURL(/^http:\/\/localhost:3000\/$/);
  await hydrated(page);
  found.push(...(await tokensInBrowser(page, "localhost")));
  const toEndSession = seen.filter((s) => (s.headers["location"] ?? "").startsWith(`${PROVIDER}/oidc/session/end?`));
  expect(toEndSession.length, "the sign-out redirect was seen").toBeGreaterThan(0);
  expect(seen.some((s) => s.url.startsWith(`${PROVIDER}/oidc/session/end`)), "the end-session answer was seen").toBe(true);

  found.push(...tokensInTraffic(seen, PROVIDER));
  expect(seen.filter((s) => s.body !== undefined).length, "bodies were recorded").toBeGreaterThan(5);
  expect(found).toEqual([]);
});
