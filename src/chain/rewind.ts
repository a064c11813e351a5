// Finds transactions the chain forgot: recorded as mined or confirmed, in blocks it no longer has.
import type { PublicClient } from "viem";
import type { OutboxRepository, RecordedBlock } from "./outbox.ts";

/** One recorded block whose transactions the chain no longer holds. */
export type ForgottenBlock = RecordedBlock;

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
 * const lost = await forgottenBlocks(store.outbox, client, "0x7099…");
 * if (lost.length) console.log(`the chain went back below block ${lost.at(-1)!.number}`);
 */
export async function forgottenBlocks(outbox: OutboxRepository, client: PublicClient, signer: string): Promise<ForgottenBlock[]> {
  const lost: ForgottenBlock[] = [];
  let below = Number.MAX_SAFE_INTEGER;
  for (;;) {
    const blocks = await outbox.recordedBlocks(signer, below, PAGE);
    for (const block of blocks) {
      if (await sameBlock(client, block.number, block.hash)) return lost;
      lost.push(block);
    }
    if (blocks.length < PAGE) return lost;
    below = blocks.at(-1)!.number;
  }
}
