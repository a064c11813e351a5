// What surfaces show of stored records: credentials (with their bundle once anchored), batches
// (with their cost), status changes (with their transactions). Another issuer's record is
// answered exactly like a missing one: ids reveal nothing.
import { formatEther, type Address } from "viem";
import { BUNDLE_LIMITS, createBundle, type Bundle } from "../../core/bundle.ts";
import { canonicalize } from "../../core/canonical.ts";
import { bytesToHex } from "../../core/encoding.ts";
import { ServiceError } from "../../core/errors.ts";
import type { JsonObject } from "../../core/json.ts";
import type { AnchorOfCredential, ChainTxRow, CredentialRow } from "../../store/types.ts";
import { credentialIdMac } from "../dedupe.ts";
import type { CachedBundle } from "../bundle-cache.ts";
import type { BatchView, ChainTxView, CredentialView, Principal, StatusChangeView } from "../types.ts";
import { batchState, credentialState, iso, mayAct, type IssuerDeps } from "./deps.ts";

/**
 * The credential row `principal` may see, or NOT_FOUND.
 *
 * @example
 * const row = await credentialRowFor(deps, principal, id);
 */
export async function credentialRowFor(deps: IssuerDeps, principal: Principal, id: string): Promise<CredentialRow> {
  const row = await deps.store.credentials.get(id);
  if (!row || !mayAct(principal, row.issuer_id)) throw new ServiceError(`no credential ${id}`, { code: "NOT_FOUND" });
  return row;
}

async function txRow(deps: IssuerDeps, id: number | null): Promise<ChainTxRow | undefined> {
  return id == null ? undefined : deps.store.outbox.get(id);
}

/** A transaction as surfaces show it; undefined until it was signed. */
async function txView(deps: IssuerDeps, tx: ChainTxRow | undefined): Promise<ChainTxView | undefined> {
  if (!tx || (tx.tx_hash === null && tx.nonce === null)) return undefined;
  const hash = tx.tx_hash ?? (await deps.store.outbox.attempts(tx.id))[0]?.hash ?? "";
  const view: ChainTxView = { hash, nonce: tx.nonce ?? 0 };
  if (tx.block_number !== null) {
    view.blockNumber = tx.block_number;
    if (tx.block_hash) view.blockHash = tx.block_hash;
    if (tx.block_time !== null) view.blockTime = new Date(tx.block_time * 1000).toISOString();
    if (tx.gas_used) view.gasUsed = tx.gas_used;
    if (tx.gas_price) view.effectiveGasPrice = tx.gas_price;
  }
  return view;
}

type Anchor = { batch: NonNullable<AnchorOfCredential["batch"]>; tx: NonNullable<AnchorOfCredential["tx"]> };

/** The credential's batch and anchor transaction, read separately (a row read without `getAnchored`). */
async function anchorOf(deps: IssuerDeps, row: CredentialRow): Promise<AnchorOfCredential> {
  const batch = row.batch_id === null ? undefined : await deps.store.batches.get(row.batch_id);
  return { batch: batch ?? null, tx: (await txRow(deps, batch?.tx_id ?? null)) ?? null };
}

/**
 * The credential's Merkle proof: stored in its row if it was claimed before migration 9, else
 * computed from its batch's tree (built from the batch's stored leaves, kept per process).
 */
async function proofOf(deps: IssuerDeps, row: CredentialRow, batch: Anchor["batch"]): Promise<Uint8Array> {
  if (row.proof !== null) return row.proof;
  const tree = await deps.runtime.trees.get(batch.id, () => deps.store.batches.leaves(batch.id), batch.root);
  return tree.getProof(row.leaf_index!);
}

async function bundleOf(deps: IssuerDeps, row: CredentialRow, { batch, tx }: Anchor): Promise<Bundle> {
  const { chainId } = deps;
  // A batch anchored before a registry upgrade stays on its own registry (its leaves name it).
  const registry = (batch.registry ?? deps.registry) as Address;
  return createBundle(
    { credential: JSON.parse(row.content!) as JsonObject, salts: row.salts!, hiddenFieldHashes: [], hiddenElements: [] },
    {
      chainId,
      registry,
      issuerId: row.issuer_id,
      statusIndex: row.status_index,
      validFrom: row.valid_from,
      validUntil: row.valid_until,
      leaf: row.leaf,
      proof: await proofOf(deps, row, batch),
      root: batch.root,
      txHash: Buffer.from(tx.tx_hash!.slice(2), "hex"),
      blockNumber: tx.block_number!,
    },
  );
}

