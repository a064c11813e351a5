// Named points where the fault-injection suite kills the process (SIGKILL, like a power cut or
// an OOM kill), to prove that every step of the pipeline resumes after a crash. Inert unless
// CREDANCHOR_CRASH_AT names the point; never set it in production.

/** Every crash point, in pipeline order. */
export const CRASH_POINTS = [
  "accept:after-commit", // credentials stored, 202 not yet sent
  "batch:after-build", // batch, proofs and queued anchor committed
  "send:after-sign", // signed transaction stored, not broadcast
  "send:after-broadcast", // broadcast, not yet marked sent
  "mined:before-record", // receipt seen, not yet recorded
  "status:after-sign", // status-change transaction stored, not broadcast
] as const;
export type CrashPoint = (typeof CRASH_POINTS)[number];

const armed = process.env.CREDANCHOR_CRASH_AT;

/** Kills this process with SIGKILL when `point` is the armed crash point. */
export function crashPoint(point: CrashPoint): void {
  if (armed === point) process.kill(process.pid, "SIGKILL");
}
