// The manager's dashboards on a tablet in portrait: figures from the team's
// archives, charts with their tables, a CSV export, the churn and value
// pages; and on a 360 px phone, the same pages fit without sideways scroll.
import { expect, test } from "../support/fixtures";
import type { APIRequestContext } from "@playwright/test";
import { E2E_PASSWORD, E2E_USER, REPS, REP_PASSWORD } from "../support/global-setup";
import { baseUrl, ensureUser, ready, signIn, signInApi, unique } from "../support/app";

const MANAGER = "maria";
const MANAGER_PASSWORD = "manager-password-42";

/** The north team's manager, made once by the admin. */
async function ensureManager(request: APIRequestContext) {
  await signInApi(request, E2E_USER, E2E_PASSWORD);
  const created = await request.post(`${baseUrl()}/api/admin/users/create`, {
    headers: { origin: baseUrl() },
    form: { username: MANAGER, display_name: "玛丽亚", role: "manager", team: "north", password: MANAGER_PASSWORD },
  });
  expect([200, 409]).toContain(created.status());
}

/** Bob's customer with two orders and an open complaint, pushed as his phone would. */
async function seedCustomer(request: APIRequestContext, name: string) {
  await signInApi(request, REPS.bob, REP_PASSWORD);
  const client = crypto.randomUUID();
  const customer = crypto.randomUUID();
  const today = new Date().toISOString().slice(0, 10);
  let seq = 0;
  const mutation = (change: object) => ({
    id: crypto.randomUUID(),
    client,
    seq: ++seq,
    author: REPS.bob,
    client_time: Date.now(),
    customer,
    change,
  });
  const order = (yuan: number) => ({
    type: "put_order",
    id: crypto.randomUUID(),
    base: 0,
    order: { product: "净水器", quantity: 1, amount: { minor: yuan * 100, currency: "CNY" }, date: today, channel: null },
  });
  const mutations = [
    mutation({
      type: "create",
      fields: {
        kind: "person",
        name,
        phones: [],
        emails: [],
        address: {},
        source: "rep_entry",
        category: "vip",
        stage: "active",
        preferences: { brands: [], colours: [], notes: {} },
        consent: { marketing: false },
        owner: REPS.bob,
        shared_with: [],
      },
    }),
    mutation(order(1200)),
    mutation(order(300)),
    mutation({
      type: "put_feedback",
      id: crypto.randomUUID(),
      base: 0,
      feedback: {
        kind: "complaint",
        content: "安装延误",
        status: "open",
        resolution: null,
        satisfaction: 2,
        received_at: Date.now() - 2 * 86_400_000,
      },
    }),
  ];
  const pushed = await request.post(`${baseUrl()}/api/sync/push`, {
    headers: { origin: baseUrl() },
    data: { client, mutations },
  });
  expect(pushed.ok(), await pushed.text()).toBe(true);
  const reply = await pushed.json();
  expect(reply.results.map((r: { outcome: { status: string } }) => r.outcome.status)).toEqual([
    "applied",
    "applied",
    "applied",
    "applied",
  ]);
}

test("a manager reads the team dashboards on a tablet and exports a table", async ({ page, playwright }, info) => {
  test.skip(info.project.name !== "tablet", "the dashboards are checked on the tablet; the phone fit below");
  const admin = await playwright.request.newContext();
  await ensureManager(admin);
  const bob = await playwright.request.newContext();
  const name = unique("看板", info.project.name);
  await seedCustomer(bob, name);

  await signIn(page, MANAGER, MANAGER_PASSWORD);
  await page.goto(`${baseUrl()}/dashboard`);
  await ready(page);
  const viewport = page.viewportSize()!;
  expect(viewport.height).toBeGreaterThan(viewport.width);

  const customers = Number(await page.locator('[data-figure="customers"] .figure-value').textContent());
  expect(customers).toBeGreaterThanOrEqual(1);
  await expect(page.locator('[data-figure="complaints_open"] .figure-value')).not.toHaveText("0");
  const complaints = page.locator('[data-panel="complaints"]');
  await expect(complaints.locator("table")).toContainText(name);
  await expect(complaints.locator("table")).toContainText("bob");
  // Every chart has its table beside it.
  const panels = page.locator(".panel");
  expect(await panels.count()).toBeGreaterThanOrEqual(6);
  for (const panel of await panels.all()) {
    await expect(panel.locator("svg.chart")).toHaveCount(1);
    await expect(panel.locator("table.figure-table")).toHaveCount(1);
  }
  const revenue = page.locator('[data-panel="revenue_per_rep"] table');
  await expect(revenue).toContainText("bob");
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  expect(overflow).toBeLessThanOrEqual(0);

  // The export arrives as a CSV download Excel can open.
  await complaints.locator('button[data-export="complaints"]').click();
  const link = complaints.locator("a.export-link");
  await expect(link).toBeVisible();
  expect(await link.getAttribute("download")).toBe("complaints.csv");
  const csv = decodeURIComponent((await link.getAttribute("href"))!.replace(/^data:text\/csv;charset=utf-8,/, ""));
  expect(csv.startsWith("\ufeff客户,业务员,已等待天数\r\n")).toBe(true);
  expect(csv).toContain(`${name},bob,2`);

  // Churn warning and customer value come from the scoring run.
  await page.locator(".dashboard-tabs a", { hasText: "流失预警" }).click();
  await expect(page).toHaveURL(/\/dashboard\/churn$/);
  await expect(page.locator("p.model")).toBeVisible();
  await page.locator(".dashboard-tabs a", { hasText: "客户价值" }).click();
  await expect(page).toHaveURL(/\/dashboard\/value$/);
  await expect(page.locator('[data-panel="segments"] table')).toContainText("重要价值");
  await expect(page.locator('[data-panel="segment_customers"] table')).toContainText(name);
});

