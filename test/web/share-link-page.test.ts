// A share link opened on the verifier page in headless Chromium: `/verify#share=<token>` fetches
// the disclosed bundle from the service and verifies it against the chain in the page; a revoked
// link says why, and a QR code holding a share link opens it too.
import { expect } from "chai";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import QRCode from "qrcode";
import type { Browser, Page } from "playwright-core";
import { webRoutes } from "../../src/api/web.ts";
import type { JsonObject } from "../../src/core/json.ts";
import type { Principal } from "../../src/issuer/types.ts";
import { buildWebPage } from "../../scripts/build-web.ts";
import { sampleBadge } from "../core/helpers.ts";
import { closeStack, openStack, runUntil, serveApi, sharedChain, type Chain, type Stack } from "../helpers/stack.ts";
import { closeAllBrowsers, launchChromium, openPage } from "../helpers/browser.ts";

const issuer1: Principal = { kind: "issuer", issuerId: 1, keyId: "k" };
const BIRTH_DATE = "1815-12-10";

describe("web/verify.html: share links in headless Chromium", function () {
  this.timeout(120_000);
  let chain: Chain;
  let stack: Stack;
  let api: Awaited<ReturnType<typeof serveApi>>;
  let browser: Browser;
  let page: Page;
  let id: string;
  let dir: string;

  before(async function () {
    await buildWebPage();
    chain = await sharedChain();
    stack = await openStack(chain);
    dir = mkdtempSync(join(tmpdir(), "credanchor-share-page-"));
    writeFileSync(join(dir, "share-test.json"), JSON.stringify(chain.addressBook("share-test")));
    api = await serveApi(stack, { routers: [webRoutes({ deploymentsDir: dir, rpcUrls: { 31337: chain.url } })] });
    const badge = sampleBadge();
    const subject = badge.credentialSubject as JsonObject;
    subject.birthDate = BIRTH_DATE;
    (subject.achievement as JsonObject).name = "Shared badge";
    ({ id } = (await stack.service.submitCredentials(1, { credentials: [badge] })).credentials[0]!);
    await runUntil(stack, async () => (await stack.service.getCredential(issuer1, id)).bundle !== undefined);
    browser = await launchChromium();
  });

  after(async function () {
    await closeAllBrowsers();
    await api?.close();
    await closeStack(stack);
  });

  beforeEach(async function () {
    page = await openPage(browser, { viewport: { width: 1280, height: 800 } });
  });
  afterEach(async function () {
    await page?.close();
  });

  const verdict = () => page.locator("#results .verdict-text").first().textContent({ timeout: 20_000 });

  it("default: /verify#share=<token> opens with the disclosed credential loaded and verified; the hidden field is nowhere on the page; a revoked link says so", async function () {
    const link = await stack.service.createShareLink({ principal: issuer1 }, id, { hide: ["/credentialSubject/birthDate"] });
    await page.goto(`${api.base}/verify#share=${link.token}`);
    await page.waitForSelector("body[data-ready=true]");
    await page.waitForSelector("#results article");
    expect(await verdict()).to.equal("Valid");
    expect(await page.locator("#results .source").textContent()).to.equal("share link");
    expect(await page.locator("#results .cert-title").textContent()).to.equal("Shared badge");
    expect(await page.locator("#results dd[data-field=hidden]").textContent()).to.equal("1 field withheld by the holder");
    expect(await page.content()).not.to.contain(BIRTH_DATE);
    await page.screenshot({ path: join(dir, "share-link.png") });

    await stack.service.revokeShareLink({ principal: issuer1 }, id, link.id);
    await page.reload();
    await page.waitForSelector("body[data-ready=true]");
    await page.waitForSelector("#results article");
    expect(await page.locator("#results .source").textContent()).to.match(/^share link: this share link was revoked at .*: ask the holder for a new one$/);
    expect(await verdict()).to.equal("Invalid: not a readable proof bundle");
  });

  it("behavior: a QR code holding a share link (a large credential's certificate) opens and verifies it", async function () {
    const link = await stack.service.createShareLink({ principal: issuer1 }, id, {});
    const png = join(dir, "share-qr.png");
    writeFileSync(png, await QRCode.toBuffer(`${api.base}/verify#share=${link.token}`, { errorCorrectionLevel: "M", margin: 4, scale: 4, type: "png" }));
    await page.goto(`${api.base}/verify`);
    await page.waitForSelector("body[data-ready=true]");
    await page.setInputFiles("#files", png);
    await page.waitForSelector("#results article");
    expect(await verdict()).to.equal("Valid");
    expect(await page.locator("#results .cert-title").textContent()).to.equal("Shared badge");
  });
});
