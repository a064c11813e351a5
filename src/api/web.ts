// The verifier page and the two files it reads beside itself, served by the API:
// GET /verify, /deployments.json (the trusted address books) and /verify-config.json (RPC URLs).
import express, { type Router } from "express";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { getDeploymentsDir } from "../chain/deployments.ts";
import { loadTrustList } from "../verifier/trust-files.ts";

const PAGE = join(dirname(fileURLToPath(import.meta.url)), "..", "..", "web", "dist", "verify.html");

/** Every `*.json` address book of `dir`, as the page's `deployments.json`. */
function addressBooks(dir: string): unknown[] {
  if (!existsSync(dir)) return [];
  loadTrustList({ dir }); // refuses malformed books loudly, like the CLI
  return readdirSync(dir)
    .filter((n) => n.endsWith(".json"))
    .sort()
    .map((n) => JSON.parse(readFileSync(join(dir, n), "utf8")) as unknown);
}

/**
 * Routes of the verifier page. The page is built by `npm run build:web` (part of setup); if it
 * is missing, it is built on the first request.
 *
 * @example
 * app.use(webRoutes({ rpcUrls: { 31337: "http://127.0.0.1:8545" } }));
 */
export function webRoutes({ deploymentsDir = getDeploymentsDir(), rpcUrls }: { deploymentsDir?: string; rpcUrls: Record<number, string> }): Router {
  const router = express.Router();
  let page: { html: string; csp: string } | undefined;
  const load = async () => {
    if (!existsSync(PAGE)) {
      const { buildWebPage } = (await import(new URL("../../scripts/build-web.ts", import.meta.url).href)) as { buildWebPage: () => Promise<unknown> };
      await buildWebPage();
    }
    const html = readFileSync(PAGE, "utf8");
    const csp = /http-equiv="Content-Security-Policy" content="([^"]+)"/.exec(html)?.[1] ?? "default-src 'none'";
    return (page ??= { html, csp });
  };
  router.get(["/verify", "/verify.html"], async (_req, res, next) => {
    res.locals.route = "/verify";
    try {
      const { html, csp } = await load();
      res.setHeader("Content-Security-Policy", csp);
      res.setHeader("Cache-Control", "no-cache");
      res.type("html").send(html);
    } catch (error) {
      next(error);
    }
  });
  router.get("/deployments.json", (_req, res) => {
    res.locals.route = "/deployments.json";
    res.setHeader("Access-Control-Allow-Origin", "*");
    res.json(addressBooks(deploymentsDir));
  });
  router.get("/verify-config.json", (_req, res) => {
    res.locals.route = "/verify-config.json";
    res.setHeader("Access-Control-Allow-Origin", "*");
    res.json({ rpc: rpcUrls });
  });
  return router;
}
