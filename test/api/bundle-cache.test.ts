// GET /v1/credentials/{id}/bundle serves cached bytes, but erasure makes them unreachable at
// once: through this process (SQLite) and through another replica on the same PostgreSQL
// database, whose cache was filled before the erasure.
import { expect } from "chai";
import { randomBytes } from "node:crypto";
import { parseBundle } from "../../src/core/bundle.ts";
import { createApiKey } from "../../src/issuer/api-keys.ts";
import { createIssuerService, type RunningIssuerService } from "../../src/issuer/service.ts";
import { openPostgresStore, type PostgresStore } from "../../src/store/postgres/store.ts";
import { namedBadge as badge } from "../core/helpers.ts";
import { sharedPostgres } from "../helpers/postgres.ts";
import { openStack, removeDir, runUntil, serveApi, serviceOptions, sharedChain, type Chain } from "../helpers/stack.ts";
import { call, expectError } from "./http.ts";

/** Submits two credentials through `base` and runs `pipeline` until both are anchored; their ids. */
async function anchoredPair(base: string, token: string, pipeline: { tick(): Promise<boolean> }): Promise<string[]> {
  const submitted = await call(base, "POST", "/v1/credentials", { token, body: { credentials: [badge("Cached A"), badge("Cached B")] } });
  expect(submitted.status, submitted.text).to.equal(202);
  const ids = submitted.body.credentials.map((c: { id: string }) => c.id) as string[];
  const anchored = async () => {
    for (const id of ids) {
      const state = (await call(base, "GET", `/v1/credentials/${id}`, { token })).body.state;
      if (state !== "anchored" && state !== "confirmed") return false;
    }
    return true;
  };
  await runUntil({ pipeline }, anchored);
  return ids;
}

describe("bundle cache: served bytes, revalidation, erasure at once", function () {
  this.timeout(120_000);
  let chain: Chain;

  before(async function () {
    chain = await sharedChain();
  });

  it("behavior: SQLite: the same bytes with an ETag (304 on If-None-Match); erased → 410 GONE, also with the old ETag", async function () {
    const stack = await openStack(chain);
    const api = await serveApi(stack);
    try {
      const token = stack.tokens[1]!;
      const [id, other] = await anchoredPair(api.base, token, stack.pipeline);
      const first = await call(api.base, "GET", `/v1/credentials/${id}/bundle`, { token });
      expect(first.status).to.equal(200);
      expect(() => parseBundle(first.body)).to.not.throw();
      expect(first.body).to.deep.equal((await call(api.base, "GET", `/v1/credentials/${id}`, { token })).body.bundle);
      const etag = first.headers.get("etag")!;
      expect(etag).to.match(/^"[\w-]+"$/);
      expect(first.headers.get("cache-control")).to.equal("private, no-cache");
      const second = await call(api.base, "GET", `/v1/credentials/${id}/bundle`, { token });
      expect(second.text).to.equal(first.text);
      expect(second.headers.get("etag")).to.equal(etag);
      expect((await call(api.base, "GET", `/v1/credentials/${id}/bundle`, { token, headers: { "if-none-match": etag } })).status).to.equal(304);
      // Another issuer's key sees nothing, cached or not.
      expectError(await call(api.base, "GET", `/v1/credentials/${id}/bundle`, { token: stack.tokens[2]! }), 404, "NOT_FOUND");

      expect((await call(api.base, "DELETE", `/v1/credentials/${id}`, { token })).status).to.equal(200);
      expectError(await call(api.base, "GET", `/v1/credentials/${id}/bundle`, { token }), 410, "GONE");
      expectError(await call(api.base, "GET", `/v1/credentials/${id}/bundle`, { token, headers: { "if-none-match": etag } }), 410, "GONE");
      // The other credential's bundle is untouched.
      expect((await call(api.base, "GET", `/v1/credentials/${other}/bundle`, { token })).status).to.equal(200);
    } finally {
      await api.close();
      await stack.close();
      removeDir(stack.dir);
    }
  });

  it("behavior: PostgreSQL replicas: a bundle cached by replica B and erased through replica A is 410 GONE at B at once", async function () {
    const url = await (await sharedPostgres()).createDatabase();
    const secret = randomBytes(32);
    const replicas: { store: PostgresStore; running: RunningIssuerService; api: Awaited<ReturnType<typeof serveApi>> }[] = [];
    try {
      for (let k = 0; k < 2; k++) {
        const store = await openPostgresStore(url);
        const running = await createIssuerService(serviceOptions(chain, { store, secret }));
        const api = await serveApi({ service: running.service, chain });
        replicas.push({ store, running, api });
      }
      const [a, b] = replicas as [(typeof replicas)[0], (typeof replicas)[0]];
      const token = (await createApiKey(a.store.apiKeys, 1, "test")).token;
      const [id] = await anchoredPair(a.api.base, token, a.running.pipeline);
      const atB = await call(b.api.base, "GET", `/v1/credentials/${id}/bundle`, { token });
      expect(atB.status).to.equal(200);
      expect((await call(b.api.base, "GET", `/v1/credentials/${id}/bundle`, { token })).text).to.equal(atB.text); // now from B's cache

      expect((await call(a.api.base, "DELETE", `/v1/credentials/${id}`, { token })).status).to.equal(200);
      expectError(await call(b.api.base, "GET", `/v1/credentials/${id}/bundle`, { token }), 410, "GONE");
      expectError(await call(b.api.base, "GET", `/v1/credentials/${id}/bundle`, { token, headers: { "if-none-match": atB.headers.get("etag")! } }), 410, "GONE");
    } finally {
      for (const r of replicas) {
        await r.api.close();
        await r.running.pipeline.stop();
        await r.running.close();
        await r.store.close();
      }
    }
  });
});
