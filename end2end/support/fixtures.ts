// Every browser test runs with the server's content security policy on and
// fails if the browser refused anything under it: an inline script without
// the page's nonce, a style, a frame. Tests import `test` from here.
import { expect, test as base, type BrowserContext, type Page } from "@playwright/test";

const violations = new WeakMap<BrowserContext, string[]>();

function watch(page: Page, seen: string[]) {
  page.on("console", (message) => {
    if (message.type() === "error" && message.text().includes("Content Security Policy")) {
      seen.push(`${page.url()}: ${message.text()}`);
    }
  });
}

/// Watches every page of `context`, present and future.
export function guard(context: BrowserContext): string[] {
  const seen = violations.get(context) ?? [];
  if (!violations.has(context)) {
    violations.set(context, seen);
    context.pages().forEach((page) => watch(page, seen));
    context.on("page", (page) => watch(page, seen));
  }
  return seen;
}

export const test = base.extend<{ cspGuard: void }>({
  cspGuard: [
    async ({ context }, use) => {
      const seen = guard(context);
      await use();
      expect(seen, "content security policy violations").toEqual([]);
    },
    { auto: true },
  ],
});

export { expect };
