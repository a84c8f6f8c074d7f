// Every browser test runs with the server's content security policy on and
// fails if the browser refused anything under it: an inline script without
// the page's nonce, a style, a frame. Tests import `test` from here.
//
// A failing test also prints what its pages said went wrong (console errors,
// uncaught exceptions such as a panic in the app, requests that failed or
// were answered with an error), since a run on another machine leaves only
// its log to read.
import { expect, test as base, type BrowserContext, type Page } from "@playwright/test";

interface Watched {
  violations: string[];
  troubles: string[];
}

const watched = new WeakMap<BrowserContext, Watched>();
/** Every context watched in the running test, the test's own and those it opened. */
let inThisTest: Watched[] = [];

function watch(page: Page, seen: Watched) {
  const at = () => `${new Date().toISOString().slice(11, 23)} ${page.url()}`;
  page.on("console", (message) => {
    if (message.type() !== "error") return;
    const line = `${at()}: console: ${message.text()}`;
    if (message.text().includes("Content Security Policy")) seen.violations.push(line);
    seen.troubles.push(line);
  });
  page.on("pageerror", (error) => seen.troubles.push(`${at()}: uncaught: ${error.message}`));
  page.on("requestfailed", (request) => {
    const why = request.failure()?.errorText ?? "";
    // A page left behind cancels what it had in flight: not a trouble.
    if (why === "net::ERR_ABORTED") return;
    seen.troubles.push(`${at()}: ${request.method()} ${request.url()} failed: ${why}`);
  });
  page.on("response", (response) => {
    if (response.status() >= 400) {
      seen.troubles.push(`${at()}: ${response.request().method()} ${response.url()} answered ${response.status()}`);
    }
  });
}

/// Watches every page of `context`, present and future; returns the
/// content security policy violations seen so far (and from then on).
export function guard(context: BrowserContext): string[] {
  return watching(context).violations;
}

function watching(context: BrowserContext): Watched {
  let seen = watched.get(context);
  if (!seen) {
    seen = { violations: [], troubles: [] };
    watched.set(context, seen);
    inThisTest.push(seen);
    const found = seen;
    context.pages().forEach((page) => watch(page, found));
    context.on("page", (page) => watch(page, found));
  }
  return seen;
}

export const test = base.extend<{ cspGuard: void }>({
  cspGuard: [
    async ({ context }, use, info) => {
      inThisTest = [];
      const seen = watching(context);
      await use();
      const troubles = inThisTest.flatMap((w) => w.troubles).sort();
      if (info.status !== info.expectedStatus && troubles.length > 0) {
        console.log(`what the pages reported before "${info.title}" failed:\n  ${troubles.join("\n  ")}`);
      }
      expect(seen.violations, "content security policy violations").toEqual([]);
    },
    { auto: true },
  ],
});

export { expect };
