import { expect, guard, test } from "../support/fixtures";
import { REPS, REP_PASSWORD } from "../support/global-setup";
import { RepApp, baseUrl, ready, signIn, unique, whoAmI } from "../support/app";

test("edits made offline survive reloads and a new page, then reach the server", async ({ page, browser }, info) => {
  await signIn(page, REPS.alice, REP_PASSWORD);
  const app = new RepApp(page);
  const name = unique("离线客户", info.project.name);
  const path = await app.createCustomer(name, "13800138000");
  await app.expectSynced();
  await app.installed();

  await app.context.setOffline(true);
  await app.editBasics();
  await page.locator("#edit-phones").fill("139 1234 5678");
  await app.save();
  await expect(page.getByTestId("phones")).toContainText("139 1234 5678");

  await page.getByRole("button", { name: "记拜访" }).click();
  await page.locator("#interaction-summary").fill("地下室里拜访，谈了新订单");
  await app.save();
  await page.getByRole("button", { name: "加订单" }).click();
  await page.locator("#order-product").fill("净水器");
  await page.locator("#order-amount").fill("1,280.50");
  await app.save();
  await expect(page.getByTestId("order-count")).toHaveText("1");
  await expect(page.getByTestId("total-spent")).toHaveText("¥1,280.50");
  await app.expectPending(3);

  // Reload with no network: the service worker's shell boots the app from storage.
  await page.reload();
  await ready(page);
  await expect(app.recordName).toHaveText(name);
  await expect(page.getByTestId("phones")).toContainText("139 1234 5678");
  await expect(page.getByTestId("total-spent")).toHaveText("¥1,280.50");
  await page.getByRole("tab", { name: "互动" }).click();
  await expect(page.locator(".timeline")).toContainText("地下室里拜访");

  // A new page of the same install, still offline. The tab is closed as a
  // person closes it (its page-hide handler lets go of the sync lease).
  await page.close({ runBeforeUnload: true });
  const again = await app.context.newPage();
  await again.goto(`${baseUrl()}${path}`);
  await ready(again);
  const second = new RepApp(again);
  await expect(second.recordName).toHaveText(name);
  await expect(again.getByTestId("order-count")).toHaveText("1");
  await second.expectPending(3);

  // Back online: the outbox drains by itself, at once (the closed tab left
  // no sync lease behind to wait out).
  await second.context.setOffline(false);
  await expect(second.badge).toHaveAttribute("data-pending", "0", { timeout: 5_000 });
  await second.expectSynced();

  // The server has every edit: a fresh browser signs in and looks.
  const fresh = await browser.newContext({ ...info.project.use, serviceWorkers: "block" });
  const refused = guard(fresh);
  const check = await fresh.newPage();
  await signIn(check, REPS.alice, REP_PASSWORD);
  await check.goto(`${baseUrl()}${path}`);
  await ready(check);
  await expect(check.getByTestId("phones")).toContainText("139 1234 5678");
  await expect(check.getByTestId("total-spent")).toHaveText("¥1,280.50");
  await check.getByRole("tab", { name: "互动" }).click();
  await expect(check.locator(".timeline")).toContainText("地下室里拜访");
  await fresh.close();
});

test("a bad phone number is explained offline and nothing is queued", async ({ page }, info) => {
  await signIn(page, REPS.alice, REP_PASSWORD);
  const app = new RepApp(page);
  await app.createCustomer(unique("号码", info.project.name));
  await app.expectSynced();

  await app.context.setOffline(true);
  await app.editBasics();
  await page.locator("#edit-phones").fill("12345");
  await expect(page.locator("#edit-phones-error")).toHaveText("电话格式不正确。");
  await expect(page.locator("#edit-phones")).toHaveAttribute("aria-invalid", "true");
  await app.save();
  await expect(page.locator(".form-error")).toContainText("电话格式不正确");
  await app.expectPending(0);
  await app.context.setOffline(false);
});

test("two reps edit one field offline; the conflict shows, is settled with one tap, and both agree", async ({ browser }, info) => {
  const aliceContext = await browser.newContext(info.project.use);
  const bobContext = await browser.newContext(info.project.use);
  const refused = [guard(aliceContext), guard(bobContext)];
  const alicePage = await aliceContext.newPage();
  const bobPage = await bobContext.newPage();
  const alice = new RepApp(alicePage);
  const bob = new RepApp(bobPage);

  await signIn(alicePage, REPS.alice, REP_PASSWORD);
  const name = unique("共享客户", info.project.name);
  const path = await alice.createCustomer(name);
  await alice.editBasics();
  await alicePage.locator("#edit-region").fill("北区");
  await alicePage.locator("#edit-shared").fill(REPS.bob);
  await alice.save();
  await alice.expectSynced();

  await signIn(bobPage, REPS.bob, REP_PASSWORD);
  await bob.expectSynced();
  await bob.goto(path);
  await expect(bob.recordName).toHaveText(name);

  await aliceContext.setOffline(true);
  await bobContext.setOffline(true);
  await alice.editBasics();
  await alicePage.locator("#edit-region").fill("东区");
  await alice.save();
  await bob.editBasics();
  await bobPage.locator("#edit-region").fill("西区");
  await bob.save();

  await aliceContext.setOffline(false);
  await alice.expectSynced();
  await bobContext.setOffline(false);
  await bob.expectSynced();

  // Bob's edit met Alice's: both values are kept and shown, with who wrote them.
  await bob.goto(path);
  const conflict = bobPage.locator(".conflicts");
  await expect(conflict).toBeVisible();
  await expect(conflict).toContainText("东区");
  await expect(conflict).toContainText("西区");
  await expect(conflict).toContainText(REPS.alice);
  await alice.syncNow();
  await alice.goto(path);
  await expect(alicePage.locator(".conflicts")).toBeVisible();

  await conflict.locator(".candidate", { hasText: "西区" }).getByRole("button", { name: "保留这个" }).click();
  await expect(bobPage.locator(".conflicts")).toHaveCount(0);
  await bob.expectSynced();

  await alice.syncNow();
  await alice.goto(path);
  await expect(alicePage.locator(".conflicts")).toHaveCount(0);
  await expect(alicePage.locator(".facts").first()).toContainText("西区");
  await expect(bobPage.locator(".facts").first()).toContainText("西区");
  expect(refused.flat(), "content security policy violations").toEqual([]);
  await aliceContext.close();
  await bobContext.close();
});