/**
 * A credential as `principal` may see it, with its bundle once anchored (and not erased).
 *
 * @example
 * const { state, bundle } = await getCredential(deps, principal, "0192…");
 */
export async function getCredential(deps: IssuerDeps, principal: Principal, id: string): Promise<CredentialView> {
  return credentialViewOf(deps, await anchoredRowFor(deps, principal, id));
}

/** The credential row `principal` may see with its batch and transaction (one query), or NOT_FOUND. */
async function anchoredRowFor(deps: IssuerDeps, principal: Principal, id: string): Promise<CredentialRow & AnchorOfCredential> {
  const row = await deps.store.credentials.getAnchored(id);
  if (!row || !mayAct(principal, row.issuer_id)) throw new ServiceError(`no credential ${id}`, { code: "NOT_FOUND" });
  return row;
}

/**
 * A stored credential as surfaces show it (the caller checked who may see it), with its bundle
 * once anchored (and not erased).
 *
 * @example
 * const { bundle } = await credentialViewOf(deps, row);
 */
export async function credentialViewOf(deps: IssuerDeps, row: CredentialRow & Partial<AnchorOfCredential>): Promise<CredentialView> {
  const { batch, tx } = row.batch === undefined ? await anchorOf(deps, row) : { batch: row.batch, tx: row.tx ?? null };
  const state = credentialState(batch ? batchState(batch) : null);
  const view: CredentialView = {
    id: row.id,
    issuerId: row.issuer_id,
    statusIndex: row.status_index,
    state,
    createdAt: iso(row.created_at)!,
    revoked: row.revoked === 1 || batch?.root_revoked === 1,
    suspended: row.suspended === 1,
  };
  if (batch) view.batchId = batch.id;
  if (row.erased_at !== null) view.erasedAt = iso(row.erased_at)!;
  else view.credential = JSON.parse(row.content!) as JsonObject;
  if (batch && row.erased_at === null && (state === "anchored" || state === "confirmed")) {
    if (tx?.tx_hash && tx.block_number !== null) view.bundle = await bundleOf(deps, row, { batch, tx });
  }
  return view;
}

/**
 * The proof bundle of an anchored credential `principal` may read, as served (canonical JSON)
 * with its ETag. The database is asked whether it is erased and how it is anchored unless it
 * said so within BUNDLE_RECHECK_MS (see BundleCache); the bytes come from this process's cache.
 * Status is not in a bundle: revoking or suspending never changes its bytes.
 *
 * @throws ServiceError `NOT_FOUND`, `GONE` (erased), `CONFLICT` (not anchored yet).
 *
 * @example
 * const { text, etag } = await getBundleText(deps, principal, "0192…");
 */
export async function getBundleText(deps: IssuerDeps, principal: Principal, id: string): Promise<CachedBundle> {
  const { bundles } = deps.runtime;
  const recent = bundles.recent(id);
  // Another issuer's key goes on to the database, to be answered exactly as a missing id.
  if (recent && mayAct(principal, recent.issuerId)) return recent;
  const read = bundles.beforeRead();
  // One query: the credential, its batch and its anchor transaction.
  const row = await anchoredRowFor(deps, principal, id);
  if (row.erased_at !== null) {
    bundles.delete(row.id);
    throw new ServiceError(`credential ${row.id} was erased at ${iso(row.erased_at)!}`, { code: "GONE" });
  }
  const { batch } = row;
  const state = credentialState(batch ? batchState(batch) : null);
  const tx = batch && (state === "anchored" || state === "confirmed") ? row.tx : null;
  if (!batch || !tx?.tx_hash || tx.block_number === null) {
    bundles.delete(row.id);
    throw new ServiceError(`credential ${row.id} is ${state}: its bundle exists once it is anchored`, { code: "CONFLICT" });
  }
  // The bytes change only if the anchor does (a reorganisation moved the transaction).
  const stamp = `${batch.id}:${tx.tx_hash}:${tx.block_number}`;
  const cached = bundles.get(row.id, stamp, read);
  if (cached) return cached;
  // encodeBundle's bytes without its second schema check: createBundle has just made the same one.
  return bundles.set(row.id, stamp, canonicalize(await bundleOf(deps, row, { batch, tx }), BUNDLE_LIMITS), row.issuer_id, read);
}

