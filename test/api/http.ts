// Test helpers for the HTTP API: a fetch wrapper and the checks every answer must pass (the one
// error shape, a request id, no stack trace, and a status and body the OpenAPI document declares).
import { expect } from "chai";
import { ROUTES, type Route } from "../../src/api/routes.ts";
import { ErrorResponse } from "../../src/api/schemas.ts";

export type Call = { method: string; path: string; status: number; headers: Headers; body: any; text: string };

export type CallOptions = { token?: string; body?: unknown; raw?: string | Buffer; headers?: Record<string, string> };

/** One request with Node's fetch; JSON bodies set `Content-Type: application/json` unless `headers` say otherwise. */
export async function call(base: string, method: string, path: string, { token, body, raw, headers = {} }: CallOptions = {}): Promise<Call> {
  const response = await fetch(base + path, {
    method,
    headers: {
      ...(body !== undefined || raw !== undefined ? { "content-type": "application/json" } : {}),
      ...(token !== undefined ? { authorization: `Bearer ${token}` } : {}),
      ...headers,
    },
    ...(body !== undefined ? { body: JSON.stringify(body) } : raw !== undefined ? { body: typeof raw === "string" ? raw : new Uint8Array(raw) } : {}),
    signal: AbortSignal.timeout(60_000),
  });
  const text = await response.text();
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    parsed = undefined;
  }
  return { method, path, status: response.status, headers: response.headers, body: parsed, text };
}

/** Asserts the one error shape with `status` and `code`, a request id, and no stack trace. */
export function expectError(r: Call, status: number, code: string): void {
  const where = `${r.method} ${r.path.slice(0, 120)}: ${r.text.slice(0, 300)}`;
  expect(r.status, where).to.equal(status);
  const parsed = ErrorResponse.safeParse(r.body);
  expect(parsed.success, `${where}: not the error shape`).to.equal(true);
  expect(r.body.error.code, where).to.equal(code);
  expect(Array.isArray(r.body.error.details), where).to.equal(true);
  expect(r.text, where).not.to.match(/at .*\.(ts|js):\d+/);
  const requestId = r.headers.get("x-request-id");
  expect(requestId, where).to.match(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
  expect(r.body.error.requestId, where).to.equal(requestId);
  if (status === 401) expect(r.headers.get("www-authenticate"), where).to.match(/^Bearer /);
}

const patternOf = (route: Pick<Route, "path">) => new RegExp(`^${route.path.replace(/:\w+/g, "[^/]+")}/?$`);
const toOpenApiPath = (path: string) => path.replace(/:(\w+)/g, "{$1}");

/**
 * Asserts that the OpenAPI document `doc` (as served) declares this answer: its status for the
 * operation (or the `default` error for 405 and unknown paths), and that the body matches the
 * schema the document was generated from. Paths of `extraPaths` (mounted routers) are skipped.
 */
export function expectDocumented(doc: any, r: Call, extraPaths: RegExp[] = []): void {
  const path = r.path.split("?")[0]!;
  const method = r.method.toLowerCase();
  const where = `${r.method} ${r.path.slice(0, 120)} → ${r.status}: ${r.text.slice(0, 200)}`;
  expect(r.headers.get("x-request-id"), where).to.match(/^[0-9a-f-]{36}$/);
  if (extraPaths.some((p) => p.test(path))) return;
  if (path === "/openapi.json" && (method === "get" || method === "head")) {
    expect(doc.paths["/openapi.json"].get.responses, where).to.have.property(String(r.status));
    return;
  }
  // A literal path (/credentials/issue) is its own resource, never a parameter route's match.
  const exact = ROUTES.filter((route) => route.path === path);
  const onPath = exact.length > 0 ? exact : ROUTES.filter((route) => patternOf(route).test(path));
  const route = onPath.find((x) => x.method === method || (method === "head" && x.method === "get"));
  const fallback = () => {
    expect(r.status === 404 || r.status === 405, where).to.equal(true);
    if (method !== "head") expect(ErrorResponse.safeParse(r.body).success, where).to.equal(true);
  };
  if (!route) return fallback();
  const operation = doc.paths[toOpenApiPath(route.path)]?.[route.method];
  expect(operation, `${where}: operation not in the document`).to.be.an("object");
  // Express routes /v1/credentials/x/bundle to the bundle route, not the credential one, and so on.
  const declared = route.responses[r.status];
  expect(declared, `${where}: status not declared in the route table`).to.not.equal(undefined);
  expect(operation.responses, `${where}: status not in /openapi.json`).to.have.property(String(r.status));
  if (method === "head") return;
  if (declared!.schema) {
    const parsed = declared!.schema.safeParse(r.body);
    expect(parsed.success, `${where}: ${JSON.stringify(parsed.error?.issues)?.slice(0, 400)}`).to.equal(true);
  } else if (declared!.contentType) {
    expect(r.headers.get("content-type") ?? "", where).to.include(declared!.contentType.split(";")[0]!);
  } else {
    expect(r.text, `${where}: declared without a body`).to.equal(""); // 304
  }
}