test("an expired session asks for a new sign-in and keeps the outbox", async ({ page }, info) => {
  await signIn(page, REPS.alice, REP_PASSWORD);
  const app = new RepApp(page);
  await app.createCustomer(unique("过期", info.project.name));
  await app.expectSynced();

  // The session ends (cookie gone) while the app is open; the rep carries on.
  await app.context.clearCookies();
  await page.getByRole("button", { name: "记电话" }).click();
  await app.save();
  await expect(app.badge).toHaveAttribute("data-state", "problem");
  await app.expectPending(1);

  await app.badge.click();
  await expect(page.getByRole("alert").filter({ hasText: "登录已过期" })).toBeVisible();
  await page.getByRole("main").getByRole("link", { name: "登录", exact: true }).click();
  await page.waitForURL(/\/signin$/);
  await ready(page);
  await page.locator("#username").fill(REPS.alice);
  await page.locator("#password").fill(REP_PASSWORD);
  await page.getByRole("button", { name: "登录", exact: true }).click();
  await page.waitForURL(`${baseUrl()}/`);
  await ready(page);
  await app.expectSynced();
});

test("signing out leaves nothing of the rep on the device; with changes waiting it asks first", async ({ page }, info) => {
  await signIn(page, REPS.alice, REP_PASSWORD);
  const app = new RepApp(page);
  const name = unique("退出前客户", info.project.name);
  await app.createCustomer(name, "13800138000");
  await app.expectSynced();
  await app.installed();
  const storedKeys = () => page.evaluate(() => Object.keys(localStorage));
  // Her archive, outbox and sync state, and the device remembering her.
  const alicesKeys = () =>
    page.evaluate(
      (alice) =>
        Object.keys(localStorage).filter(
          (k) => k.startsWith(`crm/${alice}/`) || (k === "crm/user" && localStorage.getItem(k)!.includes(`"${alice}"`)),
        ),
      REPS.alice,
    );
  expect((await alicesKeys()).length).toBeGreaterThan(0);

  // Offline, with a change waiting: signing out asks first.
  await app.context.setOffline(true);
  await app.editBasics();
  await page.locator("#edit-phones").fill("139 1234 5678");
  await app.save();
  await app.expectPending(1);
  const signOut = page.getByRole("button", { name: "退出登录" });
  await signOut.click();
  const dialog = page.getByRole("dialog");
  await expect(dialog).toBeVisible();
  await expect(page.getByTestId("sign-out-pending")).toContainText("1 条修改");
  await dialog.getByRole("button", { name: "取消" }).click();
  await expect(dialog).toBeHidden();
  await app.expectPending(1);

  await signOut.click();
  await page.getByRole("dialog").getByRole("button", { name: "放弃修改并退出" }).click();
  await page.waitForURL(`${baseUrl()}/signin`);
  await ready(page);
  expect(await alicesKeys()).toEqual([]);
  expect(await storedKeys()).toContain("crm/sign-out-owed");

  // At the next contact the session ends before anything else happens.
  await app.context.setOffline(false);
  await page.reload();
  await ready(page);
  // Settling ends with a fresh load of the sign-in page, which may cut a
  // read of storage short: such a read counts as not settled yet.
  const owed = () => page.evaluate(() => localStorage.getItem("crm/sign-out-owed")).catch(() => "loading");
  await expect.poll(owed, { timeout: 15_000 }).toBeNull();
  // Asked with the context's cookies, outside the page and its navigations.
  expect(await whoAmI(page.request)).toBeNull();

  // The next person on this device finds nothing of the last one.
  await page.waitForLoadState("load");
  await ready(page);
  await signIn(page, REPS.bob, REP_PASSWORD);
  expect(await alicesKeys()).toEqual([]);
  await expect(page.locator(".signed-in")).toBeVisible();
  expect(await page.evaluate(() => localStorage.getItem("crm/user"))).toContain(`"${REPS.bob}"`);
});