/**
 * A signed credential (by service id or VC id) with its issuer's proof; NOT_FOUND for anything
 * else (or another issuer's). VC ids are stored only as MACs per issuer: the one asked for is
 * MACed under each issuer the principal may act for.
 *
 * @example
 * const { view, proof } = await getSignedCredential(deps, principal, "https://issuer.example/credentials/0192…");
 */
export async function getSignedCredential(deps: IssuerDeps, principal: Principal, id: string): Promise<{ view: CredentialView; proof: JsonObject }> {
  const issuers = [...deps.issuers.keys()].filter((issuerId) => mayAct(principal, issuerId));
  const macs = issuers.map((issuerId) => credentialIdMac(deps.secret, issuerId, { id })).filter((m): m is Buffer => m !== undefined);
  const row = (await deps.store.signedCredentials.find(id, macs)).find((r) => mayAct(principal, r.issuer_id));
  if (!row) throw new ServiceError(`no signed credential ${id}`, { code: "NOT_FOUND" });
  return { view: await getCredential(deps, principal, row.credential_id), proof: JSON.parse(row.proof) as JsonObject };
}

/**
 * A batch with its anchor transaction and what it cost.
 *
 * @example
 * const { state, costPerCredentialWei } = await getBatch(deps, principal, 3);
 */
export async function getBatch(deps: IssuerDeps, principal: Principal, id: number): Promise<BatchView> {
  const batch = await deps.store.batches.get(id);
  if (!batch || !mayAct(principal, batch.issuer_id)) throw new ServiceError(`no batch ${id}`, { code: "NOT_FOUND" });
  const view: BatchView = {
    id: batch.id,
    issuerId: batch.issuer_id,
    state: batchState(batch),
    size: batch.size,
    root: bytesToHex(batch.root),
    createdAt: iso(batch.created_at)!,
    rootRevoked: batch.root_revoked === 1,
  };
  if (batch.error !== null && batch.failed_at !== null) view.error = batch.error;
  if (batch.rebuilds > 0) view.rebuilds = batch.rebuilds;
  const tx = await txView(deps, await txRow(deps, batch.tx_id));
  if (tx) view.tx = tx;
  if (tx?.gasUsed && tx.effectiveGasPrice) {
    const cost = BigInt(tx.gasUsed) * BigInt(tx.effectiveGasPrice);
    view.costWei = cost.toString();
    view.costPerCredentialWei = (cost / BigInt(batch.size)).toString();
    view.costEther = formatEther(cost);
    view.costPerCredentialEther = formatEther(cost / BigInt(batch.size));
    view.gasPerCredential = Math.round(Number(tx.gasUsed) / batch.size);
  }
  return view;
}

/**
 * A status change with its transactions and progress.
 *
 * @example
 * const { state, progress } = await getStatusChange(deps, principal, 7);
 */
export async function getStatusChange(deps: IssuerDeps, principal: Principal, id: number): Promise<StatusChangeView> {
  const row = await deps.store.statusChanges.get(id);
  if (!row || !mayAct(principal, row.issuer_id)) throw new ServiceError(`no revocation request ${id}`, { code: "NOT_FOUND" });
  const view: StatusChangeView = {
    id: row.id,
    issuerId: row.issuer_id,
    action: row.action,
    reason: row.reason,
    statusIndices: row.indices,
    state: row.state,
    createdAt: iso(row.created_at)!,
    progress: { transactions: 0, landed: 0, failed: 0 },
  };
  if (row.batch_id !== null) view.batchId = row.batch_id;
  const tx = await txView(deps, await txRow(deps, row.tx_id));
  if (tx) view.tx = tx;
  const txs = await deps.store.outbox.byOwner(["status", "revokeRoot"], row.id);
  view.progress = {
    transactions: txs.length,
    landed: txs.filter((t) => t.outcome === "done" || t.state === "confirmed").length,
    failed: txs.filter((t) => t.outcome === "failed").length,
  };
  if (txs.length > 1) view.transactions = (await Promise.all(txs.map((t) => txView(deps, t)))).filter((t) => t !== undefined);
  if (row.error) view.error = row.error;
  return view;
}
