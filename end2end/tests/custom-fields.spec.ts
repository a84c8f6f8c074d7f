import { expect, guard, test } from "../support/fixtures";
import { E2E_PASSWORD, E2E_USER, REPS, REP_PASSWORD } from "../support/global-setup";
import { RepApp, baseUrl, ready, signIn, signInApi, unique } from "../support/app";

test("an admin defines a choice field, a rep fills it offline and filters the list by it, and it syncs", async ({ page, browser, request }, info) => {
  test.skip(info.project.name !== "phone", "one flow on the rep's phone; the admin page runs beside it");

  // The admin, on a tablet-sized window of their own.
  const adminContext = await browser.newContext({ viewport: { width: 1024, height: 768 } });
  guard(adminContext);
  const admin = await adminContext.newPage();
  await signIn(admin, E2E_USER, E2E_PASSWORD);
  await admin.goto(`${baseUrl()}/admin/fields`);
  await ready(admin);
  const label = unique("会员等级", info.project.name);
  await admin.getByRole("button", { name: "添加字段" }).click();
  await admin.locator("#field-zh").fill(label);
  await admin.locator("#field-en").fill("Membership tier");
  await admin.locator("#field-kind").selectOption({ label: "单选" });
  await admin.locator("#field-new-choices").fill("金卡 | Gold\n银卡 | Silver");
  await admin.getByRole("button", { name: "保存", exact: true }).click();
  await expect(admin.getByRole("status")).toContainText("已保存");
  const row = admin.locator(".field-list li", { hasText: label });
  await expect(row).toContainText("单选");
  await expect(row).toContainText("金卡、银卡");
  const key = await row.getAttribute("data-field");
  expect(key).toBeTruthy();
  await adminContext.close();

  // The rep's phone pulls the definitions, then works offline.
  await signIn(page, REPS.alice, REP_PASSWORD);
  const app = new RepApp(page);
  const name = unique("自定义", info.project.name);
  const other = unique("未分级", info.project.name);
  const record = await app.createCustomer(name);
  await app.createCustomer(other);
  await app.expectSynced();
  await app.installed();
  await app.context.setOffline(true);

  await app.goto(record);
  const section = page.locator(".section-head", { hasText: "自定义字段" });
  await expect(section).toBeVisible();
  await section.getByRole("button", { name: "编辑", exact: true }).click();
  await page.locator(`#custom-${key}`).selectOption({ label: "金卡" });
  await app.save();
  await expect(page.locator("form[data-form=custom]")).toHaveCount(0);
  await expect(page.getByTestId("custom-fields")).toContainText(`${label}金卡`);
  await app.expectPending(1);

  // A new customer gets the field in its form, offline too.
  const silver = unique("银卡客户", info.project.name);
  await app.goto("/customers/new");
  await page.locator("#customer-name").fill(silver);
  await page.locator(`#custom-${key}`).selectOption({ label: "银卡" });
  await app.save();
  await page.waitForURL(/\/customers\/[0-9a-f-]{36}$/);
  await expect(page.getByTestId("custom-fields")).toContainText(`${label}银卡`);
  await app.expectPending(2);

  // The list filters by the field's choices, offline.
  await app.goto("/customers");
  const filter = page.getByTestId("custom-filter");
  await filter.selectOption({ label: `${label}: 金卡` });
  await expect(page.locator(".customer-row", { hasText: name })).toHaveCount(1);
  await expect(page.locator(".customer-row", { hasText: other })).toHaveCount(0);
  await filter.selectOption({ label: `${label}: 银卡` });
  await expect(page.locator(".customer-row", { hasText: name })).toHaveCount(0);
  await expect(page.locator(".customer-row", { hasText: silver })).toHaveCount(1);

  // Back online, the value reaches the server, as another device reads it.
  await app.context.setOffline(false);
  await app.syncNow();
  await signInApi(request, REPS.alice, REP_PASSWORD);
  const id = record.split("/").pop();
  const response = await request.post(`${baseUrl()}/api/customers/get`, {
    headers: { origin: baseUrl() },
    form: { id: id! },
  });
  expect(response.ok(), await response.text()).toBe(true);
  const detail = await response.json();
  expect(detail.customer.fields.custom[key!]).toEqual({ kind: "choice", value: "c1" });
});
