// The verifier page in a real browser (Debian chromium via playwright-core), loaded from the
// running service: drop a valid bundle → "Valid"; a revoked one → "revoked"; paste garbage → a
// format failure; keyboard and labels; and the same page opened from disk with its own settings.
import { expect } from "chai";
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import type { Server } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import pino from "pino";
import { chromium, type Browser, type Page } from "playwright-core";
import { createApp } from "../../src/api/app.ts";
import { webRoutes } from "../../src/api/web.ts";
import type { JsonObject } from "../../src/core/json.ts";
import type { Principal } from "../../src/issuer/types.ts";
import { loadTrustList } from "../../src/verifier/trust-files.ts";
import { buildWebPage } from "../../scripts/build-web.ts";
import { sampleBadge } from "../core/helpers.ts";
import { openStack, removeDir, runUntil, startChain, type Chain, type Stack } from "../helpers/stack.ts";

const OUT = join(process.cwd(), "test-output", "web");
const issuer1: Principal = { kind: "issuer", issuerId: 1, keyId: "k" };

describe("web/verify.html in headless Chromium, served by the service", function () {
  this.timeout(120_000);
  let chain: Chain;
  let stack: Stack;
  let server: Server;
  let base: string;
  let browser: Browser;
  let page: Page;
  let page_path: string;
  const files: Record<"valid" | "revoked", string> = { valid: "", revoked: "" };

  before(async function () {
    mkdirSync(OUT, { recursive: true });
    page_path = (await buildWebPage()).path;
    chain = await startChain();
    stack = await openStack(chain);
    const deploymentsDir = mkdtempSync(join(tmpdir(), "credanchor-web-books-"));
    const book = chain.addressBook("web-test");
    writeFileSync(join(deploymentsDir, "web-test.json"), JSON.stringify(book));
    const rpcUrls = { 31337: chain.url };
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

  /** Drops files on the drop zone the way a browser does (a DataTransfer with File objects). */
  async function dropFile(file: string): Promise<void> {
    const content = readFileSync(file, "utf8");
    const name = file.split("/").at(-1)!;
    const dataTransfer = await page.evaluateHandle(
      ({ content, name }) => {
        const dt = new DataTransfer();
        dt.items.add(new File([content], name, { type: "application/json" }));
        return dt;
      },
      { content, name },
    );
    await page.dispatchEvent("#drop", "dragover", { dataTransfer });
    await page.dispatchEvent("#drop", "drop", { dataTransfer });
  }

  const verdict = () => page.locator("#results .verdict-text").first().textContent({ timeout: 20_000 });

  it("default: dropping a valid bundle shows Valid, every check passed, the issuer, the time and the transaction", async function () {
    await page.goto(`${base}/verify`);
    await page.waitForSelector("body[data-ready=true]");
    await dropFile(files.valid);
    await page.waitForSelector("#results article");
    expect(await verdict()).to.equal("Valid");
    expect(await page.locator("#live").textContent()).to.equal("Valid.");
    expect(await page.locator("#results tr[data-outcome=pass]").count()).to.equal(7);
    const facts = await page.locator("#results dl").textContent();
    expect(facts).to.include("did:web:uni.example");
    const bundle = JSON.parse(readFileSync(files.valid, "utf8")) as { txHash: string; blockNumber: number };
    expect(facts).to.include(bundle.txHash);
    expect(facts).to.match(/Anchored\d{4}-\d\d-\d\dT/);
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
    await page.screenshot({ path: join(OUT, "revoked.png"), fullPage: true });
  });

  it("error: a pasted non-bundle fails the format check; several files at once get one report each", async function () {
    await page.goto(`${base}/verify`);
    await page.waitForSelector("body[data-ready=true]");
    await page.fill("#paste", '{"version": 1, "credential": "nope"}');
    await page.click("#verify");
    await page.waitForSelector("#results article");
    expect(await verdict()).to.equal("Invalid: not a readable proof bundle");
    await page.setInputFiles("#files", [files.valid, files.revoked]);
    await page.waitForFunction(() => document.querySelectorAll("#results article").length === 2);
    expect(await page.locator("#live").textContent()).to.equal("1 valid, 1 invalid, 0 could not be decided.");
    await page.screenshot({ path: join(OUT, "format-and-many.png"), fullPage: true });
  });

  it("behavior: keyboard and labels: every control is labelled and reachable with Tab; readable at 360 px", async function () {
    await page.setViewportSize({ width: 360, height: 740 });
    await page.goto(`${base}/verify`);
    await page.waitForSelector("body[data-ready=true]");
    const unlabelled = await page.evaluate(() =>
      Array.from(document.querySelectorAll("input, textarea")).filter((el) => !document.querySelector(`label[for="${el.id}"]`)).map((el) => el.id),
    );
    expect(unlabelled).to.deep.equal([]);
    const reached = new Set<string>();
    for (let k = 0; k < 12; k++) {
      await page.keyboard.press("Tab");
      reached.add(await page.evaluate(() => document.activeElement?.id || document.activeElement?.tagName || ""));
    }
    for (const id of ["files", "paste", "verify", "clear"]) expect([...reached], id).to.include(id);
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

  it("behavior: the built file works from disk with the RPC and the trusted registry set in Settings", async function () {
    await page.goto(pathToFileURL(page_path).href);
    await page.waitForSelector("body[data-ready=true]");
    await page.setInputFiles("#files", files.valid);
    await page.waitForSelector("#results article");
    // Nothing configured: the registry is unknown here (a page never trusts what it is not told).
    expect(await verdict()).to.equal("Invalid: anchored in a registry this page does not trust");
    await page.click("#settings-panel summary");
    await page.fill("#rpc", `31337=${chain.url}`);
    const books = await (await fetch(`${base}/deployments.json`)).text();
    await page.fill("#books", books);
    await page.click("#settings button[type=submit]");
    expect(await page.locator("#settings-status").textContent()).to.match(/Saved|Applied/);
    await page.setInputFiles("#files", []);
    await page.setInputFiles("#files", files.valid);
    await page.waitForFunction(() => document.querySelector("#results .verdict-text")?.textContent === "Valid", undefined, { timeout: 20_000 });
    await page.screenshot({ path: join(OUT, "from-disk.png"), fullPage: true });
  });

  it("behavior: the service sends the page with a strict Content-Security-Policy and its two config files", async function () {
    const response = await fetch(`${base}/verify`);
    expect(response.status).to.equal(200);
    expect(response.headers.get("content-security-policy")).to.match(/default-src 'none'; script-src 'sha256-/);
    const config = (await (await fetch(`${base}/verify-config.json`)).json()) as { rpc: Record<string, string> };
    expect(config.rpc["31337"]).to.equal(chain.url);
    const books = (await (await fetch(`${base}/deployments.json`)).json()) as { chainId: number }[];
    expect(books.map((b) => b.chainId)).to.deep.equal([31337]);
  });
});
