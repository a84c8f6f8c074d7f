// The public pool on reps' phones: a keeper releases a customer to the
// team's pool; a teammate sees it with the mobile hidden, claims it while
// offline and is refused at sync because a third rep claimed it first, who
// then sees the whole record. An admin's recycle rule warns keepers on Today.
import { type Browser, devices } from "@playwright/test";
import { expect, test } from "../support/fixtures";
import { E2E_PASSWORD, E2E_USER } from "../support/global-setup";
import { RepApp, baseUrl, ensureUser, ready, signIn, unique } from "../support/app";

const PASSWORD = "pool-password-42";

async function phoneOf(browser: Browser, user: string) {
  const context = await browser.newContext({ ...devices["Pixel 7"] });
  const tab = await context.newPage();
  await signIn(tab, user, PASSWORD);
  return { context, app: new RepApp(tab) };
}

test("a released customer is claimed from the pool by one rep, another's offline claim is refused naming them, and a recycle rule warns on Today", async (
  { page, browser, playwright },
  info,
) => {
  test.skip(info.project.name !== "phone", "once: reps on phones, the admin beside them");
  test.setTimeout(150_000);
  // A team of its own: its pool and its rules are this test's alone.
  const team = unique("公海组", info.project.name);
  const [keeper, late, quick] = ["gao", "hu", "jin"].map((n) => `${n}${Date.now() % 100_000}`);
  const admin = await playwright.request.newContext();
  await ensureUser(admin, keeper, "rep", team, PASSWORD, "高原");
  await ensureUser(admin, late, "rep", team, PASSWORD, "胡来迟");
  await ensureUser(admin, quick, "rep", team, PASSWORD, "金快手");

  // The admin gives the team's pool a rule: five days without follow-up.
  await signIn(page, E2E_USER, E2E_PASSWORD);
  await page.goto(`${baseUrl()}/team`);
  await ready(page);
  const rules = page.getByTestId("pool-rules");
  await rules.locator("#rules-pool").selectOption(team);
  await rules.locator("[data-action=add-rule]").click();
  await rules.locator("#rule-0-days").fill("0");
  await rules.getByRole("button", { name: "保存公海规则" }).click();
  await expect(rules.getByRole("alert")).toHaveText("天数请填 1 到 3650 之间的整数");
  await rules.locator("#rule-0-days").fill("5");
  // No protection period: the rule's own five days decide.
  await rules.locator("#rules-protection").fill("0");
  await rules.locator("[data-action=preview]").click();
  await expect(rules.getByTestId("recycle-preview")).toContainText("现在会有 0 位客户退回公海");
  await rules.getByRole("button", { name: "保存公海规则" }).click();
  await expect(rules.getByRole("status")).toContainText("已保存");

  const gao = await phoneOf(browser, keeper);
  const kept = unique("保留客户", info.project.name);
  const released = unique("退回客户", info.project.name);
  await gao.app.createCustomer(kept);
  const record = await gao.app.createCustomer(released, "13812345678");
  // The keeper sends one back to the pool, with a reason.
  await gao.app.page.getByRole("tab", { name: "基本信息" }).click();
  await gao.app.page.getByTestId("keeper").getByRole("button", { name: "退回公海" }).click();
  await gao.app.page.locator("#release-reason").fill("客户暂无需求");
  await gao.app.page.locator("form[data-form=release]").getByRole("button", { name: "退回公海" }).click();
  await gao.app.syncNow();
  // The one kept is warned on Today, with what keeps it.
  await gao.app.goto("/");
  const warnings = gao.app.page.getByTestId("recycle-warnings");
  await expect(warnings).toContainText(kept);
  await expect(warnings).toContainText("5 天后退回公海");
  await expect(warnings).toContainText("记录一次电话或拜访即可保留");
  await expect(warnings).not.toContainText(released);

  // A teammate sees it in the pool with the mobile hidden, and claims it offline.
  const hu = await phoneOf(browser, late);
  await hu.app.goto("/pool");
  await hu.app.expectSynced();
  const row = hu.app.page.locator(".pool-row", { hasText: released });
  await expect(row).toContainText(`${team}公海`);
  await hu.app.goto(record);
  await hu.app.page.getByRole("tab", { name: "基本信息" }).click();
  await expect(hu.app.page.getByTestId("phones")).not.toContainText("5678");
  // From the pool a rep may only claim: no forms the server would refuse.
  await expect(hu.app.page.getByTestId("claim-to-edit")).toBeVisible();
  await expect(hu.app.page.locator(".quick-actions")).toHaveCount(0);
  await expect(hu.app.page.getByRole("button", { name: "编辑", exact: true })).toHaveCount(0);
  await expect(hu.app.page.getByTestId("keeper").locator("[data-action=claim]")).toBeVisible();
  await hu.app.installed();
  await hu.app.goto("/pool");
  await hu.context.setOffline(true);
  await row.locator("[data-action=claim]").click();
  await expect(hu.app.page.getByTestId("claims-waiting")).toContainText(released);
  await hu.app.expectPending(1);

  // A third rep, online, is quicker.
  const jin = await phoneOf(browser, quick);
  await jin.app.goto("/pool");
  await jin.app.expectSynced();
  await jin.app.page.locator(".pool-row", { hasText: released }).locator("[data-action=claim]").click();
  await jin.app.expectSynced();
  await jin.app.goto(record);
  await jin.app.page.getByRole("tab", { name: "基本信息" }).click();
  await expect(jin.app.page.getByTestId("phones")).toContainText("5678");
  await expect(jin.app.page.getByTestId("keeper")).toContainText("金快手");

  // Back online, the late claim is refused, naming who was quicker.
  await hu.context.setOffline(false);
  await hu.app.badge.click();
  await hu.app.page.waitForURL(/\/sync$/);
  await expect(hu.app.badge).toHaveAttribute("data-pending", "0", { timeout: 20_000 });
  await expect(hu.app.badge).toHaveAttribute("data-state", "problem", { timeout: 20_000 });
  await hu.app.goto("/pool");
  await expect(hu.app.page.getByTestId("claims-refused")).toContainText("已被 金快手 认领");
  await expect(hu.app.page.locator(".pool-row", { hasText: released })).toHaveCount(0);

  for (const phone of [gao, hu, jin]) await phone.context.close();
  await admin.dispose();
});

