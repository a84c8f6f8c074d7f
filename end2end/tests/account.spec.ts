// Passwords: a rep changes their own on the phone, an admin resets one from
// the users page; either way the person's other sessions end, and only the
// new password signs in.
import { expect, test } from "../support/fixtures";
import type { APIRequestContext } from "@playwright/test";
import { E2E_PASSWORD, E2E_USER } from "../support/global-setup";
import { baseUrl, ensureUser, ready, signIn, signInApi, whoAmI } from "../support/app";

const FIRST = "first-password-1";
const SECOND = "second-password-2";

/** A rep of their own per test and project, so passwords can change freely. */
async function freshRep(admin: APIRequestContext, label: string, project: string): Promise<string> {
  const name = `${label}-${project}-${Date.now() % 1_000_000}`;
  await ensureUser(admin, name, "rep", "north", FIRST);
  return name;
}

async function signInStatus(request: APIRequestContext, user: string, password: string): Promise<number> {
  const response = await request.post(`${baseUrl()}/api/auth/sign_in`, {
    headers: { origin: baseUrl() },
    form: { username: user, password },
  });
  return response.status();
}

test("a rep changes their own password; the other device is signed out and only the new one works", async (
  { page, playwright },
  info,
) => {
  const admin = await playwright.request.newContext();
  const rep = await freshRep(admin, "pw", info.project.name);
  const otherDevice = await playwright.request.newContext();
  await signInApi(otherDevice, rep, FIRST);

  await signIn(page, rep, FIRST);
  await page.locator(".account-link").click();
  await page.waitForURL(`${baseUrl()}/account`);
  await ready(page);
  await expect(page.locator(".account-facts")).toContainText(rep);
  await expect(page.locator(".account-facts")).toContainText("销售代表");

  const form = {
    current: page.locator("#current-password"),
    next: page.locator("#new-password"),
    repeat: page.locator("#repeat-password"),
    submit: page.getByRole("button", { name: "修改密码" }),
  };
  // The repeat differs: said at once, nothing sent.
  await form.current.fill(FIRST);
  await form.next.fill(SECOND);
  await form.repeat.fill("something-else-3");
  await form.submit.click();
  await expect(page.getByRole("status")).toHaveText("两次输入的新密码不一致。");
  // The current password is wrong: the server says so.
  await form.current.fill("not-my-password");
  await form.repeat.fill(SECOND);
  await form.submit.click();
  await expect(page.getByRole("status")).toHaveText("当前密码不正确。");
  // Too short: the server's rule, explained.
  await form.current.fill(FIRST);
  await form.next.fill("short");
  await form.repeat.fill("short");
  await form.submit.click();
  await expect(page.getByRole("status")).toHaveText("密码至少 8 个字符。");
  expect(await whoAmI(otherDevice)).toBe(rep);

  await form.next.fill(SECOND);
  await form.repeat.fill(SECOND);
  await form.submit.click();
  await expect(page.getByRole("status")).toContainText("密码已修改");
  await expect(form.current).toHaveValue("");

  // This device stays signed in; the other one is out.
  await page.reload();
  await ready(page);
  await expect(page.locator(".account-facts")).toContainText(rep);
  expect(await whoAmI(otherDevice)).toBeNull();
  expect(await signInStatus(otherDevice, rep, FIRST)).toBe(401);
  expect(await signInStatus(otherDevice, rep, SECOND)).toBe(200);
});

test("an admin resets a rep's password from the users page; the rep's sessions end", async (
  { page, playwright },
  info,
) => {
  test.skip(info.project.name !== "tablet", "an admin's screen, once on the tablet");
  const admin = await playwright.request.newContext();
  const rep = await freshRep(admin, "reset", info.project.name);
  const repDevice = await playwright.request.newContext();
  await signInApi(repDevice, rep, FIRST);

  await signIn(page, E2E_USER, E2E_PASSWORD);
  await page.goto(`${baseUrl()}/account`);
  await ready(page);
  await page.getByRole("link", { name: "用户" }).click();
  await page.waitForURL(`${baseUrl()}/admin/users`);
  await ready(page);
  const row = page.locator(".user-row", { hasText: `(${rep})` });
  await row.locator("summary", { hasText: "重设密码" }).click();
  await row.getByLabel("新密码").fill(SECOND);
  await row.getByRole("button", { name: "重设密码" }).click();
  await expect(row.getByRole("status")).toContainText("密码已重设");

  expect(await whoAmI(repDevice)).toBeNull();
  expect(await signInStatus(repDevice, rep, FIRST)).toBe(401);
  expect(await signInStatus(repDevice, rep, SECOND)).toBe(200);
});
