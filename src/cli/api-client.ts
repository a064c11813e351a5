// The CLI's HTTP client for the issuer API: base URL and key from flags or the environment,
// errors turned into one readable line.
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";

export type ApiClientOptions = { url?: string | undefined; apiKey?: string | undefined; dataDir?: string | undefined };

export class ApiCallError extends Error {
  override name = "ApiCallError";
  readonly status: number;
  readonly code: string;
  readonly details: { path: string; message: string }[];
  constructor(status: number, code: string, message: string, details: { path: string; message: string }[] = []) {
    super(message);
    this.status = status;
    this.code = code;
    this.details = details;
  }
}

/** The demo issuer's key saved by `npm start` on the local chain, if any. */
function demoKey(dataDir: string): string | undefined {
  const file = join(dataDir, "demo-keys.json");
  if (!existsSync(file)) return undefined;
  try {
    return (JSON.parse(readFileSync(file, "utf8")) as { issuerApiKey?: string }).issuerApiKey;
  } catch {
    return undefined;
  }
}

/**
 * A small client for the credanchor API. URL: `--url`, `$CREDANCHOR_URL`, else
 * http://127.0.0.1:8080; key: `--api-key`, `$CREDANCHOR_API_KEY`, else the local demo key.
 */
export class ApiClient {
  readonly url: string;
  readonly #key: string | undefined;

  constructor({ url, apiKey, dataDir }: ApiClientOptions = {}) {
    this.url = (url ?? process.env.CREDANCHOR_URL ?? "http://127.0.0.1:8080").replace(/\/+$/, "");
    this.#key = apiKey ?? process.env.CREDANCHOR_API_KEY ?? demoKey(dataDir ?? process.env.DATA_DIR ?? "./data");
  }

  async request<T>(method: string, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<T> {
    let response: Response;
    try {
      response = await fetch(this.url + path, {
        method,
        headers: {
          accept: "application/json",
          ...(body === undefined ? {} : { "content-type": "application/json" }),
          ...(this.#key ? { authorization: `Bearer ${this.#key}` } : {}),
          ...headers,
        },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
        signal: AbortSignal.timeout(120_000),
      });
    } catch (error) {
      throw new ApiCallError(0, "UNREACHABLE", `cannot reach the credanchor API at ${this.url} (${(error as Error).cause ?? (error as Error).message}); is it running? (npm start)`);
    }
    const text = await response.text();
    let parsed: unknown;
    try {
      parsed = text ? JSON.parse(text) : undefined;
    } catch {
      parsed = undefined;
    }
    if (!response.ok) {
      const error = (parsed as { error?: { code?: string; message?: string; details?: { path: string; message: string }[] } })?.error;
      throw new ApiCallError(response.status, error?.code ?? `HTTP_${response.status}`, error?.message ?? (text.slice(0, 200) || response.statusText), error?.details ?? []);
    }
    return parsed as T;
  }
}

/** Prints an API error on stderr (with its details) and returns the CLI exit code for it. */
export function reportApiError(error: unknown): number {
  if (error instanceof ApiCallError) {
    console.error(`error: ${error.message}${error.code ? ` [${error.code}]` : ""}`);
    for (const d of error.details.slice(0, 20)) console.error(`  ${d.path || "(root)"}: ${d.message}`);
    if (error.details.length > 20) console.error(`  … and ${error.details.length - 20} more`);
    if (error.status === 401) console.error("  (give the issuer's API key with --api-key or CREDANCHOR_API_KEY)");
    return error.status === 0 ? 2 : 1;
  }
  console.error(`error: ${(error as Error)?.message ?? String(error)}`);
  return 1;
}
