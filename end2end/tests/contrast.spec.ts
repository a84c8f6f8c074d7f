// Text and controls meet WCAG AA contrast (4.5:1, or 3:1 for large text)
// on the main screens, in the colours the browser actually paints.
import type { Page } from "@playwright/test";
import { expect, test } from "../support/fixtures";
import { REPS, REP_PASSWORD } from "../support/global-setup";
import { RepApp, ensureUser, signIn, unique } from "../support/app";

const MANAGER_PASSWORD = "manager-password-42";

/** Every visible piece of text whose contrast with what is behind it is too low. */
async function lowContrast(page: Page): Promise<string[]> {
  return page.evaluate(() => {
    type Rgba = [number, number, number, number];
    const parse = (css: string): Rgba => {
      const n = css.match(/[\d.]+/g)?.map(Number) ?? [0, 0, 0];
      return [n[0], n[1], n[2], n[3] ?? 1];
    };
    const over = (top: Rgba, below: Rgba): Rgba => {
      const a = top[3];
      return [0, 1, 2].map((i) => top[i] * a + below[i] * (1 - a)).concat(1) as Rgba;
    };
    const luminance = (c: Rgba) => {
      const [r, g, b] = c.slice(0, 3).map((v) => {
        const s = v / 255;
        return s <= 0.03928 ? s / 12.92 : ((s + 0.055) / 1.055) ** 2.4;
      });
      return 0.2126 * r + 0.7152 * g + 0.0722 * b;
    };
    // The painted background: the element's own and its ancestors', blended.
    const background = (el: Element): Rgba => {
      const layers: Rgba[] = [];
      for (let e: Element | null = el; e; e = e.parentElement) {
        const c = parse(getComputedStyle(e).backgroundColor);
        if (c[3] > 0) layers.push(c);
        if (c[3] >= 1) break;
      }
      return layers.reverse().reduce((below, top) => over(top, below), [255, 255, 255, 1] as Rgba);
    };
    const problems: string[] = [];
    const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
    const seen = new Set<Element>();
    for (let node = walker.nextNode(); node; node = walker.nextNode()) {
      const el = node.parentElement;
      if (!el || seen.has(el) || !node.textContent?.trim()) continue;
      seen.add(el);
      const style = getComputedStyle(el);
      const box = el.getBoundingClientRect();
      if (style.visibility === "hidden" || box.width === 0 || box.height === 0 || el.closest("[aria-hidden=true]")) continue;
      if (el.closest(".visually-hidden") || el.tagName === "OPTION") continue;
      const back = background(el);
      const text = over(parse(style.color), back);
      const [hi, lo] = [luminance(text), luminance(back)].sort((a, b) => b - a);
      const ratio = (hi + 0.05) / (lo + 0.05);
      const size = parseFloat(style.fontSize);
      const large = size >= 24 || (size >= 18.66 && Number(style.fontWeight) >= 700);
      if (ratio < (large ? 3 : 4.5)) {
        problems.push(`${ratio.toFixed(2)}:1 "${node.textContent.trim().slice(0, 30)}" (${el.tagName.toLowerCase()}.${el.className})`);
      }
    }
    return problems;
  });
}

test("the main screens meet AA contrast: a rep's on the phone, a manager's on the tablet", async ({ page, request }, info) => {
  const manager = info.project.name === "tablet";
  if (manager) {
    await ensureUser(request, "mila", "manager", "north", MANAGER_PASSWORD);
    await signIn(page, "mila", MANAGER_PASSWORD);
  } else {
    await signIn(page, REPS.alice, REP_PASSWORD);
  }
  const app = new RepApp(page);
  const screens = ["/", "/customers", "/customers/new", "/sync"];
  if (manager) screens.push("/dashboard");
  for (const screen of screens) {
    await app.goto(screen);
    expect(await lowContrast(page), screen).toEqual([]);
  }
  const record = await app.createCustomer(unique("对比度", info.project.name), "13800138000");
  for (const tab of [null, "订单", "偏好与标签", "历史"]) {
    if (tab) await page.getByRole("tab", { name: tab }).click();
    expect(await lowContrast(page), `${record} ${tab ?? "基本信息"}`).toEqual([]);
  }
});
