// Builds the credanchor-merkle-2026 test vector of docs/formats.md (fixed salts, a fixed three-leaf batch); `npm run vectors:vc` writes it.
import { bytesToHex } from "../../../src/core/encoding.ts";
import type { JsonObject } from "../../../src/core/json.ts";
import { buildCredentialTree } from "../../../src/core/merkle.ts";
import { proofToHex } from "../../../src/core/merkle-proof.ts";
import { prepareCredential } from "../../../src/core/prepare.ts";
import { createDeterministicSaltSource } from "../../../src/core/salt.ts";
import { addAnchorProof, deriveCredential, proofsOf } from "../../../src/vc/anchor-proof.ts";
import { base64urlMultibaseDecode } from "../../../src/core/multibase.ts";

const CONTEXT = { chainId: 11155111, registry: "0x5FbDB2315678afecb367f032d93F642f64180aa3", issuerId: 12, statusIndex: 4242 };

/** The credential of the vector: a VC 2.0 as issued (its eddsa proof left out: the anchor proof covers the credential without proofs). */
const CREDENTIAL: JsonObject = {
  "@context": ["https://www.w3.org/ns/credentials/v2", "https://credanchor.dev/contexts/v1.jsonld"],
  id: "urn:uuid:0e6d8f9a-6c0b-4d6e-9a51-2f4c8b1d7e01",
  type: ["VerifiableCredential"],
  issuer: "did:key:z6MkjZRZv3aez3r18pB1RBFJR1kwUVJ5jHt92JmQwXbd5hwi",
  validFrom: "2026-01-15T10:00:00Z",
  credentialSubject: { id: "did:example:learner-7", name: "Ada Lovelace", course: "Analytical Engines 101" },
  credentialStatus: [{ type: "CredanchorChainStatusEntry", chainId: "11155111", registry: "0x5FbDB2315678afecb367f032d93F642f64180aa3", issuerId: "12", statusIndex: "4242" }],
};

/**
 * The vector: the credential, its salts (seed "credanchor-merkle-2026/vector"), digest, leaf,
 * the batch's root and proof, the anchor proof, and a derived credential hiding the subject's name.
 *
 * @example
 * writeFileSync("test/vectors/vc/anchor-proof.json", formatJson(buildAnchorProofVector()));
 */
export function buildAnchorProofVector(): Record<string, unknown> {
  const prepared = prepareCredential(CREDENTIAL, CONTEXT, createDeterministicSaltSource("credanchor-merkle-2026/vector"));
  const others = [1, 2].map((i) => prepareCredential({ n: i }, { ...CONTEXT, statusIndex: CONTEXT.statusIndex + i }, createDeterministicSaltSource(`credanchor-merkle-2026/other-${i}`)).digest);
  const tree = buildCredentialTree([prepared.digest, ...others]);
  const anchor = { ...CONTEXT, validFrom: prepared.validFrom, validUntil: prepared.validUntil, leaf: tree.leaf(0), proof: tree.getProof(0).slice(), root: tree.root, txHash: new Uint8Array(32).fill(0x5a), blockNumber: 7_654_321 };
  const anchored = addAnchorProof(CREDENTIAL, prepared.salts, anchor);
  const proof = proofsOf(anchored)[0]!;
  const derived = deriveCredential(anchored, ["/credentialSubject/name"]);
  return {
    description: "credanchor-merkle-2026: a VC 2.0 anchored in a batch of three; proofValue = 'u' + base64url(compact bundle without its credential). The derived credential hides /credentialSubject/name.",
    saltSeed: "credanchor-merkle-2026/vector",
    credential: CREDENTIAL,
    anchorContext: CONTEXT,
    salts: bytesToHex(prepared.salts),
    digest: bytesToHex(prepared.digest),
    leaf: bytesToHex(tree.leaf(0)),
    merkleProof: proofToHex(tree.getProof(0)),
    root: bytesToHex(tree.root),
    txHash: bytesToHex(anchor.txHash),
    blockNumber: anchor.blockNumber,
    proofValueBytes: bytesToHex(base64urlMultibaseDecode(String(proof.proofValue))!),
    anchoredCredential: anchored,
    derivedCredential: derived,
  };
}
