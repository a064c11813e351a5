// The printable certificate, end to end: GET /v1/credentials/{id}/pdf from the real service, its
// text parsed (pdfjs-dist), its QR image taken out of the PDF and decoded (jsQR) to a
// /verify#b=… URL whose bundle verifies, and that URL opened in headless Chromium verifies too.
import { inflateSync } from "node:zlib";
import { expect } from "chai";
import type { Server } from "node:http";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import * as fontkit from "fontkit";
import jsQRModule from "jsqr";
import { PDFDict, PDFDocument, PDFName, PDFNumber, PDFRawStream } from "pdf-lib";
import { getDocument } from "pdfjs-dist/legacy/build/pdf.mjs";
import pino from "pino";
import { PNG } from "pngjs";
import type { Browser } from "playwright-core";
import { createApp } from "../../src/api/app.ts";
import { webRoutes } from "../../src/api/web.ts";
import { decodeCompactBundle } from "../../src/core/bundle-compact.ts";
import { base64urlToBytes } from "../../src/core/encoding.ts";
import type { JsonObject } from "../../src/core/json.ts";
import { certificatePdf, qrVerifyUrl, QR_MAX_CHARS } from "../../src/issuer/certificate-pdf.ts";
import type { Principal } from "../../src/issuer/types.ts";
import { loadTrustList } from "../../src/verifier/trust-files.ts";
import { verifyBundle, type VerifyOptions } from "../../src/verifier/verify-bundle.ts";
import { buildWebPage } from "../../scripts/build-web.ts";
import { call, expectDocumented, expectError } from "../api/http.ts";
import { sampleBadge } from "../core/helpers.ts";
import { closeStack, ISSUER_IDENTITIES, openStack, runUntil, sharedChain, type Chain, type Stack } from "../helpers/stack.ts";
import { closeAllBrowsers, launchChromium, openPage } from "../helpers/browser.ts";

// A CommonJS module: its default export sits on `default` (and is the module itself at run time).
const jsQR = jsQRModule.default;
const issuer1: Principal = { kind: "issuer", issuerId: 1, keyId: "k" };
const HOLDER = "Grace B. Hopper-Certified";

/** pdfjs-dist's metrics of the 14 standard fonts (the certificate embeds its own: asked for, never used). */
const STANDARD_FONTS = new URL("../../node_modules/pdfjs-dist/standard_fonts/", import.meta.url).pathname;

/** The text of every page, items joined by spaces. */
async function pdfText(bytes: Uint8Array): Promise<string> {
  const task = getDocument({ data: bytes.slice(), disableFontFace: true, useSystemFonts: false, standardFontDataUrl: STANDARD_FONTS });
  const doc = await task.promise;
  const parts: string[] = [];
  for (let p = 1; p <= doc.numPages; p++) {
    const content = await (await doc.getPage(p)).getTextContent();
    parts.push(content.items.map((i) => ("str" in i ? i.str : "")).join(" "));
  }
  await task.destroy();
  return parts.join("\n");
}

/** The RGB images drawn in a PDF, as RGBA pixels (pdf-lib stores a PNG's pixels Flate-compressed). */
async function pdfImages(bytes: Uint8Array): Promise<{ width: number; height: number; rgba: Uint8ClampedArray }[]> {
  const doc = await PDFDocument.load(bytes);
  const images = [];
  for (const [, object] of doc.context.enumerateIndirectObjects()) {
    if (!(object instanceof PDFRawStream) || object.dict.get(PDFName.of("Subtype")) !== PDFName.of("Image")) continue;
    if (object.dict.get(PDFName.of("ColorSpace")) !== PDFName.of("DeviceRGB")) continue;
    const width = (object.dict.get(PDFName.of("Width")) as PDFNumber).asNumber();
    const height = (object.dict.get(PDFName.of("Height")) as PDFNumber).asNumber();
    expect(object.dict.get(PDFName.of("Filter"))).to.equal(PDFName.of("FlateDecode"));
    const rgb = inflateSync(object.contents);
    const rgba = new Uint8ClampedArray(width * height * 4);
    for (let i = 0; i < width * height; i++) rgba.set([rgb[3 * i]!, rgb[3 * i + 1]!, rgb[3 * i + 2]!, 255], 4 * i);
    images.push({ width, height, rgba });
  }
  return images;
}

