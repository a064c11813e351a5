// Types of @credanchor/verifier: the published contract. test/verifier/verifier-package.test.ts
// checks at compile time that the library's own types fit them (reports) and accept them (options).

/** A proof bundle, version 1 (docs/formats.md). Hashes are 0x-prefixed lowercase hex. */
export type Bundle = {
  version: 1;
  credential: { [key: string]: JsonValue };
  salts: string;
  hiddenFieldHashes: string[];
  hiddenElements: string[];
  validFrom: number;
  validUntil: number;
  chainId: number;
  registry: string;
  issuerId: number;
  statusIndex: number;
  leaf: string;
  proof: string[];
  root: string;
  txHash: string;
  blockNumber: number;
};

export type JsonValue = string | number | boolean | null | JsonValue[] | { [key: string]: JsonValue };

export type CheckName = "format" | "integrity" | "inclusion" | "anchored" | "issuer" | "status" | "validity";

/** One check: `code` is machine-readable (e.g. `REVOKED`, `ROOT_NOT_ANCHORED`, `RPC_UNAVAILABLE`; docs/verifier.md). */
export type Check = { name: CheckName; outcome: "pass" | "fail" | "skip"; code: string; message: string };

/** `valid`: every check passed; `invalid`: one failed; `error`: one could not be decided (RPC trouble), never valid or invalid. */
export type Verdict = "valid" | "invalid" | "error";

/** What the chain says about the anchor. */
export type AnchorFacts = {
  issuerId: bigint;
  issuerMetadataURI: string;
  issuerIdentity: string;
  issuerName: string;
  signer: string;
  anchoredAt: number;
  blockNumber: number;
  txHash: string;
  chainId: number;
  registry: string;
};

/** Who the credential says issued it, beside the anchoring issuer's on-chain identity. */
export type IssuerIdentity = { issuerId: number; claimed?: string; onChain?: string; name?: string; matches: boolean };

export type VerificationReport = {
  verdict: Verdict;
  /** In order: format, integrity, inclusion, anchored, issuer, status, validity. */
  checks: Check[];
  bundle?: Bundle;
  anchor?: AnchorFacts;
  issuer?: IssuerIdentity;
};

/** A registry this verifier believes (from an address book, `deployments/<network>.json`). */
export type TrustedDeployment = { chainId: number; network: string; address: `0x${string}`; version: string; deployBlock: number; retiredAtBlock?: number };

export type TrustList = {
  readonly deployments: readonly TrustedDeployment[];
  find(chainId: number, address: string): TrustedDeployment | undefined;
};

export type VerifyOptions = {
  /** Trusted deployments: a bundle naming any other registry is invalid. */
  trust: TrustList;
  /** JSON-RPC URL per chain id. */
  rpc: Readonly<Record<number, string>>;
  /** Now, in unix seconds (default: the clock). */
  now?: () => number;
  /** `"private"` reads the issuer's whole status list so the RPC provider cannot tell which credential is checked. */
  privacy?: "direct" | "private";
  /** Cancels the chain reads (their checks become undecided). */
  signal?: AbortSignal;
};

/** The names of the checks, in report order. */
export declare const CHECK_NAMES: readonly CheckName[];

/**
 * Builds a trust list from address books (parsed JSON); throws on a malformed book.
 *
 * @example
 * const trust = createTrustList([JSON.parse(readFileSync("sepolia.json", "utf8"))]);
 */
export declare function createTrustList(books: readonly unknown[]): TrustList;

/**
 * Parses a bundle's JSON text strictly (duplicate names, limits, schema); throws on bad input.
 *
 * @example
 * const bundle = decodeBundle(readFileSync("badge.json", "utf8"));
 */
export declare function decodeBundle(text: string): Bundle;

/**
 * Verifies one bundle (JSON text or parsed) against the chain without asking the issuer. Never
 * throws for bad input: the report says what failed.
 *
 * @example
 * const report = await verifyBundle(text, { trust, rpc: { 11155111: "https://rpc.example" } });
 */
export declare function verifyBundle(input: unknown, options: VerifyOptions): Promise<VerificationReport>;

/** Verifies many bundles with batched chain reads; one report each, in order. */
export declare function verifyBundles(inputs: readonly unknown[], options: VerifyOptions): Promise<VerificationReport[]>;
