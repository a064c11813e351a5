// Settings: precedence (file < environment < flags), validation messages that name the setting,
// and secrets never echoed back.
import { expect } from "chai";
import { chmodSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { loadConfig, WEBHOOK_SECRET_MIN_LENGTH } from "../../src/config.ts";

function configError(fn: () => unknown): { code: string; message: string; details: { path: string; message: string }[] } {
  try {
    fn();
  } catch (error) {
    return error as never;
  }
  throw new Error("expected a configuration error");
}

describe("src/config.ts", function () {
  it("default: the embedded defaults", function () {
    const config = loadConfig({});
    expect(config).to.include({ host: "127.0.0.1", port: 8080, dataDir: "./data", chainPort: 8545, batchMaxSize: 100_000, batchMaxWaitSeconds: 5 });
    expect(config.rpcUrl).to.equal(undefined);
    expect(config.confirmations).to.equal(undefined); // decided per chain at start
    expect(Object.isFrozen(config)).to.equal(true);
  });

  it("behavior: a config file, overridden by the environment, overridden by flags", function () {
    const dir = mkdtempSync(join(tmpdir(), "credanchor-config-"));
    const file = join(dir, "config.json");
    writeFileSync(file, JSON.stringify({ port: 9000, batchMaxSize: 50, host: "0.0.0.0", webhooks: { "1": { url: "https://hooks.example/a" } } }));
    const config = loadConfig({ CREDANCHOR_CONFIG: file, PORT: "9001", BATCH_MAX_WAIT_SECONDS: "2.5", WEBHOOK_URL_2: "https://hooks.example/b", WEBHOOK_SECRET_2: "0123456789abcdef0123" }, { port: "9002" });
    expect(config).to.include({ port: 9002, batchMaxSize: 50, host: "0.0.0.0", batchMaxWaitSeconds: 2.5 });
    expect(config.webhooks).to.deep.equal({ "1": { url: "https://hooks.example/a" }, "2": { url: "https://hooks.example/b", secret: "0123456789abcdef0123" } });
    expect(loadConfig({ SIGNER_PRIVATE_KEYS: ` 0x${"11".repeat(32)} , 0x${"22".repeat(32)}` }).signerKeys).to.have.length(2);
  });

  it("error: every bad setting is named with its environment variable, and nothing else is accepted", function () {
    const error = configError(() => loadConfig({ PORT: "eighty", RPC_URL: "ftp://x", REGISTRY_ADDRESS: "0x123", BATCH_MAX_SIZE: "0" }));
    expect(error.code).to.equal("CONFIG_INVALID");
    const paths = error.details.map((d) => d.path);
    expect(paths).to.include.members(["port (PORT)", "rpcUrl (RPC_URL)", "registryAddress (REGISTRY_ADDRESS)", "batchMaxSize (BATCH_MAX_SIZE)"]);
    const unknown = configError(() => loadConfig({}, { colour: "blue" }));
    expect(unknown.details[0]!.message).to.match(/colour/);
    const dir = mkdtempSync(join(tmpdir(), "credanchor-config-"));
    writeFileSync(join(dir, "bad.json"), "{ not json");
    expect(configError(() => loadConfig({ CREDANCHOR_CONFIG: join(dir, "bad.json") })).message).to.match(/not valid JSON/);
    expect(configError(() => loadConfig({ CREDANCHOR_CONFIG: join(dir, "missing.json") })).message).to.match(/cannot read the config file/);
    expect(configError(() => loadConfig({ SIGNER_KEYSTORE: "k.json" })).message).to.match(/SIGNER_KEYSTORE_PASSWORD/);
  });

  it("error: a malformed signer key is refused without echoing it", function () {
    const secret = "0xdeadbeefdeadbeefdeadbeefdeadbeefdeadbeefdeadbeef";
    const error = configError(() => loadConfig({ SIGNER_PRIVATE_KEYS: secret }));
    expect(error.details[0]!.path).to.equal("signerKeys (SIGNER_PRIVATE_KEYS)");
    expect(JSON.stringify(error.details) + error.message).not.to.include("deadbeef");
  });

  it("error: DATABASE_URL needs SERVER_SECRET, must be a postgres:// URL, and is never echoed (it holds a password)", function () {
    const url = "postgres://credanchor:hunter2-secret@db.internal:5432/credanchor";
    expect(configError(() => loadConfig({ DATABASE_URL: url })).message).to.match(/SERVER_SECRET/);
    expect(loadConfig({ DATABASE_URL: url, SERVER_SECRET: "ab".repeat(32) }).databaseUrl).to.equal(url);
    const bad = configError(() => loadConfig({ DATABASE_URL: "mysql://root:hunter2-secret@db/x", SERVER_SECRET: "ab".repeat(32) }));
    expect(bad.details[0]!.path).to.equal("databaseUrl (DATABASE_URL)");
    expect(JSON.stringify(bad.details) + bad.message).not.to.include("hunter2");
  });

  it("behavior: a config file holding secrets is read when only its owner can read it, refused (naming settings and mode, never values) when others can", function () {
    const dir = mkdtempSync(join(tmpdir(), "credanchor-config-"));
    const file = join(dir, "config.json");
    const signer = `0x${"ab".repeat(32)}`;
    writeFileSync(file, JSON.stringify({ port: 9000, signerKeys: [signer], webhooks: { "1": { url: "https://hooks.example/a", secret: "s3cret-s3cret-s3cret" } } }));
    chmodSync(file, 0o644);
    const error = configError(() => loadConfig({ CREDANCHOR_CONFIG: file }));
    expect(error.code).to.equal("CONFIG_INVALID");
    expect(error.message).to.include(file).and.to.include("signerKeys, webhooks").and.to.include("0644").and.to.include("chmod 600");
    expect(JSON.stringify(error)).not.to.include("abab").and.not.to.include("s3cret");
    for (const mode of [0o600, 0o400]) {
      chmodSync(file, mode);
      expect(loadConfig({ CREDANCHOR_CONFIG: file }).signerKeys).to.deep.equal([signer]);
    }
    // Settings without secrets (a webhook without one included) need no particular mode.
    writeFileSync(file, JSON.stringify({ port: 9000, webhooks: { "1": { url: "https://hooks.example/a" } } }));
    chmodSync(file, 0o644);
    expect(loadConfig({ CREDANCHOR_CONFIG: file }).port).to.equal(9000);
  });

  it(`error: a webhook secret shorter than ${WEBHOOK_SECRET_MIN_LENGTH} characters is refused without echoing it`, function () {
    const short = "x".repeat(WEBHOOK_SECRET_MIN_LENGTH - 1);
    const error = configError(() => loadConfig({ WEBHOOK_URL_1: "https://hooks.example/a", WEBHOOK_SECRET_1: short }));
    expect(error.details[0]!.path).to.match(/^webhooks/);
    expect(JSON.stringify(error.details)).not.to.include(short);
    expect(loadConfig({ WEBHOOK_URL_1: "https://hooks.example/a", WEBHOOK_SECRET_1: `${short}x` }).webhooks["1"]!.secret).to.have.length(WEBHOOK_SECRET_MIN_LENGTH);
  });
});
