// Issuer assertion keys: Ed25519 Multikey as did:key, generated, imported from a secret or an encrypted keystore, never printed.
import * as Ed25519Multikey from "@digitalbazaar/ed25519-multikey";
import { bytesToHex, hexToBytes } from "../core/encoding.ts";
import { ValidationError } from "../core/errors.ts";
import { base58btcDecode, base58btcEncode, ed25519KeyOfDidKey } from "../core/multibase.ts";

/** Multicodec headers: ed25519-pub (0xed) and ed25519-priv (0x1300), as unsigned varints. */
const ED25519_PUB_HEADER = [0xed, 0x01] as const;
const ED25519_PRIV_HEADER = [0x80, 0x26] as const;

export type DidKey = `did:key:z6Mk${string}`;

/** What a signer needs: sign bytes under a verification method id (the shape Data Integrity suites take). */
export type Signer = { id: string; algorithm: string; sign(options: { data: Uint8Array }): Promise<Uint8Array> };

/**
 * An issuer's assertion key. Only public parts are enumerable: `JSON.stringify`, `console.log`
 * and loggers never see the secret (it sits in a non-enumerable, non-printed `signer`).
 */
export type AssertionKey = {
  readonly did: DidKey;
  /** The verification method id: `did:key:z6Mk…#z6Mk…`. */
  readonly verificationMethod: string;
  readonly publicKeyMultibase: string;
  /** The raw 32-byte Ed25519 public key (what the v2 registry records as `bytes32`). */
  readonly publicKey: Uint8Array;
  /** Signs with the secret key (non-enumerable). */
  readonly signer: () => Signer;
  /** The secret, for writing it to a keystore (non-enumerable): `z` + base58btc(0x8026 ‖ 32-byte seed). */
  readonly exportSecret: () => string;
};

function keyError(message: string): ValidationError {
  return new ValidationError(`invalid assertion key: ${message}`, { code: "CONTEXT_INVALID", details: [{ path: "assertionKey", message }] });
}

async function fromSeed(seed: Uint8Array): Promise<AssertionKey> {
  const pair = await Ed25519Multikey.generate({ seed });
  const did = `did:key:${pair.publicKeyMultibase}` as DidKey;
  const verificationMethod = `${did}#${pair.publicKeyMultibase}`;
  const keyPair = await Ed25519Multikey.from({ ...(await pair.export({ publicKey: true, secretKey: true, includeContext: true })), controller: did, id: verificationMethod });
  const key = {
    did,
    verificationMethod,
    publicKeyMultibase: pair.publicKeyMultibase,
    publicKey: publicKeyOfDidKey(did),
  } as AssertionKey;
  const secret = seed.slice();
  Object.defineProperties(key, {
    signer: { value: () => keyPair.signer(), enumerable: false },
    exportSecret: { value: () => base58btcEncode(Uint8Array.from([...ED25519_PRIV_HEADER, ...secret])), enumerable: false },
    [Symbol.for("nodejs.util.inspect.custom")]: { value: () => `AssertionKey(${did})`, enumerable: false },
  });
  return Object.freeze(key);
}

/**
 * A new random assertion key.
 *
 * @example
 * const key = await generateAssertionKey(); // key.did === "did:key:z6Mk…"
 */
export async function generateAssertionKey(): Promise<AssertionKey> {
  return fromSeed(globalThis.crypto.getRandomValues(new Uint8Array(32)));
}

/**
 * The assertion key for a secret as kept in the environment: `z…` (base58btc multibase of an
 * ed25519-priv multicodec key: the 32-byte seed, or seed ‖ public key as older exports write)
 * or `0x` + 64 hex digits (the seed).
 *
 * @throws ValidationError `CONTEXT_INVALID` (the message never contains the secret).
 *
 * @example
 * const key = await importAssertionKey(process.env.ASSERTION_KEY!);
 */