test("the dashboards fit a 360 px phone with 44 px targets", async ({ page }, info) => {
  test.skip(info.project.name !== "phone", "the phone layout");
  await page.setViewportSize({ width: 360, height: 740 });
  await signIn(page, REPS.alice, REP_PASSWORD);
  for (const path of ["/dashboard", "/dashboard/churn", "/dashboard/value"]) {
    await page.goto(`${baseUrl()}${path}`);
    await ready(page);
    await expect(page.locator(".dashboard h1")).toBeVisible();
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    expect(overflow, path).toBeLessThanOrEqual(0);
    const small = await page.evaluate(() =>
      [...document.querySelectorAll("main button, main a.button, main a.tab, main a.filter-chip, .bottom-nav a")]
        .filter((e) => (e as HTMLElement).offsetParent !== null)
        .map((e) => ({ what: e.outerHTML.slice(0, 80), height: e.getBoundingClientRect().height }))
        .filter((e) => e.height < 44),
    );
    expect(small, path).toEqual([]);
  }
});

/** A rep's customers with orders on the given days before today, pushed in one batch. */
async function seedBuyers(request: APIRequestContext, rep: string, customers: { name: string; daysAgo: number[] }[]) {
  const client = crypto.randomUUID();
  let seq = 0;
  const mutations: object[] = [];
  for (const c of customers) {
    const customer = crypto.randomUUID();
    const push = (change: object) =>
      mutations.push({ id: crypto.randomUUID(), client, seq: ++seq, author: rep, client_time: Date.now(), customer, change });
    push({
      type: "create",
      fields: {
        kind: "person", name: c.name, phones: [], emails: [], address: {}, source: "rep_entry", category: "regular",
        stage: "active", preferences: { brands: [], colours: [], notes: {} }, consent: { marketing: false },
        owner: rep, shared_with: [],
      },
    });
    for (const days of c.daysAgo) {
      const date = new Date(Date.now() - days * 86_400_000).toISOString().slice(0, 10);
      push({
        type: "put_order", id: crypto.randomUUID(), base: 0,
        order: { product: "滤芯", quantity: 1, amount: { minor: 20_000, currency: "CNY" }, date, channel: null },
      });
    }
  }
  const pushed = await request.post(`${baseUrl()}/api/sync/push`, { headers: { origin: baseUrl() }, data: { client, mutations } });
  expect(pushed.ok(), await pushed.text()).toBe(true);
}

test("a churn warning gets a follow-up with one tap and it reaches the server", async ({ page, playwright }, info) => {
  test.skip(info.project.name !== "tablet", "once, on the tablet");
  test.setTimeout(120_000);
  const admin = await playwright.request.newContext();
  await ensureUser(admin, "dave", "rep", "east", REP_PASSWORD);
  await ensureUser(admin, "emma", "manager", "east", MANAGER_PASSWORD);
  const dave = await playwright.request.newContext();
  await signInApi(dave, "dave", REP_PASSWORD);
  // Twenty who bought often and stopped long ago, twenty who keep buying.
  const gone = Array.from({ length: 20 }, (_, i) => ({ name: unique(`沉寂${i}-`, ""), daysAgo: [720 + i, 690, 660, 630] }));
  const active = Array.from({ length: 20 }, (_, i) => ({ name: unique(`常客${i}-`, ""), daysAgo: [300 + i, 200, 120, 40, 5] }));
  await seedBuyers(dave, "dave", [...gone, ...active]);

  await signIn(page, "emma", MANAGER_PASSWORD);
  const badge = page.locator(".sync-badge");
  await expect(badge).toHaveAttribute("data-state", "synced", { timeout: 30_000 });
  await page.goto(`${baseUrl()}/dashboard/churn?below=0.5`);
  await ready(page);
  // A run from before these customers existed may be reused for a while: ask for a fresh one.
  await page.getByRole("button", { name: "重新评分" }).click();
  await expect(page.locator("p.model")).toHaveAttribute("data-model", "true");
  const row = page.locator(".warning-row", { hasText: gone[0].name });
  await expect(row).toBeVisible();
  await expect(page.locator(".warning-row", { hasText: active[0].name })).toHaveCount(0);
  await expect(badge).toHaveAttribute("data-state", "synced", { timeout: 30_000 });
  await row.locator('button[data-action="follow-up"]').click();
  await expect(row.locator(".row-status")).toHaveText("已安排跟进");
  await expect(badge).toHaveAttribute("data-pending", "0", { timeout: 20_000 });

  // The follow-up is an ordinary change: synced, and on the list for everyone.
  await page.reload();
  await ready(page);
  await expect(page.locator(".warning-row", { hasText: gone[0].name })).toContainText("已有跟进");
});
