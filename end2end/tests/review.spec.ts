// Periodic review: an admin sets the VIP review cycle; a rep's phone gets
// it at its next sync, and "reviewed" on a record moves the next review by
// that cycle, offline too.
import { expect, test } from "../support/fixtures";
import { E2E_PASSWORD, E2E_USER, REPS, REP_PASSWORD } from "../support/global-setup";
import { RepApp, baseUrl, ready, signIn, unique } from "../support/app";

/** The day `days` after today, in China time, as the app writes dates. */
function cstDay(days: number): string {
  return new Date(Date.now() + 8 * 3_600_000 + days * 86_400_000).toISOString().slice(0, 10);
}

test("an admin sets the VIP review cycle and a rep's 'reviewed' moves the next review by it, offline too", async (
  { page, browser },
  info,
) => {
  test.skip(info.project.name !== "phone", "once: the rules are the company's, one for every test");
  const adminContext = await browser.newContext();
  const admin = await adminContext.newPage();
  await signIn(admin, E2E_USER, E2E_PASSWORD);
  await admin.goto(`${baseUrl()}/admin/fields`);
  await ready(admin);
  const card = admin.getByTestId("review-rules");
  const setVip = async (days: string) => {
    await admin.locator("#cycle-vip").fill(days);
    await card.getByRole("button", { name: "保存复核规则" }).click();
  };
  await expect(admin.locator("#cycle-vip")).toHaveValue("90");
  await setVip("3");
  await expect(card.getByRole("alert")).toHaveText("请填 7 到 730 之间的天数");
  await setVip("30");
  await expect(card.getByRole("status")).toContainText("已保存");

  try {
    await signIn(page, REPS.alice, REP_PASSWORD);
    const app = new RepApp(page);
    const record = await app.createCustomer(unique("复核客户", info.project.name));
    await app.editBasics();
    await page.locator("#edit-category").selectOption("vip");
    await app.save();
    // The sync that sends the change brings the new rules.
    await app.syncNow();
    await app.goto(record);
    await app.installed();

    await page.context().setOffline(true);
    await page.getByRole("tab", { name: "基本信息" }).click();
    await page.locator("[data-action=reviewed]").click();
    await expect(page.getByTestId("next-review")).toContainText(cstDay(30));
    await app.expectPending(1);
    await page.context().setOffline(false);
    await app.expectSynced();
  } finally {
    await setVip("90");
    await expect(card.getByRole("status")).toContainText("已保存");
    await adminContext.close();
  }
});
