// `npm start`: the embedded default. Today: a local chain with the contracts deployed.
import { ensureDevChain } from "../chain/dev-chain.ts";

const port = Number(process.env.CHAIN_PORT ?? 8545);
const chain = await ensureDevChain({ rpcUrl: process.env.RPC_URL, port });
const { deployment } = chain;

console.log(`credanchor local chain ready
  JSON-RPC            ${chain.url} (chain 31337${chain.node ? ", started here" : ", reused"})
  CredentialRegistry  ${deployment.address} (v${deployment.version}, block ${deployment.deployBlock})
  address book        deployments/localhost.json
Press Ctrl-C to stop.`);

let stopping = false;
const shutdown = async () => {
  if (stopping) return;
  stopping = true;
  console.log("\nStopping…");
  await chain.stop();
  process.exit(0);
};
process.on("SIGINT", shutdown);
process.on("SIGTERM", shutdown);
if (!chain.node) {
  // Nothing of ours to keep alive: keep the process up so Ctrl-C behaves the same.
  setInterval(() => {}, 1 << 30);
}
