// `credanchor share`: holder-facing share links of a credential (create, list, revoke) and the
// holder key that lets a holder manage them with no account, all through the HTTP API.
import type { CreatedShareLink, ShareLinkView } from "../issuer/use-cases/share-links.ts";
import { ApiClient, reportApiError } from "./api-client.ts";
import { parseCommandLine } from "./command-line.ts";
import type { Command } from "./issuer-commands.ts";

const SHARE_USAGE = `Usage: credanchor share create <credential-id> [--hide <pointer>…] [--expires <date-time>]
       credanchor share list <credential-id>
       credanchor share revoke <credential-id> <link-id>
       credanchor share holder-key <credential-id>

A share link opens the verifier page with the credential loaded, serving only what was chosen
to disclose: the fields at --hide are removed (their salted hashes stay, so it still verifies)
and never stored for the link. Anyone with the link can open it; the issuer or the holder can
revoke it. The link's token is printed once (only its hash is kept).

  create                 make a link; prints its id, the page URL and the token
  list                   the credential's links (id, state, hidden fields; never a token)
  revoke                 stop a link at once (its stored bundle is deleted)
  holder-key             (issuer) a new holder key for the credential, printed once: hand it
                         to the holder with the bundle; a new key replaces the old one

Options:
  --hide <pointer>       a JSON pointer to withhold, e.g. /credentialSubject/birthDate (repeatable)
  --expires <date-time>  the link stops (410) after this RFC 3339 instant, e.g. 2027-01-31T00:00:00Z
  --holder-key <key>     act as the holder with this key (chk_…; default $CREDANCHOR_HOLDER_KEY)
                         instead of an API key
  --json                 print the answer as JSON
  --url <url>            the credanchor API (default $CREDANCHOR_URL or http://127.0.0.1:8080)
  --api-key <key>        the issuer's API key (default $CREDANCHOR_API_KEY, else the local
                         demo key that npm start saved in data/demo-keys.json)
  -h, --help             show this help`;

const describe = (l: ShareLinkView) =>
  `${l.id}  ${l.state.padEnd(7)}  by ${l.createdBy}, ${l.createdAt}${l.expiresAt ? `, expires ${l.expiresAt}` : ""}${l.revokedAt ? `, revoked ${l.revokedAt}` : ""}  hidden: ${l.hidden.length ? l.hidden.join(" ") : "none"}`;

export const shareCommand: Command = {
  name: "share",
  usage: SHARE_USAGE,
  async run(argv) {
    const parsed = parseCommandLine(
      argv,
      {
        hide: { type: "string", multiple: true },
        expires: { type: "string" },
        "holder-key": { type: "string" },
        json: { type: "boolean" },
        url: { type: "string" },
        "api-key": { type: "string" },
      },
      SHARE_USAGE,
    );
    if (typeof parsed === "number") return parsed;
    const { values, positionals } = parsed;
    const [action, id, linkId] = positionals;
    const wanted = { create: 2, list: 2, revoke: 3, "holder-key": 2 }[action ?? ""];
    if (wanted === undefined || positionals.length !== wanted) return console.error(`error: ${action ? `"${positionals.join(" ")}" is not a share command` : "name a share command"}\n\n${SHARE_USAGE}`), 2;
    const holderKey = values["holder-key"] ?? process.env.CREDANCHOR_HOLDER_KEY;
    if (action === "holder-key" && values["holder-key"]) return console.error("error: only an API key can make a holder key"), 2;
    const client = new ApiClient({ url: values.url, apiKey: action !== "holder-key" && holderKey ? holderKey : values["api-key"] });
    const links = `/v1/credentials/${encodeURIComponent(id!)}/share-links`;
    const print = (value: unknown, text: string) => console.log(values.json ? JSON.stringify(value, null, 2) : text);
    try {
      if (action === "create") {
        const body = { ...(values.hide ? { hide: values.hide } : {}), ...(values.expires ? { expiresAt: values.expires } : {}) };
        const link = await client.request<CreatedShareLink & { url: string }>("POST", links, body);
        print(link, `${describe(link)}\nurl:   ${link.url}\ntoken: ${link.token}  (shown once)`);
      } else if (action === "list") {
        const { links: all } = await client.request<{ links: ShareLinkView[] }>("GET", links);
        print(all, all.length ? all.map(describe).join("\n") : "no share links");
      } else if (action === "revoke") {
        const link = await client.request<ShareLinkView>("DELETE", `${links}/${encodeURIComponent(linkId!)}`);
        print(link, describe(link));
      } else {
        const key = await client.request<{ credentialId: string; holderKey: string; createdAt: string }>("POST", `/v1/credentials/${encodeURIComponent(id!)}/holder-key`);
        print(key, `holder key for ${key.credentialId}: ${key.holderKey}  (shown once; any earlier key stops working)`);
      }
      return 0;
    } catch (error) {
      return reportApiError(error);
    }
  },
};
