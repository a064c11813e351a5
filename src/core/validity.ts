// The validity window a digest commits to: a credential's validFrom / validUntil as unix seconds.
import { ValidationError, type ErrorDetail } from "./errors.ts";
import { parseDateTimeStamp } from "./datetime.ts";

/** Unix seconds; 0 means "absent". */
export type ValidityWindow = { validFrom: number; validUntil: number };

/**
 * Problems with a credential's `validFrom` / `validUntil` (each optional, each an XML Schema
 * dateTimeStamp from 1970 on, validUntil not before validFrom), and the window they give.
 *
 * @example
 * readValidity({ validFrom: "2024-01-01T00:00:00Z" }); // { window: { validFrom: 1704067200, validUntil: 0 }, issues: [] }
 */
export function readValidity(credential: Record<string, unknown>): { window: ValidityWindow; issues: ErrorDetail[] } {
  const issues: ErrorDetail[] = [];
  const read = (name: "validFrom" | "validUntil"): number => {
    if (!Object.prototype.hasOwnProperty.call(credential, name)) return 0;
    const value = credential[name];
    if (typeof value !== "string") {
      issues.push({ path: name, message: "must be a string (XML Schema dateTimeStamp)" });
      return 0;
    }
    const parsed = parseDateTimeStamp(value);
    if (!parsed.ok) {
      issues.push({ path: name, message: parsed.message });
      return 0;
    }
    return parsed.seconds;
  };
  const window = { validFrom: read("validFrom"), validUntil: read("validUntil") };
  if (window.validFrom !== 0 && window.validUntil !== 0 && window.validUntil < window.validFrom) {
    issues.push({ path: "validUntil", message: "must not be before validFrom" });
  }
  return { window, issues };
}

/**
 * The validity window of a credential.
 *
 * @throws ValidationError `CREDENTIAL_INVALID` naming each bad date.
 *
 * @example
 * credentialValidity({ validFrom: "2024-01-01T00:00:00Z", validUntil: "2025-01-01T00:00:00Z" });
 * // { validFrom: 1704067200, validUntil: 1735689600 }
 */
export function credentialValidity(credential: Record<string, unknown>): ValidityWindow {
  const { window, issues } = readValidity(credential);
  if (issues.length > 0) throw new ValidationError("invalid validity dates", { code: "CREDENTIAL_INVALID", details: issues });
  return window;
}
