import { expect, type APIRequestContext, type BrowserContext, type Locator, type Page } from "@playwright/test";
import { E2E_PASSWORD, E2E_USER } from "./global-setup";

export function baseUrl(): string {
  const url = process.env.CRM_E2E_BASE_URL;
  if (!url) throw new Error("CRM_E2E_BASE_URL is not set: global setup did not start the server");
  return url;
}

/**
 * A name no other test or project run uses. Its stamp is letters only: a
 * search with three digits or more also looks through phones, and a stamp
 * such as `279` found fifteen customers of the first-pull test by their mobiles.
 */
export const unique = (label: string, project: string) => {
  const stamp = (Date.now() % 1_000_000_000).toString(26).replace(/[0-9]/g, (d) => "qrstuvwxyz"[Number(d)]);
  return `${label}${project}${stamp}`;
};

/** The app marks the body once the wasm has taken over the page (hydrated or mounted). */
export async function ready(page: Page): Promise<void> {
  await page.locator("body[data-hydrated]").waitFor({ timeout: 20_000 });
}

/** Signs in through the sign-in page and waits for the start page. */
export async function signIn(page: Page, user: string, password: string): Promise<void> {
  await page.goto(`${baseUrl()}/signin`);
  await ready(page);
  await page.locator("#username").fill(user);
  await page.locator("#password").fill(password);
  await page.getByRole("button", { name: "登录", exact: true }).click();
  await page.waitForURL(`${baseUrl()}/`);
  await ready(page);
}

/** Signs `request` in as `user`, as a second device would. */
export async function signInApi(request: APIRequestContext, user: string, password: string): Promise<void> {
  const response = await request.post(`${baseUrl()}/api/auth/sign_in`, {
    headers: { origin: baseUrl() },
    form: { username: user, password },
  });
  expect(response.ok(), await response.text()).toBe(true);
}

/** Who `request` is signed in as, or null. */
export async function whoAmI(request: APIRequestContext): Promise<string | null> {
  const response = await request.post(`${baseUrl()}/api/auth/me`, { headers: { origin: baseUrl() } });
  expect(response.ok()).toBe(true);
  const user = await response.json();
  return user ? user.id : null;
}

/** Creates a user through the admin API, signing `request` in as the admin (once per run). */
export async function ensureUser(
  request: APIRequestContext,
  user: string,
  role: string,
  team: string,
  password: string,
  displayName = user,
): Promise<void> {
  await signInApi(request, E2E_USER, E2E_PASSWORD);
  const created = await request.post(`${baseUrl()}/api/admin/users/create`, {
    headers: { origin: baseUrl() },
    form: { username: user, display_name: displayName, role, team, password },
  });
  expect([200, 409]).toContain(created.status());
}

/** The app as a rep holds it: badge, customer forms, the record page. */
export class RepApp {
  readonly badge: Locator;

  constructor(readonly page: Page) {
    this.badge = page.locator(".sync-badge");
  }

  get context(): BrowserContext {
    return this.page.context();
  }

  async goto(path: string): Promise<void> {
    await this.page.goto(`${baseUrl()}${path}`);
    await ready(this.page);
  }

  /** Waits until nothing is waiting to be sent and the last round succeeded. */
  async expectSynced(): Promise<void> {
    await expect(this.badge).toHaveAttribute("data-pending", "0", { timeout: 20_000 });
    await expect(this.badge).toHaveAttribute("data-state", "synced", { timeout: 20_000 });
  }

  async expectPending(n: number): Promise<void> {
    await expect(this.badge).toHaveAttribute("data-pending", String(n));
  }

  /** Asks for a sync now (the badge does that) and waits for it to finish. */
  async syncNow(): Promise<void> {
    await this.badge.click();
    await this.page.waitForURL(/\/sync$/);
    await this.expectSynced();
  }

  /** Creates a customer through the form; returns the record's path. */
  async createCustomer(name: string, phones = ""): Promise<string> {
    await this.goto("/customers/new");
    await this.page.locator("#customer-name").fill(name);
    if (phones) await this.page.locator("#customer-phones").fill(phones);
    await this.page.getByRole("button", { name: "保存" }).click();
    await this.page.waitForURL(/\/customers\/[0-9a-f-]{36}$/);
    await expect(this.recordName).toHaveText(name);
    return new URL(this.page.url()).pathname;
  }

  get recordName(): Locator {
    return this.page.locator(".record-name");
  }

  /** Opens the basics form on the record page. */
  async editBasics(): Promise<void> {
    await this.page.getByRole("tab", { name: "基本信息" }).click();
    // The first section's button: contacts and reminders below have their own.
    await this.page.locator(".section-head").first().getByRole("button", { name: "编辑", exact: true }).click();
  }

  async save(): Promise<void> {
    await this.page.getByRole("button", { name: "保存" }).click();
  }

  /** Makes sure the service worker controls the page, so it can boot offline. */
  async installed(): Promise<void> {
    await this.page.evaluate(async () => {
      await navigator.serviceWorker.ready;
    });
    await expect
      .poll(() => this.page.evaluate(() => navigator.serviceWorker.controller !== null), { timeout: 10_000 })
      .toBe(true);
  }
}