export async function importAssertionKey(secret: string): Promise<AssertionKey> {
  const text = secret.trim();
  if (text.startsWith("0x")) {
    const seed = hexToBytes(text, 32);
    if (!seed) throw keyError("a hex secret must be 0x and 64 hex digits (the Ed25519 seed)");
    return fromSeed(seed);
  }
  const bytes = base58btcDecode(text);
  if (!bytes || bytes[0] !== ED25519_PRIV_HEADER[0] || bytes[1] !== ED25519_PRIV_HEADER[1] || (bytes.length !== 34 && bytes.length !== 66)) {
    throw keyError("expected a z… Ed25519 secret key multibase (multicodec 0x1300) or 0x + 64 hex digits");
  }
  const key = await fromSeed(bytes.subarray(2, 34));
  if (bytes.length === 66 && bytesToHex(bytes.subarray(34)) !== bytesToHex(key.publicKey)) throw keyError("the secret's public half does not match its seed");
  return key;
}

/**
 * Writes the key's seed into an encrypted JSON keystore (Web3 Secret Storage, scrypt +
 * AES-128-CTR: the format signer keys use, read by the same tools). Its `address` field is
 * meaningless for an Ed25519 key; `publicKeyMultibase` is added so the file says whose it is.
 *
 * @example
 * writeFileSync("assertion.keystore.json", await encryptAssertionKeystore(key, password));
 */
export async function encryptAssertionKeystore(key: AssertionKey, password: string): Promise<string> {
  const { encryptKeystoreJson, computeAddress } = await import("ethers");
  const privateKey = bytesToHex(base58btcDecode(key.exportSecret())!.subarray(2));
  const json = JSON.parse(await encryptKeystoreJson({ address: computeAddress(privateKey), privateKey }, password));
  return JSON.stringify({ ...json, publicKeyMultibase: key.publicKeyMultibase });
}

/**
 * Reads an assertion key from a keystore written by {@link encryptAssertionKeystore}.
 *
 * @throws ValidationError `CONTEXT_INVALID` for a wrong password or a damaged file.
 *
 * @example
 * const key = await decryptAssertionKeystore(readFileSync(path, "utf8"), process.env.ASSERTION_KEYSTORE_PASSWORD!);
 */
export async function decryptAssertionKeystore(json: string, password: string): Promise<AssertionKey> {
  const { decryptKeystoreJson } = await import("ethers");
  let privateKey: string;
  try {
    privateKey = (await decryptKeystoreJson(json, password)).privateKey;
  } catch {
    throw keyError("cannot decrypt the keystore (wrong password or damaged file)");
  }
  const key = await fromSeed(hexToBytes(privateKey, 32)!);
  const declared = (JSON.parse(json) as { publicKeyMultibase?: unknown }).publicKeyMultibase;
  if (declared !== undefined && declared !== key.publicKeyMultibase) throw keyError("the keystore's publicKeyMultibase does not match its secret");
  return key;
}

/**
 * The raw 32-byte Ed25519 public key of an Ed25519 `did:key` (with or without a `#fragment`).
 *
 * @throws ValidationError `CONTEXT_INVALID` when it is not an Ed25519 did:key.
 *
 * @example
 * publicKeyOfDidKey("did:key:z6MkjZRZv3aez3r18pB1RBFJR1kwUVJ5jHt92JmQwXbd5hwi"); // Uint8Array(32) [75, 222, …]
 */
export function publicKeyOfDidKey(did: string): Uint8Array {
  const key = ed25519KeyOfDidKey(did);
  if (!key) throw keyError(`${did.split("#")[0]!.slice(0, 80)} is not an Ed25519 did:key (did:key:z6Mk…)`);
  return key;
}

/**
 * The did:key of a raw 32-byte Ed25519 public key (inverse of {@link publicKeyOfDidKey}).
 *
 * @example
 * didKeyOfPublicKey(hexToBytes("0x4bdeafde…", 32)!); // "did:key:z6MkjZRZv3aez3r18pB1RBFJR1kwUVJ5jHt92JmQwXbd5hwi"
 */
export function didKeyOfPublicKey(publicKey: Uint8Array): DidKey {
  if (publicKey.length !== 32) throw keyError("an Ed25519 public key is 32 bytes");
  return `did:key:${base58btcEncode(Uint8Array.from([...ED25519_PUB_HEADER, ...publicKey]))}` as DidKey;
}
