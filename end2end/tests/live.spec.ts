// Live updates: a change a colleague syncs reaches the screens of those who
// see it within seconds, without waiting for the 30-second pull.
import { expect, guard, test } from "../support/fixtures";
import { REPS, REP_PASSWORD } from "../support/global-setup";
import { RepApp, ensureUser, signIn, unique } from "../support/app";

const MANAGER = "lina";
const MANAGER_PASSWORD = "manager-password-42";

test("a rep's new customer appears on the team manager's list within seconds, with no reload", async (
  { page, browser, playwright },
  info,
) => {
  test.skip(info.project.name !== "tablet", "once: the manager on a tablet, the rep on a second device");
  const admin = await playwright.request.newContext();
  await ensureUser(admin, MANAGER, "manager", "north", MANAGER_PASSWORD);
  await signIn(page, MANAGER, MANAGER_PASSWORD);
  const manager = new RepApp(page);
  await manager.goto("/customers");
  await manager.expectSynced();

  const phone = await browser.newContext(info.project.use);
  const refused = guard(phone);
  const alicePage = await phone.newPage();
  await signIn(alicePage, REPS.alice, REP_PASSWORD);
  const alice = new RepApp(alicePage);
  const name = unique("实时客户", info.project.name);
  await alice.createCustomer(name);
  await alice.expectSynced();

  // The manager's device pulls every 30 s; told live, it pulls at once.
  await expect(page.locator(".customer-row", { hasText: name })).toHaveCount(1, { timeout: 8_000 });
  expect(refused).toEqual([]);
  await phone.close();
});
