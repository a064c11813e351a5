// A self-signed certificate for 127.0.0.1 and localhost, made with openssl, and an HTTPS client that trusts it (tests and the W3C suites runner).
import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { request } from "node:https";
import { join } from "node:path";
import type { Call } from "../api/http.ts";

export type SelfSigned = { certFile: string; keyFile: string; cert: Buffer; key: Buffer };

/** Writes `cert.pem` and `key.pem` (P-256, 2 days) into `dir`. */
export function selfSignedCertificate(dir: string): SelfSigned {
  const certFile = join(dir, "cert.pem");
  const keyFile = join(dir, "key.pem");
  execFileSync(
    "openssl",
    ["req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-days", "2", "-subj", "/CN=localhost", "-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1", "-keyout", keyFile, "-out", certFile],
    { stdio: "ignore" },
  );
  return { certFile, keyFile, cert: readFileSync(certFile), key: readFileSync(keyFile) };
}

/** One HTTPS request trusting `ca` only, answered in the shape of test/api/http.ts's `call`. */
export function httpsCall(ca: Buffer, base: string, method: string, path: string, { token, body, headers: extra = {} }: { token?: string; body?: unknown; headers?: Record<string, string> } = {}): Promise<Call> {
  return new Promise((resolve, reject) => {
    const text = body === undefined ? undefined : JSON.stringify(body);
    const req = request(base + path, { method, ca, headers: { ...(text ? { "content-type": "application/json", "content-length": String(Buffer.byteLength(text)) } : {}), ...(token ? { authorization: `Bearer ${token}` } : {}), ...extra }, timeout: 60_000 }, (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (c: Buffer) => chunks.push(c));
      res.on("end", () => {
        const out = Buffer.concat(chunks).toString("utf8");
        let parsed: unknown;
        try {
          parsed = JSON.parse(out);
        } catch {
          parsed = undefined;
        }
        const headers = new Headers();
        for (const [k, v] of Object.entries(res.headers)) if (v !== undefined) headers.set(k, Array.isArray(v) ? v.join(", ") : v);
        resolve({ method, path, status: res.statusCode!, headers, body: parsed, text: out });
      });
    });
    req.on("error", reject);
    req.end(text);
  });
}