/** The fonts a PDF embeds, by PostScript name (without the subset's tag: "ABCDEF+" or pdf-lib's "-1234"). */
async function pdfFonts(bytes: Uint8Array): Promise<string[]> {
  const doc = await PDFDocument.load(bytes);
  const names: string[] = [];
  for (const [, object] of doc.context.enumerateIndirectObjects()) {
    if (!(object instanceof PDFDict) || object.get(PDFName.of("Type")) !== PDFName.of("Font")) continue;
    names.push(String(object.get(PDFName.of("BaseFont"))).replace(/^\/([A-Z]{6}\+)?/, "").replace(/-\d+$/, ""));
  }
  return names;
}

/**
 * How many glyphs of each embedded TrueType subset have no outline (glyph 0 and spaces aside):
 * a broken subset loses outlines while its text still extracts.
 */
async function glyphsWithoutOutline(bytes: Uint8Array): Promise<Record<string, number>> {
  const doc = await PDFDocument.load(bytes);
  const out: Record<string, number> = {};
  for (const [, object] of doc.context.enumerateIndirectObjects()) {
    if (!(object instanceof PDFDict) || object.get(PDFName.of("Type")) !== PDFName.of("FontDescriptor")) continue;
    const file = doc.context.lookup(object.get(PDFName.of("FontFile2")));
    if (!(file instanceof PDFRawStream)) continue;
    const font = fontkit.create(inflateSync(file.contents)) as unknown as { numGlyphs: number; getGlyph(id: number): { path: { commands: unknown[] }; advanceWidth: number } };
    const name = String(object.get(PDFName.of("FontName"))).replace(/^\/([A-Z]{6}\+)?/, "").replace(/-\d+$/, "");
    out[name] = 0;
    for (let id = 1; id < font.numGlyphs; id++) if (font.getGlyph(id).path.commands.length === 0) out[name]++;
  }
  return out;
}

