// The verifier page in a real browser (Debian chromium via playwright-core), loaded from the
// running service: the certificate of a valid, revoked (date, reason), suspended, tampered (the
// field named), expired and spoofed-issuer credential; paste garbage → a format failure; an
// unreachable RPC → "could not decide"; keyboard, labels, focus, contrast, desktop and phone
// widths; and the same page opened from disk with its own settings.
import { expect } from "chai";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import type { Server } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { build } from "esbuild";
import express from "express";
import pino from "pino";
import type { Browser, Page } from "playwright-core";
import { createApp } from "../../src/api/app.ts";
import { webRoutes } from "../../src/api/web.ts";
import { getFreePort } from "../../src/chain/local-node.ts";
import type { JsonObject } from "../../src/core/json.ts";
import type { Principal } from "../../src/issuer/types.ts";
import { loadTrustList } from "../../src/verifier/trust-files.ts";
import { buildWebPage, shippedBooks } from "../../scripts/build-web.ts";
import { sampleBadge } from "../core/helpers.ts";
import { closeStack, ISSUER_IDENTITIES, openStack, runUntil, sharedChain, type Chain, type Stack } from "../helpers/stack.ts";
import { closeAllBrowsers, launchChromium, openPage } from "../helpers/browser.ts";

/** Screenshots go to test-output/web-screens/ (ignored by git), replaced at every run. */
const OUT = fileURLToPath(new URL("../../test-output/web-screens/", import.meta.url));
mkdirSync(OUT, { recursive: true });
const issuer1: Principal = { kind: "issuer", issuerId: 1, keyId: "k" };

/** A medal as an SVG data URI, with a script inside that must never run (an <img> is sandboxed). */
const MEDAL = `data:image/svg+xml;base64,${Buffer.from(
  '<svg xmlns="http://www.w3.org/2000/svg" width="112" height="112" viewBox="0 0 112 112"><circle cx="56" cy="56" r="50" fill="#c9a227"/><circle cx="56" cy="56" r="38" fill="#e8c547"/><text x="56" y="66" font-size="30" text-anchor="middle" fill="#5a4300">TW</text><script>top.__pwned = 1</script></svg>',
).toString("base64")}`;

/** The sample Open Badge with what a real one carries: holder, image, alignment; `name` for the achievement. */
function richBadge(name: string): JsonObject {
  const c = sampleBadge();
  const subject = c.credentialSubject as JsonObject;
  subject.identifier = [{ type: "IdentityObject", identityHash: "Ada Lovelace", identityType: "name", hashed: false }];
  const achievement = subject.achievement as JsonObject;
  achievement.name = name;
  achievement.image = { id: MEDAL, type: "Image", caption: "A gold medal" };
  achievement.alignment = [{ type: ["Alignment"], targetName: "Work in teams", targetUrl: "https://esco.example/skill/teamwork", targetFramework: "ESCO" }];
  return c;
}

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

/** The widths every verdict is photographed at: a desktop and a phone screen. */
const SCREENS = [
  { kind: "desktop", width: 1280, height: 800 },
  { kind: "phone", width: 390, height: 844 },
] as const;

/**
 * `<name>-desktop.png` and `<name>-phone.png` of the first report, scrolled to its top, and no
 * horizontal scrolling on the phone; the viewport is restored afterwards.
 */
