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
