// Playwright runs against the app that `cargo leptos end-to-end` starts, in Debian's Chromium
// (never a downloaded browser build).
import { defineConfig, devices } from "@playwright/test";

export default defineConfig({
  testDir: "./tests",
  timeout: 30_000,
  expect: { timeout: 10_000 },
  fullyParallel: false,
  workers: 1,
  forbidOnly: !!process.env.CI,
  retries: 0,
  // The list for people; the JSON report for scripts/test, which reads it to prove the suite ran
  // and passed (`cargo leptos end-to-end` can exit 0 without running it). The directory is
  // git-ignored.
  reporter: [["list"], ["json", { outputFile: "playwright-report/report.json" }]],
  use: {
    baseURL: process.env.APP_URL ?? "http://localhost:3000",
    trace: "retain-on-failure",
  },
  projects: [
    {
      name: "chromium",
      use: {
        ...devices["Desktop Chrome"],
        launchOptions: {
          executablePath: "/usr/bin/chromium",
          args: [
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
          ],
        },
      },
    },
  ],
});
