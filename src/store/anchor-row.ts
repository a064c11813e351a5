// A credential read with its batch and anchor transaction in one query (serving a bundle): the
// joined columns both stores select, and how they become the row and its two parts.
import type { AnchorOfCredential, CredentialRow } from "./types.ts";

/** The batch (`b_…`) and transaction (`t_…`) columns joined to `credentials c` (batches b, chain_txs t): never the batch's leaves. */
export const ANCHOR_COLUMNS = `b.id AS b_id, b.root AS b_root, b.state AS b_state, b.tx_id AS b_tx_id, b.root_revoked AS b_root_revoked,
  b.failed_at AS b_failed_at, b.registry AS b_registry, t.tx_hash AS t_tx_hash, t.block_number AS t_block_number`;

/** A credential row joined with its batch (`b_…`) and anchor transaction (`t_…`) columns. */
export type JoinedAnchorRow = CredentialRow & {
  b_id: number | null;
  b_root: Buffer | null;
  b_state: NonNullable<AnchorOfCredential["batch"]>["state"] | null;
  b_tx_id: number | null;
  b_root_revoked: 0 | 1 | null;
  b_failed_at: number | null;
  b_registry: string | null;
  t_tx_hash: `0x${string}` | null;
  t_block_number: number | null;
};

/**
 * The credential with its batch and transaction as objects (null where the join found none).
 *
 * @example
 * const { batch, tx } = splitAnchor(joined);
 */
export function splitAnchor(row: JoinedAnchorRow): CredentialRow & AnchorOfCredential {
  const { b_id, b_root, b_state, b_tx_id, b_root_revoked, b_failed_at, b_registry, t_tx_hash, t_block_number, ...credential } = row;
  const batch =
    b_id === null ? null : { id: b_id, root: b_root!, state: b_state!, tx_id: b_tx_id, root_revoked: b_root_revoked!, failed_at: b_failed_at, registry: b_registry };
  const tx = batch === null || b_tx_id === null ? null : { tx_hash: t_tx_hash, block_number: t_block_number };
  return { ...credential, batch, tx };
}
