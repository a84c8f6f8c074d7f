// Running the team: a manager hands a rep's whole portfolio to a teammate
// and both reps' phones follow; an admin moves a rep to another team and the
// old team's manager no longer sees the rep's customers.
import { type Browser, devices } from "@playwright/test";
import { expect, guard, test } from "../support/fixtures";
import { E2E_PASSWORD, E2E_USER, REPS, REP_PASSWORD } from "../support/global-setup";
import { RepApp, baseUrl, ensureUser, ready, signIn, unique } from "../support/app";

const PASSWORD = "team-password-42";

/** A rep's phone: its own browser context, signed in. */
async function phoneOf(browser: Browser, user: string) {
  const context = await browser.newContext({ ...devices["Pixel 7"] });
  const tab = await context.newPage();
  await signIn(tab, user, PASSWORD);
  return { context, app: new RepApp(tab), refused: guard(context) };
}

test("a manager hands a rep's portfolio to a teammate, both phones follow, and an admin's team change moves it out of sight", async (
  { page, browser, playwright },
  info,
) => {
  test.skip(info.project.name !== "tablet", "once: the manager on a tablet, the reps on phones");
  test.setTimeout(120_000);
  // A team of its own, so the counts are this test's alone.
  const team = unique("东区", info.project.name);
  const [giver, taker, manager] = ["dora", "emil", "fang"].map((n) => `${n}${Date.now() % 100_000}`);
  const admin = await playwright.request.newContext();
  await ensureUser(admin, giver, "rep", team, PASSWORD, "多拉");
  await ensureUser(admin, taker, "rep", team, PASSWORD, "埃米尔");
  await ensureUser(admin, manager, "manager", team, PASSWORD, "方经理");

  const phone = (user: string) => phoneOf(browser, user);
  const dora = await phone(giver);
  const names = [unique("移交甲", info.project.name), unique("移交乙", info.project.name)];
  for (const name of names) await dora.app.createCustomer(name);
  await dora.app.expectSynced();
  const emil = await phone(taker);
  await emil.app.goto("/customers");
  await emil.app.expectSynced();
  await expect(emil.app.page.locator(".customer-row", { hasText: names[0] })).toHaveCount(0);

  // The manager finds the team, previews the handover, then confirms it.
  await signIn(page, manager, PASSWORD);
  await page.goto(`${baseUrl()}/team`);
  await ready(page);
  const giverRow = page.locator(".team-member", { hasText: "多拉" });
  await expect(giverRow).toContainText("2 个客户");
  await giverRow.getByRole("button", { name: "移交其客户" }).click();
  await expect(page.locator("#handover-from")).toHaveValue(giver);
  await page.locator("#handover-to").selectOption(taker);
  await page.locator("#handover-reason").fill("离职交接");
  const confirm = page.getByRole("button", { name: "确认移交" });
  await expect(confirm).toBeDisabled();
  await page.getByRole("button", { name: "预览", exact: true }).click();
  await expect(page.locator("#handover [role=status]")).toHaveText("将移交 2 个客户。");
  await confirm.click();
  await expect(page.locator("#handover [role=status]")).toHaveText("已移交 2 个客户。");
  await expect(page.locator(".team-member", { hasText: "埃米尔" })).toContainText("2 个客户");

  // Both phones follow at their next sync.
  await dora.app.syncNow();
  await dora.app.goto("/customers");
  await expect(dora.app.page.locator(".customer-row", { hasText: names[0] })).toHaveCount(0);
  await emil.app.syncNow();
  await emil.app.goto("/customers");
  for (const name of names) await expect(emil.app.page.locator(".customer-row", { hasText: name })).toHaveCount(1);
  // The record names the new keeper and the audit trail keeps the reason.
  await emil.app.page.locator(".customer-row", { hasText: names[0] }).click();
  await expect(emil.app.page.getByTestId("keeper")).toContainText("埃米尔");

  // The audit page finds both moves with their reason.
  await page.goto(`${baseUrl()}/audit`);
  await ready(page);
  await page.locator("#audit-action").selectOption("reassign");
  await page.getByRole("button", { name: "查询" }).click();
  await expect(page.getByTestId("audit-count")).toContainText("共 2 条");
  await expect(page.locator(".audit-entries li").first()).toContainText("原因：离职交接");

  // An admin moves the taker to another team: this manager loses sight.
  const tablet = await browser.newContext(info.project.use);
  const adminPage = await tablet.newPage();
  await signIn(adminPage, E2E_USER, E2E_PASSWORD);
  await adminPage.goto(`${baseUrl()}/admin/users`);
  await ready(adminPage);
  const row = adminPage.locator(".user-row", { hasText: `(${taker})` });
  await expect(row).toContainText("最近同步");
  await row.getByText("修改角色和团队").click();
  await row.locator(`#team-${taker}`).fill(`${team}-西`);
  await row.getByRole("button", { name: "保存" }).click();
  await expect(adminPage.locator(".user-row", { hasText: `(${taker})` })).toContainText(`${team}-西`);

  const managerApp = new RepApp(page);
  await managerApp.goto("/customers");
  await managerApp.syncNow();
  await managerApp.goto("/customers");
  await page.locator("#customer-search").fill(names[0]);
  await expect(page.locator(".customer-row", { hasText: names[0] })).toHaveCount(0);
  expect(dora.refused).toEqual([]);
  expect(emil.refused).toEqual([]);
  await Promise.all([dora.context.close(), emil.context.close(), tablet.close()]);
});

