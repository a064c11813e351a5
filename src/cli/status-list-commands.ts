// `credanchor status-list build|check`: mirror a status list from the chain alone, or audit a published one against it.
import { readFileSync, writeFileSync } from "node:fs";
import { parseArgs } from "node:util";
import { createPublicClient, http, isAddress, type Address, type PublicClient } from "viem";
import { JSON_LIMITS, parseJson } from "../core/json.ts";
import { STATUS_PURPOSES, type StatusPurpose } from "../vc/status-entries.ts";
import { diffBitstrings, encodeBitstring } from "../vc/status-list.ts";
import { auditStatusList, readChainList } from "../verifier/status-list-audit.ts";
import { loadTrustList } from "../verifier/trust-files.ts";
import { RPC_TRANSPORT } from "../verifier/verify-bundle.ts";
import { displayUrl, terminalJson, terminalSafe } from "./terminal.ts";

const USAGE = `Usage:
  credanchor status-list build --rpc <url> --registry <0x…> --issuer <n> [options]
  credanchor status-list check <url|file> --rpc <url> [--trust <book.json>…] [--json]

build: reads one issuer's status list (131,072 entries) from the registry alone, no issuer
server needed, and writes it as a W3C bitstring.
  --purpose revocation|suspension   default revocation
  --list <n>                        list number (status indices n × 131,072 …), default 0
  --block <n>                       read at this block (default: the head)
  --format json|bits                json (default): source block, set indices and the
                                    encodedList (GZIP + multibase u); bits: the raw 16 KiB
  --out <file>                      write there instead of standard output

check: fetches a published BitstringStatusListCredential, verifies its signature (did:key,
offline contexts), rebuilds the bits from the chain at the block its evidence names, in a
trusted registry (the shipped deployments/*.json and --trust files), and prints every difference.
Exit code: 0 equal, 1 different (or a bad signature), 2 could not decide.`;

/** Largest list document fetched (a 131,072-entry list is ~1 KiB to ~25 KiB; 2^27 entries compress to far less). */
const MAX_LIST_DOCUMENT = 32 * 1024 * 1024;

const client = (rpc: string): PublicClient => createPublicClient({ transport: http(rpc, RPC_TRANSPORT) }) as PublicClient;

async function buildCommand(argv: string[]): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: {
      rpc: { type: "string" },
      registry: { type: "string" },
      issuer: { type: "string" },
      purpose: { type: "string", default: "revocation" },
      list: { type: "string", default: "0" },
      block: { type: "string" },
      format: { type: "string", default: "json" },
      out: { type: "string" },
    },
  });
  const issuer = Number(values.issuer);
  const list = Number(values.list);
  const problems = [
    !values.rpc && "--rpc is required",
    !(values.registry && isAddress(values.registry)) && "--registry must be a 0x address",
    !(Number.isSafeInteger(issuer) && issuer >= 1) && "--issuer must be an issuer id ≥ 1",
    !STATUS_PURPOSES.includes(values.purpose as StatusPurpose) && "--purpose must be revocation or suspension",
    !(Number.isSafeInteger(list) && list >= 0 && list < 32_768) && "--list must be 0 to 32767",
    values.block !== undefined && !/^(0|[1-9][0-9]*)$/.test(values.block) && "--block must be a block number",
    !["json", "bits"].includes(values.format) && "--format must be json or bits",
  ].filter(Boolean);
  if (problems.length) {
    console.error(terminalSafe(`credanchor status-list build: ${problems.join("; ")}\n\n${USAGE}`));
    return 2;
  }
  let chain;
  try {
    chain = await readChainList(client(values.rpc!), values.registry as Address, issuer, values.purpose as StatusPurpose, list, values.block === undefined ? undefined : BigInt(values.block));
  } catch (error) {
    console.error(terminalSafe(`credanchor status-list build: cannot read the chain at ${displayUrl(values.rpc!)}: ${(error as Error).message.split("\n")[0]}`));
    return 2;
  }
  const set = diffBitstrings(chain.bits, new Uint8Array(chain.bits.length));
  const json = {
    chainId: chain.chainId,
    registry: values.registry,
    issuerId: issuer,
    purpose: chain.purpose,
    list,
    blockNumber: chain.blockNumber.toString(),
    blockHash: chain.blockHash,
    entries: chain.bits.length * 8,
    set,
    encodedList: encodeBitstring(chain.bits),
  };
  const output = values.format === "bits" ? chain.bits : `${JSON.stringify(json, null, 2)}\n`;
  if (values.out) {
    writeFileSync(values.out, output);
    console.error(terminalSafe(`${values.out}: ${chain.purpose} list ${list} of issuer ${issuer} at block ${chain.blockNumber}, ${set.length} set`));
  } else process.stdout.write(output);
  return 0;
}

/** The list document from a URL (http/https, size-limited) or a file. */
async function loadList(where: string): Promise<string> {
  if (!/^https?:\/\//i.test(where)) return readFileSync(where, "utf8");
  const response = await fetch(where, { headers: { accept: "application/vc+ld+json, application/json" }, signal: AbortSignal.timeout(30_000) });
  if (!response.ok) throw new Error(`HTTP ${response.status}`);
  const declared = Number(response.headers.get("content-length") ?? "0");
  if (declared > MAX_LIST_DOCUMENT) throw new Error(`the document is larger than ${MAX_LIST_DOCUMENT} bytes`);
  const body = await response.arrayBuffer();
  if (body.byteLength > MAX_LIST_DOCUMENT) throw new Error(`the document is larger than ${MAX_LIST_DOCUMENT} bytes`);
  return new TextDecoder("utf-8", { fatal: true }).decode(body);
}

async function checkCommand(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: { rpc: { type: "string" }, trust: { type: "string", multiple: true, default: [] }, json: { type: "boolean", default: false } },
  });
  if (positionals.length !== 1 || !values.rpc) {
    console.error(terminalSafe(`credanchor status-list check: name one list (URL or file) and --rpc\n\n${USAGE}`));
    return 2;
  }
  const where = positionals[0]!;
  let credential: unknown;
  try {
    credential = parseJson(await loadList(where), { ...JSON_LIMITS, maxBytes: MAX_LIST_DOCUMENT });
  } catch (error) {
    console.error(terminalSafe(`${where}: cannot load the list: ${(error as Error).message.split("\n")[0]}`));
    return 2;
  }
  const audit = await auditStatusList(credential, { client: client(values.rpc), trust: loadTrustList({ extraFiles: values.trust }) });
  if (values.json) console.log(terminalJson({ list: where, rpc: displayUrl(values.rpc), ...audit }));
  else {
    console.log(terminalSafe(`${where}: ${audit.outcome.toUpperCase()}`));
    for (const line of audit.messages) console.log(terminalSafe(`  ${line}`));
  }
  return { equal: 0, different: 1, undecided: 2 }[audit.outcome];
}

/** `credanchor status-list …` (registered in src/cli/credanchor.ts). */
export const statusListCommand = {
  name: "status-list",
  async run(argv: string[]): Promise<number> {
    const [sub, ...rest] = argv;
    if (sub === "build") return buildCommand(rest);
    if (sub === "check") return checkCommand(rest);
    if (sub === "--help" || sub === "-h" || sub === "help") {
      console.log(USAGE);
      return 0;
    }
    console.error(terminalSafe(`credanchor status-list: ${sub === undefined ? "name build or check" : `unknown subcommand "${sub}"`}\n\n${USAGE}`));
    return 2;
  },
};
