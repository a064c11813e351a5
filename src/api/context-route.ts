// GET /contexts/v1.jsonld: credanchor's JSON-LD context, served at the path of its URL for JSON-LD processors that fetch it.
// Our own loader never fetches it (it is pinned in src/vc/contexts.ts); a context URL names fixed content, so it is served immutable.
import { createHash } from "node:crypto";
import { CREDANCHOR_CONTEXT, CREDANCHOR_CONTEXT_URL } from "../vc/contexts.ts";
import type { Route } from "./routes.ts";
import { etagMatches } from "./status-list-fast-path.ts";
import * as S from "./schemas.ts";

/** The path of the context's URL (`/contexts/v1.jsonld`): the service serves it there under its own base URL. */
export const CONTEXT_PATH = new URL(CREDANCHOR_CONTEXT_URL).pathname;

const BYTES = JSON.stringify(CREDANCHOR_CONTEXT, null, 2);
const ETAG = `"${createHash("sha256").update(BYTES).digest("base64url").slice(0, 22)}"`;

export const CONTEXT_ROUTE: Route = {
  method: "get",
  path: CONTEXT_PATH,
  tag: "vc",
  summary: `credanchor's JSON-LD context (${CREDANCHOR_CONTEXT_URL}), as pinned in the code`,
  description:
    "Byte for byte the context credanchor's document loader holds (credanchor never fetches it). `Content-Type: application/ld+json`, cached for a year as immutable (a context URL names fixed content: a change is a new URL), `ETag`, CORS open. See docs/operations.md for publishing it at credanchor.dev.",
  auth: "none",
  timeout: false,
  headers: { "If-None-Match": { schema: S.IfNoneMatchHeader, description: "ETag already held: 304 when it is this context's." } },
  responses: {
    200: { description: "The context document", contentType: "application/ld+json" },
    304: { description: "Not modified" },
  },
  handler: (_ctx, req, res) => {
    res.setHeader("Access-Control-Allow-Origin", "*");
    res.setHeader("Access-Control-Expose-Headers", "ETag");
    res.setHeader("Cache-Control", "public, max-age=31536000, immutable");
    res.setHeader("ETag", ETAG);
    const held = req.get("if-none-match");
    if (held !== undefined && etagMatches(held, ETAG)) return res.status(304).end();
    res.type("application/ld+json").send(BYTES);
  },
};