test("an admin adds a pool every team claims from; a manager shares the team's pool out in turn from a tablet, and the phones follow", async (
  { page, browser, playwright },
  info,
) => {
  test.skip(info.project.name !== "tablet", "once: the manager on a tablet, the reps on phones");
  test.setTimeout(120_000);
  const team = unique("分配组", info.project.name);
  const stamp = Date.now() % 100_000;
  const [boss, first, second] = [`mgr${stamp}`, `kong${stamp}`, `lu${stamp}`];
  const admin = await playwright.request.newContext();
  await ensureUser(admin, boss, "manager", team, PASSWORD, "马经理");
  await ensureUser(admin, first, "rep", team, PASSWORD, "孔一");
  await ensureUser(admin, second, "rep", team, PASSWORD, "陆二");
  const outsider = `wai${stamp}`;
  await ensureUser(admin, outsider, "rep", unique("外组", info.project.name), PASSWORD, "魏外");

  // The admin adds a pool of the company's key accounts.
  const keyAccounts = `重点客户${stamp}`;
  const adminTab = await (await browser.newContext({ ...devices["Galaxy Tab S4"] })).newPage();
  await signIn(adminTab, E2E_USER, E2E_PASSWORD);
  await adminTab.goto(`${baseUrl()}/team`);
  await ready(adminTab);
  const rules = adminTab.getByTestId("pool-rules");
  await rules.locator("#rules-pool").selectOption({ label: "新建公海…" });
  await rules.locator("#rules-new-pool").fill(keyAccounts);
  await rules.getByRole("button", { name: "保存公海规则" }).click();
  await expect(rules.getByRole("status")).toContainText("已保存");
  await expect(rules.locator("#rules-pool")).toHaveValue(`*${keyAccounts}`);
  await adminTab.context().close();

  // The first rep gives up two customers to the team's pool and one to the new pool.
  const kong = await phoneOf(browser, first);
  // Its release form lists the pools its last pull brought: the first pull
  // (with the added pool) must be in, and on a busy server it takes a while.
  await kong.app.expectSynced();
  const names = [unique("待分配甲", info.project.name), unique("待分配乙", info.project.name)];
  const key = unique("重点客户丙", info.project.name);
  for (const [name, pool] of [[names[0], `${team}公海`], [names[1], `${team}公海`], [key, keyAccounts]]) {
    await kong.app.createCustomer(name);
    await kong.app.page.getByRole("tab", { name: "基本信息" }).click();
    await kong.app.page.getByTestId("keeper").getByRole("button", { name: "退回公海" }).click();
    await kong.app.page.locator("#release-pool").selectOption({ label: pool });
    await kong.app.page.locator("#release-reason").fill("交给组里安排");
    await kong.app.page.locator("form[data-form=release]").getByRole("button", { name: "退回公海" }).click();
  }
  await kong.app.syncNow();
  await kong.app.expectSynced();

  // A rep of another team sees the key account in the added pool, not the team's.
  const wei = await phoneOf(browser, outsider);
  await wei.app.goto("/pool");
  await wei.app.expectSynced();
  await expect(wei.app.page.locator(".pool-row", { hasText: key })).toContainText(keyAccounts);
  await expect(wei.app.page.locator(".pool-row", { hasText: names[0] })).toHaveCount(0);
  await wei.context.close();

  // The manager ticks both in the team's pool and shares them out in turn.
  await signIn(page, boss, PASSWORD);
  const manager = new RepApp(page);
  await manager.goto("/pool");
  await manager.expectSynced();
  for (const name of names) {
    await page.locator(".pool-row", { hasText: name }).getByRole("checkbox").check();
  }
  // The added pool is the admins' to hand out.
  await expect(page.locator(".pool-row", { hasText: key }).getByRole("checkbox")).toHaveCount(0);
  const form = page.locator("form[data-form=assign]");
  await expect(form).toContainText("分配已勾选的 2 位客户");
  await form.locator("#assign-to").selectOption({ label: `${team} 组的销售轮流分配` });
  // The answer is waited for as such, so that a slow or lost request says so.
  const answered = page.waitForResponse((r) => r.url().includes("/api/team/handover"), { timeout: 30_000 });
  await form.getByRole("button", { name: "分配", exact: true }).click();
  expect((await answered).status()).toBe(200);
  const outcome = page.getByTestId("assigned");
  await expect(outcome).toContainText("已分配 2 位");
  await expect(outcome).toContainText("孔一 1");
  await expect(outcome).toContainText("陆二 1");
  await manager.syncNow();
  for (const name of names) await expect(page.locator(".pool-row", { hasText: name })).toHaveCount(0);

  // Each rep's phone holds one of them after its next sync.
  const lu = await phoneOf(browser, second);
  for (const phone of [kong, lu]) {
    await phone.app.syncNow();
    await phone.app.goto("/customers");
    await phone.app.expectSynced();
  }
  const holds = async (phone: typeof kong) =>
    (await Promise.all(names.map((n) => phone.app.page.locator(".customer-row", { hasText: n }).count()))).reduce(
      (a, b) => a + b,
      0,
    );
  await expect.poll(() => holds(kong)).toBe(1);
  await expect.poll(() => holds(lu)).toBe(1);

  for (const phone of [kong, lu]) await phone.context.close();
  await admin.dispose();
});
