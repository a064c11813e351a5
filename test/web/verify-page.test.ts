// The verifier page in a real browser (Debian chromium via playwright-core), loaded from the
// running service: drop a valid bundle → "Valid"; a revoked one → "revoked"; paste garbage → a
// format failure; an unreachable RPC → "could not decide"; keyboard, labels, focus, contrast,
// phone width; and the same page opened from disk with its own settings.
import { expect } from "chai";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import type { Server } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import express from "express";
import pino from "pino";
import { chromium, type Browser, type Page } from "playwright-core";
import { createApp } from "../../src/api/app.ts";
import { webRoutes } from "../../src/api/web.ts";
import { getFreePort } from "../../src/chain/local-node.ts";
import type { JsonObject } from "../../src/core/json.ts";
import type { Principal } from "../../src/issuer/types.ts";
import { loadTrustList } from "../../src/verifier/trust-files.ts";
import { buildWebPage } from "../../scripts/build-web.ts";
import { sampleBadge } from "../core/helpers.ts";
import { ISSUER_IDENTITIES, openStack, removeDir, runUntil, startChain, type Chain, type Stack } from "../helpers/stack.ts";

const OUT = join(process.cwd(), "test-output", "web");
const issuer1: Principal = { kind: "issuer", issuerId: 1, keyId: "k" };

/**
 * Runs in the page (a string: the test transpiler's helpers do not exist there). WCAG 2 relative
 * luminance and contrast ratio of each visible text element against its first opaque background.
 */
const LOW_CONTRAST = `(() => {
  const rgba = (c) => (c.match(/[\\d.]+/g) || []).map(Number);
  const lin = (v) => ((v /= 255) <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4);
  const lum = ([r, g, b]) => 0.2126 * lin(r) + 0.7152 * lin(g) + 0.0722 * lin(b);
  const background = (el) => {
    for (; el; el = el.parentElement) {
      const c = rgba(getComputedStyle(el).backgroundColor);
      if (c.length === 3 || c[3] > 0.99) return c.slice(0, 3);
    }
    return [255, 255, 255];
  };
  const bad = [];
  for (const el of document.body.querySelectorAll("*")) {
    const hasText = Array.from(el.childNodes).some((n) => n.nodeType === Node.TEXT_NODE && n.textContent.trim());
    if (!hasText || !el.checkVisibility()) continue;
    const [hi, lo] = [lum(rgba(getComputedStyle(el).color)), lum(background(el))].sort((a, b) => b - a);
    const ratio = (hi + 0.05) / (lo + 0.05);
    if (ratio < 4.5) bad.push(el.tagName + "." + el.className + ' "' + el.textContent.trim().slice(0, 30) + '" ' + ratio.toFixed(2));
  }
  return bad;
})()`;