test("the record's history shows each change with its old and new value", async ({ page }, info) => {
  test.skip(info.project.name !== "tablet", "once");
  await signIn(page, REPS.alice, REP_PASSWORD);
  const app = new RepApp(page);
  const record = await app.createCustomer(unique("历史客户", info.project.name));
  for (const region of ["华东", "华北"]) {
    await app.editBasics();
    await page.locator("#edit-region").fill(region);
    await app.save();
    await app.expectSynced();
  }
  await app.goto(record);
  await page.getByRole("tab", { name: "历史" }).click();
  const change = page.locator(".audit-entries li[data-subject='field:region']").first();
  await expect(change).toContainText("销售区域");
  await expect(change).toContainText("华东 → 华北");
  await expect(page.locator(".audit-entries li[data-action=create]")).toContainText("创建档案");
});

test("two reps create one customer offline; after they sync a manager merges the pair and the phones converge", async (
  { page, browser, playwright },
  info,
) => {
  test.skip(info.project.name !== "tablet", "once: the manager on a tablet, the reps on phones");
  test.setTimeout(120_000);
  const team = unique("重复组", info.project.name);
  const [first, second, manager] = ["gu", "he", "jin"].map((n) => `${n}${Date.now() % 100_000}`);
  const admin = await playwright.request.newContext();
  await ensureUser(admin, first, "rep", team, PASSWORD, "顾一");
  await ensureUser(admin, second, "rep", team, PASSWORD, "何二");
  await ensureUser(admin, manager, "manager", team, PASSWORD, "金经理");
  const name = unique("同一客户", info.project.name);
  const mobile = `135${String(Date.now() % 100_000_000).padStart(8, "0")}`;

  const reps = [await phoneOf(browser, first), await phoneOf(browser, second)];
  for (const [n, rep] of reps.entries()) {
    await rep.app.goto("/customers");
    await rep.app.expectSynced();
    await rep.app.installed();
    await rep.context.setOffline(true);
    await rep.app.createCustomer(name, mobile);
    if (n === 1) {
      await rep.app.page.getByRole("button", { name: "记拜访" }).click();
      await rep.app.page.locator("#interaction-summary").fill("二号的拜访");
      await rep.app.save();
    }
  }
  for (const rep of reps) {
    await rep.context.setOffline(false);
    await rep.app.syncNow();
  }

  // The pair reaches the queue once the second archive is pushed.
  await signIn(page, manager, PASSWORD);
  const pair = page.locator(".duplicate-pair", { hasText: name });
  await expect(async () => {
    await page.goto(`${baseUrl()}/duplicates`);
    await ready(page);
    await expect(pair).toHaveCount(1, { timeout: 2_000 });
  }).toPass({ timeout: 30_000 });
  await expect(pair).toContainText("手机号相同");
  await pair.getByRole("link", { name: "比较并合并" }).click();
  await expect(page.getByTestId("merge-items")).toContainText("互动 1");
  // The first rep keeps it, whichever record survives.
  await page.locator("tr[data-field=owner] label", { hasText: first }).click();
  await page.getByRole("button", { name: "合并", exact: true }).click();
  await page.waitForURL(/\/duplicates$/);
  await expect(page.locator(".duplicate-pair", { hasText: name })).toHaveCount(0);

  const [keeper, other] = reps;
  await keeper.app.syncNow();
  await keeper.app.goto("/customers");
  await keeper.app.page.locator("#customer-search").fill(name);
  await expect(keeper.app.page.locator(".customer-row", { hasText: name })).toHaveCount(1);
  await keeper.app.page.locator(".customer-row", { hasText: name }).click();
  await keeper.app.page.getByRole("tab", { name: "互动" }).click();
  await expect(keeper.app.page.locator(".timeline")).toContainText("二号的拜访");
  await other.app.syncNow();
  await other.app.goto("/customers");
  await other.app.page.locator("#customer-search").fill(name);
  await expect(other.app.page.locator(".customer-row", { hasText: name })).toHaveCount(0);
  for (const rep of reps) {
    expect(rep.refused).toEqual([]);
    await rep.context.close();
  }
});

