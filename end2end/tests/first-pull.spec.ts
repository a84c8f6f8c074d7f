// Measures, and prints, what a rep's first sign-in on a new phone costs: the
// time to pull a portfolio of 5,000 customers into the device over loopback,
// where that time goes (the server answering, the bytes on the wire, the
// browser decoding and storing), and what one cached customer takes of the
// browser's storage. Only the phone project runs it; the figures are
// printed, never asserted against a speed.
import { expect, test } from "../support/fixtures";
import { REPS, REP_PASSWORD } from "../support/global-setup";
import { RepApp, baseUrl, ready } from "../support/app";

const CUSTOMERS = 5000;

/** A `Create` mutation as the sync protocol carries it. */
function create(client: string, seq: number, author: string, name: string, phone: string) {
  return {
    id: crypto.randomUUID(),
    client,
    seq,
    author,
    client_time: Date.now(),
    customer: crypto.randomUUID(),
    change: {
      type: "create",
      fields: {
        kind: "person",
        name,
        phones: [{ label: "mobile", number: phone }],
        emails: [],
        address: { city: ["上海", "北京", "广州", "杭州"][seq % 4] },
        source: "rep_entry",
        category: "regular",
        stage: "active",
        preferences: { brands: [], colours: [], notes: {} },
        consent: { marketing: false },
        owner: author,
        shared_with: [],
      },
    },
  };
}

test("a first pull of 5,000 customers on loopback", async ({ page, request }, info) => {
  test.skip(info.project.name !== "phone", "measured once, on the phone");
  test.setTimeout(240_000);
  const base = baseUrl();
  const headers = { origin: base };
  const signIn = await request.post(`${base}/api/auth/sign_in`, {
    headers,
    form: { username: REPS.carol, password: REP_PASSWORD },
  });
  expect(signIn.ok()).toBe(true);
  const client = crypto.randomUUID();
  for (let start = 0; start < CUSTOMERS; start += 500) {
    const mutations = Array.from({ length: 500 }, (_, i) => {
      const n = start + i;
      return create(client, n + 1, REPS.carol, `客户${String(n).padStart(4, "0")}`, `+86139${String(n).padStart(8, "0")}`);
    });
    const pushed = await request.post(`${base}/api/sync/push`, { headers, data: { client, mutations } });
    expect(pushed.ok(), await pushed.text()).toBe(true);
    const reply = await pushed.json();
    expect(reply.results.every((r: { outcome: { status: string } }) => r.outcome.status === "applied")).toBe(true);
  }

  await page.goto(`${base}/signin`);
  await ready(page);
  await page.locator("#username").fill(REPS.carol);
  await page.locator("#password").fill(REP_PASSWORD);
  await page.getByRole("button", { name: "登录", exact: true }).click();
  await page.waitForURL(`${base}/`);
  await ready(page);
  const app = new RepApp(page);
  await app.expectSynced();
  const count = () => page.evaluate(() => Object.keys(localStorage).filter((k) => k.startsWith("crm/carol/rec/")).length);
  // Polled every 100 ms: the default intervals grow to a second, which
  // made the figure a second coarse.
  await expect.poll(count, { timeout: 60_000, intervals: [100] }).toBe(CUSTOMERS);
  const finished = await page.evaluate(() => performance.now());
  // Time to the first byte is the server's (loopback adds next to nothing),
  // the rest of each request is the download. The device asks for the next
  // page while it stores one, so pulls overlap the browser's work: what is
  // left of the wall clock when no pull was under way is the browser's
  // alone.
  const pulls = await page.evaluate(() =>
    performance
      .getEntriesByType("resource")
      .filter((e) => e.name.includes("/api/sync/pull"))
      .map((e) => {
        const r = e as PerformanceResourceTiming;
        return {
          server: r.responseStart - r.requestStart,
          download: r.responseEnd - r.responseStart,
          start: r.startTime,
          end: r.responseEnd,
          wire: r.encodedBodySize,
          json: r.decodedBodySize,
        };
      }),
  );
  const sum = (f: (p: (typeof pulls)[number]) => number) => Math.round(pulls.reduce((n, p) => n + f(p), 0));
  // From the first pull's request (the app may start it before the page
  // counts as ready) to the last archive stored.
  const pulledMs = Math.round(finished - Math.min(...pulls.map((p) => p.start)));
  let inFlight = 0;
  let reach = -Infinity;
  for (const p of [...pulls].sort((a, b) => a.start - b.start)) {
    inFlight += Math.max(0, p.end - Math.max(p.start, reach));
    reach = Math.max(reach, p.end);
  }
  const breakdown =
    `pulls=${pulls.length} server_ms=${sum((p) => p.server)} download_ms=${sum((p) => p.download)} ` +
    `browser_ms=${pulledMs - Math.round(inFlight)} wire_kb=${Math.round(sum((p) => p.wire) / 1024)} ` +
    `json_kb=${Math.round(sum((p) => p.json) / 1024)}`;

  await app.goto("/sync");
  const perRecord = Number(await page.getByTestId("bytes-per-record").getAttribute("data-bytes"));
  expect(await page.getByTestId("cached-records").textContent()).toBe(String(CUSTOMERS));
  expect(perRecord).toBeGreaterThan(0);

  await app.goto("/customers");
  await expect(page.locator(".count")).toHaveText(`共 ${CUSTOMERS} 位`);
  const searched = Date.now();
  await page.locator("#customer-search").fill("13900000777");
  await expect(page.locator(".customer-row")).toHaveCount(1);
  const searchMs = Date.now() - searched;
  // Typing, one key at a time: each keystroke's work (filtering the cached
  // portfolio and updating the list) runs in the input handler and the
  // microtasks it queues, all done before a zero-delay timer fires.
  const keystrokes = await page.evaluate(async (query) => {
    const input = document.querySelector<HTMLInputElement>("#customer-search")!;
    const times: number[] = [];
    for (const text of ["", ...Array.from(query, (_, i) => query.slice(0, i + 1))]) {
      const start = performance.now();
      input.value = text;
      input.dispatchEvent(new Event("input", { bubbles: true }));
      await new Promise((resolve) => setTimeout(resolve, 0));
      times.push(performance.now() - start);
    }
    return times.slice(1);
  }, "13900000777");
  await expect(page.locator(".customer-row")).not.toHaveCount(0);
  const sorted = [...keystrokes].sort((a, b) => a - b);
  const keyMax = Math.round(sorted[sorted.length - 1]);
  const keyMedian = Math.round(sorted[Math.floor(sorted.length / 2)]);

  console.log(
    `first-pull: customers=${CUSTOMERS} ms=${pulledMs} ${breakdown} bytes_per_customer=${perRecord} search_ms=${searchMs} keystroke_ms_median=${keyMedian} keystroke_ms_max=${keyMax}`,
  );
});
