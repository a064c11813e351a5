// The holder's side of the verifier page in headless Chromium: ticking fields and downloading the
// derived bundle (made in the browser, nothing sent), and a printed certificate's QR code read
// from an image file and from a camera (Chromium's fake camera playing a video of the code).
import { expect } from "chai";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import type { Server } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import express from "express";
import QRCode from "qrcode";
import type { Browser, Page } from "playwright-core";
import { webRoutes } from "../../src/api/web.ts";
import { decodeBundle, type Bundle } from "../../src/core/bundle.ts";
import type { JsonObject } from "../../src/core/json.ts";
import { qrVerifyUrl } from "../../src/issuer/certificate-pdf.ts";
import type { Principal } from "../../src/issuer/types.ts";
import { createTrustList } from "../../src/verifier/trust.ts";
import { verifyBundle } from "../../src/verifier/verify-bundle.ts";
import { buildWebPage } from "../../scripts/build-web.ts";
import { sampleBadge } from "../core/helpers.ts";
import { closeStack, openStack, runUntil, sharedChain, type Chain, type Stack } from "../helpers/stack.ts";
import { closeAllBrowsers, launchChromium, openPage } from "../helpers/browser.ts";

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

/**
 * A one-frame YUV4MPEG2 video (what Chromium's fake camera plays) of the QR code of `text`:
 * black modules on white, 4 pixels each, with the quiet zone.
 */
function qrVideo(text: string): Buffer {
  const { modules } = QRCode.create(text, { errorCorrectionLevel: "L" });
  const scale = 4;
  const side = (modules.size + 8) * scale + (((modules.size + 8) * scale) % 2);
  const luma = Buffer.alloc(side * side, 235);
  for (let y = 0; y < side; y++) {
    for (let x = 0; x < side; x++) {
      const [my, mx] = [Math.floor(y / scale) - 4, Math.floor(x / scale) - 4];
      if (my >= 0 && mx >= 0 && my < modules.size && mx < modules.size && modules.get(my, mx)) luma[y * side + x] = 16;
    }
  }
  const chroma = Buffer.alloc((side / 2) * (side / 2) * 2, 128);
  return Buffer.concat([Buffer.from(`YUV4MPEG2 W${side} H${side} F10:1 Ip A1:1 C420jpeg\nFRAME\n`), luma, chroma]);
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
    chain = await sharedChain();
    stack = await openStack(chain);
    const deploymentsDir = mkdtempSync(join(tmpdir(), "credanchor-holder-books-"));
    writeFileSync(join(deploymentsDir, "holder-test.json"), JSON.stringify(chain.addressBook("holder-test")));
    server = express().use(webRoutes({ deploymentsDir, rpcUrls: { 31337: chain.url } })).listen(0, "127.0.0.1");
    await new Promise((r) => server.once("listening", r));
    base = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
    const { credentials } = await stack.service.submitCredentials(1, { credentials: [personalBadge()] });
    const id = credentials[0]!.id;
    await runUntil(stack, async () => (await stack.service.getCredential(issuer1, id)).state === "confirmed");
    bundle = (await stack.service.getCredential(issuer1, id)).bundle!;
    dir = mkdtempSync(join(tmpdir(), "credanchor-holder-"));
    bundleFile = join(dir, "ada-badge.json");
    writeFileSync(bundleFile, JSON.stringify(bundle));
    browser = await launchChromium();
  });

  after(async function () {
    await closeAllBrowsers();
    await new Promise((r) => server?.close(r));
    await closeStack(stack);
  });

  beforeEach(async function () {
    page = await openPage(browser, { viewport: { width: 1280, height: 800 }, acceptDownloads: true });
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

  it("behavior: a photo of a certificate's QR code (an image file) opens and verifies the bundle it carries", async function () {
    const url = qrVerifyUrl(bundle, `${base}/verify`)!;
    expect(url, "the bundle fits in a QR code").to.be.a("string");
    const png = join(dir, "certificate-qr.png");
    writeFileSync(png, await QRCode.toBuffer(url, { errorCorrectionLevel: "L", margin: 4, scale: 4, type: "png" }));
    await page.setInputFiles("#files", png);
    await page.waitForSelector("#results article");
    expect(await verdict()).to.equal("Valid");
    expect(await page.locator("#results .cert-title").textContent()).to.equal("Holder page badge");
    expect(await page.locator("#results .source").textContent()).to.equal("QR code in certificate-qr.png");
    // An image with no QR code in it: said so, and nothing is valid.
    const blank = join(dir, "blank.png");
    writeFileSync(blank, Buffer.from("iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAQAAAC1HAwCAAAAC0lEQVR42mP8/x8AAwMCAO+ip1sAAAAASUVORK5CYII=", "base64"));
    await page.setInputFiles("#files", blank);
    await page.waitForFunction(() => /no QR code/.test(document.querySelector("#results .source")?.textContent ?? ""));
    expect(await page.locator("#results .source").textContent()).to.equal("QR code in blank.png: no QR code could be read");
    expect(await verdict()).to.equal("Invalid: not a readable proof bundle");
  });

  it("behavior: where the browser has a camera the scan button appears, reads the QR code from the video and verifies it; without one there is no button", async function () {
    const video = join(dir, "qr.y4m");
    writeFileSync(video, qrVideo(qrVerifyUrl(bundle, `${base}/verify`)!));
    const cameraBrowser = await launchChromium(["--use-fake-device-for-media-stream", "--use-fake-ui-for-media-stream", `--use-file-for-fake-video-capture=${video}`]);
    try {
      const context = await cameraBrowser.newContext({ locale: "en-GB", permissions: ["camera"] });
      const camPage = await context.newPage();
      await camPage.goto(`${base}/verify`);
      await camPage.waitForSelector("body[data-ready=true]");
      const button = camPage.locator("#qr-camera");
      expect(await button.isVisible()).to.equal(true);
      await button.click();
      await camPage.waitForSelector("#results article", { timeout: 30_000 });
      expect(await camPage.locator("#results .verdict-text").textContent()).to.equal("Valid");
      expect(await camPage.locator("#results .source").textContent()).to.equal("QR code (camera)");
      expect(await camPage.locator("#qr-video").isHidden(), "the camera is released").to.equal(true);
      expect(await button.textContent()).to.equal("Scan a QR code with the camera");
    } finally {
      await cameraBrowser.close();
    }
    // No camera API (as on a page without one): no button.
    await page.addInitScript(() => Object.defineProperty(navigator, "mediaDevices", { value: undefined }));
    await page.reload();
    await page.waitForSelector("body[data-ready=true]");
    expect(await page.locator("#qr-camera").isVisible()).to.equal(false);
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
