// Pages a rep seldom opens are split off the app's main wasm: a rep's first
// load fetches none of them, a page's parts arrive when it is first opened,
// and once the service worker is installed they open with no network.
import { expect, test } from "../support/fixtures";
import { REPS, REP_PASSWORD } from "../support/global-setup";
import { RepApp, baseUrl, ready, signInApi } from "../support/app";

/** The wasm parts a page fetched, by file name, beside the main `crm.wasm`. */
function partsFetched(page: import("@playwright/test").Page): string[] {
  const parts: string[] = [];
  page.on("request", (request) => {
    const name = new URL(request.url()).pathname.split("/").pop() ?? "";
    if (name.endsWith(".wasm") && name !== "crm.wasm") parts.push(name);
  });
  return parts;
}

test("a rep's first load leaves the seldom used pages out; they load when opened, offline too", async ({ browser }, info) => {
  test.skip(info.project.name !== "phone", "a rep's phone");
  const context = await browser.newContext({ ...info.project.use });
  await signInApi(context.request, REPS.alice, REP_PASSWORD);
  const page = await context.newPage();
  const parts = partsFetched(page);
  const app = new RepApp(page);

  // Today, the list and a new customer: nothing but the main wasm.
  await app.goto("/");
  await app.goto("/customers");
  await app.goto("/customers/new");
  await app.expectSynced();
  expect(parts).toEqual([]);

  // The account page, tapped from the top bar: its part comes then.
  await page.locator("a.account-link").click();
  await page.waitForURL(/\/account$/);
  await expect(page.getByRole("heading", { name: "我的账户" })).toBeVisible();
  expect(parts.some((name) => name.includes("account"))).toBe(true);
  expect(parts.some((name) => name.includes("pool"))).toBe(false);

  // Opened with no network, from the installed app: once its shell is in,
  // the worker keeps every part.
  await app.installed();
  await expect
    .poll(
      () =>
        page.evaluate(async () => {
          for (const name of await caches.keys()) {
            const kept = await (await caches.open(name)).keys();
            if (kept.some((request) => request.url.includes("pool"))) return true;
          }
          return false;
        }),
      { timeout: 20_000 },
    )
    .toBe(true);
  await context.setOffline(true);
  await page.goto(`${baseUrl()}/pool`);
  await ready(page);
  await expect(page.getByTestId("pool").getByRole("heading", { name: "公海客户" })).toBeVisible();
  await expect(page.getByTestId("pool")).not.toContainText("正在加载");
  expect(parts.some((name) => name.includes("pool"))).toBe(true);
  await context.close();
});

test("a page split off the first load and opened by its address renders in the browser, signed in", async ({ browser }, info) => {
  test.skip(info.project.name !== "tablet", "a manager's tablet");
  const context = await browser.newContext({ ...info.project.use });
  await signInApi(context.request, REPS.alice, REP_PASSWORD);
  const page = await context.newPage();
  // The server sends a mark, not the page; the browser renders it after its part arrives.
  const html = await (await context.request.get(`${baseUrl()}/account`)).text();
  expect(html).toContain("data-render-in-browser");
  await page.goto(`${baseUrl()}/account`);
  await ready(page);
  await expect(page.getByRole("heading", { name: "我的账户" })).toBeVisible();
  await expect(page.locator("[data-render-in-browser]")).toHaveCount(0);
  await context.close();
});
