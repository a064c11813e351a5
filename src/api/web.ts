// The verifier page and the two files it reads beside itself, served by the API:
// GET /verify, /deployments.json (the trusted address books) and /verify-config.json (public RPC URLs).
// The page fetches both relative to itself, so /verify (not /verify/) is its one address.
import express, { type Response, type Router } from "express";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { getDeploymentsDir } from "../chain/deployments.ts";
import { loadTrustList } from "../verifier/trust-files.ts";

const PAGE = join(dirname(fileURLToPath(import.meta.url)), "..", "..", "web", "dist", "verify.html");

export type WebRoutesOptions = {
  /** Folder of `*.json` address books the page trusts (default: the package's `deployments/`). */
  deploymentsDir?: string;
  /**
   * RPC URL per chain id the page uses unless its user sets another: served to any origin, so
   * only public URLs (see {@link pageRpcUrls}).
   */
  rpcUrls: Record<number, string>;
};

const LOOPBACK = /^(?:127\.\d+\.\d+\.\d+|localhost|\[::1\])$/i;

/**
 * The RPC URLs the verifier page may be given: `publicRpcUrl` when set; else the service's own
 * RPC only if it is a bare loopback URL (`http://127.0.0.1:8545`: no user, path or query that
 * could hold a key, and useless to anyone but the machine's own user); else none, and the page
 * asks its user. The service's `RPC_URL` itself often carries a provider's API key.
 *
 * @example
 * pageRpcUrls(31337, "http://127.0.0.1:8545");                         // { 31337: "http://127.0.0.1:8545" }
 * pageRpcUrls(1, "https://eth.example/v3/KEY");                         // {}
 * pageRpcUrls(1, "https://eth.example/v3/KEY", "https://rpc.example");  // { 1: "https://rpc.example" }
 */
export function pageRpcUrls(chainId: number, rpcUrl: string, publicRpcUrl?: string): Record<number, string> {
  if (publicRpcUrl) return { [chainId]: publicRpcUrl };
  let url: URL;
  try {
    url = new URL(rpcUrl);
  } catch {
    return {};
  }
  const bare = !url.username && !url.password && (url.pathname === "/" || url.pathname === "") && !url.search && !url.hash;
  return bare && LOOPBACK.test(url.hostname) ? { [chainId]: rpcUrl } : {};
}

/** Every `*.json` address book of `dir`, as the page's `deployments.json`. */
function addressBooks(dir: string): unknown[] {
  if (!existsSync(dir)) return [];
  loadTrustList({ dir }); // refuses malformed books loudly, like the CLI
  return readdirSync(dir)
    .filter((n) => n.endsWith(".json"))
    .sort()
    .map((n) => JSON.parse(readFileSync(join(dir, n), "utf8")) as unknown);
}

/** The built page and its policy; built here first if `npm run build:web` has not run. */
async function readOrBuildPage(): Promise<{ html: string; csp: string }> {
  if (!existsSync(PAGE)) {
    const { buildWebPage } = (await import(new URL("../../scripts/build-web.ts", import.meta.url).href)) as { buildWebPage: () => Promise<unknown> };
    await buildWebPage();
  }
  const html = readFileSync(PAGE, "utf8");
  const csp = /http-equiv="Content-Security-Policy" content="([^"]+)"/.exec(html)?.[1] ?? "default-src 'none'";
  // Only a header can forbid framing (clickjacking a verdict); a <meta> policy cannot.
  return { html, csp: `${csp}; frame-ancestors 'none'` };
}

/** Small JSON files beside the page: revalidated on every load, readable from any origin. */
function sendConfig(res: Response, route: string, body: unknown): void {
  res.locals.route = route;
  res.setHeader("Access-Control-Allow-Origin", "*");
  res.setHeader("Cache-Control", "no-cache");
  res.json(body);
}

/**
 * Routes of the verifier page. The page is built by `npm run build:web` (part of setup); if it
 * is missing, it is built on the first request, and if that cannot be done (no esbuild in a
 * production install) `/verify` answers 503 `NOT_BUILT`.
 *
 * @example
 * app.use(webRoutes({ rpcUrls: { 31337: "http://127.0.0.1:8545" } }));
 */
export function webRoutes({ deploymentsDir = getDeploymentsDir(), rpcUrls }: WebRoutesOptions): Router {
  const router = express.Router();
  let page: Promise<{ html: string; csp: string }> | undefined;
  const load = () =>
    (page ??= readOrBuildPage().catch((error: unknown) => {
      page = undefined; // try again on the next request
      throw error;
    }));

  router.get(["/verify", "/verify.html"], async (req, res) => {
    res.locals.route = "/verify";
    // `/verify/` would resolve the page's relative fetches under /verify/: send it to /verify.
    const [path, query] = req.originalUrl.split("?", 2) as [string, string | undefined];
    if (path.endsWith("/")) return res.redirect(301, `/verify${query === undefined ? "" : `?${query}`}`);
    let built: { html: string; csp: string };
    try {
      built = await load();
    } catch (error) {
      res.status(503).json({
        error: { code: "NOT_BUILT", message: `the verifier page is not built and could not be built here (${(error as Error).message}): run npm run build:web`, details: [] },
      });
      return;
    }
    res.setHeader("Content-Security-Policy", built.csp);
    res.setHeader("Referrer-Policy", "no-referrer");
    res.setHeader("Cache-Control", "no-cache");
    res.type("html").send(built.html);
  });
  router.get("/deployments.json", (_req, res) => sendConfig(res, "/deployments.json", addressBooks(deploymentsDir)));
  router.get("/verify-config.json", (_req, res) => sendConfig(res, "/verify-config.json", { rpc: rpcUrls }));
  return router;
}
