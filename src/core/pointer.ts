// RFC 6901 JSON pointers: how credanchor names a field ("/credentialSubject/achievement/name").

/**
 * Escapes one reference token (`~` → `~0`, `/` → `~1`).
 *
 * @example
 * escapePointerToken("a/b~c"); // "a~1b~0c"
 */
export function escapePointerToken(token: string): string {
  if (token.indexOf("~") === -1 && token.indexOf("/") === -1) return token;
  return token.replace(/~/g, "~0").replace(/\//g, "~1");
}

/**
 * Splits a pointer into unescaped reference tokens; `undefined` when it is not a valid pointer
 * (non-empty and not starting with `/`, or a `~` not followed by `0` or `1`).
 *
 * @example
 * parsePointer("/credentialSubject/achievement/name"); // ["credentialSubject", "achievement", "name"]
 * parsePointer(""); // [] (the whole document)
 */
export function parsePointer(pointer: string): string[] | undefined {
  if (pointer === "") return [];
  if (pointer[0] !== "/") return undefined;
  const tokens = pointer.slice(1).split("/");
  for (let i = 0; i < tokens.length; i++) {
    const token = tokens[i]!;
    if (/~(?![01])/.test(token)) return undefined;
    tokens[i] = token.replace(/~1/g, "/").replace(/~0/g, "~");
  }
  return tokens;
}

/**
 * Builds a pointer from tokens (array indices as numbers or strings).
 *
 * @example
 * formatPointer(["type", 1]); // "/type/1"
 */
export function formatPointer(tokens: readonly (string | number)[]): string {
  let out = "";
  for (const token of tokens) out += "/" + (typeof token === "number" ? String(token) : escapePointerToken(token));
  return out;
}

/** True for an RFC 6901 array index token: `0` or a decimal without leading zeros. */
export function isArrayIndexToken(token: string): boolean {
  return /^(0|[1-9][0-9]{0,9})$/.test(token);
}
