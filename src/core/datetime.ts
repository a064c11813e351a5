// XML Schema dateTimeStamp (VC 2.0 validFrom / validUntil) to unix seconds.

const DATE_TIME_STAMP = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(\.\d+)?(Z|[+-]\d{2}:\d{2})$/;

/** Unix seconds of a dateTimeStamp, or why it is not one. */
export type ParsedDateTime = { ok: true; seconds: number } | { ok: false; message: string };

/**
 * Parses an XML Schema 1.1 `dateTimeStamp` (a dateTime with a mandatory time zone, as VC 2.0
 * requires for `validFrom` / `validUntil`) into unix seconds, rounding fractions down.
 * Only years 1970–9999 are accepted: the digest stores the time as an unsigned integer.
 * `24:00:00` is accepted as the next day's midnight, as XML Schema defines it.
 *
 * @example
 * parseDateTimeStamp("2024-01-01T00:00:00Z"); // { ok: true, seconds: 1704067200 }
 * parseDateTimeStamp("2024-01-01"); // { ok: false, message: "…" }
 */
export function parseDateTimeStamp(value: string): Readonly<ParsedDateTime> {
  // A batch's credentials mostly share a few dates (validFrom, validUntil, …): remember them.
  let result = recent.get(value);
  if (result === undefined) {
    if (recent.size >= RECENT_MAX) recent.clear();
    result = Object.freeze(parseUncached(value));
    recent.set(value, result);
  }
  return result;
}

/** Distinct strings remembered; the memory is dropped whole when full (cheap, and a batch refills it). */
const RECENT_MAX = 256;
const recent = new Map<string, Readonly<ParsedDateTime>>();

function parseUncached(value: string): ParsedDateTime {
  const m = DATE_TIME_STAMP.exec(value);
  if (m === null) return { ok: false, message: "must be an XML Schema dateTimeStamp like 2024-01-31T12:00:00Z (time zone required)" };
  const [year, month, day, hour, minute, second] = m.slice(1, 7).map(Number) as [number, number, number, number, number, number];
  const zone = m[8]!;
  if (year < 1970) return { ok: false, message: "years before 1970 are not supported" };
  if (month < 1 || month > 12) return { ok: false, message: `month ${month} does not exist` };
  const daysInMonth = new Date(Date.UTC(year, month, 0)).getUTCDate();
  if (day < 1 || day > daysInMonth) return { ok: false, message: `day ${day} does not exist in ${year}-${String(month).padStart(2, "0")}` };
  const endOfDay = hour === 24 && minute === 0 && second === 0 && !/[1-9]/.test(m[7] ?? "");
  if ((hour > 23 && !endOfDay) || minute > 59 || second > 59) return { ok: false, message: "time of day out of range" };
  let offsetMinutes = 0;
  if (zone !== "Z") {
    const zh = Number(zone.slice(1, 3));
    const zm = Number(zone.slice(4, 6));
    if (zh > 14 || zm > 59 || (zh === 14 && zm > 0)) return { ok: false, message: "time zone offset out of range (±14:00)" };
    offsetMinutes = (zone[0] === "-" ? -1 : 1) * (zh * 60 + zm);
  }
  const seconds = Date.UTC(year, month - 1, day, hour, minute, second) / 1000 - offsetMinutes * 60;
  if (seconds < 0) return { ok: false, message: "before 1970-01-01T00:00:00Z is not supported" };
  return { ok: true, seconds };
}
