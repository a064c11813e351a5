// didWebOf and didDocumentOf: the did:web method's DID ↔ URL mapping (port percent-encoded, path segments) and the document's shape.
import { expect } from "chai";
import { didDocumentOf, didWebOf } from "../../src/vc/did-web.ts";
import { generateAssertionKey } from "../../src/vc/keys.ts";

describe("src/vc/did-web", () => {
  it("default: the host's DID, a port percent-encoded, path DIDs with ':'-separated segments", () => {
    expect(didWebOf("https://issuer.example")).to.equal("did:web:issuer.example");
    expect(didWebOf("https://issuer.example/")).to.equal("did:web:issuer.example");
    expect(didWebOf("https://issuer.example:8443", ["issuers", "1"])).to.equal("did:web:issuer.example%3A8443:issuers:1");
    expect(didWebOf("https://Issuer.Example/credanchor", ["issuers", "2"])).to.equal("did:web:issuer.example:credanchor:issuers:2");
  });

  it("default: a DID Core document with one Multikey assertionMethod per key, in order; none without keys", async () => {
    const [a, b] = [await generateAssertionKey(), await generateAssertionKey()];
    const did = "did:web:issuer.example";
    const doc = didDocumentOf(did, [a.publicKey, b.publicKey]);
    expect(doc["@context"]).to.deep.equal(["https://www.w3.org/ns/did/v1", "https://w3id.org/security/multikey/v1"]);
    expect(doc.verificationMethod).to.deep.equal([a, b].map((k) => ({ id: `${did}#${k.publicKeyMultibase}`, type: "Multikey", controller: did, publicKeyMultibase: k.publicKeyMultibase })));
    expect(doc.assertionMethod).to.deep.equal(doc.verificationMethod.map((m) => m.id));
    expect(didDocumentOf(did, [])).to.deep.include({ verificationMethod: [], assertionMethod: [] });
  });
});
