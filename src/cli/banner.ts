// What `npm start` / `credanchor serve` print once the service is up.
import type { RunningServer } from "../server.ts";

/** Prints the URLs, the keys a new user needs and a curl that issues a credential. */
export function printBanner(server: RunningServer, { logsTo }: { logsTo: string }): void {
  const { url, rpcUrl, chainId, registry, demo, newAdminKey } = server;
  const lines = [
    "credanchor is running",
    `  API              ${url}/v1   (OpenAPI: ${url}/openapi.json)`,
    `  verifier page    ${url}/verify`,
    `  health           ${url}/healthz  ${url}/readyz  ${url}/metrics`,
    `  chain            ${rpcUrl} (chain ${chainId}${demo ? (demo.chainStarted ? `, started here, state in ${server.config.dataDir}/chain-state.json` : ", reused") : ""})`,
    `  registry         ${registry}`,
    `  database         ${server.config.dataDir}/credanchor.db`,
    `  logs             ${logsTo} (JSON)`,
  ];
  if (demo) {
    lines.push(
      "",
      `Demo issuer ${demo.issuerId} API key (saved in ${server.config.dataDir}/demo-keys.json, stored hashed in the database):`,
      `  ${demo.issuerApiKey}`,
      `Operator (admin) key: ${demo.adminApiKey}`,
      "",
      "Issue a credential:",
      `  curl -s ${url}/v1/credentials -H 'Authorization: Bearer ${demo.issuerApiKey}' \\`,
      `    -H 'Content-Type: application/json' -d @examples/issue-request.json`,
      "Then fetch its proof bundle (id from the answer) and verify it:",
      `  curl -s ${url}/v1/credentials/<id>/bundle -H 'Authorization: Bearer ${demo.issuerApiKey}' > bundle.json`,
      "  npm run credanchor -- verify bundle.json",
    );
  }
  if (server.resetNotice) lines.push("", server.resetNotice);
  if (newAdminKey) lines.push("", "New operator (admin) API key, shown only now; store it:", `  ${newAdminKey}`);
  lines.push("", "Press Ctrl-C to stop (work in progress stays queued in the database).");
  console.log(lines.join("\n"));
}
