// Webhooks: a batch's confirmation is POSTed to the issuer's URL, signed with HMAC-SHA256 when a
// secret is set, and retried with backoff when the receiver fails.
import { expect } from "chai";
import { createHmac } from "node:crypto";
import { createServer, type Server } from "node:http";
import type { JsonObject } from "../../src/core/json.ts";
import type { Principal } from "../../src/issuer/types.ts";
import { sampleBadge } from "../core/helpers.ts";
import { closeStack, openStack, runUntil, sharedChain, type Chain, type Stack } from "../helpers/stack.ts";

const issuer1: Principal = { kind: "issuer", issuerId: 1, keyId: "k" };

describe("webhooks (real HTTP receiver, real chain)", function () {
  let chain: Chain;
  let stack: Stack;
  let receiver: Server;
  let clock = Date.now();
  const received: { headers: Record<string, string | string[] | undefined>; body: string }[] = [];
  let failuresLeft = 1;

  before(async function () {
    chain = await sharedChain();
    receiver = createServer((req, res) => {
      let body = "";
      req.on("data", (c: Buffer) => (body += c.toString()));
      req.on("end", () => {
        received.push({ headers: req.headers, body });
        if (failuresLeft-- > 0) res.writeHead(500).end("try later");
        else res.writeHead(204).end();
      });
    });
    await new Promise<void>((r) => receiver.listen(0, "127.0.0.1", r));
    stack = await openStack(chain, { now: () => clock });
    const url = `http://127.0.0.1:${(receiver.address() as { port: number }).port}/hooks/credanchor`;
    await stack.rows("UPDATE issuers SET webhook_url = ?, webhook_secret = ? WHERE id = 1", url, "a-long-shared-secret-0123");
  });

  after(async function () {
    await closeStack(stack);
    await new Promise((r) => receiver?.close(r));
  });

  it("behavior: batch.confirmed is delivered, signed, and retried with backoff after a failure", async function () {
    const c = sampleBadge();
    ((c.credentialSubject as JsonObject).achievement as JsonObject).name = "Hooked";
    const { credentials } = await stack.service.submitCredentials(1, { credentials: [c] });
    const id = credentials[0]!.id;
    await runUntil(stack, async () => (await stack.service.getCredential(issuer1, id)).state === "confirmed" && received.length >= 1);
    expect(received).to.have.length(1); // the first attempt failed (500)
    const delivery = (await stack.rows("SELECT attempts, next_at, last_error, delivered_at FROM webhook_deliveries"))[0] as { attempts: number; next_at: number; last_error: string; delivered_at: number | null };
    expect(delivery).to.include({ attempts: 1, last_error: "HTTP 500", delivered_at: null });
    expect(delivery.next_at - clock).to.be.within(1_000, 5_000);

    await stack.pipeline.tick();
    expect(received).to.have.length(1); // not before its time
    clock += 5_000;
    await stack.pipeline.tick();
    expect(received).to.have.length(2);
    expect((await stack.rows("SELECT delivered_at FROM webhook_deliveries"))[0]!.delivered_at).to.equal(clock);

    const { headers, body } = received[1]!;
    const payload = JSON.parse(body) as Record<string, unknown>;
    const batch = await stack.service.getBatch(issuer1, (await stack.service.getCredential(issuer1, id)).batchId!);
    expect(payload).to.include({ event: "batch.confirmed", batchId: batch.id, issuerId: 1, root: batch.root, txHash: batch.tx!.hash, size: 1, chainId: 31337 });
    expect(headers["x-credanchor-event"]).to.equal("batch.confirmed");
    expect(headers["x-credanchor-signature"]).to.equal(`sha256=${createHmac("sha256", "a-long-shared-secret-0123").update(body).digest("hex")}`);
    expect(body).not.to.include("Hooked"); // no personal data in webhooks
  });
});