test("a rep typing a colleague's customer is told who keeps it, without seeing it", async ({ page, browser }, info) => {
  test.skip(info.project.name !== "phone", "a rep's screen");
  const mobile = `137${String(Date.now() % 100_000_000).padStart(8, "0")}`;
  const carol = await browser.newContext(info.project.use);
  const carolPage = await carol.newPage();
  await signIn(carolPage, REPS.carol, REP_PASSWORD);
  const kept = new RepApp(carolPage);
  await kept.createCustomer(unique("卡罗的客户", info.project.name), mobile);
  await kept.expectSynced();
  await carol.close();

  await signIn(page, REPS.bob, REP_PASSWORD);
  const app = new RepApp(page);
  await app.goto("/customers/new");
  await page.locator("#customer-name").fill("新客户");
  await page.locator("#customer-phones").fill(mobile);
  const elsewhere = page.getByTestId("duplicates-elsewhere");
  await expect(elsewhere).toContainText(`由 ${REPS.carol} 建档`);
  await expect(elsewhere).not.toContainText("卡罗的客户");
});

test("a manager finds customers in the whole archive, ticks two and hands them to a teammate at once", async (
  { page, playwright, browser },
  info,
) => {
  test.skip(info.project.name !== "tablet", "the manager's screen");
  test.setTimeout(90_000);
  const team = unique("西区", info.project.name);
  const [keeper, taker, manager] = ["gail", "hugo", "ivan"].map((n) => `${n}${Date.now() % 100_000}`);
  const admin = await playwright.request.newContext();
  await ensureUser(admin, keeper, "rep", team, PASSWORD, "盖尔");
  await ensureUser(admin, taker, "rep", team, PASSWORD, "雨果");
  await ensureUser(admin, manager, "manager", team, PASSWORD, "伊万经理");
  const gail = await phoneOf(browser, keeper);
  const prefix = unique("批量", info.project.name);
  for (const n of ["一", "二", "三"]) await gail.app.createCustomer(`${prefix}${n}`);
  await gail.app.expectSynced();
  await gail.context.close();

  await signIn(page, manager, PASSWORD);
  await page.goto(`${baseUrl()}/customers`);
  await ready(page);
  await page.locator("#customer-search").fill(prefix);
  const found = page.getByTestId("archive-search");
  await expect(found.locator(".customer-row")).toHaveCount(3);
  await found.getByRole("checkbox", { name: `${prefix}一` }).check();
  await found.getByRole("checkbox", { name: `${prefix}二` }).check();
  await expect(found.getByRole("heading", { name: "转交所选的 2 个客户" })).toBeVisible();
  await page.locator("#selected-to").selectOption(taker);
  await page.locator("#selected-reason").fill("重新分配");
  await found.getByRole("button", { name: "确认移交" }).click();
  await expect(found.getByRole("status")).toHaveText("已移交 2 个客户。");
  await expect(found.locator(`.customer-row[data-keeper="${taker}"]`)).toHaveCount(2);
  await expect(found.locator(`.customer-row[data-keeper="${keeper}"]`)).toHaveCount(1);
});
