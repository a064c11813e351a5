// The holder's side of the verifier page in headless Chromium: ticking fields and downloading the
// derived bundle (made in the browser, nothing sent), and a QR code read from an image file.
import { expect } from "chai";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import type { Server } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import express from "express";
import QRCode from "qrcode";
import { chromium, type Browser, type Page } from "playwright-core";
import { webRoutes } from "../../src/api/web.ts";
import { decodeBundle, type Bundle } from "../../src/core/bundle.ts";
import type { JsonObject } from "../../src/core/json.ts";
import { qrVerifyUrl } from "../../src/issuer/certificate-pdf.ts";
import type { Principal } from "../../src/issuer/types.ts";
import { createTrustList } from "../../src/verifier/trust.ts";
import { verifyBundle } from "../../src/verifier/verify-bundle.ts";
import { buildWebPage } from "../../scripts/build-web.ts";
import { sampleBadge } from "../core/helpers.ts";
import { openStack, removeDir, runUntil, startChain, type Chain, type Stack } from "../helpers/stack.ts";

const issuer1: Principal = { kind: "issuer", issuerId: 1, keyId: "k" };
const BIRTH_DATE = "1815-12-10";
const HOLDER_EMAIL = "ada.secret-mail@holder.example";

/** A badge with two personal fields the holder may want to withhold. */
function personalBadge(): JsonObject {
  const c = sampleBadge();
  const subject = c.credentialSubject as JsonObject;
  subject.birthDate = BIRTH_DATE;
  subject.email = HOLDER_EMAIL;
  (subject.achievement as JsonObject).name = "Holder page badge";
  return c;
}

describe("web/verify.html: the holder's tools in headless Chromium", function () {
  this.timeout(120_000);
  let chain: Chain;
  let stack: Stack;
  let server: Server;
  let base: string;
  let browser: Browser;
  let page: Page;
  let bundleFile: string;
  let bundle: Bundle;
  let dir: string;
  const trust = () => createTrustList([chain.addressBook("holder-test")]);

  before(async function () {
    await buildWebPage();
    chain = await startChain();
    stack = await openStack(chain);
    const deploymentsDir = mkdtempSync(join(tmpdir(), "credanchor-holder-books-"));
    writeFileSync(join(deploymentsDir, "holder-test.json"), JSON.stringify(chain.addressBook("holder-test")));
    server = express().use(webRoutes({ deploymentsDir, rpcUrls: { 31337: chain.url } })).listen(0, "127.0.0.1");
    await new Promise((r) => server.once("listening", r));
    base = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
    const { credentials } = await stack.service.submitCredentials(1, { credentials: [personalBadge()] });
    const id = credentials[0]!.id;
    await runUntil(stack, () => stack.service.getCredential(issuer1, id).state === "confirmed");
    bundle = (await stack.service.getCredential(issuer1, id)).bundle!;
    dir = mkdtempSync(join(tmpdir(), "credanchor-holder-"));
    bundleFile = join(dir, "ada-badge.json");
    writeFileSync(bundleFile, JSON.stringify(bundle));
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
    page = await browser.newPage({ viewport: { width: 1280, height: 800 }, locale: "en-GB", acceptDownloads: true });
    page.on("pageerror", (error) => {
      throw error;
    });
    await page.goto(`${base}/verify`);
    await page.waitForSelector("body[data-ready=true]");
  });
  afterEach(async function () {
    await page?.close();
  });

  const verdict = () => page.locator("#results .verdict-text").first().textContent({ timeout: 20_000 });

  it("behavior: unticking fields downloads a derived bundle made in the browser: it verifies, holds no hidden value, and no request carried one", async function () {
    const sent: string[] = [];
    page.on("request", (request) => sent.push(`${request.url()} ${request.postData() ?? ""}`));
    await page.setInputFiles("#files", bundleFile);
    await page.waitForSelector("#results article");
    expect(await verdict()).to.equal("Valid");
    const panel = page.locator("#results details.disclose");
    await panel.locator("summary").click();
    const box = (pointer: string) => panel.locator(`input[value="${pointer}"]`);
    expect(await box("/credentialSubject/birthDate").isChecked(), "every field is shared until unticked").to.equal(true);
    expect(await panel.locator(`label[for="${await box("/credentialSubject/email").getAttribute("id")}"]`).textContent()).to.equal(`/credentialSubject/email ${HOLDER_EMAIL}`);
    // Unticking a container hides (and disables) everything under it; ticking it again gives them back.
    await box("/credentialSubject/achievement").uncheck();
    expect(await box("/credentialSubject/achievement/name").isDisabled()).to.equal(true);
    await box("/credentialSubject/achievement").check();
    expect(await box("/credentialSubject/achievement/name").isChecked()).to.equal(true);
    await box("/credentialSubject/birthDate").uncheck();
    await box("/credentialSubject/email").uncheck();
    await page.screenshot({ path: join(dir, "disclose.png") });
    const [download] = await Promise.all([page.waitForEvent("download"), panel.locator("button.download-derived").click()]);
    expect(download.suggestedFilename()).to.equal("ada-badge-shared.json");
    const saved = join(dir, "derived.json");
    await download.saveAs(saved);
    expect(await panel.locator(".disclose-status").textContent()).to.equal("Downloaded: 2 fields hidden (/credentialSubject/birthDate, /credentialSubject/email).");

    const bytes = readFileSync(saved);
    for (const secret of [BIRTH_DATE, HOLDER_EMAIL, "birthDate", "secret-mail"]) expect(bytes.includes(secret), secret).to.equal(false);
    const derived = decodeBundle(bytes.toString("utf8"));
    expect(derived.hiddenFieldHashes).to.have.length(2);
    expect((derived.credential.credentialSubject as JsonObject).achievement).to.deep.equal((bundle.credential.credentialSubject as JsonObject).achievement);
    const report = await verifyBundle(derived, { trust: trust(), rpc: { 31337: chain.url } });
    expect(report.verdict, JSON.stringify(report.checks)).to.equal("valid");
    // Only the page's own files and read-only eth_calls went out; none carried a hidden value.
    expect(sent.length).to.be.greaterThan(0);
    for (const line of sent) expect(line).not.to.match(/1815-12-10|secret-mail/);

    // The downloaded bundle, dropped back on the page, verifies there too and says fields are withheld.
    await page.setInputFiles("#files", saved);
    await page.waitForFunction(() => document.querySelector("#results .source")?.textContent === "derived.json");
    expect(await verdict()).to.equal("Valid");
    expect(await page.locator("#results dd[data-field=hidden]").textContent()).to.equal("2 fields withheld by the holder");
  });

  it("error: nothing unticked: the page asks for a field to hide and downloads nothing", async function () {
    await page.setInputFiles("#files", bundleFile);
    await page.waitForSelector("#results article");
    await page.locator("#results details.disclose summary").click();
    let downloads = 0;
    page.on("download", () => downloads++);
    await page.locator("#results button.download-derived").click();
    expect(await page.locator("#results .disclose-status").textContent()).to.equal("Untick at least one field to hide.");
    expect(downloads).to.equal(0);
  });
});
