// Two service replicas on one PostgreSQL database draw status indices from their own in-memory
// view of the list: when they draw the same index, the loser learns the taken ones and draws
// again (before this, its request failed with a unique-constraint error).
import { expect } from "chai";
import type { JsonObject } from "../../src/core/json.ts";
import { createIssuerService, type RunningIssuerService } from "../../src/issuer/service.ts";
import { openPostgresStore, type PostgresStore } from "../../src/store/postgres/store.ts";
import { sampleBadge } from "../core/helpers.ts";
import { sharedPostgres } from "../helpers/postgres.ts";
import { ISSUER_IDENTITIES, startChain, type Chain } from "../helpers/stack.ts";

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
    chain = await startChain();
  });
  after(async function () {
    for (const { store, running } of opened) {
      await running.close();
      await store.close();
    }
    await chain?.stop();
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
