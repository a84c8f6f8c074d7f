import { expect, type Locator, type Page } from "@playwright/test";

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

  async open(): Promise<void> {
    await this.page.goto(`${baseUrl()}/`);
    await this.hydrated();
  }

  async reload(): Promise<void> {
    await this.page.reload();
    await this.hydrated();
  }

  /** The app marks the body once the wasm has taken over the page. */
  async hydrated(): Promise<void> {
    await this.page.locator("body[data-hydrated]").waitFor({ timeout: 20_000 });
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
