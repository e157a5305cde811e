import { test, expect, type Page } from "@playwright/test";
import { completeEmailCode, hydrated, uniqueEmail, watchForErrors, PROVIDER } from "./support";

// A local moto server stands in for AWS SES (scripts/test starts it and points the app at it).
const MOTO = process.env.MOTO_URL ?? "http://127.0.0.1:5055";
const ADMIN = "admin@example.com"; // PROVIDER_ADMIN_EMAILS in scripts/test
const SENDER = "no-reply@example.com";
// An IAM key that moto accepts (scripts/test creates it; moto checks SigV4 signatures).
const KEY_ID = process.env.SES_KEY_ID ?? "";
const KEY_SECRET = process.env.SES_KEY_SECRET ?? "";

async function signIn(page: Page, email: string, path = "/logto/sign-in") {
  await page.goto(path);
  await completeEmailCode(page, email);
}

/** Every message moto accepted for `to`, newest last. */
async function sesMessages(page: Page, to: string): Promise<{ subject: string; body: string }[]> {
  const response = await page.request.get(`${MOTO}/moto-api/data.json`);
  const data = await response.json();
  const found: { subject: string; body: string }[] = [];
  const walk = (node: unknown) => {
    if (Array.isArray(node)) node.forEach(walk);
    else if (node && typeof node === "object") {
      const record = node as Record<string, unknown>;
      const destinations = JSON.stringify(record["destinations"] ?? record["destination"] ?? "");
      if (typeof record["subject"] === "string" && destinations.includes(to)) {
        found.push({ subject: record["subject"] as string, body: String(record["body"] ?? "") });
      }
      Object.values(record).forEach(walk);
    }
  };
  walk(data);
  return found;
}

test.describe.configure({ mode: "serial" });

test("an admin configures SES, sends a test email, enables passwordless sign-in; a new user signs up through SES", async ({ page, browser }) => {
  const errors = watchForErrors(page);
  // scripts/test created SENDER as a verified identity in moto, as in the real SES sandbox.
  await signIn(page, ADMIN, "/logto/sign-in?return_to=/settings/sign-in-experience");
  await expect(page).toHaveURL("/settings/sign-in-experience");
  await hydrated(page);
  await expect(page.getByRole("heading", { name: "Sign-in experience" })).toBeVisible();

  await page.getByLabel("AWS SES").check();
  expect(KEY_ID, "scripts/test provides SES_KEY_ID").not.toBe("");
  await page.locator('input[name="ses[access_key_id]"]').fill(KEY_ID);
  await page.locator('input[name="ses[region]"]').fill("us-east-1");
  await expect(page.getByTestId("unsaved")).toBeVisible();
  const tester = uniqueEmail("ses-test");
  await page.getByTestId("test-address").fill(tester);

  // A wrong secret: AWS's (moto's) signature error is shown next to the test address.
  await page.locator('input[name="ses[access_key_secret]"]').fill("not-the-secret");
  await page.locator('input[name="ses[email_address]"]').fill(`Leptos Logto <${SENDER}>`);
  await page.getByTestId("send-test").click();
  await expect(page.locator('[data-field="test_address"]')).toContainText("SignatureDoesNotMatch");

  // The right secret but an unverified sender: MessageRejected.
  await page.locator('input[name="ses[access_key_secret]"]').fill(KEY_SECRET);
  await page.locator('input[name="ses[email_address]"]').fill("Someone <unverified@example.com>");
  await page.getByTestId("send-test").click();
  await expect(page.locator('[data-field="test_address"]')).toContainText("MessageRejected");

  await page.locator('input[name="ses[email_address]"]').fill(`Leptos Logto <${SENDER}>`);
  await page.getByTestId("send-test").click();
  await expect(page.getByTestId("email-outcome")).toContainText(`Test email sent to ${tester}`);
  await expect.poll(async () => (await sesMessages(page, tester)).length).toBeGreaterThan(0);
  expect((await sesMessages(page, tester))[0].body).toContain("000000");

  await page.getByTestId("save-email").click();
  await expect(page.getByTestId("email-outcome")).toContainText("AWS SES settings saved");
  await expect(page.getByTestId("unsaved")).toBeHidden();

  // The secret is write-only: a reload shows that one is stored, never its value.
  await page.reload();
  await expect(page.locator('input[name="ses[access_key_secret]"]')).toHaveValue("");
  expect(await page.content()).not.toContain(KEY_SECRET);

  await page.getByTestId("email-sign-up").check();
  await page.getByTestId("verification-code").check();
  await page.getByTestId("password").uncheck();
  await page.getByTestId("save-sign-in").click();
  await expect(page.getByTestId("sign-in-outcome")).toContainText("saved");

  // A new person signs up; the code comes through SES with the Register template.
  const context = await browser.newContext();
  const visitor = await context.newPage();
  const newcomer = uniqueEmail("ses-newcomer");
  await visitor.goto("/logto/sign-up");
  await visitor.locator('input[name="email"]').fill(newcomer);
  await visitor.getByRole("button", { name: "Continue" }).click();
  await expect(visitor).toHaveURL(`${PROVIDER}/sign-in/verify`);
  let code = "";
  await expect
    .poll(async () => {
      const messages = await sesMessages(visitor, newcomer);
      code = messages.length ? messages[messages.length - 1].subject.replace(/\D/g, "") : "";
      return code.length;
    })
    .toBe(6);
  await visitor.locator('input[name="code"]').fill(code);
  await visitor.getByRole("button", { name: "Verify and continue" }).click();
  await expect(visitor).toHaveURL("/");
  await expect(visitor.getByTestId("welcome")).toContainText(newcomer);
  await context.close();

  // Switching back works too: codes go to the development mailbox again.
  await page.goto("/settings/sign-in-experience");
  await hydrated(page);
  await page.getByLabel("Development mailbox").check();
  await page.getByTestId("save-email").click();
  await expect(page.getByTestId("email-outcome")).toContainText("development mailbox");
  const later = uniqueEmail("after-switch");
  const third = await browser.newContext();
  const thirdPage = await third.newPage();
  await thirdPage.goto("/logto/sign-up");
  await completeEmailCode(thirdPage, later);
  await expect(thirdPage).toHaveURL("/");
  await third.close();
  expect(errors).toEqual([]);
});

test("Logto's rules are shown next to the field: code sign-in cannot be turned off without passwords", async ({ page }) => {
  await signIn(page, ADMIN, "/logto/sign-in?return_to=/settings/sign-in-experience");
  await hydrated(page);
  await page.getByTestId("verification-code").uncheck();
  await page.getByTestId("password").uncheck();
  await page.getByTestId("save-sign-in").click();
  await expect(page.locator('[data-field="verification_code"]')).toBeVisible();
  await page.reload();
  await expect(page.getByTestId("verification-code")).toBeChecked();
});

test("a non-admin gets the 403 page", async ({ page }) => {
  await signIn(page, uniqueEmail("member"));
  const response = await page.goto("/settings/sign-in-experience");
  expect(response?.status()).toBe(403);
  await expect(page.getByRole("heading", { level: 1 })).toHaveText("Administrators only");
});

test("a cross-site POST to the settings changes nothing", async ({ page }) => {
  await signIn(page, ADMIN);
  const response = await page.request.post("/api/settings/sign-in", {
    headers: { Origin: "https://evil.example", "Content-Type": "application/x-www-form-urlencoded" },
    data: "email_sign_up=on",
  });
  expect(response.status()).toBe(403);
  await page.goto("/settings/sign-in-experience");
  await expect(page.getByTestId("email-sign-up")).toBeChecked();
});
