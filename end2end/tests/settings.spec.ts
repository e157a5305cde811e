import { test, expect, type Page } from "@playwright/test";
import { completeEmailCode, expectAccessible, hydrated, uniqueEmail, watchForErrors, PROVIDER } from "./support";

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

test("an admin checks SES, sends a test email, replaces the mailbox with SES, enables passwordless sign-in; a new user signs up through SES", async ({ page, browser }) => {
  const errors = watchForErrors(page);
  // scripts/test created SENDER as a verified identity in moto, as in the real SES sandbox.
  await signIn(page, ADMIN, "/logto/sign-in?return_to=/settings/sign-in-experience");
  await expect(page).toHaveURL("/settings/sign-in-experience");
  await hydrated(page);
  await expect(page.getByRole("heading", { name: "Sign-in experience" })).toBeVisible();
  await expectAccessible(page);
  // The provider's factories are offered, and the active connector is named.
  await expect(page.getByTestId("active-connector")).toContainText("Active now:");
  await expect(page.getByTestId("active-connector")).toContainText("dev-mailbox");
  await expect(page.getByRole("radio")).toHaveCount(2);

  await page.getByLabel("AWS SES").check();
  expect(KEY_ID, "scripts/test provides SES_KEY_ID").not.toBe("");
  await page.locator('input[name="ses[access_key_id]"]').fill(KEY_ID);
  await page.locator('input[name="ses[region]"]').fill("us-east-1");
  await expect(page.getByTestId("unsaved")).toBeVisible();

  // A link inside the app asks before the edits are lost; staying keeps them. (Reloads below
  // leave on purpose: the browser's own prompt is accepted.)
  let asked = "";
  page.on("dialog", async (dialog) => {
    if (dialog.type() === "beforeunload") return dialog.accept();
    asked = dialog.message();
    await dialog.dismiss();
  });
  await page.getByRole("link", { name: "Home", exact: true }).click();
  expect(asked).toContain("unsaved changes");
  await expect(page).toHaveURL("/settings/sign-in-experience");
  await expect(page.locator('input[name="ses[access_key_id]"]')).toHaveValue(KEY_ID);

  // Values wrong on their face are refused before anything is sent, on their fields.
  await page.locator('input[name="ses[region]"]').fill("moon-1");
  await page.locator('input[name="ses[access_key_secret]"]').fill(KEY_SECRET);
  await page.locator('input[name="ses[email_address]"]').fill(`Leptos Logto <${SENDER}>`);
  await page.getByTestId("check-ses").click();
  const region = page.locator('input[name="ses[region]"]');
  await expect(region).toHaveAttribute("aria-invalid", "true");
  await expect(region).toHaveAttribute("aria-describedby", /ses_region__error/);
  await expect(page.locator("#ses_region__error")).toContainText("SES is not offered");
  await expect(region).toBeFocused();
  await region.fill("us-east-1");

  // The SES check with a wrong secret: one sentence, the detail folded away.
  await page.locator('input[name="ses[access_key_secret]"]').fill("not-the-secret");
  await page.getByTestId("check-ses").click();
  const outcome = page.getByTestId("email-outcome");
  await expect(outcome).toContainText("The secret access key does not belong to this access key ID");
  await expect(outcome.locator("details summary")).toHaveText("Technical detail");
  await expect(outcome.locator("details code")).toBeHidden();
  await expect(page.locator('[role="alert"]')).toHaveCount(1);

  // The right secret, an unverified sender: the check says so, and the test email fails in
  // one sentence in the banner (not under the address, which is not at fault).
  await page.locator('input[name="ses[access_key_secret]"]').fill(KEY_SECRET);
  await page.locator('input[name="ses[email_address]"]').fill("Someone <unverified@example.com>");
  await page.getByTestId("check-ses").click();
  await expect(outcome).toContainText("Neither unverified@example.com nor its domain example.com is a verified identity");
  await expect(outcome).toContainText("SES sandbox");
  const tester = uniqueEmail("ses-test");
  await page.getByTestId("test-address").fill(tester);
  await page.getByTestId("send-test").click();
  await expect(outcome).toContainText("AWS SES refused the test email");
  await expect(page.locator('[data-field="test_address"]')).toHaveCount(0);
  for (const debug of ["DispatchFailure", "ConnectorError", "{ "]) {
    await expect(outcome.locator("p").first()).not.toContainText(debug);
  }

  // Saving first asks before replacing the active connector, then refuses to keep settings that
  // fail the check unless told to.
  await page.getByTestId("save-email").click();
  await expect(outcome).toContainText("is the active email connector. Saving removes it");
  await expect(page.getByTestId("confirm-button")).toBeFocused();
  await page.getByTestId("confirm-button").click();
  await expect(outcome).toContainText("The SES check found problems, so nothing was saved");
  await expect(page.getByTestId("confirm-button")).toHaveText("Save anyway");
  await page.reload();
  await expect(page.getByTestId("active-connector")).toContainText("dev-mailbox");

  // Fixed: the check passes, the test email goes out, and the save goes through.
  await hydrated(page);
  await page.getByLabel("AWS SES").check();
  await page.locator('input[name="ses[access_key_id]"]').fill(KEY_ID);
  await page.locator('input[name="ses[access_key_secret]"]').fill(KEY_SECRET);
  await page.locator('input[name="ses[region]"]').fill("us-east-1");
  await page.locator('input[name="ses[email_address]"]').fill(`Leptos Logto <${SENDER}>`);
  await page.getByTestId("check-ses").click();
  await expect(outcome).toContainText("The SES check passed");
  await expect(outcome).toContainText(`${SENDER} is verified for sending in us-east-1`);
  await page.getByTestId("test-address").fill(tester);
  await page.getByTestId("send-test").click();
  await expect(outcome).toContainText(`Test email sent to ${tester}`);
  await expect.poll(async () => (await sesMessages(page, tester)).length).toBeGreaterThan(0);
  expect((await sesMessages(page, tester))[0].body).toContain("000000");
  await page.getByTestId("save-email").click();
  await page.getByTestId("confirm-button").click();
  await expect(outcome).toContainText("AWS SES settings saved");
  await expect(page.getByTestId("unsaved")).toBeHidden();

  // The secret is write-only: a reload shows that one is stored, never its value.
  await page.reload();
  await expect(page.getByTestId("active-connector")).toContainText("aws-ses-mail");
  await expect(page.locator('input[name="ses[access_key_secret]"]')).toHaveValue("");
  await expect(page.locator("#ses_access_key_secret__hint")).toContainText("A secret is stored");
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

  // Switching back asks before the SES settings are removed; then codes go to the mailbox again.
  await page.goto("/settings/sign-in-experience");
  await hydrated(page);
  await page.getByLabel("Development mailbox").check();
  await page.getByTestId("save-email").click();
  await expect(outcome).toContainText("Saving removes it and its settings");
  await page.getByTestId("confirm-button").click();
  await expect(outcome).toContainText("development mailbox");
  const later = uniqueEmail("after-switch");
  const third = await browser.newContext();
  const thirdPage = await third.newPage();
  await thirdPage.goto("/logto/sign-up");
  await completeEmailCode(thirdPage, later);
  await expect(thirdPage).toHaveURL("/");
  await third.close();
  expect(errors).toEqual([]);
});

