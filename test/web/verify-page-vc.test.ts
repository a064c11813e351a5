// The verifier page on W3C VCs issued by credanchor (headless Chromium, one real stack): the anchor and on-chain
// status checked from the chain, each proof reported on its own (eddsa: not checked in the page, a warning; derived:
// not applicable), the status from the published Bitstring Status Lists beside the chain's (a stale list that
// disagrees is a warning naming it, an unreachable one "list unavailable"), an exported v1 bundle and a tampered VC. Screenshots at desktop and phone widths.
import { expect } from "chai";
import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import type { Browser, Page } from "playwright-core";
import { webRoutes } from "../../src/api/web.ts";
import type { JsonObject } from "../../src/core/json.ts";
import type { Principal } from "../../src/issuer/types.ts";
import { ANCHOR_CRYPTOSUITE, deriveCredential, proofsOf } from "../../src/vc/anchor-proof.ts";
import { exportBundleAsVc } from "../../src/vc/export-bundle.ts";
import { buildWebPage } from "../../scripts/build-web.ts";
import { call } from "../api/http.ts";
import { sampleBadge } from "../core/helpers.ts";
import { openBadge } from "../vc/fixtures.ts";
import { closeStack, openStack, removeDir, runUntil, startChain, type Chain, type Stack } from "../helpers/stack.ts";
import { closeAllBrowsers, launchChromium, openPage } from "../helpers/browser.ts";
import { serveVcApi, type VcService } from "../helpers/vc-service.ts";

const OUT = fileURLToPath(new URL("../../test-output/web-screens/", import.meta.url));
mkdirSync(OUT, { recursive: true });
const ISSUER_1: Principal = { kind: "issuer", issuerId: 1, keyId: "test" };
const SCREENS = [
  { kind: "desktop", width: 1280, height: 800 },
  { kind: "phone", width: 390, height: 844 },
] as const;

