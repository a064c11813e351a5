// Share links (issue 15) over the real service and HTTP: made by the issuer or the holder, opened
// by anyone with the token, serving only the disclosed fields; revoked, expired, erased.
import { expect } from "chai";
import { decodeBundle } from "../../src/core/bundle.ts";
import type { JsonObject } from "../../src/core/json.ts";
import * as S from "../../src/api/schemas.ts";
import { certificatePdf } from "../../src/issuer/certificate-pdf.ts";
import { sampleBadge } from "../core/helpers.ts";
import { closeStack, openStack, runUntil, serveApi, sharedChain, type Chain, type Stack } from "../helpers/stack.ts";
import { call as callHttp, expectDocumented, expectError, type Call } from "./http.ts";

/** A value that must never leave the server through a link that hides it. */
const SECRET = "Zanzibar-birth-1999-12-31";

const badge = (name: string): JsonObject => {
  const c = sampleBadge();
  const subject = c.credentialSubject as JsonObject;
  (subject.achievement as JsonObject).name = name;
  subject.birthDate = SECRET;
  return c;
};

describe("share links (HTTP, real service)", function () {
  this.timeout(120_000);
  let chain: Chain;
  let stack: Stack;
  let api: Awaited<ReturnType<typeof serveApi>>;
  let doc: any;
  let offset = 0;
  let issuer: string;
  let ids: string[];

  const call = async (method: string, path: string, options: Parameters<typeof callHttp>[3] = {}): Promise<Call> => {
    const r = await callHttp(api.base, method, path, options);
    expectDocumented(doc, r);
    return r;
  };
  const links = (id: string) => `/v1/credentials/${id}/share-links`;
  const holderKeyOf = async (id: string) => {
    const r = await call("POST", `/v1/credentials/${id}/holder-key`, { token: issuer });
    expect(r.status, r.text).to.equal(201);
    expect(S.HolderKeyResponse.safeParse(r.body).success).to.equal(true);
    return r.body.holderKey as string;
  };
  const open = (token: string) => call("GET", `/v1/share/${token}`);

  before(async function () {
    chain = await sharedChain();
    stack = await openStack(chain, { now: () => Date.now() + offset });
    issuer = stack.tokens[1]!;
    api = await serveApi(stack, { publicUrl: "https://issuer.example" });
    doc = (await callHttp(api.base, "GET", "/openapi.json")).body;
    const large = badge("Share large");
    ((large.credentialSubject as JsonObject).achievement as JsonObject).description = "A long description. ".repeat(150);
    const submitted = await call("POST", "/v1/credentials", { token: issuer, body: { credentials: [badge("Share A"), badge("Share B"), badge("Share C"), large] } });
    ids = submitted.body.credentials.map((c: { id: string }) => c.id);
    const principal = { kind: "issuer", issuerId: 1, keyId: "t" } as const;
    await runUntil(stack, async () => (await Promise.all(ids.map((id) => stack.service.getCredential(principal, id)))).every((c) => c.bundle !== undefined));
  });

  after(async function () {
    await api?.close();
    await closeStack(stack);
  });

  it("default: the issuer creates a link hiding a field; it opens (no key) to a bundle that verifies and holds no hidden value, nor does its row", async function () {
    const created = await call("POST", links(ids[0]!), { token: issuer, body: { hide: ["/credentialSubject/birthDate"] } });
    expect(created.status, created.text).to.equal(201);
    expect(S.ShareLinkCreated.safeParse(created.body).success).to.equal(true);
    expect(created.body).to.include({ credentialId: ids[0], state: "active", createdBy: "issuer" });
    expect(created.body.token).to.match(/^csl_[0-9a-f]{16}_[A-Za-z0-9_-]{43}$/);
    expect(created.body.url).to.equal(`https://issuer.example/verify#share=${created.body.token}`);

    const opened = await open(created.body.token);
    expect(opened.status, opened.text).to.equal(200);
    expect(opened.headers.get("access-control-allow-origin")).to.equal("*");
    expect(opened.text).not.to.contain(SECRET);
    const bundle = decodeBundle(opened.text);
    expect(((bundle.credential as JsonObject).credentialSubject as JsonObject).birthDate).to.equal(undefined);
    expect(((bundle.credential as JsonObject).credentialSubject as JsonObject).achievement).to.deep.include({ name: "Share A" });
    const verified = await call("POST", "/v1/verify", { body: { bundle: opened.body } });
    expect(verified.body.results[0].verdict, JSON.stringify(verified.body)).to.equal("valid");

    const [row] = await stack.rows("SELECT * FROM share_links WHERE id = ?", created.body.id);
    expect(String(row!.bundle)).not.to.contain(SECRET);
    expect(String(row!.bundle)).to.equal(opened.text);
    expect(Buffer.from(row!.secret_hash as Uint8Array).toString("hex")).not.to.contain(Buffer.from(created.body.token).toString("hex"));
    expect(JSON.stringify(row)).not.to.contain(created.body.token.slice(22));
    const listed = await call("GET", links(ids[0]!), { token: issuer });
    expect(listed.body.links).to.have.length(1);
    expect(listed.text).not.to.contain(created.body.token.slice(22));
    expect(listed.body.links[0]).to.deep.include({ id: created.body.id, hidden: ["/credentialSubject/birthDate"] });
  });

  it("behavior: the holder, with the holder key and no API key, creates, lists and revokes links; a revoked link answers 410 SHARE_LINK_REVOKED", async function () {
    const holderKey = await holderKeyOf(ids[1]!);
    const created = await call("POST", links(ids[1]!), { token: holderKey, body: { hide: ["/credentialSubject/birthDate", "/credentialSubject/id"] } });
    expect(created.status, created.text).to.equal(201);
    expect(created.body.createdBy).to.equal("holder");
    const byIssuer = await call("POST", links(ids[1]!), { token: issuer });
    expect(byIssuer.status, "no body: nothing hidden").to.equal(201);
    expect((await open(byIssuer.body.token)).text).to.contain(SECRET);
    const listed = await call("GET", links(ids[1]!), { token: holderKey });
    expect(listed.body.links.map((l: { id: string }) => l.id)).to.have.members([created.body.id, byIssuer.body.id]);

    const revoked = await call("DELETE", `${links(ids[1]!)}/${created.body.id}`, { token: holderKey });
    expect(revoked.status, revoked.text).to.equal(200);
    expect(revoked.body.state).to.equal("revoked");
    expectError(await open(created.body.token), 410, "SHARE_LINK_REVOKED");
    const [row] = await stack.rows("SELECT bundle FROM share_links WHERE id = ?", created.body.id);
    expect(row!.bundle, "a revoked link's bundle is deleted").to.equal(null);

    const byIssuerRevoked = await call("DELETE", `${links(ids[1]!)}/${byIssuer.body.id}`, { token: issuer });
    expect(byIssuerRevoked.body.state).to.equal("revoked");
    expectError(await open(byIssuer.body.token), 410, "SHARE_LINK_REVOKED");
    expect((await call("DELETE", `${links(ids[1]!)}/${byIssuer.body.id}`, { token: issuer })).status, "twice: the same answer").to.equal(200);
  });

  it("error: a holder key opens only its own credential's links; a new key revokes the old; another issuer sees nothing", async function () {
    const key = await holderKeyOf(ids[2]!);
    expectError(await call("GET", links(ids[0]!), { token: key }), 401, "UNAUTHORIZED");
    expectError(await call("POST", links(ids[0]!), { token: key }), 401, "UNAUTHORIZED");
    const newer = await holderKeyOf(ids[2]!);
    expectError(await call("GET", links(ids[2]!), { token: key }), 401, "UNAUTHORIZED");
    expect((await call("GET", links(ids[2]!), { token: newer })).status).to.equal(200);
    expectError(await call("GET", links(ids[2]!), { token: stack.tokens[2]! }), 404, "NOT_FOUND");
    expectError(await call("POST", `/v1/credentials/${ids[2]}/holder-key`, { token: stack.tokens[2]! }), 404, "NOT_FOUND");
    const other = await call("POST", links(ids[0]!), { token: issuer });
    expectError(await call("DELETE", `${links(ids[2]!)}/${other.body.id}`, { token: newer }), 404, "NOT_FOUND");
  });

  it("error: malformed or wrong tokens, bad pointers and bad expiries are 4xx, never 500", async function () {
    const created = await call("POST", links(ids[0]!), { token: issuer });
    const token = created.body.token as string;
    const wrongSecret = token.slice(0, 22) + (token[22] === "A" ? "B" : "A") + token.slice(23);
    expectError(await open(wrongSecret), 404, "NOT_FOUND");
    expectError(await open(`csl_${"0".repeat(16)}_${"A".repeat(43)}`), 404, "NOT_FOUND");
    for (const bad of ["x", token.slice(0, -1), `${token}A`, token.toUpperCase(), "csl_%00", encodeURIComponent("../../etc")]) {
      expectError(await open(bad), 400, "REQUEST_INVALID");
    }
    expectError(await call("POST", links(ids[0]!), { token: issuer, body: { hide: ["not-a-pointer"] } }), 422, "DISCLOSURE_INVALID");
    expectError(await call("POST", links(ids[0]!), { token: issuer, body: { hide: [""] } }), 422, "DISCLOSURE_INVALID");
    expectError(await call("POST", links(ids[0]!), { token: issuer, body: { expiresAt: "2001-01-01T00:00:00Z" } }), 400, "REQUEST_INVALID");
    expectError(await call("POST", links(ids[0]!), { token: issuer, body: { expiresAt: "soon" } }), 400, "REQUEST_INVALID");
    expectError(await call("POST", links(ids[0]!), { token: issuer, body: { other: 1 } }), 400, "REQUEST_INVALID");
    expectError(await call("DELETE", `${links(ids[0]!)}/nothex`, { token: issuer }), 400, "REQUEST_INVALID");
    expectError(await call("DELETE", `${links(ids[0]!)}/${"0".repeat(16)}`, { token: issuer }), 404, "NOT_FOUND");
    expectError(await call("GET", links(ids[0]!), { token: `chk_${"A".repeat(43)}` }), 401, "UNAUTHORIZED");
    expectError(await call("GET", links(ids[0]!)), 401, "UNAUTHORIZED");
  });

  it("behavior: a link expires at expiresAt (410 SHARE_LINK_EXPIRED, its bundle deleted; listed as expired)", async function () {
    const expiresAt = new Date(Date.now() + offset + 60_000).toISOString();
    const created = await call("POST", links(ids[2]!), { token: issuer, body: { expiresAt } });
    expect(created.body.expiresAt).to.equal(expiresAt);
    expect((await open(created.body.token)).status).to.equal(200);
    offset += 61_000;
    expectError(await open(created.body.token), 410, "SHARE_LINK_EXPIRED");
    const [row] = await stack.rows("SELECT bundle FROM share_links WHERE id = ?", created.body.id);
    expect(row!.bundle).to.equal(null);
    const listed = await call("GET", links(ids[2]!), { token: issuer });
    expect(listed.body.links.find((l: { id: string }) => l.id === created.body.id).state).to.equal("expired");
  });

  it("behavior: erasing the credential kills its links at once (404, no trace left) and its holder key", async function () {
    const key = await holderKeyOf(ids[0]!);
    const created = await call("POST", links(ids[0]!), { token: key, body: { hide: ["/credentialSubject/birthDate"] } });
    expect((await open(created.body.token)).status).to.equal(200);
    expect((await call("DELETE", `/v1/credentials/${ids[0]}`, { token: issuer })).status).to.equal(200);
    expectError(await open(created.body.token), 404, "NOT_FOUND");
    expect(await stack.rows("SELECT id FROM share_links WHERE credential_id = ?", ids[0])).to.deep.equal([]);
    expect(await stack.rows("SELECT credential_id FROM holder_keys WHERE credential_id = ?", ids[0])).to.deep.equal([]);
    expectError(await call("GET", links(ids[0]!), { token: key }), 401, "UNAUTHORIZED");
    expectError(await call("POST", links(ids[0]!), { token: issuer }), 410, "GONE");
  });

  it("behavior: a credential too large for a QR code gets a printed share link: the PDF's code holds /verify#share=…, and the link is listed as made by pdf, one for every PDF until revoked", async function () {
    const large = ids[3]!;
    const pdfs = await Promise.all([1, 2].map(() => callHttp(api.base, "GET", `/v1/credentials/${large}/pdf`, { token: issuer })));
    for (const pdf of pdfs) expect(pdf.status, pdf.text.slice(0, 200)).to.equal(200);
    const listed = await call("GET", links(large), { token: issuer });
    expect(listed.body.links, "two PDFs asked at once: one link").to.have.length(1);
    expect(listed.body.links[0]).to.deep.include({ createdBy: "pdf", hidden: [], state: "active" });
    // The same link for every PDF (asked at once too), opening to the whole credential; revoked, the next PDF prints a new one.
    const principal = { principal: { kind: "issuer", issuerId: 1, keyId: "t" } } as const;
    const printed = await Promise.all([1, 2, 3].map(() => stack.service.printedShareLink(principal, large)));
    expect(new Set(printed.map((p) => p.token)).size).to.equal(1);
    expect(printed[0]!.id).to.equal(listed.body.links[0].id);
    const opened = await open(printed[0]!.token);
    expect(opened.status).to.equal(200);
    expect(opened.body.credential).to.deep.equal((await stack.service.getCredential(principal.principal, large)).bundle!.credential);
    expect((await call("DELETE", `${links(large)}/${printed[0]!.id}`, { token: issuer })).status).to.equal(200);
    const next = await stack.service.printedShareLink(principal, large);
    expect(next.token).to.not.equal(printed[0]!.token);
    expectError(await open(printed[0]!.token), 410, "SHARE_LINK_REVOKED");
    expect((await open(next.token)).status).to.equal(200);
    expect((await stack.service.printedShareLink(principal, large)).token, "stable again").to.equal(next.token);
    expect((await call("GET", links(large), { token: issuer })).body.links.map((l: { state: string }) => l.state)).to.deep.equal(["revoked", "active"]);
    const bundle = (await stack.service.getCredential({ kind: "issuer", issuerId: 1, keyId: "t" }, large)).bundle!;
    const made = await certificatePdf({ bundle, credentialId: large, verifierUrl: `${api.base}/verify`, shareUrl: async () => `${api.base}/verify#share=csl_x` });
    expect(made.qr).to.deep.include({ text: `${api.base}/verify#share=csl_x`, holdsBundle: false, viaShareLink: true });
    const small = (await stack.service.getCredential({ kind: "issuer", issuerId: 1, keyId: "t" }, ids[1]!)).bundle!;
    let asked = false;
    const fits = await certificatePdf({ bundle: small, credentialId: ids[1]!, verifierUrl: `${api.base}/verify`, shareUrl: async () => ((asked = true), "") });
    expect(fits.qr.holdsBundle && !fits.qr.viaShareLink && !asked, "a credential that fits makes no link").to.equal(true);
  });

  it("behavior: opening links is rate-limited per client like POST /v1/verify (429 with Retry-After)", async function () {
    const limited = await serveApi(stack, { limits: { verifyRate: { perMinute: 1, burst: 2 } } });
    try {
      const path = `/v1/share/csl_${"0".repeat(16)}_${"A".repeat(43)}`;
      expect((await callHttp(limited.base, "GET", path)).status).to.equal(404);
      expect((await callHttp(limited.base, "GET", path)).status).to.equal(404);
      const refused = await callHttp(limited.base, "GET", path);
      expectError(refused, 429, "RATE_LIMITED");
      expect(Number(refused.headers.get("retry-after"))).to.be.greaterThan(0);
    } finally {
      await limited.close();
    }
  });
});
