// A request body's bytes → its validated value: strict UTF-8, the strict JSON parser within limits, a zod schema; one error shape.
import type { z } from "zod";
import { ServiceError, type ErrorDetail } from "../core/errors.ts";
import { JSON_LIMITS, parseJson, type JsonLimits } from "../core/json.ts";

/**
 * Zod issues → the API's details (`credentials[3]`, `action`).
 *
 * @example
 * zodDetails(schema.safeParse(body).error!); // [{ path: "credentials[3].issuer", message: "…" }]
 */
export function zodDetails(error: z.ZodError, prefix = ""): ErrorDetail[] {
  return error.issues.map((issue) => ({
    path: prefix + issue.path.map((p, i) => (typeof p === "number" ? `[${p}]` : i === 0 ? String(p) : `.${String(p)}`)).join(""),
    message: issue.code === "unrecognized_keys" ? `unknown field${issue.keys.length > 1 ? "s" : ""}: ${issue.keys.join(", ")}` : issue.message,
  }));
}

/**
 * The JSON limits of a body of at most `limit` bytes: credentials nest up to three levels below an
 * envelope (their own limits are checked one by one), and every 8 bytes may hold a field.
 *
 * @example
 * bodyJsonLimits(16 * 1024 * 1024); // { maxBytes: 16777216, maxDepth: 35, maxFields: 2097152 }
 */
export function bodyJsonLimits(limit: number): JsonLimits {
  return { maxBytes: limit, maxDepth: JSON_LIMITS.maxDepth + 3, maxFields: Math.max(JSON_LIMITS.maxFields, limit / 8) };
}

/**
 * Decodes, parses and validates a JSON body: what the app does on the main thread and a worker
 * thread does for a route it serves there, with the same errors (REQUEST_INVALID, JSON_*).
 *
 * @example
 * const body = parseJsonBody(bytes, S.VerifyBody, { maxBytes: 16 << 20, maxDepth: 35, maxFields: 2 << 20 });
 */
export function parseJsonBody<T extends z.ZodType>(bytes: Uint8Array, schema: T, limits: JsonLimits): z.infer<T> {
  let text: string;
  try {
    text = new TextDecoder("utf-8", { fatal: true }).decode(bytes);
  } catch {
    throw new ServiceError("the body is not valid UTF-8", { code: "REQUEST_INVALID" });
  }
  const parsed = schema.safeParse(parseJson(text, limits));
  if (!parsed.success) throw new ServiceError("the request body is malformed", { code: "REQUEST_INVALID", details: zodDetails(parsed.error) });
  return parsed.data;
}
