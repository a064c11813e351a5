// The server secret that keys the Idempotency-Key MACs: from the configuration, else generated once in the data directory.
import { randomBytes } from "node:crypto";
import { chmodSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { ServiceError } from "../core/errors.ts";

const FILE = "server-secret";

/**
 * The 32-byte server secret: `configured` (64 hex digits) if given, else the one in
 * `<dataDir>/server-secret`, created with mode 0600 on first use. Without it a stored request
 * MAC cannot be matched against guessed requests (a plain SHA-256 could: item 10 of issue 10).
 *
 * @example
 * const secret = loadServerSecret("./data", process.env.SERVER_SECRET);
 */
export function loadServerSecret(dataDir: string, configured?: string): Buffer {
  if (configured) return Buffer.from(configured.replace(/^0x/, ""), "hex");
  const path = join(dataDir, FILE);
  try {
    const hex = readFileSync(path, "utf8").trim();
    if (!/^[0-9a-f]{64}$/.test(hex)) throw new ServiceError(`${path} is not 64 hex digits: restore it or remove it (a new one is generated; earlier Idempotency-Keys are forgotten)`, { code: "CONFIG_INVALID" });
    return Buffer.from(hex, "hex");
  } catch (error) {
    if ((error as { code?: string }).code !== "ENOENT") throw error;
  }
  const secret = randomBytes(32);
  writeFileSync(path, secret.toString("hex") + "\n", { mode: 0o600, flag: "wx" });
  chmodSync(path, 0o600);
  return secret;
}
