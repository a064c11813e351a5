// `credanchor backup <file>`: an online, consistent copy of the service database (mode 0600), on the service's machine.
import { existsSync } from "node:fs";
import { join, resolve } from "node:path";
import { CredanchorError } from "../core/errors.ts";
import { backupDatabase } from "../store/sqlite/backup.ts";
import { openDatabase } from "../store/sqlite/database.ts";
import { parseCommandLine } from "./command-line.ts";
import type { Command } from "./issuer-commands.ts";

const USAGE = `Usage: credanchor backup <file> [--data-dir <dir>]

Writes a consistent copy of the service's database (SQLite's online backup: safe while the
service runs) to <file>, readable only by you (mode 0600); never overwrites. The copy holds
personal data: keep it encrypted, with its own retention. It does not hold the server secret
(data/server-secret or SERVER_SECRET): back that up apart. Restore: docs/operations.md.

Options:
  --data-dir <dir>       [DATA_DIR] (default ./data)`;

export const backupCommand: Command = {
  name: "backup",
  usage: USAGE,
  async run(argv) {
    const parsed = parseCommandLine(argv, { "data-dir": { type: "string" } }, USAGE);
    if (typeof parsed === "number") return parsed;
    const [file] = parsed.positionals;
    if (!file || parsed.positionals.length > 1) return console.error(USAGE), 2;
    const dbPath = join(resolve(parsed.values["data-dir"] ?? process.env.DATA_DIR ?? "./data"), "credanchor.db");
    if (!existsSync(dbPath)) return console.error(`error: no database at ${dbPath} (give --data-dir or DATA_DIR)`), 1;
    const db = openDatabase(dbPath);
    try {
      const { pages } = await backupDatabase(db, resolve(file));
      console.log(`backed up ${dbPath} to ${resolve(file)} (${pages} pages, mode 0600)`);
      return 0;
    } catch (error) {
      return console.error(`error: ${error instanceof CredanchorError ? error.shortMessage : (error as Error).message}`), 1;
    } finally {
      db.close();
    }
  },
};
