// Data quality: after an admin makes a new custom field required, the
// report shows the archives stored before as failing it, team by team, with
// links to them.
import { expect, guard, test } from "../support/fixtures";
import { E2E_PASSWORD, E2E_USER } from "../support/global-setup";
import { RepApp, baseUrl, ensureUser, ready, signIn, unique } from "../support/app";

const PASSWORD = "quality-password-42";

test("a field made required shows the archives without it as failing, per team, with links", async (
  { page, browser, playwright },
  info,
) => {
  test.skip(info.project.name !== "tablet", "once: the report is a desk screen, the rep on a phone");
  test.setTimeout(90_000);
  const team = unique("质检组", info.project.name);
  const rep = `qrep${Date.now() % 100_000}`;
  const request = await playwright.request.newContext();
  await ensureUser(request, rep, "rep", team, PASSWORD, "质检代表");
  const phoneContext = await browser.newContext({ viewport: { width: 360, height: 780 } });
  guard(phoneContext);
  const phone = await phoneContext.newPage();
  await signIn(phone, rep, PASSWORD);
  const app = new RepApp(phone);
  const customer = unique("缺合同号", info.project.name);
  await app.createCustomer(customer, "13800138000");
  await app.expectSynced();
  await phoneContext.close();

  await signIn(page, E2E_USER, E2E_PASSWORD);
  await page.goto(`${baseUrl()}/admin/fields`);
  await ready(page);
  const label = unique("合同编号", info.project.name);
  await page.getByRole("button", { name: "添加字段" }).click();
  await page.locator("#field-zh").fill(label);
  await page.locator("#field-en").fill("Contract number");
  await page.locator("#field-required").check();
  await page.locator("form").filter({ has: page.locator("#field-zh") }).getByRole("button", { name: "保存" }).click();
  const row = page.locator(".field-list li", { hasText: label });
  await expect(row).toContainText("必填");
  const key = await row.getAttribute("data-field");
  try {
    await page.goto(`${baseUrl()}/quality`);
    await ready(page);
    const card = page.locator(`.quality-team[data-team="${team}"]`);
    await expect(card).toContainText("1 个客户");
    await expect(card.locator("tr[data-field=phones]")).toContainText("100%");
    await expect(card.locator("tr[data-field=emails]")).toContainText("0%");
    const contract = card.locator(`tr[data-field="custom.${key}"]`);
    await expect(contract).toContainText(label);
    await contract.getByRole("button", { name: "查看不合规的客户" }).click();
    await card.locator(".quality-examples a", { hasText: customer }).click();
    await page.waitForURL(/\/customers\/[0-9a-f-]{36}$/);
    await expect(page.locator(".record-name")).toHaveText(customer);
  } finally {
    // Retired, the field asks nothing of the other tests' archives.
    await page.goto(`${baseUrl()}/admin/fields`);
    await ready(page);
    await page.locator(".field-list li", { hasText: label }).getByRole("button", { name: "停用" }).click();
    await expect(page.locator(".field-list li", { hasText: label })).toContainText("已停用");
  }
});
