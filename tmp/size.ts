import { readFileSync } from "node:fs";
import QRCode from "qrcode";
const n = Number(process.argv[2]);
for (const ec of ["L","M"] as const) {
  try { const q = QRCode.create("x".repeat(n), { errorCorrectionLevel: ec }); console.log(ec, n, q.version); } catch (e) { console.log(ec, n, (e as Error).message); }
}