describe("web/verify.html on W3C VCs (headless Chromium, real service)", function () {
  this.timeout(240_000);
  let chain: Chain;
  let stack: Stack;
  let api: VcService;
  let browser: Browser;
  let page: Page;
  let booksDir: string;

  before(async function () {
    await buildWebPage();
    // A chain of its own: signing waits for the wall clock to pass the block that bound the
    // assertion key, and a shared node's clock runs ahead of it (a block a second at most).
    chain = await startChain();
    stack = await openStack(chain, { batch: { maxSize: 1000, maxWaitMs: 0 }, pollMs: 20 });
    booksDir = mkdtempSync(join(tmpdir(), "credanchor-web-vc-books-"));
    writeFileSync(join(booksDir, "web-vc-test.json"), JSON.stringify(chain.addressBook("web-vc-test")));
    api = await serveVcApi(chain, stack, { routers: [webRoutes({ deploymentsDir: booksDir, rpcUrls: { 31337: chain.url } })] });
    browser = await launchChromium();
  });

  after(async function () {
    await closeAllBrowsers();
    await api?.close();
    await closeStack(stack);
    await chain?.stop();
    if (booksDir) removeDir(booksDir);
  });

  beforeEach(async function () {
    page = await openPage(browser, { viewport: { width: 1280, height: 800 } });
    await page.goto(`${api.base}/verify`);
    await page.waitForSelector("body[data-ready=true]");
  });
  afterEach(async function () {
    await page?.close();
  });

  /** Issues a VC through the VC-API and returns its latest form once anchored (eddsa + anchor proofs, three status entries). */
  async function anchoredVc(name: string): Promise<JsonObject> {
    const { id: _id, issuer: _issuer, ...credential } = openBadge();
    ((credential.credentialSubject as JsonObject).achievement as JsonObject).name = name;
    const issued = await call(api.base, "POST", "/credentials/issue", { token: stack.tokens[1]!, body: { credential } });
    expect(issued.status, issued.text).to.equal(201);
    const serviceId = String(issued.body.verifiableCredential.id).split("/").at(-1)!;
    await runUntil(stack, async () => ["anchored", "confirmed"].includes((await stack.service.getCredential(ISSUER_1, serviceId)).state));
    return (await call(api.base, "GET", `/credentials/${serviceId}`, { token: stack.tokens[1]! })).body.verifiableCredential as JsonObject;
  }

  /** Pastes one credential, verifies it, and returns the verdict line. */
  async function verifyPasted(vc: JsonObject): Promise<string> {
    await page.locator("#results").evaluate((r) => r.replaceChildren());
    await page.fill("#paste", JSON.stringify(vc));
    await page.click("#verify");
    await page.waitForSelector("#results article .vc-panel", { timeout: 30_000 });
    return (await page.locator("#results .verdict-text").first().textContent())!;
  }

  const proof = (suite: string) => page.locator(`#results .proof[data-suite="${suite}"]`);
  const list = (purpose: string) => page.locator(`#results .lists li[data-purpose=${purpose}]`);

  async function screenshots(name: string): Promise<void> {
    for (const { kind, width, height } of SCREENS) {
      await page.setViewportSize({ width, height });
      await page.locator("#results article").first().evaluate((el) => el.scrollIntoView({ block: "start" }));
      await page.screenshot({ path: join(OUT, `vc-${name}-${kind}.png`) });
      const overflow = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
      expect(overflow, `${name}: no horizontal scrolling at ${width} px`).to.be.at.most(0);
    }
  }

  let valid: JsonObject;

  it("default: a valid VC: the certificate, the anchor proof verified from the chain, the eddsa proof a warning (not checked in the page), both lists read and agreeing with the chain", async function () {
    valid = await anchoredVc("VC valid");
    expect(await verifyPasted(valid)).to.equal("Valid");
    expect(await page.locator("#results article").getAttribute("data-form")).to.equal("vc");
    expect(await page.locator("#results .cert-title").textContent()).to.equal("VC valid");
    expect(await proof(ANCHOR_CRYPTOSUITE).getAttribute("data-outcome")).to.equal("pass");
    expect(await proof("eddsa-rdfc-2022").getAttribute("data-outcome")).to.equal("warn");
    expect(await proof("eddsa-rdfc-2022").textContent()).to.include("signature not checked in the page; use the CLI or an independent verifier");
    expect(await page.locator("#results .chain-status").textContent()).to.match(/^From the blockchain \(used\): ✓ not revoked, not suspended/);
    const entries = (valid.credentialStatus as JsonObject[]).filter((e) => e.type === "BitstringStatusListEntry");
    expect(await list("revocation").textContent()).to.include("revocation: not revoked, not set in the list issued by did:key:").and.include("its signature not checked").and.include(`(${String(entries[0]!.statusListCredential)}#${String(entries[0]!.statusListIndex)}); agrees with the chain`);
    expect(await list("suspension").getAttribute("data-agrees")).to.equal("true");
    expect(await page.locator("#results .list-warning").count()).to.equal(0);
    await screenshots("valid");
    // Lists that cannot be fetched: "list unavailable", the verdict from the chain alone.
    await page.route("**/status-lists/**", (route) => route.abort());
    expect(await verifyPasted(valid)).to.equal("Valid");
    expect(await list("revocation").textContent()).to.match(/^revocation: list unavailable \(.+\); not used: the chain decides$/);
    expect(await list("suspension").getAttribute("data-outcome")).to.equal("unavailable");
  });

  it("attack: revoked on-chain while the published list is stale: Invalid: revoked (the chain decides), a warning naming the list; one poll later the list agrees", async function () {
    const vc = await anchoredVc("VC revoked");
    expect(await verifyPasted(vc)).to.equal("Valid"); // the lists are built and cached now
    const change = await call(api.base, "POST", "/credentials/status", { token: stack.tokens[1]!, body: { credentialId: String(vc.id), credentialStatus: { type: "BitstringStatusListEntry", statusPurpose: "revocation" }, status: true } });
    expect(change.status, change.text).to.equal(200);
    await runUntil(stack, async () => (await stack.service.getStatusChange(ISSUER_1, change.body.statusChange.id)).state === "confirmed");
    expect(await verifyPasted(vc)).to.equal("Invalid: revoked");
    const url = String((vc.credentialStatus as JsonObject[])[0]!.statusListCredential);
    expect(await list("revocation").getAttribute("data-agrees")).to.equal("false");
    expect(await list("revocation").textContent()).to.include("DISAGREES with the chain");
    expect(await page.locator("#results .list-warning").textContent()).to.equal(`Warning: the published list ${url} says not revoked, the blockchain revoked: the blockchain's answer was used.`);
    await screenshots("list-disagrees");
    api.nextPoll();
    expect(await verifyPasted(vc)).to.equal("Invalid: revoked");
    expect(await list("revocation").textContent()).to.include("revocation: revoked").and.include("agrees with the chain");
    expect(await page.locator("#results .list-warning").count()).to.equal(0);
    await screenshots("revoked");
  });

  it("behavior: a derived VC (a field hidden, the holder kept the eddsa proof): Valid by its anchor proof, the eddsa proof \"does not apply\"", async function () {
    const derived = deriveCredential(valid, ["/credentialSubject/achievement/description"]);
    derived.proof = [...proofsOf(valid).filter((p) => p.cryptosuite !== ANCHOR_CRYPTOSUITE), ...proofsOf(derived)];
    expect(await verifyPasted(derived)).to.equal("Valid");
    expect(await proof(ANCHOR_CRYPTOSUITE).getAttribute("data-outcome")).to.equal("pass");
    expect(await proof("eddsa-rdfc-2022").getAttribute("data-outcome")).to.equal("skip");
    expect(await proof("eddsa-rdfc-2022").textContent()).to.include("does not apply: a derived credential (fields hidden)");
    expect(await page.locator("#results .certificate dd[data-field=hidden]").textContent()).to.equal("1 field withheld by the holder");
    await screenshots("derived");
  });

  it("behavior: an exported v1 bundle: Valid, no issuer signature (anchor-only), the chain alone gives its status; tampered VC: Invalid, the anchor proof fails", async function () {
    const { credentials } = await stack.service.submitCredentials(1, { credentials: [sampleBadge()] });
    await runUntil(stack, async () => (await stack.service.getCredential(ISSUER_1, credentials[0]!.id)).state === "confirmed");
    const exported = exportBundleAsVc((await stack.service.getCredential(ISSUER_1, credentials[0]!.id)).bundle!);
    expect(await verifyPasted(exported)).to.equal("Valid");
    expect(await proof("issuer signature").textContent()).to.include("none: an anchor-only credential (or an exported v1 bundle)");
    expect(await proof(ANCHOR_CRYPTOSUITE).getAttribute("data-outcome")).to.equal("pass");
    expect(await page.locator("#results .vc-panel").textContent()).to.include("No Bitstring Status List entry in this credential");
    await screenshots("exported-v1");

    const forged = structuredClone(valid);
    ((forged.credentialSubject as JsonObject).achievement as JsonObject).name = "Forged";
    expect(await verifyPasted(forged)).to.equal("Invalid: the credential was changed");
    expect(await proof(ANCHOR_CRYPTOSUITE).getAttribute("data-outcome")).to.equal("fail");
    await screenshots("tampered");
  });
});