test("branding is checked, saved through the Management API and shown by the provider's sign-in page", async ({ page, browser }) => {
  await signIn(page, ADMIN, "/logto/sign-in?return_to=/settings/sign-in-experience");
  await hydrated(page);
  const logo = page.locator('input[name="branding[logo_url]"]');
  await logo.fill("javascript:alert(1)");
  await page.getByTestId("save-branding").click();
  await expect(logo).toHaveAttribute("aria-invalid", "true");
  await expect(logo).toBeFocused();
  await expect(page.locator("#branding_logo_url__error")).toContainText("https://");
  const logoUrl = "https://cdn.example.com/acme-logo.svg";
  await logo.fill(logoUrl);
  await page.locator('input[name="branding[primary_color]"]').fill("#0a7cff");
  await page.getByTestId("save-branding").click();
  await expect(page.getByTestId("branding-outcome")).toContainText("Branding saved");
  await page.reload();
  await expect(logo).toHaveValue(logoUrl);

  const context = await browser.newContext();
  const visitor = await context.newPage();
  await visitor.goto("/logto/sign-in");
  await expect(visitor).toHaveURL(new RegExp(`^${PROVIDER}/sign-in`));
  await expect(visitor.getByRole("heading", { level: 1 })).toContainText("Leptos × Logto");
  await expect(visitor.locator(`img[src="${logoUrl}"]`).first()).toBeAttached();
  // The app's name in the provider's header leads back to the app.
  await expect(visitor.locator("a.brand")).toHaveAttribute("href", "http://localhost:3000/");
  await expectAccessible(visitor);
  await context.close();
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
  await expectAccessible(page);
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