describe("web/verify.html in headless Chromium, served by the service", function () {
  this.timeout(120_000);
  let chain: Chain;
  let stack: Stack;
  let server: Server;
  let base: string;
  let browser: Browser;
  let page: Page;
  let page_path: string;
  let deploymentsDir: string;
  const files: Record<"valid" | "revoked" | "book", string> = { valid: "", revoked: "", book: "" };

  before(async function () {
    mkdirSync(OUT, { recursive: true });
    page_path = (await buildWebPage()).path;
    chain = await startChain();
    stack = await openStack(chain);
    deploymentsDir = mkdtempSync(join(tmpdir(), "credanchor-web-books-"));
    const book = chain.addressBook("web-test");
    writeFileSync(join(deploymentsDir, "web-test.json"), JSON.stringify(book));
    const rpcUrls = { 31337: chain.url };
    // The full API with the page's router mounted, as `credanchor serve` does.
    const app = createApp({
      service: stack.service,
      verify: { trust: loadTrustList({ dir: deploymentsDir }), rpc: rpcUrls },
      logger: pino({ level: "silent" }),
      routers: [webRoutes({ deploymentsDir, rpcUrls })],
    });
    server = app.listen(0, "127.0.0.1");
    await new Promise((r) => server.once("listening", r));
    base = `http://127.0.0.1:${(server.address() as { port: number }).port}`;

    // Two real credentials through the real pipeline; revoke the second on-chain.
    const badges = ["Web valid", "Web revoked"].map((name) => {
      const c = sampleBadge();
      ((c.credentialSubject as JsonObject).achievement as JsonObject).name = name;
      return c;
    });
    const { credentials } = await stack.service.submitCredentials(1, { credentials: badges });
    await runUntil(stack, () => credentials.every((c) => stack.service.getCredential(issuer1, c.id).state === "confirmed"));
    const change = stack.service.requestStatusChange(issuer1, { action: "revoke", credentialIds: [credentials[1]!.id] });
    await runUntil(stack, () => stack.service.getStatusChange(issuer1, change.change.id).state === "confirmed");
    const dir = mkdtempSync(join(tmpdir(), "credanchor-web-"));
    files.valid = join(dir, "valid-badge.json");
    files.revoked = join(dir, "revoked-badge.json");
    writeFileSync(files.valid, JSON.stringify(stack.service.getCredential(issuer1, credentials[0]!.id).bundle));
    writeFileSync(files.revoked, JSON.stringify(stack.service.getCredential(issuer1, credentials[1]!.id).bundle));
    files.book = join(dir, "my-chain.json");
    writeFileSync(files.book, JSON.stringify(book));

    browser = await chromium.launch({ executablePath: "/usr/bin/chromium", args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"] });
  });

  after(async function () {
    await browser?.close();
    await new Promise((r) => server?.close(r));
    await stack?.close();
    if (stack) removeDir(stack.dir);
    await chain?.stop();
  });

  beforeEach(async function () {
    page = await browser.newPage({ viewport: { width: 1024, height: 900 } });
    page.on("pageerror", (error) => {
      throw error;
    });
  });
  afterEach(async function () {
    await page?.close();
  });

  /** Drops files on `target` the way a browser does (a DataTransfer with File objects). */
  async function dropFiles(paths: string[], target = "#drop"): Promise<void> {
    const list = paths.map((file) => ({ content: readFileSync(file, "utf8"), name: file.split("/").at(-1)! }));
    const dataTransfer = await page.evaluateHandle((list) => {
      const dt = new DataTransfer();
      for (const { content, name } of list) dt.items.add(new File([content], name, { type: "application/json" }));
      return dt;
    }, list);
    await page.dispatchEvent(target, "dragover", { dataTransfer });
    await page.dispatchEvent(target, "drop", { dataTransfer });
  }

  /**
   * Every visible text on the page against its effective background: WCAG contrast ≥ 4.5:1.
   * Returns the offenders (element, text, ratio).
   */
  async function lowContrast(): Promise<string[]> {
    return page.evaluate(LOW_CONTRAST) as Promise<string[]>;
  }

  /** Waits (file reads are asynchronous) until the settings status line matches. */
  const settingsStatus = async (pattern: RegExp) => {
    await page.waitForFunction((source) => new RegExp(source).test(document.querySelector("#settings-status")?.textContent ?? ""), pattern.source, { timeout: 10_000 });
  };
  const verdict = () => page.locator("#results .verdict-text").first().textContent({ timeout: 20_000 });

  it("default: dropping a valid bundle shows Valid, every check passed, the issuer, the time and the transaction", async function () {
    await page.goto(`${base}/verify`);
    await page.waitForSelector("body[data-ready=true]");
    await dropFiles([files.valid]);
    await page.waitForSelector("#results article");
    expect(await verdict()).to.equal("Valid");
    expect(await page.locator("#live").textContent()).to.equal("Valid.");
    expect(await page.locator("#results tr[data-outcome=pass]").count()).to.equal(7);
    const facts = await page.locator("#results dl").textContent();
    expect(facts).to.include(ISSUER_IDENTITIES[1]);
    const bundle = JSON.parse(readFileSync(files.valid, "utf8")) as { txHash: string; blockNumber: number };
    expect(facts).to.include(bundle.txHash);
    expect(facts).to.match(/Anchored\d{4}-\d\d-\d\dT/);
    expect(await page.locator("#results .verdict span").first().textContent(), "an icon, not colour alone").to.equal("✓");
    expect(await lowContrast()).to.deep.equal([]);
    await page.screenshot({ path: join(OUT, "valid.png"), fullPage: true });
  });

  it("default: a revoked bundle (chosen with the file input) shows revoked, with the failing check", async function () {
    await page.goto(`${base}/verify`);
    await page.waitForSelector("body[data-ready=true]");
    await page.setInputFiles("#files", files.revoked);
    await page.waitForSelector("#results article");
    expect(await verdict()).to.equal("Invalid: revoked");
    const status = page.locator("#results tr[data-check=status]");
    expect(await status.getAttribute("data-outcome")).to.equal("fail");
    expect(await status.textContent()).to.match(/revoked/);
    expect(await status.locator("td.mark").textContent()).to.equal("✗");
    expect(await lowContrast()).to.deep.equal([]);
    await page.screenshot({ path: join(OUT, "revoked.png"), fullPage: true });
  });

  it("error: a pasted non-bundle fails the format check; several bundles at once (dropped anywhere, or pasted as an array) get one report each", async function () {
    await page.goto(`${base}/verify`);
    await page.waitForSelector("body[data-ready=true]");
    await page.fill("#paste", '{"version": 1, "credential": "nope"}');
    await page.click("#verify");
    await page.waitForSelector("#results article");
    expect(await verdict()).to.equal("Invalid: not a readable proof bundle");
    expect(await page.locator("#results tr[data-check=format]").getAttribute("data-outcome")).to.equal("fail");
    await page.fill("#paste", "this is not JSON {");
    await page.click("#verify");
    await page.waitForFunction(() => document.querySelector("#results .source")?.textContent === "pasted bundle" && document.querySelector("#live")?.textContent !== "Checking 1 bundle…");
    expect(await verdict()).to.equal("Invalid: not a readable proof bundle");
    await page.screenshot({ path: join(OUT, "format-error.png"), fullPage: true });
    // Dropped beside the zone: the page takes it (the browser must not navigate to the file).
    await dropFiles([files.valid, files.revoked], "header h1");
    await page.waitForFunction(() => document.querySelectorAll("#results article").length === 2);
    expect(await page.locator("#live").textContent()).to.equal("1 valid, 1 invalid, 0 could not be decided.");
    expect(page.url()).to.equal(`${base}/verify`);
    await page.screenshot({ path: join(OUT, "many.png"), fullPage: true });
    await page.click("#clear");
    await page.fill("#paste", `[${readFileSync(files.revoked, "utf8")}, ${readFileSync(files.valid, "utf8")}]`);
    await page.click("#verify");
    await page.waitForFunction(() => document.querySelectorAll("#results article").length === 2);
    expect(await page.locator("#results .verdict-text").allTextContents()).to.deep.equal(["Invalid: revoked", "Valid"]);
  });

  it("error: an unreachable RPC endpoint set in Settings gives \"Could not decide\", never valid; Reset brings the service's back", async function () {
    const deadPort = await getFreePort();
    await page.goto(`${base}/verify`);
    await page.waitForSelector("body[data-ready=true]");
    await page.click("#settings-panel summary");
    expect(await page.inputValue("#rpc")).to.equal(`31337=${chain.url}`);
    await page.fill("#rpc", `31337=http://127.0.0.1:${deadPort}`);
    await page.click("#settings button[type=submit]");
    expect(await page.locator("#settings-status").textContent()).to.equal("Saved.");
    await page.setInputFiles("#files", files.valid);
    await page.waitForSelector("#results article");
    expect(await verdict()).to.equal("Could not decide: RPC unreachable");
    expect(await page.locator("#results article").getAttribute("data-verdict")).to.equal("error");
    expect(await page.locator("#results .verdict span").first().textContent()).to.equal("?");
    expect(await page.locator("#results tr[data-check=anchored]").getAttribute("data-outcome")).to.equal("skip");
    expect(await lowContrast()).to.deep.equal([]);
    await page.screenshot({ path: join(OUT, "rpc-unreachable.png"), fullPage: true });
    // A bad line is refused, not half-saved.
    await page.fill("#rpc", "31337 = not a url");
    await page.click("#settings button[type=submit]");
    await settingsStatus(/^Not saved: /);
    await page.click("#reset");
    expect(await page.inputValue("#rpc")).to.equal(`31337=${chain.url}`);
    await page.setInputFiles("#files", []);
    await page.setInputFiles("#files", files.valid);
    await page.waitForFunction(() => document.querySelector("#results .verdict-text")?.textContent === "Valid", undefined, { timeout: 20_000 });
  });

  it("behavior: keyboard and labels: every control is labelled and reachable with Tab; readable at 360 px", async function () {
    await page.setViewportSize({ width: 360, height: 740 });
    await page.goto(`${base}/verify`);
    await page.waitForSelector("body[data-ready=true]");
    const unlabelled = await page.evaluate(() =>
      Array.from(document.querySelectorAll("input, textarea")).filter((el) => !document.querySelector(`label[for="${el.id}"]`)).map((el) => el.id),
    );
    expect(unlabelled).to.deep.equal([]);
    // Tab through the page: the main controls are reached, each with a visible focus ring (the
    // file input is visually hidden: its "Choose files…" label shows the ring instead).
    const reached = new Map<string, string>();
    for (let k = 0; k < 12; k++) {
      await page.keyboard.press("Tab");
      const [id, outline] = await page.evaluate(() => {
        const el = document.activeElement as HTMLElement;
        const shown = el.id === "files" ? document.querySelector("label[for=files]")! : el;
        const style = getComputedStyle(shown);
        return [el.id || el.tagName, `${style.outlineStyle} ${style.outlineWidth}`];
      });
      reached.set(id, outline);
    }
    for (const id of ["files", "paste", "verify", "clear", "SUMMARY"]) {
      expect([...reached.keys()], id).to.include(id);
      expect(reached.get(id), `focus ring on ${id}`).to.match(/^solid [3-9]px/);
    }
    // Keyboard only: paste, then Enter on the focused Verify button.
    await page.focus("#paste");
    await page.keyboard.insertText(readFileSync(files.valid, "utf8"));
    await page.focus("#verify");
    await page.keyboard.press("Enter");
    await page.waitForSelector("#results article");
    expect(await verdict()).to.equal("Valid");
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
    expect(overflow, "no horizontal scrolling on a phone").to.be.at.most(0);
    const clipped = await page.evaluate(() =>
      Array.from(document.querySelectorAll("#results td, #results dd")).filter((el) => el.scrollWidth > el.clientWidth + 1 || el.getBoundingClientRect().right > window.innerWidth).length,
    );
    expect(clipped, "no clipped result text on a phone").to.equal(0);
    await page.screenshot({ path: join(OUT, "phone.png"), fullPage: true });
  });

  it("behavior: the built file works from disk with the RPC, a loaded address book, private mode and an explorer set in Settings", async function () {
    await page.goto(pathToFileURL(page_path).href);
    await page.waitForSelector("body[data-ready=true]");
    await page.setInputFiles("#files", files.valid);
    await page.waitForSelector("#results article");
    // Nothing configured: the registry is unknown here (a page never trusts what it is not told).
    expect(await verdict()).to.equal("Invalid: anchored in a registry this page does not trust");
    await page.click("#settings-panel summary");
    await page.fill("#rpc", `31337=${chain.url}`);
    await page.setInputFiles("#book-files", files.book);
    await settingsStatus(/^Loaded 1 address book/);
    await page.fill("#explorer", "javascript:alert(1)//{tx}");
    await page.click("#settings button[type=submit]");
    await settingsStatus(/explorer URL must be http/);
    await page.fill("#explorer", "https://explorer.example/tx/{tx}");
    await page.check("#private");
    await page.click("#settings button[type=submit]");
    await settingsStatus(/Saved|Applied/);
    expect(await page.locator("#trusted").textContent()).to.match(/^1 address book trusted/);
    await page.setInputFiles("#files", []);
    await page.setInputFiles("#files", files.valid);
    await page.waitForFunction(() => document.querySelector("#results .verdict-text")?.textContent === "Valid", undefined, { timeout: 20_000 });
    const { txHash } = JSON.parse(readFileSync(files.valid, "utf8")) as { txHash: string };
    expect(await page.locator("#results dl a").getAttribute("href")).to.equal(`https://explorer.example/tx/${txHash}`);
    await page.screenshot({ path: join(OUT, "from-disk.png"), fullPage: true });
    // Saved in the browser: a reload keeps the settings.
    await page.reload();
    await page.waitForSelector("body[data-ready=true]");
    expect(await page.inputValue("#rpc")).to.equal(`31337=${chain.url}`);
    expect(await page.isChecked("#private")).to.equal(true);
  });

  it("behavior: the service sends the page with a strict Content-Security-Policy and its two config files; the chain answers CORS", async function () {
    const response = await fetch(`${base}/verify`);
    expect(response.status).to.equal(200);
    const csp = response.headers.get("content-security-policy")!;
    expect(csp).to.match(/^default-src 'none'; script-src 'sha256-[^ ;]+'; style-src 'sha256-[^ ;]+';/);
    expect(csp).to.include("frame-ancestors 'none'");
    expect(response.headers.get("cache-control")).to.equal("no-cache");
    expect(await response.text()).not.to.match(/<(script|link|img)[^>]+(src|href)=["']?https?:/i); // nothing loaded from elsewhere
    const slash = await fetch(`${base}/verify/`, { redirect: "manual" });
    expect([slash.status, slash.headers.get("location")]).to.deep.equal([301, "/verify"]);
    const configResponse = await fetch(`${base}/verify-config.json`);
    expect(configResponse.headers.get("access-control-allow-origin")).to.equal("*");
    const config = (await configResponse.json()) as { rpc: Record<string, string> };
    expect(config.rpc["31337"]).to.equal(chain.url);
    const books = (await (await fetch(`${base}/deployments.json`)).json()) as { chainId: number }[];
    expect(books.map((b) => b.chainId)).to.deep.equal([31337]);
    // The page (another origin, or file://) calls the node directly: Hardhat's node allows it.
    const preflight = await fetch(chain.url, {
      method: "OPTIONS",
      headers: { Origin: "http://verifier.example", "Access-Control-Request-Method": "POST", "Access-Control-Request-Headers": "content-type" },
    });
    expect(preflight.headers.get("access-control-allow-origin")).to.equal("*");
  });

  it("behavior: a service started without a built page builds it on the first request", async function () {
    rmSync(page_path);
    const app = express().use(webRoutes({ deploymentsDir, rpcUrls: { 31337: chain.url } }));
    const fresh = app.listen(0, "127.0.0.1");
    await new Promise((r) => fresh.once("listening", r));
    try {
      const response = await fetch(`http://127.0.0.1:${(fresh.address() as { port: number }).port}/verify`);
      expect(response.status).to.equal(200);
      expect(await response.text()).to.include("<title>Verify a credential");
      expect(existsSync(page_path)).to.equal(true);
    } finally {
      await new Promise((r) => fresh.close(r));
    }
  });
});
