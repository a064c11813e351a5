// Headless Chromium for the web page tests: the Debian browser (never a downloaded one), and pages whose script errors fail the test.
import { chromium, type Browser, type Page } from "playwright-core";

/** What every launch passes: headless, no sandbox (containers), no GPU, no background requests. */
const CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"];

/**
 * Launches the system Chromium (`/usr/bin/chromium`, TOOLCHAIN.md) headless; `extraArgs` are added
 * to the usual flags (a fake camera, say).
 *
 * @example
 * browser = await launchChromium();
 */
export function launchChromium(extraArgs: string[] = []): Promise<Browser> {
  const launch = chromium.launch({ executablePath: "/usr/bin/chromium", args: [...CHROMIUM_ARGS, ...extraArgs] });
  launches.add(launch);
  void launch.then(
    (browser) => browser.once("disconnected", () => launches.delete(launch)),
    () => launches.delete(launch),
  );
  return launch;
}

/** Launches not yet closed, kept even when the test that started one gave up on it (a timed-out before-hook). */
const launches = new Set<Promise<Browser>>();

/**
 * Closes every browser launched here that is still open, waiting for launches in progress. A
 * browser left running keeps the test process alive after the run (its pipes are open handles),
 * and a before-hook that failed or timed out may never have received the browser it launched.
 *
 * @example
 * after(closeAllBrowsers);
 */
export async function closeAllBrowsers(): Promise<void> {
  await Promise.all([...launches].map((launch) => launch.then((browser) => browser.close(), () => undefined)));
}

// Whatever a file's own hooks did, no browser outlives the run (a root-level hook, run once at the end).
after(closeAllBrowsers);

/**
 * A new page (in a context of its own) with the `en-GB` locale; an uncaught error in the page's
 * scripts is thrown in the test process, so no test passes over a broken page.
 *
 * @example
 * beforeEach(async function () { page = await openPage(browser, { viewport: { width: 1280, height: 800 } }); });
 */
export async function openPage(browser: Browser, options: Parameters<Browser["newPage"]>[0] = {}): Promise<Page> {
  const page = await browser.newPage({ locale: "en-GB", ...options });
  page.on("pageerror", (error) => {
    throw error;
  });
  return page;
}
