// The one place the service reads an issuer's organisational identity (a DID or URL) from the chain.
import type { Address, PublicClient } from "viem";
import { credentialRegistryAbi } from "./abi.ts";

/**
 * The identity credentials of `issuerId` must name as their `issuer`: today the `metadataURI`
 * the accreditor registered (`getIssuer`). A v2 registry sets `identity` itself: switch here.
 *
 * @example
 * const identity = await readIssuerIdentity(client, registry, 1); // "did:web:uni.example"
 */
export async function readIssuerIdentity(client: PublicClient, registry: Address, issuerId: number): Promise<string> {
  const [, metadataURI] = await client.readContract({ address: registry, abi: credentialRegistryAbi, functionName: "getIssuer", args: [BigInt(issuerId)] });
  return metadataURI;
}
