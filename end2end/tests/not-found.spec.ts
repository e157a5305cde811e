import { test, expect } from "@playwright/test";

test("an unknown path shows the 404 page with a way home", async ({ page }) => {
  const response = await page.goto("/this/page/does/not/exist");
  expect(response?.status()).toBe(404);
  await expect(page).toHaveTitle("Page not found · Leptos × Logto");
  await expect(page.getByRole("heading", { level: 1 })).toHaveText("Page not found");
  await page.getByRole("link", { name: "Back to home" }).click();
  await expect(page).toHaveURL("/");
  await expect(page.getByRole("heading", { level: 1 })).toHaveText("Sign in with Logto, the Rust way");
});

test("client-side navigation to an unknown route shows the 404 page", async ({ page }) => {
  await page.goto("/");
  await expect(page.locator("html")).toHaveAttribute("data-hydrated", "true");
  await page.evaluate(() => {
    const link = document.createElement("a");
    link.href = "/nowhere";
    link.textContent = "nowhere";
    document.body.appendChild(link);
    link.click();
  });
  await expect(page.getByRole("heading", { level: 1 })).toHaveText("Page not found");
});
