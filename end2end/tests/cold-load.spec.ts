// Measures, and prints, how long a rep's phone takes to open the app: cold
// (nothing cached, on the network profile of Lighthouse's mobile audit with a
// 4x slower CPU) and again from the service worker with no network at all.
// The figures are printed, never asserted against a speed: a slow machine
// must not fail the suite.
import { test } from "../support/fixtures";
import { REPS, REP_PASSWORD } from "../support/global-setup";
import { RepApp, baseUrl, ready, signInApi } from "../support/app";

// Lighthouse's mobile throttling: 150 ms round trip, 1.6 Mbit/s down, 750 kbit/s up.
const MOBILE_NETWORK = {
  offline: false,
  latency: 150,
  downloadThroughput: (1.6 * 1024 * 1024) / 8,
  uploadThroughput: (750 * 1024) / 8,
};

test("a cold first load on a throttled phone and a boot with no network", async ({ browser }, info) => {
  test.skip(info.project.name !== "phone", "measured once, on the phone");
  const context = await browser.newContext({ ...info.project.use });
  await signInApi(context.request, REPS.alice, REP_PASSWORD);
  const page = await context.newPage();
  const cdp = await context.newCDPSession(page);
  await cdp.send("Network.enable");
  await cdp.send("Network.emulateNetworkConditions", MOBILE_NETWORK);
  await cdp.send("Emulation.setCPUThrottlingRate", { rate: 4 });

  // Cold: a new browser profile, so no HTTP cache and no service worker.
  let started = Date.now();
  await page.goto(`${baseUrl()}/`);
  await ready(page);
  const first = Date.now() - started;

  // The installed app with no network: the worker's shell and the device's store.
  await cdp.send("Network.emulateNetworkConditions", { ...MOBILE_NETWORK, latency: 0, downloadThroughput: -1, uploadThroughput: -1 });
  await new RepApp(page).installed();
  await context.setOffline(true);
  started = Date.now();
  await page.goto(`${baseUrl()}/customers`);
  await ready(page);
  const offline = Date.now() - started;

  console.log(`cold-load: first_ms=${first} offline_ms=${offline}`);
  await context.close();
});
