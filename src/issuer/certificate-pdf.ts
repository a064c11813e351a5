// The printable certificate: one A4 page (achievement, holder, issuer, dates) with a QR code that
// opens the verifier page with the whole proof inside it, so paper verifies without the issuer.
import { PDFDocument, rgb, type PDFPage } from "pdf-lib";
import QRCode from "qrcode";
import type { Bundle } from "../core/bundle.ts";
import { encodeCompactBundle } from "../core/bundle-compact.ts";
import { bytesToBase64url } from "../core/encoding.ts";
import { readCertificate } from "../verifier/certificate.ts";
import type { IssuerIdentity } from "../verifier/issuer-identity.ts";
import { embedTypefaces, type Typeface } from "./pdf-fonts.ts";

/**
 * Longest QR text: 2,200 characters need a version-35 code at error correction L (157 modules),
 * which prints at 0.45 mm a module in the page's 70 mm square, still read by phone cameras.
 */
export const QR_MAX_CHARS = 2200;

export type CertificatePdfInput = {
  bundle: Bundle;
  /** The credential's id at the issuer (printed, for the issuer's own look-ups). */
  credentialId: string;
  /** The verifier page's absolute URL (`https://issuer.example/verify`). */
  verifierUrl: string;
  /** The anchoring issuer as the chain names it (from a verification); absent: the chain could not be read. */
  issuer?: IssuerIdentity;
  /**
   * Called only when the bundle is too large for the QR code: a share link's page URL
   * (`…/verify#share=<token>`) for the code to hold instead. Absent: the code holds the page's address.
   */
  shareUrl?: () => Promise<string>;
};

export type CertificatePdf = {
  pdf: Uint8Array;
  /** What the QR code holds, and the PNG drawn on the page; `viaShareLink`: a share link made for it. */
  qr: { text: string; png: Uint8Array; holdsBundle: boolean; viaShareLink: boolean };
};

/**
 * The QR text for a bundle: the verifier page with the compact bundle in its fragment
 * (`…/verify#b=<base64url>`; a fragment never reaches a server), or undefined when that is
 * longer than {@link QR_MAX_CHARS}.
 *
 * @example
 * qrVerifyUrl(bundle, "https://issuer.example/verify"); // "https://issuer.example/verify#b=ygE…"
 */
export function qrVerifyUrl(bundle: Bundle, verifierUrl: string): string | undefined {
  const url = `${verifierUrl.replace(/#.*$/, "")}#b=${bytesToBase64url(encodeCompactBundle(bundle))}`;
  return url.length <= QR_MAX_CHARS ? url : undefined;
}

const A4 = { width: 595.28, height: 841.89 };
const MARGIN = 56;
const INK = rgb(0.1, 0.1, 0.12);
const MUTED = rgb(0.38, 0.38, 0.42);
const WARN = rgb(0.7, 0.1, 0.05);

/** Greedy word wrap to `width`, at most `maxLines` (the last one ends in "…" when cut). */
function wrap(font: Typeface, size: number, text: string, width: number, maxLines: number): string[] {
  const lines: string[] = [];
  let line = "";
  for (const word of font.printable(text).split(/\s+/).filter(Boolean)) {
    const next = line ? `${line} ${word}` : word;
    if (font.widthOf(next, size) <= width) line = next;
    else {
      if (line) lines.push(line);
      line = word;
      // One overlong word (a URL, a DID) is cut into pieces that fit.
      while (font.widthOf(line, size) > width) {
        let cut = line.length - 1;
        while (cut > 1 && font.widthOf(line.slice(0, cut), size) > width) cut--;
        lines.push(line.slice(0, cut));
        line = line.slice(cut);
      }
    }
  }
  if (line) lines.push(line);
  if (lines.length <= maxLines) return lines;
  const kept = lines.slice(0, maxLines);
  let last = kept[maxLines - 1]!;
  while (last && font.widthOf(`${last}…`, size) > width) last = last.slice(0, -1);
  kept[maxLines - 1] = `${last}…`;
  return kept;
}

/** Writes top-down from `y`; returns the writer so the layout reads as a list of blocks. */
function writer(page: PDFPage, fonts: { regular: Typeface; bold: Typeface }) {
  let y = A4.height - MARGIN;
  const width = A4.width - 2 * MARGIN;
  return {
    text(text: string, o: { size: number; bold?: boolean; color?: ReturnType<typeof rgb>; maxLines?: number; gap?: number }) {
      const font = o.bold ? fonts.bold : fonts.regular;
      for (const line of wrap(font, o.size, text, width, o.maxLines ?? 1)) {
        y -= o.size * 1.25;
        font.draw(page, line, { x: MARGIN, y, size: o.size, color: o.color ?? INK });
      }
      y -= o.gap ?? 0;
    },
    label(text: string) {
      this.text(text.toUpperCase(), { size: 8.5, bold: true, color: MUTED, gap: 1 });
    },
    skip(points: number) {
      y -= points;
    },
    get y() {
      return y;
    },
  };
}

/** `2026-12-01` (UTC): unambiguous in every locale a printout may travel to. */
const day = (seconds: number) => new Date(seconds * 1000).toISOString().slice(0, 10);

/**
 * Renders the one-page certificate PDF of an anchored credential. The issuer's name and identity
 * come from the chain (`input.issuer`), never from the credential alone; when the credential
 * claims another issuer the page says so in red.
 *
 * @example
 * const { pdf } = await certificatePdf({ bundle, credentialId: id, verifierUrl: "https://issuer.example/verify", issuer: report.issuer });
 */
