// /verify-config.json is readable from any origin: it must never carry the signer's RPC_URL
// (security review, issue 10 item 8: it served the provider URL with its API key).
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { expect } from "chai";
import pino from "pino";
import { pageRpcUrls } from "../../src/api/web.ts";
import { devPrivateKey } from "../../src/chain/dev-accounts.ts";
import { loadConfig } from "../../src/config.ts";
import { startServer, type RunningServer } from "../../src/server.ts";
import { startRpcRecorder, type RpcRecorder } from "../helpers/rpc-recorder.ts";
import { removeDir, sharedChain, type Chain } from "../helpers/stack.ts";

describe("GET /verify-config.json: only public RPC URLs (real service)", function () {
  let chain: Chain;
  let recorder: RpcRecorder;
  const dirs: string[] = [];

  before(async function () {
    chain = await sharedChain();
    recorder = await startRpcRecorder(chain.url); // answers on any path, like a provider's /v3/<key>
  });

  after(async function () {
    await recorder?.close();
    dirs.forEach(removeDir);
  });

  async function serve(env: Record<string, string>): Promise<RunningServer> {
    const dataDir = mkdtempSync(join(tmpdir(), "credanchor-vc-"));
    const books = mkdtempSync(join(tmpdir(), "credanchor-vc-books-"));
    dirs.push(dataDir, books);
    writeFileSync(join(books, "test.json"), JSON.stringify(chain.addressBook()));
    const config = loadConfig({ REGISTRY_ADDRESS: chain.registry, DATA_DIR: dataDir, DEPLOYMENTS_DIR: books, SIGNER_PRIVATE_KEYS: devPrivateKey(1), PORT: "0", ...env });
    return startServer(config, { logger: pino({ level: "silent" }) });
  }

  const pageConfig = async (server: RunningServer) => (await fetch(`${server.url}/verify-config.json`)).text();

  it("error: a provider URL with a key in its path is not served; PUBLIC_RPC_URL is, and only it", async function () {
    const secret = `${recorder.url}/v3/SECRET-PROVIDER-KEY`;
    const hidden = await serve({ RPC_URL: secret });
    try {
      const text = await pageConfig(hidden);
      expect(text).to.not.include("SECRET-PROVIDER-KEY");
      expect(JSON.parse(text)).to.deep.equal({ rpc: {} });
    } finally {
      await hidden.stop();
    }
    const published = await serve({ RPC_URL: secret, PUBLIC_RPC_URL: "https://rpc.example/public" });
    try {
      const text = await pageConfig(published);
      expect(text).to.not.include("SECRET-PROVIDER-KEY");
      expect(JSON.parse(text)).to.deep.equal({ rpc: { 31337: "https://rpc.example/public" } });
    } finally {
      await published.stop();
    }
  });

  it("default: the local chain's bare loopback URL is served; loopback URLs that could hold a secret are not", function () {
    expect(pageRpcUrls(31337, "http://127.0.0.1:8545")).to.deep.equal({ 31337: "http://127.0.0.1:8545" });
    expect(pageRpcUrls(31337, "http://localhost:8545/")).to.deep.equal({ 31337: "http://localhost:8545/" });
    for (const url of ["http://127.0.0.1:8545/key", "http://user:pw@127.0.0.1:8545", "http://127.0.0.1:8545/?apikey=1", "https://eth.example", "not a url"]) {
      expect(pageRpcUrls(1, url), url).to.deep.equal({});
    }
    expect(() => loadConfig({ PUBLIC_RPC_URL: "ftp://x" })).to.throw(/configuration is invalid/);
  });
});
