import { readFileSync } from "node:fs";
import { devices } from "@playwright/test";
import { expect, test } from "../support/fixtures";
import { E2E_PASSWORD, E2E_USER, REP_PASSWORD } from "../support/global-setup";
import { baseUrl, ensureUser, ready, signIn, unique } from "../support/app";
import { gbk } from "../support/gbk";

test("an admin previews a GBK spreadsheet, corrects a column, checks every row, imports for a rep, and undoes it", async ({ page, browser, request }, info) => {
  test.skip(info.project.name !== "tablet", "an admin's screen");
  // The rep the file hands its customers to.
  const rep = unique("importrep", info.project.name);
  await ensureUser(request, rep, "rep", "north", REP_PASSWORD);
  await signIn(page, E2E_USER, E2E_PASSWORD);
  await page.goto(`${baseUrl()}/import`);
  await ready(page);

  const first = unique("导入甲", info.project.name);
  const second = unique("导入乙", info.project.name);
  // Headers as an old system wrote them, saved by Excel in China (GBK); the
  // third column's header is unknown.
  const csv =
    `客户名称,联系电话,备注城市,客户等级,负责人\r\n` +
    `${first},13512345678,杭州,VIP,${rep}\r\n${second},12345,上海,普通,${rep}\r\n`;
  await page.locator("#import-file").setInputFiles({ name: "客户.csv", mimeType: "text/csv", buffer: gbk(csv) });

  const preview = page.getByTestId("import-preview");
  await expect(preview).toContainText("共 2 行");
  await expect(preview.locator("#import-encoding")).toHaveValue("Gb18030");
  await expect(preview.locator("select[data-column='0']")).toHaveValue(JSON.stringify({ to: "name" }));
  await expect(preview.locator("select[data-column='2']")).toHaveValue("");
  // The person says what the unknown column is.
  await preview.locator("select[data-column='2']").selectOption({ label: "城市" });
  await expect(preview.locator("select[data-column='4']")).toHaveValue(JSON.stringify({ to: "keeper" }));
  await preview.locator("#import-keeper").selectOption("column");
  await page.getByRole("button", { name: "检查" }).click();

  const check = page.getByTestId("import-check");
  await expect(check.locator(".import-counts")).toHaveAttribute("data-create", "1");
  await expect(check.locator(".import-counts")).toHaveAttribute("data-error", "1");
  await expect(check.locator("[data-verdict=error]")).toContainText("第 3 行");
  await expect(check.locator("[data-verdict=error]")).toContainText("「联系电话」");

  // The row in error comes back as a file to fix: as it was, with the reason.
  const [failedFile] = await Promise.all([
    page.waitForEvent("download"),
    page.getByTestId("import-failed-rows").click(),
  ]);
  expect(failedFile.suggestedFilename()).toBe("客户-未导入.csv");
  // In the file's own encoding, so the same Excel opens it.
  const failedText = new TextDecoder("gbk", { fatal: true }).decode(readFileSync(await failedFile.path()));
  const failedRows = failedText.trim().split("\r\n");
  expect(failedRows[0]).toBe("客户名称,联系电话,备注城市,客户等级,负责人,原因");
  expect(failedRows).toHaveLength(2);
  expect(failedRows[1]).toContain(`${second},12345,上海,普通,${rep},「联系电话」`);

  await page.getByRole("button", { name: "导入 1 位客户" }).click();
  await expect(page.getByTestId("import-report")).toContainText("新建 1 位");

  // The imported customer is in the archive, with the column the person mapped.
  await page.goto(`${baseUrl()}/customers`);
  await ready(page);
  await page.locator("#customer-search").fill(first);
  // The device's own list: the server's search below it may list the same
  // customer again, with a box to tick for a handover.
  const listed = page.locator(".customer-row:not(.selectable)", { hasText: first });
  await expect(listed).toContainText("杭州", { timeout: 20_000 });
  // The columns after the corrected one kept their meaning.
  await expect(listed).toContainText("VIP");

  // The rep the file named holds it on their phone.
  const phone = await browser.newContext({ ...devices["Pixel 7"] });
  const repPage = await phone.newPage();
  await signIn(repPage, rep, REP_PASSWORD);
  await repPage.goto(`${baseUrl()}/customers`);
  await ready(repPage);
  await expect(repPage.locator(".customer-row", { hasText: first })).toContainText("杭州", { timeout: 20_000 });
  const held = await repPage.evaluate((who) => Object.keys(localStorage).filter((k) => k.startsWith(`crm/${who}/rec/`)).length, rep);
  expect(held).toBe(1);
  await phone.close();

  // The list exports what its search selects: the file holds that customer
  // and no other, in the columns an import reads back.
  const exportMenu = page.getByTestId("customer-export");
  await exportMenu.getByText("导出", { exact: true }).click();
  const [csvFile] = await Promise.all([page.waitForEvent("download"), exportMenu.getByText("CSV（UTF-8）").click()]);
  expect(csvFile.suggestedFilename()).toMatch(/^客户-\d{4}-\d{2}-\d{2}\.csv$/);
  const exported = readFileSync(await csvFile.path(), "utf8");
  expect(exported.split("\r\n")[0]).toContain("客户编号,客户名称,客户类型,手机");
  const lines = exported.trim().split("\r\n");
  expect(lines).toHaveLength(2);
  expect(lines[1]).toContain(first);
  const [workbook] = await Promise.all([page.waitForEvent("download"), exportMenu.getByText("Excel 表格（.xlsx）").click()]);
  expect(workbook.suggestedFilename()).toMatch(/\.xlsx$/);
  expect(readFileSync(await workbook.path()).subarray(0, 2).toString()).toBe("PK");

  // The import is listed; undoing it says what it does, asks once more, then reports.
  await page.goto(`${baseUrl()}/import`);
  await ready(page);
  const recent = page.getByTestId("recent-imports").locator(".recent-import[data-file='客户.csv']").first();
  await expect(recent).toContainText("新建 1 位");
  await recent.getByRole("button", { name: "撤销这次导入…" }).click();
  await expect(recent).toContainText("导入之后有人改过的内容会保留");
  await recent.getByRole("button", { name: "确认撤销" }).click();
  const undone = recent.getByTestId("import-undone");
  await expect(undone).toHaveAttribute("data-removed", "1");
  await expect(undone).toContainText("已撤销：删除 1 位客户");
  await expect(recent.getByRole("button", { name: "撤销这次导入…" })).toHaveCount(0);

  // The customer it created is gone from the archive.
  await page.goto(`${baseUrl()}/customers`);
  await ready(page);
  await page.locator("#customer-search").fill(first);
  await expect(page.locator(".customer-row", { hasText: first })).toHaveCount(0, { timeout: 20_000 });

  // The next file with these headers opens with the column the person chose.
  await page.goto(`${baseUrl()}/import`);
  await ready(page);
  await page.locator("#import-file").setInputFiles({ name: "客户.csv", mimeType: "text/csv", buffer: gbk(csv) });
  await expect(page.getByTestId("import-saved-mapping")).toContainText("已套用上次导入同样表头文件时的列对应");
  await expect(preview.locator("select[data-column='2']")).toHaveValue(JSON.stringify({ to: "city" }));
});

