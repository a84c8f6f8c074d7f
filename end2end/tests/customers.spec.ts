import { expect, test } from "@playwright/test";
import { CustomersPage, baseUrl, hydrated } from "../support/customers-page";

// Names unique per project and run, so the phone and desktop runs share one server.
const unique = (label: string, projectName: string) => `${label} ${projectName} ${Date.now()}`;

test("a customer created on the page is listed and still there after a reload", async ({ page }, info) => {
  const customers = new CustomersPage(page);
  await customers.open();
  const name = unique("测试客户", info.project.name);

  await customers.create(name);
  await customers.expectListed(name);
  await expect(customers.name).toHaveValue("");

  await customers.reload();
  await customers.expectListed(name);
});

test("an empty name shows the server's message under the field and stores nothing", async ({ page }) => {
  const customers = new CustomersPage(page);
  await customers.open();
  const before = await customers.list.locator(".customer-row").count();

  await customers.create("   ");
  await expect(customers.nameError).toHaveText("请填写客户名称。");
  await expect(customers.name).toHaveAttribute("aria-invalid", "true");

  await customers.reload();
  await expect(customers.list.locator(".customer-row")).toHaveCount(before);
});

test("a name of 200 characters is refused with the limit named", async ({ page }) => {
  const customers = new CustomersPage(page);
  await customers.open();
  const tooLong = "长".repeat(200);

  await customers.create(tooLong);
  await expect(customers.nameError).toContainText("最多 120 个字");
  await customers.reload();
  await expect(customers.row(tooLong)).toHaveCount(0);
});

test("the page fits a 360 px phone with tap targets of at least 44 px", async ({ page }) => {
  await page.setViewportSize({ width: 360, height: 740 });
  const customers = new CustomersPage(page);
  await customers.open();

  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  expect(overflow).toBeLessThanOrEqual(0);
  for (const target of [customers.name, customers.save]) {
    const box = await target.boundingBox();
    expect(box, "element is visible").not.toBeNull();
    expect(box!.height).toBeGreaterThanOrEqual(44);
  }
});

test("a wrong password is refused with a message and the list stays closed", async ({ page }) => {
  await page.goto(`${baseUrl()}/signin`);
  await hydrated(page);
  await page.locator("#username").fill("e2e");
  await page.locator("#password").fill("not the password");
  await page.getByRole("button", { name: "登录", exact: true }).click();
  await expect(page.locator("#sign-in-error")).toHaveText("用户名或密码不正确。");
  await page.goto(`${baseUrl()}/`);
  await expect(page.locator("#customer-name")).toHaveCount(0);
  await expect(page.getByRole("link", { name: "登录", exact: true })).toBeVisible();
});