export async function certificatePdf(input: CertificatePdfInput): Promise<CertificatePdf> {
  const facts = readCertificate(input.bundle);
  const doc = await PDFDocument.create();
  doc.setTitle(`${facts.title}${facts.holder ? ` - ${facts.holder}` : ""}`);
  doc.setProducer("credanchor");
  doc.setCreator("credanchor");
  const page = doc.addPage([A4.width, A4.height]);
  // Everything printed comes from these: a Han name embeds the Han fallback font, a Latin one does not.
  const fonts = await embedTypefaces(doc, [JSON.stringify(facts), JSON.stringify(input.issuer ?? {}), input.credentialId, input.verifierUrl]);
  const w = writer(page, fonts);

  w.text(facts.kind === "Open Badge" ? "Open Badge certificate" : "Verifiable credential", { size: 11, color: MUTED, gap: 6 });
  w.text(facts.title, { size: 26, bold: true, maxLines: 2, gap: 6 });
  if (facts.description) w.text(facts.description, { size: 11, maxLines: 4, gap: 14 });

  w.label(facts.kind === "Open Badge" ? "Awarded to" : "Subject");
  w.text(facts.holder ?? "(not disclosed)", { size: 18, bold: true, maxLines: 2, gap: 12 });

  w.label("Issued by");
  const id = input.issuer;
  const claimed = facts.claimedIssuer;
  const name = id?.name ?? (id?.matches ? claimed.name : undefined);
  w.text(name ?? id?.onChain ?? claimed.name ?? claimed.id ?? "(not named)", { size: 14, bold: true, maxLines: 2, gap: 2 });
  if (id) {
    w.text(`${id.onChain ?? "(no identity recorded)"} - issuer ${id.issuerId} on chain ${input.bundle.chainId}, as recorded on the blockchain`, { size: 9, color: MUTED, maxLines: 2, gap: 2 });
    if (!id.matches) w.text(`WARNING: the credential names ${id.claimed ?? "another issuer"}, not the issuer that recorded it.`, { size: 10, bold: true, color: WARN, maxLines: 2, gap: 2 });
  } else {
    w.text("as the credential states (the blockchain could not be read when this page was made)", { size: 9, color: MUTED, gap: 2 });
  }
  w.skip(10);

  const dates = [facts.validFrom ? `Issued on ${day(facts.validFrom)}` : undefined, `Expires ${facts.validUntil ? day(facts.validUntil) : "never"}`].filter(Boolean).join("      ");
  w.text(dates, { size: 11, gap: 10 });
  if (facts.criteria) {
    w.label("Criteria");
    w.text(facts.criteria, { size: 10, maxLines: 4, gap: 8 });
  }
  if (facts.skills.length) {
    w.label("Skills");
    w.text(facts.skills.join("; "), { size: 10, maxLines: 3, gap: 8 });
  }

  const inQr = qrVerifyUrl(input.bundle, input.verifierUrl);
  const shared = inQr === undefined && input.shareUrl ? await input.shareUrl() : undefined;
  const qrText = inQr ?? shared ?? input.verifierUrl;
  const png = await QRCode.toBuffer(qrText, { errorCorrectionLevel: "L", margin: 4, scale: 4, type: "png" });
  const image = await doc.embedPng(png);
  const side = 198; // 70 mm
  page.drawImage(image, { x: MARGIN, y: MARGIN + 24, width: side, height: side });
  const caption = inQr
    ? "Scan to verify. This code holds the whole proof: the verifier page checks it against the blockchain, without asking the issuer."
    : shared
      ? "Scan to verify. This credential is too large for a code: the code opens a share link, whose proof the verifier page checks against the blockchain."
      : "Scan to open the verifier. This credential is too large for a code: verify its proof bundle file there.";
  const captionBox = { x: MARGIN + side + 18, width: A4.width - 2 * MARGIN - side - 18 };
  let cy = MARGIN + 24 + side;
  for (const line of wrap(fonts.regular, 10, caption, captionBox.width, 6)) {
    cy -= 13;
    fonts.regular.draw(page, line, { x: captionBox.x, y: cy, size: 10, color: INK });
  }
  cy -= 10;
  cy -= 11;
  fonts.regular.draw(page, `Credential ${input.credentialId}`, { x: captionBox.x, y: cy, size: 8, color: MUTED });
  for (const line of wrap(fonts.regular, 8, `Anchor transaction ${input.bundle.txHash} (block ${input.bundle.blockNumber}, chain ${input.bundle.chainId})`, captionBox.width, 3)) {
    cy -= 11;
    fonts.regular.draw(page, line, { x: captionBox.x, y: cy, size: 8, color: MUTED });
  }
  if (facts.hiddenCount) {
    cy -= 11;
    fonts.regular.draw(page, `${facts.hiddenCount} field(s) withheld by the holder`, { x: captionBox.x, y: cy, size: 8, color: MUTED });
  }
  fonts.regular.draw(page, input.verifierUrl, { x: MARGIN, y: MARGIN + 8, size: 8, color: MUTED });
  return { pdf: await doc.save(), qr: { text: qrText, png: new Uint8Array(png), holdsBundle: inQr !== undefined, viaShareLink: shared !== undefined } };
}
