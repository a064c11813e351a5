// A command's flags parsed the same way everywhere: positionals allowed, unknown flags refused, -h/--help answered with the usage.
import { parseArgs, type ParseArgsOptionsConfig } from "node:util";

const HELP = { help: { type: "boolean", short: "h" } } as const;

type CommandLineConfig<O extends ParseArgsOptionsConfig> = { args: string[]; options: O & typeof HELP; allowPositionals: true; strict: true };

/**
 * Parses `argv` against `options` (plus -h/--help). Returns the parsed flags and positionals, or
 * the exit code once it has printed: the usage for --help (0), or the bad flag's message and the
 * usage on stderr (2).
 *
 * @example
 * const parsed = parseCommandLine(argv, { json: { type: "boolean" } }, USAGE);
 * if (typeof parsed === "number") return parsed;
 * const { values, positionals } = parsed;
 */
export function parseCommandLine<const O extends ParseArgsOptionsConfig>(argv: string[], options: O, usage: string): ReturnType<typeof parseArgs<CommandLineConfig<O>>> | number {
  let parsed;
  try {
    parsed = parseArgs<CommandLineConfig<O>>({ args: argv, options: { ...options, ...HELP }, allowPositionals: true, strict: true });
  } catch (error) {
    return console.error(`error: ${(error as Error).message}\n\n${usage}`), 2;
  }
  if ((parsed.values as { help?: boolean }).help) return console.log(usage), 0;
  return parsed;
}
