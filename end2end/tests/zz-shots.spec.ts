import { expect, guard, test } from "../support/fixtures";
import { E2E_PASSWORD, E2E_USER, REPS, REP_PASSWORD } from "../support/global-setup";
import { RepApp, baseUrl, ready, signIn, unique } from "../support/app";

test("shots", async ({ page, browser }, info) => {
  test.skip(info.project.name !== "phone");
  for (const [name, viewport] of [["tablet", { width: 1024, height: 1366 }], ["phone", { width: 390, height: 844 }]] as const) {
    const ctx = await browser.newContext({ viewport, deviceScaleFactor: 1 });
    const admin = await ctx.newPage();
    await signIn(admin, E2E_USER, E2E_PASSWORD);
    await admin.goto(`${baseUrl()}/admin/fields`);
    await ready(admin);
    if (name === "tablet") {
      await admin.getByRole("button", { name: "添加字段" }).click();
      await admin.locator("#field-zh").fill("会员等级");
      await admin.locator("#field-en").fill("Membership tier");
      await admin.locator("#field-kind").selectOption({ label: "单选" });
      await admin.locator("#field-new-choices").fill("金卡 | Gold\n银卡 | Silver\n铜卡 | Bronze");
      await admin.getByRole("button", { name: "保存" }).click();
      await expect(admin.getByRole("status")).toContainText("已保存");
      for (const [zh, en, kind] of [["车牌号", "Plate number", "文本"], ["购车日期", "Purchase date", "日期"], ["年行驶里程", "Yearly mileage", "数字"], ["兴趣", "Interests", "多选"]]) {
        await admin.getByRole("button", { name: "添加字段" }).click();
        await admin.locator("#field-zh").fill(zh);
        await admin.locator("#field-en").fill(en);
        await admin.locator("#field-kind").selectOption({ label: kind });
        if (kind === "多选") await admin.locator("#field-new-choices").fill("高尔夫 | Golf\n茶 | Tea\n旅行 | Travel");
        await admin.getByRole("button", { name: "保存" }).click();
        await expect(admin.getByRole("status")).toContainText("已保存");
      }
    }
    await admin.screenshot({ path: `/tmp/shot-fields-${name}.png`, fullPage: true });
    await admin.locator(".field-list li").first().getByRole("button", { name: "编辑" }).click();
    await admin.screenshot({ path: `/tmp/shot-field-edit-${name}.png`, fullPage: true });
    await ctx.close();
  }
  await signIn(page, REPS.alice, REP_PASSWORD);
  const app = new RepApp(page);
  const record = await app.createCustomer(unique("王先生", "p"));
  await app.expectSynced();
  await app.goto(record);
  await page.locator(".section-head", { hasText: "自定义字段" }).getByRole("button", { name: "编辑", exact: true }).click();
  await page.locator("input[type=date][id^=custom-]").fill("2026-02-30");
  await page.locator("input[inputmode=decimal]").fill("12千");
  await page.screenshot({ path: `/tmp/shot-custom-form-phone.png`, fullPage: true });
  await page.locator("input[inputmode=decimal]").fill("12,000");
  await page.locator("input[type=date][id^=custom-]").fill("2024-05-01");
  await page.locator("select[id^=custom-]").last().selectOption({ label: "金卡" });
  await page.getByLabel("茶").check();
  await page.getByLabel("旅行").check();
  await page.locator("input[id^=custom-][type=text]:not([inputmode])").fill("京A·12345");
  await app.save();
  await page.screenshot({ path: `/tmp/shot-custom-record-phone.png`, fullPage: true });
  await app.goto("/customers");
  await page.getByTestId("custom-filter").selectOption({ label: "会员等级: 金卡" });
  await page.screenshot({ path: `/tmp/shot-list-phone.png` });
  await app.goto("/customers/new");
  await page.screenshot({ path: `/tmp/shot-new-phone.png`, fullPage: true });
});