test("a long import shows how far it got, is stopped from the page, and what it wrote is undone", async ({ page }, info) => {
  test.skip(info.project.name !== "tablet", "an admin's screen");
  test.setTimeout(120_000);
  await signIn(page, E2E_USER, E2E_PASSWORD);
  await page.goto(`${baseUrl()}/import`);
  await ready(page);
  // Six batches of changes on the server: long enough to be stopped halfway.
  const rows = 3_000;
  const stamp = unique("批量", info.project.name);
  const lines = Array.from({ length: rows }, (_, i) => `${stamp}${i},199${String(i).padStart(8, "0")}`);
  const csv = `客户名称,手机\r\n${lines.join("\r\n")}\r\n`;
  const file = `批量-${stamp}.csv`;
  await page.locator("#import-file").setInputFiles({ name: file, mimeType: "text/csv", buffer: Buffer.from(csv) });
  await expect(page.getByTestId("import-preview")).toContainText(`共 ${rows} 行`);
  await page.getByRole("button", { name: "检查" }).click();
  // Every row is new, unless another test's customer has one of its mobiles.
  const counts = page.getByTestId("import-check").locator(".import-counts");
  await expect(counts).toHaveAttribute("data-error", "0");
  const changes = Number(await counts.getAttribute("data-create")) + Number(await counts.getAttribute("data-update"));
  expect(changes).toBeGreaterThan(rows - 10);
  await page.getByRole("button", { name: `导入 ${changes} 位客户` }).click();

  // A bar with the changes written, the rate and the time left.
  const progress = page.getByTestId("import-progress");
  await expect(progress.locator("[data-pushed]")).toContainText(`/ ${changes} 项`);
  await expect(progress.locator("[data-pushed]")).toContainText("每秒");
  await expect(progress.locator("progress")).toHaveAttribute("max", String(changes));
  // While it runs, the list says so and offers no undo.
  const recent = page.getByTestId("recent-imports").locator(`.recent-import[data-file='${file}']`);
  await expect(recent.getByTestId("import-running")).toBeVisible();
  await expect(progress.locator("[data-pushed]")).not.toHaveAttribute("data-pushed", "0");
  await progress.getByRole("button", { name: "停止导入" }).click();

  const stopped = page.getByTestId("import-stopped");
  await expect(stopped).toContainText("导入已停止", { timeout: 30_000 });
  const written = Number(/写入了 (\d+) \//.exec((await stopped.textContent()) ?? "")?.[1]);
  expect(written).toBeGreaterThan(0);
  expect(written).toBeLessThan(changes);
  await expect(progress).toHaveCount(0);
  await expect(recent.getByTestId("import-was-stopped")).toContainText(`写入了 ${written} / ${changes} 项`);

  // What it wrote is undone from the list.
  await recent.getByRole("button", { name: "撤销这次导入…" }).click();
  await recent.getByRole("button", { name: "确认撤销" }).click();
  await expect(recent.getByTestId("import-undone")).toHaveAttribute("data-removed", String(written), { timeout: 60_000 });
});

test("a file of megabytes is sent once and read; one past the server's limit is refused with the limit named", async ({ page }, info) => {
  test.skip(info.project.name !== "tablet", "an admin's screen");
  await signIn(page, E2E_USER, E2E_PASSWORD);
  await page.goto(`${baseUrl()}/import`);
  await ready(page);
  // 2.5 MB: past what any other request may carry (2 MiB).
  const rows = 90_000;
  const lines = Array.from({ length: rows }, (_, i) => `大文件客户${i},199${String(i).padStart(8, "0")}`);
  const csv = Buffer.from(`客户名称,手机\r\n${lines.join("\r\n")}\r\n`);
  expect(csv.length).toBeGreaterThan(2 * 1024 * 1024);
  const sent: { path: string; size: number }[] = [];
  page.on("request", (request) => {
    const path = new URL(request.url()).pathname;
    if (path.startsWith("/api/import/")) sent.push({ path, size: request.postDataBuffer()?.length ?? 0 });
  });
  await page.locator("#import-file").setInputFiles({ name: "大文件.csv", mimeType: "text/csv", buffer: csv });
  await expect(page.getByTestId("import-preview")).toContainText(`共 ${rows} 行`, { timeout: 30_000 });
  // The file went once; the preview named it in a few bytes.
  expect(sent.filter((r) => r.path === "/api/import/files")).toHaveLength(1);
  const preview = sent.find((r) => r.path === "/api/import/preview");
  expect(preview?.size).toBeLessThan(1024);

  // The test server takes files up to 4 MiB.
  const huge = Buffer.alloc(5 * 1024 * 1024, "a");
  await page.locator("#import-file").setInputFiles({ name: "太大.csv", mimeType: "text/csv", buffer: huge });
  await expect(page.locator(".form-error", { hasText: "超过 4 MB" })).toBeVisible();
  await expect(page.getByTestId("import-preview")).toHaveCount(0);
});
