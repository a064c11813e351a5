// The OpenAPI 3.1 document, generated from the route table and its zod schemas.
import { z } from "zod";
import type { Route } from "./routes.ts";
import "./schemas.ts"; // registers every schema with an id (components), the error shape included

const toOpenApiPath = (path: string) => path.replace(/:([A-Za-z]+)/g, "{$1}");

/** A schema as JSON Schema: a $ref when it has a registered id, inline otherwise. */
function schemaOf(schema: z.ZodType): Record<string, unknown> {
  const id = z.globalRegistry.get(schema)?.id;
  if (id) return { $ref: `#/components/schemas/${id}` };
  const { $schema: _ignored, ...rest } = z.toJSONSchema(schema, { io: "input", unrepresentable: "any" }) as Record<string, unknown>;
  return rest;
}

/**
 * Builds the OpenAPI 3.1 document of `routes`.
 *
 * @example
 * app.get("/openapi.json", (_req, res) => res.json(openApiDocument(ROUTES)));
 */
export function openApiDocument(routes: readonly Route[], { version = "0.1.0" }: { version?: string } = {}): Record<string, unknown> {
  const { schemas } = z.toJSONSchema(z.globalRegistry, { uri: (id) => `#/components/schemas/${id}`, io: "input", unrepresentable: "any" }) as {
    schemas: Record<string, Record<string, unknown>>;
  };
  // Shared sub-schemas without an id (the recursive JSON value of a credential) come out under
  // "__shared"; give each its own component so every $ref is a plain component reference.
  const shared = (schemas.__shared?.$defs ?? {}) as Record<string, Record<string, unknown>>;
  delete schemas.__shared;
  for (const [name, schema] of Object.entries(shared)) schemas[`Shared_${name}`] = schema;
  for (const schema of Object.values(schemas)) {
    delete schema.$schema;
    delete schema.$id;
  }
  const rewritten = JSON.parse(JSON.stringify(schemas).replace(/#\/components\/schemas\/__shared#\/\$defs\/(\w+)/g, "#/components/schemas/Shared_$1")) as typeof schemas;
  const paths: Record<string, Record<string, unknown>> = {};
  for (const route of routes) {
    const parameters: unknown[] = [];
    for (const [name, schema] of Object.entries(route.params ?? {})) parameters.push({ name, in: "path", required: true, schema: schemaOf(schema) });
    for (const [name, header] of Object.entries(route.headers ?? {})) {
      parameters.push({ name, in: "header", required: false, description: header.description, schema: schemaOf(header.schema) });
    }
    const responses: Record<string, unknown> = {};
    for (const [status, response] of Object.entries(route.responses)) {
      const headers: Record<string, unknown> = { "X-Request-Id": { $ref: "#/components/headers/RequestId" } };
      if (status === "401") headers["WWW-Authenticate"] = { $ref: "#/components/headers/WwwAuthenticate" };
      if (route.headers?.["Idempotency-Key"] && status.startsWith("2")) headers["Idempotent-Replayed"] = { $ref: "#/components/headers/IdempotentReplayed" };
      responses[status] = {
        description: response.description,
        headers,
        // A 304 has no body.
        ...(status === "304" ? {} : { content: response.schema ? { "application/json": { schema: schemaOf(response.schema) } } : { [response.contentType ?? "text/plain"]: { schema: { type: "string" } } } }),
      };
    }
    responses.default = { $ref: "#/components/responses/Unexpected" };
    const operation: Record<string, unknown> = {
      operationId: `${route.method}${toOpenApiPath(route.path).replace(/[{}]/g, "").replace(/[^A-Za-z0-9]+(.)?/g, (_, c: string | undefined) => (c ?? "").toUpperCase())}`,
      summary: route.summary,
      tags: [route.tag],
      ...(route.description ? { description: route.description } : {}),
      ...(parameters.length ? { parameters } : {}),
      ...(route.body ? { requestBody: { required: !route.bodyOptional, content: { "application/json": { schema: schemaOf(route.body) } } } } : {}),
      responses,
      security: route.auth === "none" ? [] : [{ apiKey: [] }],
      ...(route.auth === "admin" ? { "x-credanchor-auth": "operator key" } : route.auth === "issuer" ? { "x-credanchor-auth": "issuer key" } : route.auth === "holder" ? { "x-credanchor-auth": "API key or the credential's holder key (chk_…)" } : {}),
    };
    (paths[toOpenApiPath(route.path)] ??= {})[route.method] = operation;
  }
  paths["/openapi.json"] = {
    get: {
      operationId: "getOpenapiJson",
      summary: "This document",
      tags: ["operations"],
      security: [],
      responses: {
        200: { description: "OpenAPI 3.1", headers: { "X-Request-Id": { $ref: "#/components/headers/RequestId" } }, content: { "application/json": { schema: { type: "object" } } } },
        default: { $ref: "#/components/responses/Unexpected" },
      },
    },
  };
  return {
    openapi: "3.1.0",
    info: {
      title: "credanchor API",
      version,
      description:
        "Anchor micro-credentials (Open Badges 3.0, W3C VCs) on an EVM chain in salted Merkle batches, revoke them in bulk, and verify proof bundles independently. Errors always have the shape {\"error\":{\"code\",\"message\",\"details\"}} (docs/api.md).",
      license: { name: "Apache-2.0", identifier: "Apache-2.0" },
    },
    servers: [{ url: "/" }],
    security: [{ apiKey: [] }],
    tags: ["credentials", "batches", "revocations", "verify", "admin", "operations"].map((name) => ({ name })),
    paths,
    components: {
      schemas: rewritten,
      responses: {
        Unexpected: {
          description: "Any other error in the one shape: 405 METHOD_NOT_ALLOWED (with Allow), 500 INTERNAL (a bug; the message is generic, the log has the request id)",
          headers: { "X-Request-Id": { $ref: "#/components/headers/RequestId" } },
          content: { "application/json": { schema: { $ref: "#/components/schemas/Error" } } },
        },
      },
      headers: {
        RequestId: { description: "Unique id of this request, also in the server's log line for it.", schema: { type: "string", format: "uuid" } },
        WwwAuthenticate: { description: 'Bearer realm="credanchor"', schema: { type: "string" } },
        IdempotentReplayed: { description: '"true" when this is the stored answer to an earlier request with the same Idempotency-Key.', schema: { type: "string", enum: ["true"] } },
      },
      securitySchemes: { apiKey: { type: "http", scheme: "bearer", description: "An issuer's or the operator's API key: Authorization: Bearer cak_…" } },
    },
  };
}
