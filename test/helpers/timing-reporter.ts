// Mocha reporter for finding slow tests: the spec output, plus per-file and per-test durations written as JSON.
import { writeFileSync } from "node:fs";
import Mocha from "mocha";

type Runner = Mocha.Runner;

/**
 * The spec reporter that also records how long each test file, hook and test took (wall time),
 * and writes them, slowest first, to the file named by `MOCHA_TIMINGS` when the run ends.
 * Selected in hardhat.config.ts when `MOCHA_TIMINGS` is set; durations are for finding where
 * time goes, never for asserting anything.
 *
 * @example
 * // MOCHA_TIMINGS=/tmp/timings.json hardhat test mocha
 */
export class TimingReporter extends Mocha.reporters.Spec {
  constructor(runner: Runner, options?: Mocha.MochaOptions) {
    super(runner, options);
    const files = new Map<string, number>();
    const items: { file: string; title: string; ms: number }[] = [];
    const starts = new Map<Mocha.Runnable, number>();
    let fileStart = 0;
    let current = "";
    const closeFile = (now: number) => {
      if (current !== "") files.set(current, (files.get(current) ?? 0) + now - fileStart);
    };
    runner.on("suite", (suite: Mocha.Suite) => {
      const file = suite.file ?? current;
      if (file === current) return;
      const now = Date.now();
      closeFile(now);
      current = file;
      fileStart = now;
    });
    const begin = (r: Mocha.Runnable) => starts.set(r, Date.now());
    const end = (r: Mocha.Runnable) => {
      const start = starts.get(r);
      if (start === undefined) return;
      items.push({ file: r.file ?? current, title: r.fullTitle(), ms: Date.now() - start });
      starts.delete(r);
    };
    runner.on("hook", begin);
    runner.on("hook end", end);
    runner.on("test", begin);
    runner.on("test end", end);
    runner.once("end", () => {
      closeFile(Date.now());
      const byFile = [...files].map(([file, ms]) => ({ file, ms })).sort((a, b) => b.ms - a.ms);
      items.sort((a, b) => b.ms - a.ms);
      const path = process.env.MOCHA_TIMINGS;
      if (path !== undefined) writeFileSync(path, JSON.stringify({ byFile, items }, null, 1));
    });
  }
}

// Mocha loads a reporter named by path with require(): hand it the class itself.
export { TimingReporter as "module.exports" };
