// The service over HTTPS with a self-signed certificate (TLS_CERT_FILE / TLS_KEY_FILE through startServer), and its did:web
// documents built from the chain: DID Core shape, keys valid now only (a retired or compromised key leaves), 404 with a code,
// bad input, 503 when the chain does not answer. Real chain, real service, real HTTPS.
import { expect } from "chai";
import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import pino from "pino";
import { createPublicClient, http, type Hex, type LocalAccount, type PublicClient } from "viem";
import { createApp } from "../../src/api/app.ts";
import { createDidWebSource, documentAtHead } from "../../src/api/did-web.ts";
import { listenApi } from "../../src/api/listen.ts";
import { credentialRegistryV2Abi } from "../../src/chain/abi.ts";
import { addSignerKey, registerIssuer } from "../../src/chain/admin.ts";
import { addAssertionKey } from "../../src/chain/assertion-keys.ts";
import { devAccount, devPrivateKey } from "../../src/chain/dev-accounts.ts";
import { getFreePort } from "../../src/chain/local-node.ts";
import { loadConfig } from "../../src/config.ts";
import { bytesToHex } from "../../src/core/encoding.ts";
import type { JsonObject } from "../../src/core/json.ts";
import { createApiKey } from "../../src/issuer/api-keys.ts";
import { startServer, type RunningServer } from "../../src/server.ts";
import { CREDANCHOR_CONTEXT_URL, PINNED_CONTEXTS } from "../../src/vc/contexts.ts";
import { DID_DOCUMENT_CONTEXT } from "../../src/vc/did-web.ts";
import { createTrustList } from "../../src/verifier/trust.ts";
import { didKeyOfPublicKey, generateAssertionKey, type AssertionKey } from "../../src/vc/keys.ts";
import { openBadge } from "../vc/fixtures.ts";
import { closeStack, openStack, removeDir, sharedChain, type Chain, type Stack } from "../helpers/stack.ts";
import { httpsCall, selfSignedCertificate, type SelfSigned } from "../helpers/tls.ts";
import { call, expectError } from "./http.ts";

