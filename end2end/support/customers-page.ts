import { expect, type Locator, type Page } from "@playwright/test";
import { E2E_PASSWORD, E2E_USER } from "./global-setup";

export function baseUrl(): string {
  const url = process.env.CRM_E2E_BASE_URL;
  if (!url) throw new Error("CRM_E2E_BASE_URL is not set: global setup did not start the server");
  return url;
}

/** The customers page, as a rep uses it. */
export class CustomersPage {
  readonly name: Locator;
  readonly save: Locator;
  readonly nameError: Locator;
  readonly list: Locator;

  constructor(readonly page: Page) {
    this.name = page.locator("#customer-name");
    this.save = page.getByRole("button", { name: "保存" });
    this.nameError = page.locator("#customer-name-error");
    this.list = page.locator(".customer-list");
  }

  /** Signs in (the session cookie then stays with the page's context) and opens the list. */
  async open(): Promise<void> {
    await signIn(this.page, E2E_USER, E2E_PASSWORD);
    await expect(this.name).toBeVisible();
  }

  async reload(): Promise<void> {
    await this.page.reload();
    await this.hydrated();
  }

  async hydrated(): Promise<void> {
    await hydrated(this.page);
  }

  async create(name: string): Promise<void> {
    await this.name.fill(name);
    await this.save.click();
  }

  row(name: string): Locator {
    return this.list.locator(".customer-row", { hasText: name });
  }

  async expectListed(name: string): Promise<void> {
    await expect(this.row(name)).toHaveCount(1);
  }
}

/** The app marks the body once the wasm has taken over the page. */
export async function hydrated(page: Page): Promise<void> {
  await page.locator("body[data-hydrated]").waitFor({ timeout: 20_000 });
}

/** Signs in through the sign-in page and waits for the start page. */
export async function signIn(page: Page, user: string, password: string): Promise<void> {
  await page.goto(`${baseUrl()}/signin`);
  await hydrated(page);
  await page.locator("#username").fill(user);
  await page.locator("#password").fill(password);
  await page.getByRole("button", { name: "登录", exact: true }).click();
  await page.waitForURL(`${baseUrl()}/`);
  await hydrated(page);
}
