// Architecture and pinning rules of src/vc: no I/O modules or service layers imported; every shipped context pinned by its hash.
import { createHash } from "node:crypto";
import { readFileSync, readdirSync } from "node:fs";
import { expect } from "chai";
import { PINNED_CONTEXTS } from "../../src/vc/contexts.ts";
import { createDocumentLoader, DocumentNotPinnedError } from "../../src/vc/document-loader.ts";

/** SHA-256 (first 16 hex digits) of each pinned context's JSON: a package upgrade that changes one fails here. */
const PINNED: Record<string, string> = {
  "https://www.w3.org/ns/credentials/undefined-terms/v2": "3b11e1df8c618447",
  "https://www.w3.org/2018/credentials/v1": "778eb3a2ffad5df9",
  "https://www.w3.org/ns/credentials/v2": "bf6fd611e6773d58",
  "https://w3id.org/security/data-integrity/v1": "3d76dae0cd98b289",
  "https://w3id.org/security/data-integrity/v2": "be223c58c54657e9",
  "https://w3id.org/security/multikey/v1": "91f130b30b6705ee",
  "https://www.w3.org/ns/credentials/status/v1": "1d5d557d174395f4",
  "https://imsglobal.github.io/openbadges-specification/ob_v3p0.html": "6ea3ad0683f803c7",
  "https://w3c-ccg.github.io/vc-ed/plugfest-1-2022/jff-vc-edu-plugfest-1-context.json": "6ea3ad0683f803c7",
  "https://purl.imsglobal.org/spec/ob/v3p0/context.json": "ce6ab7f5729910f4",
  "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.1.json": "a6196945628b9d02",
  "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.2.json": "3b7ee3db2a81386e",
  "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json": "e407ae98563c7b47",
  "https://purl.imsglobal.org/spec/ob/v3p0/extensions.json": "f9767b4f07e2c92e",
  // v1 gained CredanchorStatusListSource (the evidence of a status list credential), then chainStatus (the on-chain entry inside a BitstringStatusListEntry): additions, no term changed
  "https://credanchor.dev/contexts/v1.jsonld": "f1b7211a4cba1224",
  // the W3C VC 2.0 examples context as published (one @vocab): the specification's examples and the W3C suites use it
  "https://www.w3.org/ns/credentials/examples/v2": "8a675bead391be98",
};

describe("vc: rules", () => {
  it("behavior: src/vc imports no service layer (api, issuer, store, cli), no server or database package, no fs / network module", () => {
    const dir = new URL("../../src/vc/", import.meta.url);
    for (const name of readdirSync(dir).filter((f) => f.endsWith(".ts"))) {
      const source = readFileSync(new URL(name, dir), "utf8");
      expect(source, name).not.to.match(/from\s+["']\.\.\/(api|issuer|store|cli)\//);
      expect(source, name).not.to.match(/from\s+["'](express|better-sqlite3|pino)["']/);
      expect(source, name).not.to.match(/["']node:(fs|net|http|https|child_process|dgram)["']/);
    }
  });

  it("behavior: every pinned context has the recorded content", () => {
    const actual = Object.fromEntries([...PINNED_CONTEXTS].map(([url, doc]) => [url, createHash("sha256").update(JSON.stringify(doc)).digest("hex").slice(0, 16)]));
    expect(actual).to.deep.equal(PINNED);
  });

  it("error: the loader refuses any other URL without fetching, and resolves did:key offline", async () => {
    const load = createDocumentLoader();
    for (const url of ["https://example.com/context.jsonld", "http://www.w3.org/ns/credentials/v2", "did:web:uni.example", "file:///etc/passwd"]) {
      let error: unknown;
      await load(url).catch((e: unknown) => (error = e));
      expect(error, url).to.be.instanceOf(DocumentNotPinnedError);
    }
    const did = "did:key:z6MkjZRZv3aez3r18pB1RBFJR1kwUVJ5jHt92JmQwXbd5hwi";
    const { document } = await load(did);
    expect((document as { id: string }).id).to.equal(did);
  });
});