async function screenshots(target: Page, name: string): Promise<void> {
  const before = target.viewportSize();
  for (const { kind, width, height } of SCREENS) {
    await target.setViewportSize({ width, height });
    await target.locator("#results article").first().evaluate((el) => el.scrollIntoView({ block: "start" }));
    await target.screenshot({ path: join(OUT, `${name}-${kind}.png`) });
    const overflow = await target.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
    expect(overflow, `${name}: no horizontal scrolling at ${width} px`).to.be.at.most(0);
  }
  if (before) await target.setViewportSize(before);
}

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
  const files: Record<"valid" | "revoked" | "suspended" | "book", string> = { valid: "", revoked: "", suspended: "", book: "" };

  before(async function () {
    console.log(`      screenshots: ${OUT}`);
    page_path = (await buildWebPage()).path;
    chain = await sharedChain();
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

    // Three real credentials through the real pipeline; revoke the second (reason 3) and
    // suspend the third (reason 2) on-chain. The second's name tries to inject markup.
    const badges = [richBadge("Web valid"), richBadge('Web revoked <img src=x onerror="top.__pwned=1">'), richBadge("Web suspended")];
    const { credentials } = await stack.service.submitCredentials(1, { credentials: badges });
    await runUntil(stack, async () => (await Promise.all(credentials.map(async (c) => (await stack.service.getCredential(issuer1, c.id)).state === "confirmed"))).every(Boolean));
    for (const [k, action, reason] of [[1, "revoke", 3], [2, "suspend", 2]] as const) {
      const change = await stack.service.requestStatusChange(issuer1, { action, credentialIds: [credentials[k]!.id], reason });
      await runUntil(stack, async () => (await stack.service.getStatusChange(issuer1, change.change.id)).state === "confirmed");
    }
    const dir = mkdtempSync(join(tmpdir(), "credanchor-web-"));
    for (const [k, name] of (["valid", "revoked", "suspended"] as const).entries()) {
      files[name] = join(dir, `${name}-badge.json`);
      writeFileSync(files[name], JSON.stringify((await stack.service.getCredential(issuer1, credentials[k]!.id)).bundle));
    }
    files.book = join(dir, "my-chain.json");
    writeFileSync(files.book, JSON.stringify(book));

    browser = await launchChromium();
  });

  after(async function () {
    await closeAllBrowsers();
    await new Promise((r) => server?.close(r));
    await closeStack(stack);
  });

  beforeEach(async function () {
    page = await openPage(browser, { viewport: { width: 1024, height: 900 } });
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

  const field = (name: string) => page.locator(`#results .certificate dd[data-field=${name}]`).first().textContent();
  const sentence = () => page.locator("#results .sentence").first().textContent();
  const ready = async (url = `${base}/verify`) => {
    await page.goto(url);
    await page.waitForSelector("body[data-ready=true]");
  };
  /** The first report's certificate title is wholly inside the viewport (above the fold). */
  const titleInView = async () => {
    const box = (await page.locator("#results .cert-title").first().boundingBox())!;
    const { height } = page.viewportSize()!;
    return box.y >= 0 && box.y + box.height <= height;
  };

  it("default: a valid badge reads as a certificate (what, for whom, by whom, dates in the reader's locale, criteria, skills, image), then the verdict sentence, then the checks folded", async function () {
    await page.setViewportSize({ width: 1280, height: 800 });
    await ready();
    await dropFiles([files.valid]);
    await page.waitForSelector("#results article");
    expect(await verdict()).to.equal("Valid");
    expect(await page.locator("#live").textContent()).to.equal("Valid.");
    expect(await page.locator("#results .cert-title").textContent()).to.equal("Web valid");
    expect(await page.locator("#results .certificate .description").textContent()).to.match(/^This badge recognizes/);
    expect(await field("holder")).to.equal("Ada Lovelace");
    const issuer = await field("issuer");
    expect(issuer, "the issuer is the chain's name and identity (v2: set by the accreditor)").to.match(/^University/);
    expect(issuer).to.include("University✓ verified on the blockchain: did:web:uni.example · issuer 1 on chain 31337");
    expect(issuer, "the credential's own claim, shown as a claim").to.include("named in the credential: Example University");
    expect(await field("validFrom")).to.equal("1 May 2024"); // en-GB
    expect(await field("validUntil")).to.equal("1 May 2029");
    expect(await field("criteria")).to.match(/^Team members are nominated/);
    expect(await field("skills")).to.equal("Work in teams (ESCO)");
    const image = page.locator("#results .badge-image");
    expect(await image.getAttribute("alt")).to.equal("A gold medal");
    expect(await image.evaluate((img: HTMLImageElement) => img.complete && img.naturalWidth > 0), "the data URI image is shown").to.equal(true);
    expect(await page.evaluate(() => (window as { __pwned?: number }).__pwned), "the image's script never runs").to.equal(undefined);
    expect(await sentence()).to.equal("This credential is valid: University issued it to Ada Lovelace; it is recorded on the blockchain, has not been revoked, and is valid until 1 May 2029.");
    // The checks are there, folded.
    const details = page.locator("#results details.checks");
    expect(await details.evaluate((d: HTMLDetailsElement) => d.open)).to.equal(false);
    expect(await details.locator("summary").textContent()).to.equal("How this was checked: 7 checks, none failed");
    expect(await page.locator("#results tr[data-outcome=pass]").count()).to.equal(7);
    expect(await titleInView(), "the certificate is above the fold at 1280×800").to.equal(true);
    expect(await page.locator("#results .verdict span").first().textContent(), "an icon, not colour alone").to.equal("✓");
    expect(await lowContrast()).to.deep.equal([]);
    await screenshots(page, "valid");
    await details.locator("summary").click();
    const facts = await page.locator("#results .anchor-facts").textContent();
    expect(facts).to.include(ISSUER_IDENTITIES[1]);
    const bundle = JSON.parse(readFileSync(files.valid, "utf8")) as { txHash: string; blockNumber: number };
    expect(facts).to.include(bundle.txHash);
    expect(facts).to.match(/Anchored\d{4}-\d\d-\d\dT/);
    expect(await lowContrast()).to.deep.equal([]);
    await page.screenshot({ path: join(OUT, "desktop-valid-checks.png"), fullPage: true });
  });

  it("default: a revoked badge (chosen with the file input) says when (block time) and why (reason code); its markup-like name stays text", async function () {
    await page.setViewportSize({ width: 1280, height: 800 });
    await ready();
    await page.setInputFiles("#files", files.revoked);
    await page.waitForSelector("#results article");
    expect(await verdict()).to.equal("Invalid: revoked");
    expect(await page.locator("#results .cert-title").textContent()).to.equal('Web revoked <img src=x onerror="top.__pwned=1">');
    expect(await page.locator("#results .certificate img").count(), "only the badge image, no injected one").to.equal(1);
    const note = await page.locator("#results .status-note").textContent();
    expect(note).to.match(/^Revoked on \d{1,2} \w+ \d{4}(,| at) \d\d:\d\d · reason code 3 · block \d+$/);
    expect(await sentence()).to.match(/^This credential is no longer valid: University revoked it on \d{1,2} \w+ \d{4}\.$/);
    const status = page.locator("#results tr[data-check=status]");
    expect(await status.getAttribute("data-outcome")).to.equal("fail");
    expect(await status.textContent()).to.match(/revoked/);
    expect(await status.locator("td.mark").textContent()).to.equal("✗");
    expect(await page.locator("#results details.checks summary").textContent()).to.equal("How this was checked: 7 checks, 1 failed");
    expect(await page.evaluate(() => (window as { __pwned?: number }).__pwned)).to.equal(undefined);
    expect(await titleInView()).to.equal(true);
    expect(await lowContrast()).to.deep.equal([]);
    await screenshots(page, "revoked");
  });

  it("default: a suspended badge says suspended, when and why", async function () {
    await ready();
    await page.setInputFiles("#files", files.suspended);
    await page.waitForSelector("#results article");
    expect(await verdict()).to.equal("Invalid: suspended");
    const note = page.locator("#results .status-note");
    expect(await note.getAttribute("data-status")).to.equal("SUSPENDED");
    expect(await note.textContent()).to.match(/^Suspended on .+ · reason code 2 · block \d+$/);
    expect(await sentence()).to.match(/^This credential is suspended: University suspended it on .+; it is not valid while suspended\.$/);
    expect(await lowContrast()).to.deep.equal([]);
    await screenshots(page, "suspended");
  });

  it("behavior: a tampered badge names the changed field: alone where the bundle tells (validUntil), and against its original verified with it (the name)", async function () {
    await page.setViewportSize({ width: 1280, height: 800 });
    await ready();
    const original = JSON.parse(readFileSync(files.valid, "utf8")) as { credential: JsonObject };
    const renamed = structuredClone(original);
    ((renamed.credential.credentialSubject as JsonObject).achievement as JsonObject).name = "Doctor of Medicine";
    await page.fill("#paste", JSON.stringify([renamed, original]));
    await page.click("#verify");
    await page.waitForFunction(() => document.querySelectorAll("#results article").length === 2);
    expect(await page.locator("#results .verdict-text").allTextContents()).to.deep.equal(["Invalid: the credential was changed", "Valid"]);
    expect(await page.locator("#results .changed-fields li").first().getAttribute("data-path")).to.equal("/credentialSubject/achievement/name");
    expect(await sentence()).to.equal("Do not trust this credential: it was changed after it was issued (/credentialSubject/achievement/name).");
    expect(await page.locator("#results .cert-facts dd[data-field=issuer]").first().textContent()).to.match(/^Example University\s*not verified/);
    expect(await lowContrast()).to.deep.equal([]);
    await screenshots(page, "tampered");
    // Alone, an extended expiry is still named: the credential no longer matches the bundle's own number.
    const extended = structuredClone(original);
    extended.credential.validUntil = "2099-01-01T00:00:00Z";
    await page.fill("#paste", JSON.stringify(extended));
    await page.click("#verify");
    await page.waitForFunction(() => document.querySelectorAll("#results article").length === 1);
    expect(await page.locator("#results .changed-fields li").first().getAttribute("data-path")).to.equal("/validUntil");
    // An edited value with nothing to compare with: changed, which field cannot be told.
    await page.fill("#paste", JSON.stringify(renamed));
    await page.click("#verify");
    await page.waitForFunction(() => /cannot be told/.test(document.querySelector("#results .changed-note")?.textContent ?? ""));
  });

  it("behavior: an expired badge says until when it was valid", async function () {
    await page.clock.setFixedTime(new Date("2030-01-01T00:00:00Z"));
    await ready();
    await page.setInputFiles("#files", files.valid);
    await page.waitForSelector("#results article");
    expect(await verdict()).to.equal("Invalid: expired");
    expect(await sentence()).to.equal("This credential has expired: it was valid until 1 May 2029.");
    expect(await field("validUntil")).to.equal("1 May 2029");
    await screenshots(page, "expired");
  });

  it("behavior: a report whose credential names another issuer than the anchoring one shows the chain's identity and a warning (report.issuer, read defensively); a generic credential gets a key / value view", async function () {
    // The renderer itself, bundled as the page bundles it, fed with a real bundle and the report
    // the verifier gives when the issuer check fails (ISSUER_MISMATCH).
    const bundled = await build({ entryPoints: ["web/report-view.ts"], bundle: true, write: false, format: "iife", globalName: "ReportView", platform: "browser", logLevel: "silent" });
    const context = await browser.newContext({ bypassCSP: true, locale: "en-GB", viewport: { width: 1280, height: 800 } });
    const spoofPage = await context.newPage();
    try {
      await spoofPage.goto(`${base}/verify`);
      await spoofPage.waitForSelector("body[data-ready=true]");
      await spoofPage.addScriptTag({ content: bundled.outputFiles[0]!.text });
      const bundle = JSON.parse(readFileSync(files.valid, "utf8")) as Record<string, unknown>;
      const check = (name: string, outcome: string, code: string, message: string) => ({ name, outcome, code, message });
      const report = (issuer: unknown, issuerCheck: ReturnType<typeof check>) => ({
        verdict: issuerCheck.outcome === "fail" ? "invalid" : "valid",
        checks: [
          check("format", "pass", "OK", "proof bundle version 1"), check("integrity", "pass", "OK", "ok"), check("inclusion", "pass", "OK", "ok"),
          check("anchored", "pass", "ANCHORED", "ok"), issuerCheck, check("status", "pass", "ACTIVE", "ok"), check("validity", "pass", "OK", "ok"),
        ],
        bundle,
        anchor: { issuerId: 2, issuerMetadataURI: "did:web:academy.example", signer: "0x0000000000000000000000000000000000000002", anchoredAt: 1764633600, blockNumber: 9, txHash: bundle.txHash, chainId: 31337, registry: bundle.registry },
        ...(issuer === undefined ? {} : { issuer }),
      });
      const show = (r: unknown) =>
        spoofPage.evaluate((r) => {
          const view = (window as unknown as { ReportView: { renderReport: (s: string, r: unknown, e: unknown) => HTMLElement } }).ReportView;
          document.querySelector("#results")!.replaceChildren(view.renderReport("spoofed.json", r, {}));
          document.querySelector("#results article")!.scrollIntoView({ block: "start" });
        }, r);
      await show(report({ issuerId: 2, claimed: "https://example.edu/issuers/565049", onChain: "did:web:academy.example", matches: false }, check("issuer", "fail", "ISSUER_MISMATCH", "the credential names https://example.edu/issuers/565049; issuer 2 is did:web:academy.example")));
      const issuer = spoofPage.locator("#results dd[data-field=issuer]");
      expect(await spoofPage.locator("#results .verdict-text").textContent()).to.equal("Invalid: not issued by the issuer it names");
      expect(await issuer.locator(".issuer-name").textContent(), "never the credential's own name").to.equal("did:web:academy.example");
      const warning = spoofPage.locator("#results .issuer-warning");
      expect(await warning.getAttribute("role")).to.equal("alert");
      expect(await warning.textContent()).to.equal("⚠ Not the issuer it names. The credential claims to be issued by https://example.edu/issuers/565049, but it was recorded on the blockchain by did:web:academy.example.");
      expect(await spoofPage.locator("#results .sentence").textContent()).to.equal("Do not trust this credential: it names an issuer that did not record it on the blockchain.");
      expect(await spoofPage.evaluate(LOW_CONTRAST)).to.deep.equal([]);
      await screenshots(spoofPage, "spoofed-issuer");
      // Matching: the on-chain name is the issuer; no warning. Malformed: ignored, as without the field.
      await show(report({ issuerId: 2, claimed: "did:web:academy.example", onChain: "did:web:academy.example", name: "Example Academy", matches: true }, check("issuer", "pass", "AUTHORISED", "ok")));
      expect(await issuer.locator(".issuer-name").textContent()).to.equal("Example Academy");
      expect(await spoofPage.locator("#results .issuer-warning").count()).to.equal(0);
      await show(report({ matches: "no" }, check("issuer", "pass", "AUTHORISED", "ok")));
      expect(await issuer.locator(".issuer-name").textContent()).to.equal("did:web:academy.example");
      // A credential that is not a badge: its subject as a clean key / value list.
      bundle.credential = {
        "@context": ["https://www.w3.org/ns/credentials/v2"],
        type: ["VerifiableCredential", "EmploymentCredential"],
        issuer: "did:web:academy.example",
        credentialSubject: { id: "did:example:worker", employer: { name: "ACME" }, role: "Engineer", skills: ["Welding", "Safety"] },
      };
      await show(report(undefined, check("issuer", "pass", "AUTHORISED", "ok")));
      expect(await spoofPage.locator("#results .kind").textContent()).to.equal("Verifiable credential");
      expect(await spoofPage.locator("#results .cert-title").textContent()).to.equal("EmploymentCredential");
      expect(await spoofPage.locator("#results dd[data-field=holder]").textContent()).to.equal("did:example:worker");
      const rows = await spoofPage.locator("#results .cert-facts dt").allTextContents();
      expect(rows).to.include.members(["employer › name", "role", "skills › 1", "skills › 2"]);
      expect(await spoofPage.locator('#results dd[data-field="/credentialSubject/role"]').textContent()).to.equal("Engineer");
      await spoofPage.screenshot({ path: join(OUT, "generic-credential.png") });
    } finally {
      await context.close();
    }
  });

  it("error: a pasted non-bundle fails the format check; several bundles at once (dropped anywhere, or pasted as an array) get one report each", async function () {
    await page.goto(`${base}/verify`);
    await page.waitForSelector("body[data-ready=true]");
    await page.fill("#paste", '{"version": 1, "credential": "nope"}');
    await page.click("#verify");
    await page.waitForSelector("#results article");
    expect(await verdict()).to.equal("Invalid: not a readable proof bundle");
    expect(await page.locator("#results tr[data-check=format]").getAttribute("data-outcome")).to.equal("fail");
    expect(await page.locator("#results tr[data-check=format]").textContent(), "zod's English messages survive the page's slim zod").to.include("expected record");
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
    // A duplicate-name decoy in a pasted array (a reader sees the first "credential", JSON.parse
    // keeps the last): the one strict parser refuses the whole paste.
    const real = readFileSync(files.valid, "utf8");
    const decoy = `{"credential": {"name": "Doctor of Medicine"}, ${real.trim().slice(1)}`;
    await page.fill("#paste", `[${decoy}]`);
    await page.click("#verify");
    await page.waitForFunction(() => document.querySelectorAll("#results article").length === 1);
    expect(await verdict()).to.equal("Invalid: not a readable proof bundle");
    expect(await page.locator("#results tr[data-check=format]").textContent()).to.include("duplicate member name");
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
    expect(await titleInView(), "the certificate is in view on a phone").to.equal(true);
    expect(await lowContrast()).to.deep.equal([]);
    await page.screenshot({ path: join(OUT, "phone-valid.png") });
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
    // The books shipped in deployments/ (an operator adds theirs there), plus the one loaded.
    const trusted = shippedBooks().length + 1;
    expect(await page.locator("#trusted").textContent()).to.match(new RegExp(`^${trusted} address books? trusted`));
    await page.setInputFiles("#files", []);
    await page.setInputFiles("#files", files.valid);
    await page.waitForFunction(() => document.querySelector("#results .verdict-text")?.textContent === "Valid", undefined, { timeout: 20_000 });
    const { txHash } = JSON.parse(readFileSync(files.valid, "utf8")) as { txHash: string };
    expect(await page.locator("#results .anchor-facts a").getAttribute("href")).to.equal(`https://explorer.example/tx/${txHash}`);
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
    expect(statSync(page_path).size, "the page stays small (docs/verifier.md)").to.be.below(850 * 1024);
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
