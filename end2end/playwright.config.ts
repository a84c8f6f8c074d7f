import { defineConfig, devices } from "@playwright/test";

// Debian's Chromium, never a downloaded browser. The flags keep it from
// reaching for the internet, which this machine does not have.
const chromium = {
  executablePath: process.env.CRM_CHROMIUM ?? "/usr/bin/chromium",
  args: [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
  ],
};

export default defineConfig({
  testDir: "./tests",
  // One server per run; tests use their own customer names so they do not clash.
  globalSetup: require.resolve("./support/global-setup"),
  fullyParallel: false,
  workers: 1,
  retries: 0,
  timeout: 60_000,
  expect: { timeout: 10_000 },
  reporter: [["list"]],
  forbidOnly: !!process.env.CI,
  use: {
    trace: "retain-on-failure",
    launchOptions: chromium,
    locale: "zh-CN",
  },
  projects: [
    { name: "phone", use: { ...devices["Pixel 7"], launchOptions: chromium } },
    { name: "tablet", use: { ...devices["Galaxy Tab S4"], browserName: "chromium", launchOptions: chromium } },
  ],
});
