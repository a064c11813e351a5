// Finds transactions the chain forgot: recorded as mined or confirmed, in blocks it no longer has.
import type { PublicClient } from "viem";
import type { Db } from "../store/db.ts";

/** One recorded block whose transactions the chain no longer holds. */
export type ForgottenBlock = { number: number; hash: string };

const PAGE = 64;

/** Whether the chain's block `number` is the one we recorded (`undefined`: the chain has no such block). */
async function sameBlock(client: PublicClient, number: number, hash: string): Promise<boolean> {
  try {
    const block = await client.getBlock({ blockNumber: BigInt(number) });
    return block.hash === hash;
  } catch (error) {
    if ((error as Error).name === "BlockNotFoundError") return false;
    throw error;
  }
}

/**
 * The blocks, newest first, in which `signer`'s transactions were recorded as mined or confirmed
 * but which the chain no longer has (a local chain restored from an older state dump, or a reorg
 * deeper than the confirmations waited). Walks down from the newest recorded block and stops at
 * the first one the chain still has: blocks below it are its ancestors, so they are there too.
 * One `eth_getBlockByNumber` per recorded block checked; nothing recorded, no call.
 *
 * @example
 * const lost = await forgottenBlocks(db, client, "0x7099…");
 * if (lost.length) console.log(`the chain went back below block ${lost.at(-1)!.number}`);
 */
export async function forgottenBlocks(db: Db, client: PublicClient, signer: string): Promise<ForgottenBlock[]> {
  const page = db.prepare(
    `SELECT DISTINCT block_number AS number, block_hash AS hash FROM chain_txs
     WHERE signer = ? AND state IN ('mined', 'confirmed') AND block_number IS NOT NULL AND block_number < ?
     ORDER BY block_number DESC LIMIT ${PAGE}`,
  );
  const lost: ForgottenBlock[] = [];
  let below = Number.MAX_SAFE_INTEGER;
  for (;;) {
    const blocks = page.all(signer.toLowerCase(), below) as ForgottenBlock[];
    for (const block of blocks) {
      if (await sameBlock(client, block.number, block.hash)) return lost;
      lost.push(block);
    }
    if (blocks.length < PAGE) return lost;
    below = blocks.at(-1)!.number;
  }
}
