import { expect, test } from "../support/fixtures";
import { E2E_PASSWORD, E2E_USER, REPS, REP_PASSWORD } from "../support/global-setup";
import { RepApp, baseUrl, ready, signIn, unique } from "../support/app";

test("a new customer is listed, found by pinyin initials and phone digits, and still there after a reload", async ({ page }, info) => {
  await signIn(page, REPS.alice, REP_PASSWORD);
  const app = new RepApp(page);
  const name = unique("张三丰", info.project.name);
  await app.createCustomer(name, "137 0000 1111");
  await app.expectSynced();

  await app.goto("/customers");
  const search = page.locator("#customer-search");
  const rows = page.locator(".customer-row");
  await search.fill("zsf");
  await expect(rows.filter({ hasText: name })).toHaveCount(1);
  await search.fill("00001111");
  await expect(rows.filter({ hasText: name })).toHaveCount(1);
  await search.fill("没有这个人");
  await expect(rows).toHaveCount(0);
  await expect(page.getByText("没有符合条件的客户。")).toBeVisible();

  await page.reload();
  await ready(page);
  // A long list draws only its first rows: narrow it to the name again.
  await search.fill(name);
  await expect(page.locator(".customer-row", { hasText: name })).toHaveCount(1);
});

test("an empty or too long name is refused under the field and nothing is stored", async ({ page }) => {
  await signIn(page, REPS.alice, REP_PASSWORD);
  const app = new RepApp(page);
  await app.goto("/customers/new");
  await page.getByRole("button", { name: "保存" }).click();
  await expect(page.locator("#customer-name-error")).toHaveText("请填写客户名称。");
  await page.locator("#customer-name").fill("长".repeat(200));
  await expect(page.locator("#customer-name-error")).toContainText("最多 120 个字");
  await expect(page.locator("#customer-name")).toHaveAttribute("aria-invalid", "true");
  await page.getByRole("button", { name: "保存" }).click();
  await expect(page).toHaveURL(/\/customers\/new$/);
  await app.expectPending(0);
});

test("a possible duplicate is shown while creating a customer", async ({ page }, info) => {
  await signIn(page, REPS.alice, REP_PASSWORD);
  const app = new RepApp(page);
  const name = unique("李四", info.project.name);
  await app.createCustomer(name, "136 5555 0000");
  await app.goto("/customers/new");
  await page.locator("#customer-name").fill("另一个名字");
  await page.locator("#customer-phones").fill("13655550000");
  const hint = page.locator(".duplicates");
  await expect(hint).toContainText(name);
  await expect(hint).toContainText("电话相同");
});

test("the today list shows a follow-up due and the record page fits a 360 px phone with 44 px targets", async ({ page }, info) => {
  await page.setViewportSize({ width: 360, height: 740 });
  await signIn(page, REPS.alice, REP_PASSWORD);
  const app = new RepApp(page);
  const name = unique("回访", info.project.name);
  await app.createCustomer(name);
  await page.getByRole("button", { name: "加跟进" }).click();
  const today = await page.evaluate(() => new Date(Date.now() + 8 * 3600_000).toISOString().slice(0, 10));
  await page.locator("#task-due").fill(today);
  await app.save();

  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  expect(overflow).toBeLessThanOrEqual(0);
  const small = await page.evaluate(() =>
    [...document.querySelectorAll("main button, main a.button, main input, main select, .bottom-nav a, .sync-badge")]
      .filter((e) => (e as HTMLElement).offsetParent !== null)
      .map((e) => ({ what: e.outerHTML.slice(0, 80), height: e.getBoundingClientRect().height }))
      .filter((e) => e.height < 44),
  );
  expect(small).toEqual([]);

  await app.goto("/");
  await expect(page.locator(".agenda-section", { hasText: "跟进到期" })).toContainText(name);
});

test("the manifest is valid and the service worker controls the page", async ({ page, request }) => {
  const manifest = await (await request.get(`${baseUrl()}/manifest.webmanifest`)).json();
  expect(manifest.display).toBe("standalone");
  expect(manifest.start_url).toBe("/");
  expect(manifest.name).toBeTruthy();
  const sizes = manifest.icons.map((i: { sizes: string }) => i.sizes);
  expect(sizes).toContain("192x192");
  expect(sizes).toContain("512x512");
  for (const icon of manifest.icons) {
    expect((await request.get(`${baseUrl()}${icon.src}`)).status()).toBe(200);
  }
  const worker = await request.get(`${baseUrl()}/sw.js`);
  expect(worker.headers()["content-type"]).toContain("javascript");

  await signIn(page, E2E_USER, E2E_PASSWORD);
  await new RepApp(page).installed();
  const caches = await page.evaluate(async () => {
    const names = await caches.keys();
    const cache = await caches.open(names.find((n) => n.startsWith("crm-shell-"))!);
    return (await cache.keys()).map((r) => new URL(r.url).pathname);
  });
  expect(caches).toEqual(expect.arrayContaining(["/offline-shell", "/pkg/crm.wasm", "/pkg/crm.js", "/pkg/crm.css"]));
  expect(caches.some((p) => p.startsWith("/api/"))).toBe(false);
});

test("a wrong password is refused with a message and no archive is shown", async ({ page }) => {
  await page.goto(`${baseUrl()}/signin`);
  await ready(page);
  await page.locator("#username").fill(REPS.alice);
  await page.locator("#password").fill("not the password");
  await page.getByRole("button", { name: "登录", exact: true }).click();
  await expect(page.locator("#sign-in-error")).toHaveText("用户名或密码不正确。");
  await page.goto(`${baseUrl()}/customers`);
  await expect(page.locator(".customer-list")).toHaveCount(0);
  await expect(page.getByRole("link", { name: "登录", exact: true })).toBeVisible();
});
