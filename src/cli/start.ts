// `npm start`: the embedded default. A local Anvil chain (started and supervised, its state kept in
// data/chain-state.json, or reused at RPC_URL), the contracts deployed if missing, a demo issuer,
// ./data/credanchor.db, the API and the verifier page on http://127.0.0.1:8080. Logs go to data/credanchor.log so the banner stays readable.
import { mkdirSync } from "node:fs";
import { join, resolve } from "node:path";
import pino from "pino";
import { loadConfig } from "../config.ts";
import { startServer } from "../server.ts";
import { printBanner } from "./banner.ts";
import { reportStartError } from "./operator-commands.ts";

try {
  const config = loadConfig();
  mkdirSync(resolve(config.dataDir), { recursive: true });
  const logFile = join(config.dataDir, "credanchor.log");
  const logger = pino(
    { level: config.logLevel, base: { service: "credanchor" }, redact: ["token", "apiKey", "privateKey", "authorization"] },
    pino.destination({ dest: logFile, mkdir: true, sync: false }),
  );
  console.log("Starting credanchor (local chain, contracts, database, API)…");
  // What happens to the local chain while running (died, restarted, went back) is shown here too.
  const server = await startServer(config, { logger, notify: (line) => console.log(`! ${line}`) });
  printBanner(server, { logsTo: logFile });
  let stopping = false;
  const shutdown = () => {
    if (stopping) return;
    stopping = true;
    console.log("\nStopping: finishing the current step; unfinished work stays queued in the database…");
    server.stop().then(
      () => {
        logger.flush();
        console.log("Stopped.");
        process.exit(0);
      },
      (error: unknown) => {
        console.error(error);
        process.exit(1);
      },
    );
  };
  process.on("SIGINT", shutdown);
  process.on("SIGTERM", shutdown);
} catch (error) {
  process.exitCode = reportStartError(error);
}
