// The public API of the embeddable verifier package (@credanchor/verifier, `npm run build:verifier`):
// verify proof bundles against the chain; nothing of the service (no express, SQLite, issuer).
export { verifyBundle, verifyBundles } from "./verify-bundle.ts";
export { createTrustList } from "./trust.ts";
export { decodeBundle } from "../core/bundle.ts";
export { CHECK_NAMES } from "./result.ts";
