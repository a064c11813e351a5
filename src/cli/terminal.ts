// What the CLI prints: untrusted text (bundle contents, on-chain metadata, RPC answers) made inert
// for a terminal, and URLs shown without the secrets they may carry.

// C0 and C1 controls, DEL, bidi controls (U+061C, U+200E/F, U+202A–U+202E, U+2066–U+2069),
// zero-width and invisible format characters, line/paragraph separators, BOM, interlinear
// annotation and tag characters: anything that moves the cursor, recolours, reorders or hides text.
const UNSAFE = /[\u0000-\u001f\u007f-\u009f\u00ad\u061c\u180e\u200b-\u200f\u2028-\u202e\u2060-\u2064\u2066-\u206f\ufeff\ufff9-\ufffb\u{e0000}-\u{e007f}]/gu;
// The same minus the line feed, which JSON.stringify's indentation emits (and never inside a string).
const UNSAFE_IN_JSON = new RegExp(UNSAFE.source.replace("\\u0000-\\u001f", "\\u0000-\\u0009\\u000b-\\u001f"), "gu");

const hex = (n: number, width: number) => n.toString(16).padStart(width, "0");

/** `\uXXXX` escapes of a character's UTF-16 units (what JSON and JavaScript both read back). */
const unitEscapes = (c: string) => Array.from({ length: c.length }, (_, i) => `\\u${hex(c.charCodeAt(i), 4)}`).join("");

/**
 * Makes untrusted text safe to print: every control, bidi or invisible character becomes a
 * visible escape (`\x1b`, `\u202e`), so nothing a bundle or a chain says can move the cursor,
 * rewrite a line already printed, or reorder what is shown. Every CLI print of such text goes
 * through it.
 *
 * @example
 * terminalSafe("bundle.json\x1b[1A: VALID"); // "bundle.json\\x1b[1A: VALID"
 */
export function terminalSafe(text: string): string {
  return text.replace(UNSAFE, (c) => {
    const code = c.codePointAt(0)!;
    return code <= 0xff ? `\\x${hex(code, 2)}` : unitEscapes(c);
  });
}

/**
 * JSON for a terminal: `JSON.stringify` leaves DEL, C1, bidi and invisible characters raw inside
 * strings; they become `\uXXXX` escapes, so the text stays valid JSON with the same values.
 *
 * @example
 * terminalJson({ issuer: "did:web:\u202eevil" }); // '{\n  "issuer": "did:web:\\u202eevil"\n}'
 */
export function terminalJson(value: unknown): string {
  const text = JSON.stringify(value, (_key, v: unknown) => (typeof v === "bigint" ? v.toString() : v), 2);
  return text.replace(UNSAFE_IN_JSON, unitEscapes);
}

/**
 * A URL as the CLI shows it: scheme, host and port, with `/…` when a path or query followed
 * (providers put API keys there) and no user or password.
 *
 * @example
 * displayUrl("https://mainnet.example/v3/KEY"); // "https://mainnet.example/…"
 * displayUrl("http://127.0.0.1:8545");          // "http://127.0.0.1:8545"
 */
export function displayUrl(url: string): string {
  try {
    const u = new URL(url);
    const more = (u.pathname !== "/" && u.pathname !== "") || u.search !== "" ? "/…" : "";
    return terminalSafe(`${u.protocol}//${u.host}${more}`);
  } catch {
    return "(an unparsable URL)";
  }
}
