// Reminders: a customer's birthday three days off is on the rep's Today;
// an admin sends the day's reminders and the rep reads theirs and marks
// it read; a birthday kept by the lunar calendar shows its lunar date.
import { expect, test } from "../support/fixtures";
import { E2E_PASSWORD, E2E_USER, REPS, REP_PASSWORD } from "../support/global-setup";
import { RepApp, baseUrl, ready, signIn, unique } from "../support/app";

/** The day `days` after today, in China time, as the app writes dates. */
function cstDay(days: number): string {
  return new Date(Date.now() + 8 * 3_600_000 + days * 86_400_000).toISOString().slice(0, 10);
}

test("a birthday three days off is on Today and in the reminders the admin sends; a lunar one shows its lunar date", async (
  { page, browser },
  info,
) => {
  test.skip(info.project.name !== "phone", "once: the day's run is the company's");
  await signIn(page, REPS.alice, REP_PASSWORD);
  const app = new RepApp(page);
  const name = unique("生日提醒", info.project.name);
  // 1988 was a leap year: any month and day exists in it.
  const born = `1988-${cstDay(3).slice(5)}`;
  await app.createCustomer(name);
  await app.editBasics();
  await page.locator("#edit-birthday").fill(born);
  await app.save();
  await app.expectSynced();
  await app.goto("/");
  const birthdays = page.locator(".agenda-section", { hasText: "生日" });
  await expect(birthdays.getByRole("link", { name: new RegExp(name) })).toBeVisible();

  const adminContext = await browser.newContext();
  try {
    const admin = await adminContext.newPage();
    await signIn(admin, E2E_USER, E2E_PASSWORD);
    await admin.goto(`${baseUrl()}/notifications`);
    await ready(admin);
    const run = admin.getByTestId("run-reminders");
    await run.getByRole("button", { name: "立即发出今天的提醒" }).click();
    await expect(run.getByRole("status")).toContainText("已发出");
  } finally {
    await adminContext.close();
  }

  await app.goto("/");
  await page.getByTestId("unread-notifications").click();
  await page.waitForURL(/\/notifications$/);
  await ready(page);
  const reminder = page.locator(".notification", { hasText: name });
  await expect(reminder).toHaveAttribute("data-read", "false");
  await expect(reminder).toContainText(`${cstDay(3)} 生日`);
  await reminder.getByRole("button", { name: "已读" }).click();
  await expect(reminder).toHaveAttribute("data-read", "true");

  // Born 1990-03-07, the 11th of the second lunar month.
  const lunar = unique("农历生日", info.project.name);
  await app.createCustomer(lunar);
  await app.editBasics();
  await page.locator("#edit-birthday").fill("1990-03-07");
  await page.locator("#edit-birthday-lunar").check();
  await app.save();
  await expect(page.getByTestId("basics")).toContainText("1990-03-07 (农历 二月十一)");
  await app.expectSynced();
});
