// Workflow rules, end to end: an admin builds "order added → follow-up task
// in 7 days" and a birthday greeting in the app; a rep adds an order
// offline, syncs, and the rule's task reaches her phone; the greeting goes
// out through the real SMTP server the run started.
import * as fs from "node:fs";
import * as path from "node:path";
import { type Page } from "@playwright/test";
import { expect, test } from "../support/fixtures";
import { E2E_PASSWORD, E2E_USER, REPS, REP_PASSWORD } from "../support/global-setup";
import { RepApp, baseUrl, ready, signIn, unique } from "../support/app";

/** The day `days` after today, in China time, as the app writes dates. */
function cstDay(days: number): string {
  return new Date(Date.now() + 8 * 3_600_000 + days * 86_400_000).toISOString().slice(0, 10);
}

/** Only customers of this region: other tests' orders fire nothing. */
const REGION = "规则测试区";

/** Adds the condition "region is REGION" to the rule being edited. */
async function onlyInRegion(admin: Page): Promise<void> {
  await admin.locator("#rule-condition-kind").selectOption("field_is");
  await admin.locator("#rule-condition-field").selectOption("region");
  await admin.locator("#rule-condition-value").fill(REGION);
  await admin.locator("#rule-condition-add").click();
}

/** Every message the test SMTP server accepted, as text. */
function mailbox(): string[] {
  const dir = process.env.CRM_E2E_MAIL_DIR!;
  return fs.readdirSync(dir).map((file) => fs.readFileSync(path.join(dir, file), "utf8"));
}

test("an admin's rules: an order added offline brings a follow-up task to the phone; a birthday greeting is mailed", async (
  { page, browser },
  info,
) => {
  test.skip(info.project.name !== "phone", "once: rules are the company's");
  test.setTimeout(180_000);
  const adminContext = await browser.newContext();
  const admin = await adminContext.newPage();
  try {
    await signIn(admin, E2E_USER, E2E_PASSWORD);
    // No quiet hours, so the greeting goes out whenever the run is.
    await admin.goto(`${baseUrl()}/admin/care`);
    await ready(admin);
    await admin.locator("#care-quiet-from").fill("0");
    await admin.locator("#care-quiet-until").fill("0");
    await admin.getByRole("button", { name: "保存关怀设置" }).click();
    await expect(admin.getByTestId("care-settings").getByRole("status")).toHaveText("已保存。");

    await admin.goto(`${baseUrl()}/admin/rules`);
    await ready(admin);
    const orderRule = unique("下单回访", info.project.name);
    await admin.locator("#rule-new").click();
    await admin.locator("#rule-name").fill(orderRule);
    await admin.locator("#rule-trigger").selectOption("order_added");
    await onlyInRegion(admin);
    await admin.locator("#rule-action-kind").selectOption("create_task");
    await admin.locator("#rule-action-task").selectOption("follow_up");
    await admin.locator("#rule-action-days").fill("7");
    await admin.locator("#rule-action-note").fill("下单后回访");
    await admin.locator("#rule-action-add").click();
    const editor = admin.getByTestId("rule-editor");
    await expect(editor.locator(".rule-part")).toHaveCount(2);
    await admin.locator("#rule-save").click();
    await expect(admin.locator(".workflow-rule", { hasText: orderRule })).toContainText("新增订单时");

    const greeting = unique("生日祝福", info.project.name);
    await admin.locator("#rule-new").click();
    await admin.locator("#rule-name").fill(greeting);
    await admin.locator("#rule-trigger").selectOption("date_offset");
    await admin.locator("#rule-trigger-date").selectOption("birthday");
    await admin.locator("#rule-trigger-days").fill("0");
    await onlyInRegion(admin);
    await admin.locator("#rule-action-kind").selectOption("email_customer");
    await admin.locator("#rule-action-subject").fill("{name}，生日快乐");
    await admin.locator("#rule-action-body").fill("祝您生日快乐！\n{keeper}");
    await admin.locator("#rule-action-add").click();
    await admin.locator("#rule-preview").click();
    await expect(editor.locator(".rule-preview")).toBeVisible();
    await admin.locator("#rule-save").click();
    await expect(admin.locator(".workflow-rule", { hasText: greeting })).toContainText("生日当天");

    // The rep: a customer born on this day, with an address and consent.
    await signIn(page, REPS.carol, REP_PASSWORD);
    const app = new RepApp(page);
    const name = unique("规则客户", info.project.name);
    const email = `birthday-${Date.now()}@example.com`;
    await app.createCustomer(name);
    await app.editBasics();
    await page.locator("#edit-birthday").fill(`1988-${cstDay(0).slice(5)}`);
    await page.locator("#edit-email").fill(email);
    await page.locator("#edit-region").fill(REGION);
    await app.save();
    await expect(page.locator("form[data-form=basics]")).toHaveCount(0);
    await page.getByRole("tab", { name: "偏好与标签" }).click();
    await page.getByRole("button", { name: "编辑授权" }).click();
    await page.locator("#consent-marketing").selectOption("yes");
    await app.save();
    await expect(page.locator("form[data-form=consent]")).toHaveCount(0);
    await app.expectSynced();
    await app.installed();

    // An order with no signal; the rule acts once it reaches the server.
    await app.context.setOffline(true);
    await page.getByRole("button", { name: "加订单", exact: true }).click();
    await page.locator("#order-product").fill("空调");
    await page.locator("#order-amount").fill("3,000");
    await app.save();
    await app.expectPending(1);
    await app.context.setOffline(false);
    await app.expectSynced();
    await page.getByRole("tab", { name: "基本信息" }).click();
    const task = page.locator("li.task", { hasText: "下单后回访" });
    await expect(task).toContainText(`跟进 · ${cstDay(7)}`, { timeout: 60_000 });

    // She asks for her reminders by email each morning.
    const own = `carol-${Date.now()}@example.com`;
    await app.goto("/notifications");
    const digest = page.getByTestId("digest");
    await digest.locator("#digest-email").fill(own);
    await digest.locator("#digest-on").check();
    await digest.getByRole("button", { name: "保存" }).click();
    await expect(digest.getByRole("status")).toHaveText("已保存。");

    // Today's run: the greeting is queued and the sender mails it.
    await admin.goto(`${baseUrl()}/notifications`);
    await ready(admin);
    const run = admin.getByTestId("run-reminders");
    await run.getByRole("button", { name: "立即发出今天的提醒" }).click();
    await expect(run.getByRole("status")).toContainText("已发出");
    await expect
      .poll(() => mailbox().filter((m) => m.includes(email)).length, { timeout: 60_000, intervals: [1_000] })
      .toBe(1);
    // And her digest, with the customer's birthday in it.
    await expect
      .poll(() => mailbox().filter((m) => m.includes(own)).length, { timeout: 60_000, intervals: [1_000] })
      .toBe(1);

    // The run log says what each rule did.
    await admin.goto(`${baseUrl()}/admin/rules`);
    await ready(admin);
    const row = admin.locator(".workflow-rule", { hasText: orderRule });
    await row.getByRole("button", { name: "运行记录" }).click();
    await expect(row.locator(".run-row", { hasText: name })).toHaveAttribute("data-state", "done");
    // Switched off, so the rest of the run's tests are not touched.
    for (const rule of [orderRule, greeting]) {
      await admin.locator(".workflow-rule", { hasText: rule }).locator(".rule-enabled").uncheck();
    }
    await expect(admin.locator(".workflow-rule .rule-enabled:checked")).toHaveCount(0);
  } finally {
    await adminContext.close();
  }
});
