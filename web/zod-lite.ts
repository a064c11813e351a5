// The zod builders the verifier's schemas use, as a plain object, for the page's bundle only:
// zod's `z` namespace drags every locale and the JSON Schema converters (~300 KiB) into the page,
// which never runs them. scripts/build-web.ts points the page's `zod` imports here.
import { array, iso, json, literal, number, record, strictObject, string } from "zod";

export const z = { array, iso, json, literal, number, record, strictObject, string };
