// Drives headless Chromium through the dashboard of a running `polycart demo` (started
// by tests/dashboard_browser.rs, which passes everything in the environment): log in
// with a key, see the stores, open one, trigger a sync and watch its progress, see a
// failed store's error, reach the main controls with Tab. Screenshots go to
// $ARTEFACTS; the lines `screenshot: PATH` and `first-contentful-paint-ms: N` are
// what the Rust side reports. Any failed expectation exits non-zero with a message.
import { chromium } from "playwright-core";
import { mkdirSync } from "node:fs";
import { join } from "node:path";

const env = (name) => {
  const v = process.env[name];
  if (!v) throw new Error(`${name} is not set`);
  return v;
};
const base = env("POLYCART_URL").replace(/\/$/, "");
const key = env("POLYCART_KEY");
const stores = env("POLYCART_STORES").split(",");
const failing = env("POLYCART_FAILING_STORE");
const artefacts = env("ARTEFACTS");
mkdirSync(artefacts, { recursive: true });

const fail = (msg) => { throw new Error(msg); };
const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
  args: ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"],
});
let page;
const shot = async (name) => {
  const path = join(artefacts, name + ".png");
  await page.screenshot({ path, fullPage: true });
  console.log(`screenshot: ${path}`);
};
try {
  const context = await browser.newContext({ viewport: { width: 1400, height: 900 } });
  page = await context.newPage();
  page.setDefaultTimeout(20000);
  const consoleErrors = [];
  page.on("pageerror", (e) => consoleErrors.push(String(e)));

  // First paint of the login screen, from a cold navigation.
  await page.goto(base + "/ui/", { waitUntil: "load" });
  // The entry is recorded when the frame is presented, which may come after `load` (a
  // slow or busy machine): wait for it with a buffered observer, up to 10 s.
  const fcp = await page.evaluate(() => new Promise((resolve) => {
    const found = (list) => list.find((p) => p.name === "first-contentful-paint");
    const now = found(performance.getEntriesByType("paint"));
    if (now) return resolve(now.startTime);
    const obs = new PerformanceObserver((list) => {
      const e = found(list.getEntries());
      if (e) { obs.disconnect(); resolve(e.startTime); }
    });
    obs.observe({ type: "paint", buffered: true });
    setTimeout(() => { obs.disconnect(); resolve(null); }, 10000);
  }));
  if (fcp === null) fail("no first-contentful-paint entry");
  console.log(`first-contentful-paint-ms: ${fcp.toFixed(1)}`);
  if (fcp > 2000) fail(`first contentful paint took ${fcp} ms (sanity bound 2000 ms)`);

  // Keyboard: the key field has focus; Tab reaches the log-in button.
  await page.waitForSelector("#login:not([hidden])");
  if ((await page.evaluate(() => document.activeElement && document.activeElement.id)) !== "key")
    fail("the API key field does not have focus on the login screen");
  await shot("01-login");

  // A wrong key is refused with a message.
  await page.keyboard.type("pck_not_a_real_key_000000");
  await page.keyboard.press("Enter");
  await page.waitForFunction(() => document.getElementById("login-error").textContent.includes("refused"));

  // Log in with the keyboard only.
  await page.fill("#key", key);
  await page.focus("#key");
  await page.keyboard.press("Tab");
  if ((await page.evaluate(() => document.activeElement.textContent)) !== "Log in")
    fail("Tab from the key field does not reach the Log in button");
  await page.keyboard.press("Enter");

  // The stores, each with its state; the failing one shows its error.
  await page.waitForSelector("#stores tbody tr");
  for (const id of stores) await page.waitForSelector(`#stores tr[data-store="${id}"]`);
  const failedRow = `#stores tr[data-store="${failing}"]`;
  await page.waitForFunction((sel) => {
    const row = document.querySelector(sel);
    return row && row.querySelector(".err").textContent.trim().length > 0;
  }, failedRow, { timeout: 60000 });
  const failedText = await page.textContent(failedRow);
  if (!/auth failed|circuit open/.test(failedText)) fail(`the failing store shows no failed state: ${failedText}`);
  const errorText = (await page.textContent(failedRow + " .err")).trim();
  console.log(`failed store error: ${errorText}`);
  for (const id of stores) {
    const text = await page.textContent(`#stores tr[data-store="${id}"]`);
    if (!text.includes("active")) fail(`store ${id} is not active: ${text}`);
    if (text.includes("never")) fail(`store ${id} shows no successful sync: ${text}`);
  }
  await page.waitForSelector("#feed li");
  await page.waitForSelector("#drift, #drift-na");
  await shot("02-overview");

  // Keyboard: Tab from the top of the page reaches the nav, a store link and a Sync button.
  await page.evaluate(() => document.activeElement && document.activeElement.blur());
  const reached = new Set();
  for (let i = 0; i < 40; i++) {
    await page.keyboard.press("Tab");
    const what = await page.evaluate(() => {
      const a = document.activeElement;
      if (!a) return "";
      if (a.classList.contains("store-link")) return "store-link";
      if (a.classList.contains("sync")) return "sync";
      return a.id || a.getAttribute("href") || a.textContent.trim();
    });
    reached.add(what);
  }
  for (const want of ["#/", "#/keys", "logout", "store-link", "sync"])
    if (!reached.has(want)) fail(`Tab does not reach ${want}: reached ${[...reached].join(", ")}`);

  // Open a store (the first demo store) by keyboard.
  const store = stores[0];
  await page.focus(`#stores tr[data-store="${store}"] a.store-link`);
  await page.keyboard.press("Enter");
  await page.waitForSelector("#store-title");
  await page.waitForSelector("#chart-records rect");
  const runsBefore = await page.$$eval("#runs tbody tr", (rows) => rows.length);
  const firstRunBefore = await page.textContent("#runs tbody tr:first-child");
  await shot("03-store");

  // Trigger a sync and watch the page update: a new run appears (the page polls), the
  // progress line says what runs or that the store is idle again.
  await page.click("#sync-now");
  await page.waitForFunction(
    ([before, first]) => {
      const rows = document.querySelectorAll("#runs tbody tr");
      return rows.length > before || (rows[0] && rows[0].textContent !== first);
    },
    [runsBefore, firstRunBefore],
    { timeout: 60000 },
  );
  const progress = await page.textContent("#progress");
  console.log(`progress after sync: ${progress}`);
  await page.waitForFunction(() => document.querySelectorAll("#chart-requests rect").length > 0, null, { timeout: 30000 });
  await shot("04-store-after-sync");

  // The failing store's page shows its error.
  await page.goto(base + "/ui/#/stores/" + encodeURIComponent(failing));
  await page.waitForFunction(() => {
    const e = document.getElementById("store-error");
    return e && e.textContent !== "none";
  });
  console.log(`failed store page error: ${await page.textContent("#store-error")}`);
  await shot("05-failed-store");

  // API keys: an admin key lists them and may create one.
  await page.goto(base + "/ui/#/keys");
  await page.waitForSelector("#keys tbody tr");
  await page.fill("#key-name", "browser test key");
  await page.click("#create-key");
  await page.waitForSelector("#created .secret");
  await shot("06-keys");

  if (consoleErrors.length) fail(`page errors: ${consoleErrors.join("; ")}`);
  console.log("dashboard browser test passed");
} catch (e) {
  if (page) await shot("failure").catch(() => {});
  console.error(`dashboard browser test failed: ${e.message}`);
  process.exitCode = 1;
} finally {
  await browser.close();
}