describe("the printable certificate (PDF with a verifying QR code)", function () {
  this.timeout(180_000);
  let chain: Chain;
  let stack: Stack;
  let server: Server;
  let base: string;
  let doc: any;
  let browser: Browser;
  let verify: VerifyOptions;
  let ids: string[];

  before(async function () {
    await buildWebPage();
    chain = await sharedChain();
    stack = await openStack(chain);
    const deploymentsDir = mkdtempSync(join(tmpdir(), "credanchor-pdf-books-"));
    writeFileSync(join(deploymentsDir, "pdf-test.json"), JSON.stringify(chain.addressBook("pdf-test")));
    const rpcUrls = { 31337: chain.url };
    verify = { trust: loadTrustList({ dir: deploymentsDir }), rpc: rpcUrls };
    const app = createApp({ service: stack.service, verify, logger: pino({ level: "silent" }), routers: [webRoutes({ deploymentsDir, rpcUrls })] });
    server = app.listen(0, "127.0.0.1");
    await new Promise((r) => server.once("listening", r));
    base = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
    doc = (await call(base, "GET", "/openapi.json")).body;

    const badge = sampleBadge();
    (badge.credentialSubject as JsonObject).name = HOLDER;
    const { credentials } = await stack.service.submitCredentials(1, { credentials: [badge] });
    ids = credentials.map((c) => c.id);
    await runUntil(stack, async () => (await Promise.all(ids.map(async (id) => (await stack.service.getCredential(issuer1, id)).state === "confirmed"))).every(Boolean));
    browser = await launchChromium();
  });

  after(async function () {
    await closeAllBrowsers();
    await new Promise((r) => server?.close(r));
    await closeStack(stack);
  });

  it("default: the PDF names holder, achievement and issuer (as the chain records it); its QR decodes to a /verify#b= link whose bundle verifies; Chromium opening it says Valid", async function () {
    const r = await call(base, "GET", `/v1/credentials/${ids[0]}/pdf`, { token: stack.tokens[1]! });
    expect(r.status, r.text.slice(0, 200)).to.equal(200);
    expectDocumented(doc, r);
    expect(r.headers.get("content-type")).to.equal("application/pdf");
    const bytes = new Uint8Array(await (await fetch(`${base}/v1/credentials/${ids[0]}/pdf`, { headers: { authorization: `Bearer ${stack.tokens[1]!}` } })).arrayBuffer());
    expect(new TextDecoder().decode(bytes.slice(0, 5))).to.equal("%PDF-");
    expect((await PDFDocument.load(bytes)).getPageCount()).to.equal(1);

    const text = await pdfText(bytes);
    expect(text).to.include(HOLDER);
    expect(text).to.include("Teamwork"); // the achievement
    expect(text).to.include(ISSUER_IDENTITIES[1]); // the issuer's on-chain identity
    expect(text).to.include("2024-05-01").and.include("2029-05-01");
    expect(text).to.not.include("WARNING");

    const images = await pdfImages(bytes);
    expect(images).to.have.length(1);
    const { width, height, rgba } = images[0]!;
    const decoded = jsQR(rgba, width, height);
    expect(decoded, "the QR code in the PDF decodes").to.not.equal(null);
    const url = decoded!.data;
    expect(url.startsWith(`${base}/verify#b=`), url.slice(0, 80)).to.equal(true);
    const bundle = decodeCompactBundle(base64urlToBytes(url.split("#b=")[1]!)!);
    expect(bundle).to.deep.equal((await stack.service.getCredential(issuer1, ids[0]!)).bundle);
    expect((await verifyBundle(bundle, verify)).verdict).to.equal("valid");

    const page = await openPage(browser, { viewport: { width: 390, height: 844 } });
    try {
      await page.goto(url);
      await page.waitForSelector("body[data-ready=true]", { timeout: 30_000 });
      expect(await page.locator("#results .verdict-text").first().textContent()).to.equal("Valid");
      expect(await page.locator("#results .certificate dd[data-field=holder]").first().textContent()).to.equal(HOLDER);
      // A broken fragment is a format failure, never a crash.
      await page.goto(`${base}/verify#b=AAAA`);
      await page.waitForSelector("body[data-ready=true]");
      expect(await page.locator("#results .verdict-text").first().textContent()).to.match(/^Invalid/);
    } finally {
      await page.close();
    }
  });

  it("behavior: the embedded QR image is the one made for the URL (pixels equal), and only issuer keys get PDFs", async function () {
    const bundle = (await stack.service.getCredential(issuer1, ids[0]!)).bundle!;
    const made = await certificatePdf({ bundle, credentialId: ids[0]!, verifierUrl: `${base}/verify` });
    const png = PNG.sync.read(Buffer.from(made.qr.png));
    const [image] = await pdfImages(made.pdf);
    expect([image!.width, image!.height]).to.deep.equal([png.width, png.height]);
    for (let i = 0; i < png.width * png.height; i++) expect(image!.rgba[4 * i]).to.equal(png.data[4 * i]);
    expect(made.qr.holdsBundle).to.equal(true);
    // Without the chain's word the page says the issuer is as the credential states.
    expect(await pdfText(made.pdf)).to.include("as the credential states");
    expectError(await call(base, "GET", `/v1/credentials/${ids[0]}/pdf`, { token: stack.tokens[2]! }), 404, "NOT_FOUND");
    expectError(await call(base, "GET", `/v1/credentials/${ids[0]}/pdf`, { token: stack.adminToken }), 403, "FORBIDDEN");
    expectError(await call(base, "GET", `/v1/credentials/${ids[0]}/pdf`), 401, "UNAUTHORIZED");
  });

  it("behavior: names in any script print exactly (Unicode fonts embedded as subsets; the Han font only when needed)", async function () {
    const bundle = (await stack.service.getCredential(issuer1, ids[0]!)).bundle!;
    const subject = bundle.credential.credentialSubject as JsonObject;
    const achievement = { ...(subject.achievement as JsonObject), name: "Ωmega Ścisłość" };
    const names = ["Zoë Łukasiewicz", "李小龍", "Зоя Ωmega ✓"];
    const credential = { ...bundle.credential, credentialSubject: { ...subject, name: names.join(" · "), achievement } };
    const made = await certificatePdf({ bundle: { ...bundle, credential }, credentialId: ids[0]!, verifierUrl: `${base}/verify`, issuer: { issuerId: 1, onChain: ISSUER_IDENTITIES[1], name: "Université de Genève", matches: true } });
    const text = await pdfText(made.pdf);
    for (const name of [...names, "Ωmega Ścisłość", "Université de Genève"]) expect(text, name).to.include(name);
    expect(new Set(await pdfFonts(made.pdf))).to.deep.equal(new Set(["DejaVuSans", "DejaVuSans-Bold", "NotoSansTC-Regular", "NotoSansTC-Bold"]));
    expect(made.pdf.length, "subsets, not the 7 MB Han font").to.be.below(200_000);
    // Every glyph drawn has its outline (spaces aside): pdf-lib's fontkit 1 lost most Han ones here.
    const empty = await glyphsWithoutOutline(made.pdf);
    expect(empty).to.have.keys("DejaVuSans", "DejaVuSans-Bold", "NotoSansTC-Regular", "NotoSansTC-Bold");
    for (const [font, count] of Object.entries(empty)) expect(count, font).to.be.at.most(1);
    // A Latin-only certificate carries no Han font; a decomposed "e + ◌̈" prints composed.
    const latin = await certificatePdf({ bundle: { ...bundle, credential: { ...credential, credentialSubject: { ...subject, name: "Zoe\u0308 Łukasiewicz" } } }, credentialId: ids[0]!, verifierUrl: `${base}/verify` });
    expect(await pdfText(latin.pdf)).to.include("Zoë Łukasiewicz");
    expect((await pdfFonts(latin.pdf)).some((f) => f.startsWith("NotoSansTC"))).to.equal(false);
  });

  it("behavior: a spoofed issuer gets a printed warning; text no font has prints as '?', never fails; a credential too large for a QR gets the page's address", async function () {
    const bundle = (await stack.service.getCredential(issuer1, ids[0]!)).bundle!;
    const identity = { issuerId: 1, onChain: ISSUER_IDENTITIES[1], claimed: "did:web:evil.example", matches: false };
    const spoof = await certificatePdf({ bundle: { ...bundle, credential: { ...bundle.credential, credentialSubject: { name: "Ωmega \u{13000}\u{13001} end\u202e" } } }, credentialId: ids[0]!, verifierUrl: `${base}/verify`, issuer: identity });
    const text = await pdfText(spoof.pdf);
    expect(text).to.include("WARNING: the credential names did:web:evil.example");
    expect(text).to.include("Ωmega ?? end");

    const big = { ...bundle, credential: { ...bundle.credential, description: "x".repeat(QR_MAX_CHARS) } };
    expect(qrVerifyUrl(big, `${base}/verify`)).to.equal(undefined);
    const made = await certificatePdf({ bundle: big, credentialId: ids[0]!, verifierUrl: `${base}/verify` });
    expect(made.qr.holdsBundle).to.equal(false);
    const [image] = await pdfImages(made.pdf);
    expect(jsQR(image!.rgba, image!.width, image!.height)!.data).to.equal(`${base}/verify`);
  });
});
