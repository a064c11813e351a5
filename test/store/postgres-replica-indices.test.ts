// Two service replicas on one PostgreSQL database draw status indices from their own in-memory
// view of the list: they reserve each draw in the database, and the loser draws again only the
// indices reserved or held by the other (before reservations, the whole request was drawn,
// prepared and stored again, up to 5 times, then answered 503 under sustained load).
import { expect } from "chai";
import type { JsonObject } from "../../src/core/json.ts";
import { createIssuerService, type RunningIssuerService } from "../../src/issuer/service.ts";
import { openPostgresStore, type PostgresStore } from "../../src/store/postgres/store.ts";
import { sampleBadge } from "../core/helpers.ts";
import { sharedPostgres } from "../helpers/postgres.ts";
import { ISSUER_IDENTITIES, sharedChain, type Chain } from "../helpers/stack.ts";

const badge = (name: string) => {
  const c = sampleBadge();
  ((c.credentialSubject as JsonObject).achievement as JsonObject).name = name;
  (c.issuer as JsonObject).id = ISSUER_IDENTITIES[1];
  return c;
};

describe("PostgreSQL replicas: status indices drawn by two replicas at once", function () {
  this.timeout(300_000);
  let chain: Chain;
  const opened: { store: PostgresStore; running: RunningIssuerService }[] = [];

  before(async function () {
    chain = await sharedChain();
  });
  after(async function () {
    for (const { store, running } of opened) {
      await running.close();
      await store.close();
    }
  });

  async function replica(url: string) {
    const store = await openPostgresStore(url);
    const running = await createIssuerService({
      store,
      client: chain.publicClient,
      chainId: 31337,
      registry: chain.registry,
      signers: [chain.issuers[0]!.key],
      batch: { maxSize: 1000, maxWaitMs: 0 },
      confirmations: 0,
      // A small list, so that the second replica's blind draws surely hit the first one's indices.
      statusListSize: 64,
      secret: Buffer.alloc(32, 7),
    });
    opened.push({ store, running });
    return running;
  }

  it("behavior: the replica that lost the race draws again; every credential gets its own index", async function () {
    const url = await (await sharedPostgres()).createDatabase();
    const a = await replica(url);
    const b = await replica(url); // started before a stored anything: it knows none of a's indices
    const first = await a.service.submitCredentials(1, { credentials: Array.from({ length: 30 }, (_, k) => badge(`A${k}`)) });
    const second = await b.service.submitCredentials(1, { credentials: Array.from({ length: 30 }, (_, k) => badge(`B${k}`)) });
    const indices = [...first.credentials, ...second.credentials].map((c) => c.statusIndex);
    expect(new Set(indices).size).to.equal(60);
    const stored = await opened[0]!.store.credentials.allIndices(1);
    expect(stored.sort((x, y) => x - y)).to.deep.equal(indices.sort((x, y) => x - y));
  });

  it("behavior: many concurrent requests on both replicas: each is accepted, only collided indices are drawn again, every index is unique", async function () {
    const url = await (await sharedPostgres()).createDatabase();
    const replicas = [await replica(url), await replica(url)];
    // Counts, through the real store, the indices a replica drew but found reserved or held by the other.
    let drawn = 0;
    let lost = 0;
    for (const { store } of opened.slice(-2)) {
      const reserve = store.credentials.reserveIndices.bind(store.credentials);
      store.credentials.reserveIndices = async (issuerId, indices, at) => {
        const won = await reserve(issuerId, indices, at);
        drawn += indices.length;
        lost += indices.length - won.size;
        return won;
      };
    }
    const REQUESTS = 8;
    const PER_REQUEST = 40;
    const results = await Promise.all(
      Array.from({ length: REQUESTS * 2 }, (_, r) =>
        replicas[r % 2]!.service.submitCredentials(1, { credentials: Array.from({ length: PER_REQUEST }, (_, k) => badge(`R${r}-${k}`)) }),
      ),
    );
    const indices = results.flatMap((result) => result.credentials.map((c) => c.statusIndex));
    expect(indices).to.have.length(REQUESTS * 2 * PER_REQUEST);
    expect(new Set(indices).size, "every index unique").to.equal(indices.length);
    const store = opened.at(-1)!.store;
    const stored = await store.credentials.allIndices(1);
    expect(stored.sort((x, y) => x - y)).to.deep.equal(indices.sort((x, y) => x - y));
    expect(lost, "the replicas did draw the same indices").to.be.greaterThan(0);
    // Every index won was stored: no request was drawn, prepared and stored again as a whole.
    expect(drawn - lost, "only collided indices were drawn again").to.equal(indices.length);
    expect(await store.credentials.expireReservations(Date.now() + 1, 0), "the stored ones stay reserved a while").to.equal(indices.length);
    const { rows } = await store.pool.query<{ n: number }>("SELECT count(*)::int AS n FROM status_index_reservations");
    expect(rows[0]!.n, "none left behind").to.equal(0);
  });

  it("behavior: the same for credentials issued signed (VC-API): a lost race signs again with a fresh index", async function () {
    const url = await (await sharedPostgres()).createDatabase();
    const a = await replica(url);
    const b = await replica(url);
    await a.service.submitCredentials(1, { credentials: Array.from({ length: 30 }, (_, k) => badge(`A${k}`)) });
    const signed: number[] = [];
    for (let k = 0; k < 20; k++) {
      const { statusIndex } = await b.service.acceptSigned(1, async ({ id, statusIndex }) => ({ id: `urn:uuid:${id}`, name: `signed ${k}`, statusIndex, proof: { type: "test" } }));
      signed.push(statusIndex);
    }
    const stored = await opened.at(-1)!.store.credentials.allIndices(1);
    expect(stored).to.have.length(50);
    expect(new Set(stored).size).to.equal(50);
    expect(stored).to.include.members(signed);
  });
});
