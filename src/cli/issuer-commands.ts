// Issuer commands of `credanchor`: issue, status, revoke, erase, all through the HTTP API.
import { createHash } from "node:crypto";
import { mkdirSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { parseArgs } from "node:util";
import type { BatchView, CredentialView, StatusChangeView } from "../issuer/types.ts";
import { ApiCallError, ApiClient, reportApiError } from "./api-client.ts";
import { InputError, readCredentialSources, type SourcedCredential } from "./credential-sources.ts";

export type Command = { name: string; usage: string; run(argv: string[]): Promise<number> };

const CONNECTION = `Connection:
  --url <url>            the credanchor API (default $CREDANCHOR_URL or http://127.0.0.1:8080)
  --api-key <key>        the issuer's API key (default $CREDANCHOR_API_KEY, else the local
                         demo key that npm start saved in data/demo-keys.json)`;

const connectionOptions = { url: { type: "string" }, "api-key": { type: "string" }, help: { type: "boolean", short: "h" } } as const;

type Values = Record<string, string | boolean | string[] | undefined>;
type OptionSpec = Record<string, { type: "string" | "boolean"; multiple?: boolean; short?: string }>;

function parse(argv: string[], options: OptionSpec, usage: string): { values: Values; positionals: string[] } | undefined {
  try {
    const { values, positionals } = parseArgs({ args: argv, options: { ...connectionOptions, ...options }, allowPositionals: true, strict: true });
    return { values: values as Values, positionals };
  } catch (error) {
    console.error(`error: ${(error as Error).message}\n\n${usage}`);
    return undefined;
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const DONE = new Set(["anchored", "confirmed"]);

const ISSUE_USAGE = `Usage: credanchor issue <input…> [options]

Submits credentials in requests of --chunk, each with an Idempotency-Key derived from its
content, so re-running after an interruption never issues twice. An input is:
  file.json              one credential, an array of them, or an API request body {"credentials": [...]}
  file.jsonl / .ndjson   one credential per line (JSON Lines)
  file.csv               one credential per row, filled into --template
  <directory>            its .json, .jsonl, .ndjson and .csv files, by name
  -                      JSON Lines on standard input
Prints one line per accepted credential: id, status index, and where it came from. A credential
whose own "id" this issuer already submitted is not issued again: its line shows the existing
record, marked skipped (so a re-run with other chunks, order or added files issues only what is new).

Options:
  --list <file>          also read the inputs named in <file>, one path per line (repeatable):
                         avoids the shell's and npm's limits on long argument lists
  --template <file>      for CSV inputs: a credential whose strings hold {{column}} placeholders;
                         a value that is only "{{column}}" is left out when the cell is empty
  --chunk <n>            credentials per request (default 1000, at most 10000)
  --wait                 wait until every credential is anchored
  --out <dir>            with --wait: write each proof bundle to <dir>/<id>.json; and always
                         <dir>/manifest.json (input → credential id → bundle)
  --manifest <file>      write the manifest to <file> (default <dir>/manifest.json with --out)
  --json                 print the accepted credentials as JSON
${CONNECTION}`;

/** `duplicate`: the issuer had already submitted a credential with this own `id`: nothing new was issued for this input. */
type Accepted = { id: string; statusIndex: number; source: string; duplicate?: true; bundle?: string };

/** Keeps the manifest on disk current after every accepted request, so a failure loses no id. */
function manifestWriter(file: string | undefined): (entries: readonly Accepted[]) => void {
  if (!file) return () => {};
  mkdirSync(dirname(file), { recursive: true });
  return (entries) => writeFileSync(file, JSON.stringify({ version: 1, credentials: entries }, null, 2) + "\n");
}

/** Maps the API's `credentials[i]…` detail paths of one request back to the inputs they came from. */
function withSources(error: unknown, part: readonly SourcedCredential[]): unknown {
  if (!(error instanceof ApiCallError)) return error;
  const details = error.details.map((d) => {
    const m = /^credentials\[(\d+)\]\.?(.*)$/.exec(d.path);
    const source = m ? part[Number(m[1])]?.source : undefined;
    return source ? { path: `${source}${m![2] ? ` ${m![2]}` : ""}`, message: d.message } : d;
  });
  return new ApiCallError(error.status, error.code, error.message, details);
}

export const issueCommand: Command = {
  name: "issue",
  usage: ISSUE_USAGE,
  async run(argv) {
    const args = parse(
      argv,
      {
        chunk: { type: "string" },
        wait: { type: "boolean" },
        out: { type: "string" },
        json: { type: "boolean" },
        list: { type: "string", multiple: true },
        template: { type: "string" },
        manifest: { type: "string" },
      },
      ISSUE_USAGE,
    );
    if (!args) return 2;
    const { values, positionals } = args;
    if (values.help) return console.log(ISSUE_USAGE), 0;
    const lists = values.list as string[] | undefined;
    if (positionals.length === 0 && !lists) return console.error(`error: name at least one input (a file, a directory, - for stdin, or --list)\n\n${ISSUE_USAGE}`), 2;
    const chunk = Number(values.chunk ?? 1000);
    if (!Number.isInteger(chunk) || chunk < 1 || chunk > 10_000) return console.error("error: --chunk must be an integer from 1 to 10000"), 2;
    let credentials: SourcedCredential[];
    try {
      credentials = readCredentialSources(positionals, { lists, template: values.template as string | undefined, note: (m) => console.error(`note: ${m}`) });
    } catch (error) {
      if (!(error instanceof InputError)) throw error;
      return console.error(`error: ${error.message}; nothing was submitted`), 2;
    }
    if (credentials.length === 0) return console.error("error: the inputs hold no credential; nothing was submitted"), 2;
    const out = values.out as string | undefined;
    const manifestFile = (values.manifest as string | undefined) ?? (out ? join(out, "manifest.json") : undefined);
    const writeManifest = manifestWriter(manifestFile);
    const client = new ApiClient({ url: values.url as string | undefined, apiKey: values["api-key"] as string | undefined });
    const accepted: Accepted[] = [];
    const progress = credentials.length > chunk;
    const tty = Boolean(process.stderr.isTTY);
    for (let start = 0; start < credentials.length; start += chunk) {
      const part = credentials.slice(start, start + chunk);
      const body = part.map((c) => c.credential);
      const key = createHash("sha256").update(JSON.stringify(body)).digest("hex").slice(0, 40);
      let answer: { credentials: { id: string; statusIndex: number; duplicate?: true }[] };
      try {
        answer = await client.request("POST", "/v1/credentials", { credentials: body }, { "idempotency-key": `cli-${key}` });
      } catch (error) {
        if (progress && tty) process.stderr.write("\n");
        const code = reportApiError(withSources(error, part));
        const what = `the request with ${part[0]!.source} … ${part.at(-1)!.source} ${error instanceof ApiCallError && error.status === 0 ? "could not be sent" : "was refused"}`;
        console.error(
          accepted.length === 0
            ? `nothing was accepted (${what})`
            : `${accepted.length} of ${credentials.length} were accepted before ${what}; their ids are printed above${manifestFile ? ` and in ${manifestFile}` : ""}; fix the input and run the same command again: what was accepted is not issued twice`,
        );
        return code;
      }
      const entries = answer.credentials.map((c, i) => ({ id: c.id, statusIndex: c.statusIndex, source: part[i]!.source, ...(c.duplicate ? { duplicate: true as const } : {}) }));
      accepted.push(...entries);
      writeManifest(accepted);
      if (!values.json) for (const c of entries) console.log(`${c.id}  status index ${c.statusIndex}  ${c.source}${c.duplicate ? "  (skipped: its credential id was issued before)" : ""}`);
      const line = `submitted ${accepted.length}/${credentials.length} (${Math.floor((100 * accepted.length) / credentials.length)}%)`;
      if (progress) process.stderr.write(tty ? `\r${line}` : `${line}\n`);
    }
    if (progress && tty) process.stderr.write("\n");
    if (values.json) console.log(JSON.stringify(accepted, null, 2));
    const skipped = accepted.filter((c) => c.duplicate).length;
    if (skipped > 0) console.error(`skipped ${skipped} of ${accepted.length}: a credential with the same id was issued before (its existing record is shown); ${accepted.length - skipped} new`);
    if (!values.wait) {
      if (manifestFile) console.log(`manifest written to ${manifestFile}`);
      return 0;
    }
    try {
      const code = await waitForAnchors(client, accepted, out);
      writeManifest(accepted);
      if (manifestFile) console.log(`manifest written to ${manifestFile}`);
      return code;
    } catch (error) {
      return reportApiError(error);
    }
  },
};

async function waitForAnchors(client: ApiClient, accepted: Accepted[], out?: string): Promise<number> {
  // A skipped input (same credential id) shares its credential, and its bundle, with another entry.
  const byId = new Map<string, Accepted[]>();
  for (const c of accepted) byId.set(c.id, [...(byId.get(c.id) ?? []), c]);
  const ids = [...byId.keys()];
  const pending = new Set(ids);
  if (out) mkdirSync(out, { recursive: true });
  let lastShown = -1;
  while (pending.size > 0) {
    for (const id of [...pending]) {
      const view = await client.request<CredentialView>("GET", `/v1/credentials/${encodeURIComponent(id)}`);
      if (view.state === "failed") {
        console.error(`error: credential ${id} failed: its batch ${view.batchId} can never be anchored (credanchor status --batch ${view.batchId} says why); resubmit it`);
        return 1;
      }
      if (!DONE.has(view.state)) break; // batches anchor oldest first: no need to ask about later ones yet
      pending.delete(id);
      if (out && view.bundle) {
        writeFileSync(join(out, `${id}.json`), JSON.stringify(view.bundle, null, 2) + "\n");
        for (const c of byId.get(id)!) c.bundle = `${id}.json`;
      }
    }
    const done = ids.length - pending.size;
    if (done !== lastShown) process.stderr.write(process.stderr.isTTY ? `\ranchored ${done}/${ids.length}` : `anchored ${done}/${ids.length}\n`);
    lastShown = done;
    if (pending.size > 0) await sleep(500);
  }
  if (process.stderr.isTTY) process.stderr.write("\n");
  if (out) console.log(`bundles written to ${out}/`);
  return 0;
}

const STATUS_USAGE = `Usage: credanchor status <credential-id…> [options]
       credanchor status --batch <id> | --revocation <id>

Shows a credential's state (queued, batched, anchoring, anchored, confirmed), its batch and
transaction, and whether it is revoked or suspended.

Options:
  --batch <id>           show a batch: root, transaction, gas and cost per credential
  --revocation <id>      show a revocation request
  --bundle <file>        write the credential's proof bundle to <file> (one credential only)
  --out <dir>            write each named credential's proof bundle to <dir>/<id>.json
  --json                 print the API's JSON
${CONNECTION}`;

export const statusCommand: Command = {
  name: "status",
  usage: STATUS_USAGE,
  async run(argv) {
    const args = parse(argv, { batch: { type: "string" }, revocation: { type: "string" }, bundle: { type: "string" }, out: { type: "string" }, json: { type: "boolean" } }, STATUS_USAGE);
    if (!args) return 2;
    const { values, positionals } = args;
    if (values.help) return console.log(STATUS_USAGE), 0;
    const client = new ApiClient({ url: values.url as string | undefined, apiKey: values["api-key"] as string | undefined });
    try {
      if (values.batch) {
        const b = await client.request<BatchView>("GET", `/v1/batches/${encodeURIComponent(values.batch as string)}`);
        if (values.json) return console.log(JSON.stringify(b, null, 2)), 0;
        console.log(`batch ${b.id}: ${b.state}, ${b.size} credentials, root ${b.root}${b.rootRevoked ? " (REVOKED)" : ""}`);
        if (b.tx) console.log(`  tx ${b.tx.hash}${b.tx.blockNumber !== undefined ? ` in block ${b.tx.blockNumber}` : " (pending)"}`);
        if (b.tx?.gasUsed) console.log(`  gas ${b.tx.gasUsed} (${b.gasPerCredential} per credential), cost ${b.costWei} wei = ${b.costEther} ether (${b.costPerCredentialWei} wei per credential)`);
        return 0;
      }
      if (values.revocation) {
        const r = await client.request<StatusChangeView>("GET", `/v1/revocations/${encodeURIComponent(values.revocation as string)}`);
        if (values.json) return console.log(JSON.stringify(r, null, 2)), 0;
        console.log(`revocation ${r.id}: ${r.action} ${r.batchId !== undefined ? `batch ${r.batchId}` : `${r.statusIndices.length} status indices`}: ${r.state}${r.error ? ` (${r.error})` : ""}`);
        if (r.tx) console.log(`  tx ${r.tx.hash}${r.tx.blockNumber !== undefined ? ` in block ${r.tx.blockNumber}` : ""}`);
        return 0;
      }
      if (positionals.length === 0) return console.error(`error: name a credential id, --batch or --revocation\n\n${STATUS_USAGE}`), 2;
      if (values.bundle && positionals.length > 1) {
        return console.error(`error: --bundle writes one file: name one credential, or use --out <dir> for one file each`), 2;
      }
      if (values.out) mkdirSync(values.out as string, { recursive: true });
      for (const id of positionals) {
        const v = await client.request<CredentialView>("GET", `/v1/credentials/${encodeURIComponent(id)}`);
        if (values.json) {
          console.log(JSON.stringify(v, null, 2));
        } else {
          const flags = [v.revoked && "REVOKED", v.suspended && "SUSPENDED", v.erasedAt && `erased ${v.erasedAt}`].filter(Boolean).join(", ");
          console.log(`${v.id}: ${v.state}${v.batchId !== undefined ? `, batch ${v.batchId}` : ""}, status index ${v.statusIndex}${flags ? ` (${flags})` : ""}`);
          if (v.bundle) console.log(`  anchored in tx ${v.bundle.txHash}, block ${v.bundle.blockNumber}`);
        }
        const file = values.bundle ? (values.bundle as string) : values.out ? join(values.out as string, `${v.id}.json`) : undefined;
        if (file) {
          if (!v.bundle) return console.error(`error: ${id} has no bundle yet (state ${v.state})`), 1;
          writeFileSync(file, JSON.stringify(v.bundle, null, 2) + "\n");
          console.log(`bundle written to ${file}`);
        }
      }
      return 0;
    } catch (error) {
      return reportApiError(error);
    }
  },
};

const REVOKE_USAGE = `Usage: credanchor revoke <credential-id…> [options]
       credanchor revoke --batch <id>

Revokes (final), suspends or reinstates credentials on-chain, in bulk (one transaction).

Options:
  --suspend              suspend instead of revoke (can be undone)
  --reinstate            lift a suspension
  --index <n>            a status index instead of a credential id (repeatable)
  --batch <id>           revoke a whole batch's root
  --reason <0-255>       reason code recorded in the on-chain event (default 0)
  --wait                 wait until the change is confirmed on-chain
${CONNECTION}`;

export const revokeCommand: Command = {
  name: "revoke",
  usage: REVOKE_USAGE,
  async run(argv) {
    const args = parse(
      argv,
      { suspend: { type: "boolean" }, reinstate: { type: "boolean" }, index: { type: "string", multiple: true }, batch: { type: "string" }, reason: { type: "string" }, wait: { type: "boolean" } },
      REVOKE_USAGE,
    );
    if (!args) return 2;
    const { values, positionals } = args;
    if (values.help) return console.log(REVOKE_USAGE), 0;
    if (values.suspend && values.reinstate) return console.error("error: --suspend and --reinstate exclude each other"), 2;
    const action = values.suspend ? "suspend" : values.reinstate ? "reinstate" : "revoke";
    const indices = ((values.index as string[] | undefined) ?? []).map(Number);
    if (indices.some((i) => !Number.isInteger(i) || i < 0)) return console.error("error: --index takes a non-negative integer"), 2;
    if (positionals.length === 0 && indices.length === 0 && !values.batch) return console.error(`error: name credential ids, --index or --batch\n\n${REVOKE_USAGE}`), 2;
    const body: Record<string, unknown> = { action };
    if (positionals.length > 0) body.credentialIds = positionals;
    if (indices.length > 0) body.statusIndices = indices;
    if (values.batch) body.batchId = Number(values.batch);
    if (values.reason !== undefined) body.reason = Number(values.reason);
    const client = new ApiClient({ url: values.url as string | undefined, apiKey: values["api-key"] as string | undefined });
    try {
      let change = await client.request<StatusChangeView>("POST", "/v1/revocations", body);
      console.log(`revocation ${change.id}: ${change.action} of ${change.batchId !== undefined ? `batch ${change.batchId}` : `${change.statusIndices.length} credential(s)`}: ${change.state}`);
      while (values.wait && change.state !== "confirmed") {
        if (change.state === "failed") return console.error(`error: the change failed for good: ${change.error}`), 1;
        await sleep(500);
        change = await client.request<StatusChangeView>("GET", `/v1/revocations/${change.id}`);
      }
      if (values.wait) console.log(`confirmed in tx ${change.tx?.hash}`);
      return 0;
    } catch (error) {
      return reportApiError(error);
    }
  },
};

const ERASE_USAGE = `Usage: credanchor erase <credential-id…> [options]

Erases credentials' content and salts from the service (GDPR). A tombstone (id, leaf, time,
who) stays in the audit log; the chain holds nothing that links to the person, and the
holder's own proof bundle keeps verifying.
${CONNECTION}`;

export const eraseCommand: Command = {
  name: "erase",
  usage: ERASE_USAGE,
  async run(argv) {
    const args = parse(argv, {}, ERASE_USAGE);
    if (!args) return 2;
    const { values, positionals } = args;
    if (values.help) return console.log(ERASE_USAGE), 0;
    if (positionals.length === 0) return console.error(`error: name at least one credential id\n\n${ERASE_USAGE}`), 2;
    const client = new ApiClient({ url: values.url as string | undefined, apiKey: values["api-key"] as string | undefined });
    try {
      for (const id of positionals) {
        const t = await client.request<{ id: string; erasedAt: string }>("DELETE", `/v1/credentials/${encodeURIComponent(id)}`);
        console.log(`${t.id}: erased at ${t.erasedAt}`);
      }
      return 0;
    } catch (error) {
      return reportApiError(error);
    }
  },
};