describe("src/api: HTTPS and did:web documents built from the chain (real service over HTTPS)", function () {
  this.timeout(180_000);
  let chain: Chain;
  let server: RunningServer;
  let dir: string;
  let tls: SelfSigned;
  let base: string;
  let host: string;
  let token: string;
  /** Issuer 3 (path DID, served here, its key configured) and issuer 4 (the host's DID, its key only on-chain). */
  const admins: Record<number, LocalAccount> = { 3: devAccount(13), 4: devAccount(14) };
  const keys: Record<string, AssertionKey> = {};

  const get = (path: string) => httpsCall(tls.cert, base, "GET", path);
  const adminCall = async (issuerId: number, functionName: "addAssertionKey" | "retireAssertionKey" | "markAssertionKeyCompromised", args: readonly unknown[]) => {
    const account = admins[issuerId]!;
    const hash = await chain.wallet(account).writeContract({ address: chain.registry, abi: credentialRegistryV2Abi, functionName, args: args as never, account, chain: null });
    expect((await chain.publicClient.waitForTransactionReceipt({ hash })).status).to.equal("success");
  };
  const keyHex = (key: AssertionKey) => bytesToHex(key.publicKey) as Hex;

  before(async function () {
    chain = await sharedChain();
    const port = await getFreePort();
    base = `https://127.0.0.1:${port}`;
    host = `127.0.0.1%3A${port}`;
    const governance = { publicClient: chain.publicClient, walletClient: chain.wallet(chain.governance), account: chain.governance };
    for (const [issuerId, identity] of [[3, `did:web:${host}:issuers:3`], [4, `did:web:${host}`]] as const) {
      const admin = admins[issuerId]!;
      expect(await registerIssuer(governance, chain.registry, admin.address, identity, { name: `Issuer ${issuerId}` })).to.equal(issuerId);
      const clients = { publicClient: chain.publicClient, walletClient: chain.wallet(admin), account: admin };
      await addSignerKey(clients, chain.registry, devAccount(issuerId).address);
      keys[issuerId] = await generateAssertionKey();
      await addAssertionKey(clients, chain.registry, keys[issuerId]!.publicKey);
    }
    dir = mkdtempSync(join(tmpdir(), "credanchor-did-web-"));
    tls = selfSignedCertificate(dir);
    const books = join(dir, "books");
    mkdirSync(books);
    writeFileSync(join(books, "test.json"), JSON.stringify(chain.addressBook()));
    const config = loadConfig({}, {
      host: "127.0.0.1",
      port,
      dataDir: join(dir, "data"),
      rpcUrl: chain.url,
      registryAddress: chain.registry,
      deploymentsDir: books,
      signerKeys: [devPrivateKey(3), devPrivateKey(4)],
      assertionKeys: { "3": keys[3]!.exportSecret() },
      tlsCertFile: tls.certFile,
      tlsKeyFile: tls.keyFile,
      logLevel: "silent",
    });
    server = await startServer(config, { logger: pino({ level: "silent" }) });
    token = (await createApiKey(server.store.apiKeys, 3, "test")).token;
  });
  after(async function () {
    await server?.stop();
    if (dir) removeDir(dir);
  });

  it("default: serves HTTPS with the configured certificate; credential ids and status list URLs are https and the list is served over HTTPS", async () => {
    expect(server.url).to.equal(base);
    const { id: _id, issuer: _issuer, ...credential } = openBadge();
    const issued = await httpsCall(tls.cert, base, "POST", "/credentials/issue", { token, body: { credential } });
    expect(issued.status, issued.text).to.equal(201);
    const vc = issued.body.verifiableCredential as JsonObject;
    expect(String(vc.id)).to.match(new RegExp(`^${base}/credentials/[0-9a-f-]{36}$`));
    const listUrl = String((vc.credentialStatus as JsonObject[])[0]!.statusListCredential);
    expect(listUrl).to.equal(`${base}/status-lists/3/revocation/0`);
    const list = await get(listUrl.slice(base.length));
    expect(list.status, list.text).to.equal(200);
    expect(list.body.type).to.include("BitstringStatusListCredential");
  });

  it("error: plain HTTP to the HTTPS port, and HTTPS without trusting the self-signed certificate, get no answer", async () => {
    let plain: unknown;
    await fetch(`http://127.0.0.1:${base.split(":")[2]}/healthz`, { signal: AbortSignal.timeout(10_000) }).catch((e: unknown) => (plain = e));
    expect(plain, "plain HTTP must not be answered").to.be.instanceOf(Error);
    let untrusted: unknown;
    await fetch(`${base}/healthz`, { signal: AbortSignal.timeout(10_000) }).catch((e: unknown) => (untrusted = e));
    expect(untrusted, "an untrusted certificate must be refused").to.be.instanceOf(Error);
    expect((await get("/healthz")).status).to.equal(200);
  });

  it("default: /issuers/3/did.json is a DID Core document listing the issuer's assertion key as a Multikey assertionMethod", async () => {
    const did = `did:web:${host}:issuers:3`;
    const r = await get("/issuers/3/did.json");
    expect(r.status, r.text).to.equal(200);
    expect(r.headers.get("content-type")).to.match(/^application\/did\+ld\+json/);
    expect(r.headers.get("access-control-allow-origin")).to.equal("*");
    const vm = `${did}#${keys[3]!.publicKeyMultibase}`;
    expect(r.body).to.deep.equal({
      "@context": [...DID_DOCUMENT_CONTEXT],
      id: did,
      verificationMethod: [{ id: vm, type: "Multikey", controller: did, publicKeyMultibase: keys[3]!.publicKeyMultibase }],
      assertionMethod: [vm],
    });
    // The Multikey is the same key as the issuer's did:key.
    expect(`did:key:${r.body.verificationMethod[0].publicKeyMultibase}`).to.equal(keys[3]!.did);
  });

  it("default: /.well-known/did.json is did:web:<host>'s document (issuer 4), its key read from the chain, not from this service's keys", async () => {
    const r = await get("/.well-known/did.json");
    expect(r.status, r.text).to.equal(200);
    expect(r.body.id).to.equal(`did:web:${host}`);
    expect(r.body.verificationMethod.map((m: { publicKeyMultibase: string }) => `did:key:${m.publicKeyMultibase}`)).to.deep.equal([keys[4]!.did]);
  });

  it("default: /contexts/v1.jsonld is our pinned context, byte for byte: application/ld+json, immutable, CORS open, 304 on its ETag", async () => {
    const r = await get("/contexts/v1.jsonld");
    expect(r.status, r.text).to.equal(200);
    expect(r.headers.get("content-type")).to.match(/^application\/ld\+json/);
    expect(r.headers.get("cache-control")).to.equal("public, max-age=31536000, immutable");
    expect(r.headers.get("access-control-allow-origin")).to.equal("*");
    expect(r.body).to.deep.equal(PINNED_CONTEXTS.get(CREDANCHOR_CONTEXT_URL));
    expect(new URL(CREDANCHOR_CONTEXT_URL).pathname).to.equal("/contexts/v1.jsonld");
    const again = await httpsCall(tls.cert, base, "GET", "/contexts/v1.jsonld", { headers: { "if-none-match": r.headers.get("etag")! } });
    expect(again.status).to.equal(304);
    expectError(await get("/contexts/v2.jsonld"), 404, "NOT_FOUND");
  });

  it("behavior: a document is built once per head block (the next request at that block reads only the head); a key added on-chain shows at the next block", async () => {
    const real = createDidWebSource({ client: chain.publicClient, registry: chain.registry, fromBlock: 0n, servedIssuers: () => [3], publicBaseUrl: () => base });
    let builds = 0;
    const counted = { ...real, activeKeysOf: (issuerId: number) => (builds++, real.activeKeysOf(issuerId)) };
    const did = `did:web:${host}:issuers:3`;
    const first = await documentAtHead(counted, 3, did);
    expect(await documentAtHead(counted, 3, did)).to.deep.equal(first);
    expect(builds, "one build for two requests at one block").to.equal(1);
    // Over HTTPS: the ETag is the content's; If-None-Match answers 304 until the chain changes the document.
    const r = await get("/issuers/3/did.json");
    expect(r.headers.get("cache-control")).to.equal("public, no-cache");
    const etag = r.headers.get("etag")!;
    expect((await httpsCall(tls.cert, base, "GET", "/issuers/3/did.json", { headers: { "if-none-match": etag } })).status).to.equal(304);
    const added = await generateAssertionKey();
    await adminCall(3, "addAssertionKey", [keyHex(added)]); // mined in the next block
    const after = await httpsCall(tls.cert, base, "GET", "/issuers/3/did.json", { headers: { "if-none-match": etag } });
    expect(after.status, after.text).to.equal(200);
    expect(after.headers.get("etag")).to.not.equal(etag);
    expect(after.body.verificationMethod.map((m: { publicKeyMultibase: string }) => m.publicKeyMultibase)).to.include(added.publicKeyMultibase);
    expect(JSON.parse((await documentAtHead(counted, 3, did))!.bytes).verificationMethod).to.have.length(2);
    expect(builds).to.equal(2);
    await adminCall(3, "retireAssertionKey", [keyHex(added)]);
  });

  it("behavior: a key added appears, a retired key and a compromised key leave the document at once", async () => {
    const second = await generateAssertionKey();
    await adminCall(3, "addAssertionKey", [keyHex(second)]);
    let r = await get("/issuers/3/did.json");
    expect(r.body.verificationMethod.map((m: { publicKeyMultibase: string }) => m.publicKeyMultibase)).to.deep.equal([keys[3]!.publicKeyMultibase, second.publicKeyMultibase]);
    await adminCall(3, "retireAssertionKey", [keyHex(keys[3]!)]);
    r = await get("/issuers/3/did.json");
    expect(r.body.verificationMethod.map((m: { publicKeyMultibase: string }) => m.publicKeyMultibase)).to.deep.equal([second.publicKeyMultibase]);
    expect(r.body.assertionMethod).to.deep.equal([`did:web:${host}:issuers:3#${second.publicKeyMultibase}`]);
    const head = await chain.publicClient.getBlock();
    await adminCall(4, "markAssertionKeyCompromised", [keyHex(keys[4]!), Number(head.timestamp)]);
    r = await get("/.well-known/did.json");
    expect(r.status, r.text).to.equal(200);
    expect(r.body.verificationMethod).to.deep.equal([]);
    expect(r.body.assertionMethod).to.deep.equal([]);
    expect(didKeyOfPublicKey(second.publicKey)).to.equal(second.did);
  });

  it("error: an unknown issuer, or one whose on-chain identity is not this host's did:web: 404 NOT_FOUND", async () => {
    expectError(await get("/issuers/99/did.json"), 404, "NOT_FOUND");
    expectError(await get("/issuers/1/did.json"), 404, "NOT_FOUND"); // did:web:uni.example
    expectError(await get("/issuers/4/did.json"), 404, "NOT_FOUND"); // the host's own DID, not a path DID
  });

  it("error: bad input on the did:web routes: 4xx in the one shape, never 5xx", async () => {
    for (const id of ["abc", "0", "-1", "1e3", "3.0", "99999999999999999999", "%00", "3%2F..%2F1"]) {
      expectError(await get(`/issuers/${id}/did.json`), 400, "REQUEST_INVALID");
    }
    for (const method of ["POST", "DELETE"]) {
      for (const path of ["/.well-known/did.json", "/issuers/3/did.json"]) {
        const r = await httpsCall(tls.cert, base, method, path, { body: {} });
        expectError(r, 405, "METHOD_NOT_ALLOWED");
      }
    }
    expectError(await get("/issuers/3/did.json/x"), 404, "NOT_FOUND");
    expectError(await get("/issuers/did.json"), 404, "NOT_FOUND");
  });

  describe("the chain does not answer", () => {
    let stack: Stack;
    let closeApi: () => Promise<void>;
    let httpBase: string;

    before(async () => {
      stack = await openStack(chain);
      const dead = createPublicClient({ transport: http(`http://127.0.0.1:${await getFreePort()}`, { retryCount: 0, timeout: 2_000 }) }) as PublicClient;
      const app = createApp({
        service: stack.service,
        verify: { trust: createTrustList([]), rpc: {} },
        logger: pino({ level: "silent" }),
        didWeb: createDidWebSource({ client: dead, registry: chain.registry, fromBlock: 0n, servedIssuers: () => [1], publicBaseUrl: () => base }),
      });
      const listening = await listenApi(app, { host: "127.0.0.1", port: 0 });
      httpBase = `http://127.0.0.1:${(listening.address() as { port: number }).port}`;
      closeApi = () => new Promise<void>((r) => listening.close(() => r()));
    });
    after(async () => {
      await closeApi?.();
      await closeStack(stack);
    });

    it("error: 503 CHAIN_UNAVAILABLE, never a 500 or a 404", async () => {
      expectError(await call(httpBase, "GET", "/issuers/3/did.json"), 503, "CHAIN_UNAVAILABLE");
      expectError(await call(httpBase, "GET", "/.well-known/did.json"), 503, "CHAIN_UNAVAILABLE");
    });
  });
});
