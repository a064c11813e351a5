// Unicode text for the certificate PDF: DejaVu Sans (Latin, Greek, Cyrillic…) with Noto Sans TC
// for the Han characters it lacks, both TrueType from npm packages, embedded as subsets made by
// fontkit 2 (pdf-lib's own fork of fontkit 1 drops glyphs when it subsets the Noto font).
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import * as fontkit from "fontkit";
import type { Color, PDFDocument, PDFFont, PDFPage } from "pdf-lib";

const require = createRequire(import.meta.url);

type PdfLibFontkit = Parameters<PDFDocument["registerFontkit"]>[0];

/**
 * fontkit 2 as pdf-lib expects a fontkit: pdf-lib reads a subset through `encodeStream()`
 * (fontkit 1), which fontkit 2 replaced with `encode()`; everything else is unchanged.
 */
const fontkit2: PdfLibFontkit = {
  create(buffer: Uint8Array, postscriptName?: string) {
    const font = fontkit.create(buffer, postscriptName);
    const createSubset = font.createSubset.bind(font);
    return Object.assign(font, {
      createSubset: () => {
        const subset = createSubset();
        return Object.assign(subset, {
          encodeStream() {
            const bytes = subset.encode();
            const stream = {
              on(event: string, callback: (data: Uint8Array) => unknown) {
                if (event === "data") callback(bytes);
                else if (event === "end") callback(new Uint8Array());
                return stream;
              },
            };
            return stream;
          },
        });
      },
    }) as unknown as ReturnType<PdfLibFontkit["create"]>;
  },
};

/** The font files, by weight: the main face, and the fallback embedded only when a text needs it. */
const FILES = {
  regular: { main: "dejavu-fonts-ttf/ttf/DejaVuSans.ttf", fallback: "@expo-google-fonts/noto-sans-tc/400Regular/NotoSansTC_400Regular.ttf" },
  bold: { main: "dejavu-fonts-ttf/ttf/DejaVuSans-Bold.ttf", fallback: "@expo-google-fonts/noto-sans-tc/700Bold/NotoSansTC_700Bold.ttf" },
} as const;

const bytesCache = new Map<string, Uint8Array>();
/** A font file's bytes, read once per process (the Noto file is 7 MB). */
function fontBytes(file: string): Uint8Array {
  let bytes = bytesCache.get(file);
  if (!bytes) bytesCache.set(file, (bytes = readFileSync(require.resolve(file))));
  return bytes;
}

// Controls and bidirectional overrides would reorder or hide printed text: drawn as spaces.
const INVISIBLE = /[\u0000-\u001f\u007f-\u009f\u200b-\u200f\u202a-\u202e\u2066-\u2069]/g;

/**
 * One weight of the certificate's text: measures and draws a string, each character in the
 * first font that has it (a character neither has is drawn as "?").
 */
export type Typeface = {
  /** The text as it will be printed: NFC, controls as spaces, unknown characters as "?". */
  printable(text: string): string;
  widthOf(text: string, size: number): number;
  draw(page: PDFPage, text: string, at: { x: number; y: number; size: number; color: Color }): void;
};

function typeface(fonts: readonly PDFFont[]): Typeface {
  const sets = fonts.map((f) => new Set(f.getCharacterSet()));
  const fontOf = (c: string) => sets.findIndex((s) => s.has(c.codePointAt(0)!));
  const printable = (text: string) => Array.from(text.normalize("NFC").replace(INVISIBLE, " "), (c) => (fontOf(c) === -1 ? "?" : c)).join("");
  /** Consecutive characters of one font, as [font, text] runs. */
  const runs = (text: string): [PDFFont, string][] => {
    const out: [PDFFont, string][] = [];
    for (const c of printable(text)) {
      const font = fonts[fontOf(c)]!;
      const last = out.at(-1);
      if (last && last[0] === font) last[1] += c;
      else out.push([font, c]);
    }
    return out;
  };
  return {
    printable,
    widthOf: (text, size) => runs(text).reduce((sum, [font, run]) => sum + font.widthOfTextAtSize(run, size), 0),
    draw(page, text, { x, y, size, color }) {
      for (const [font, run] of runs(text)) {
        page.drawText(run, { x, y, size, font, color });
        x += font.widthOfTextAtSize(run, size);
      }
    },
  };
}

/**
 * Embeds the certificate's regular and bold faces in `doc`, subset to what is drawn. The Han
 * fallback is embedded only when `texts` hold a character DejaVu Sans lacks.
 *
 * @example
 * const faces = await embedTypefaces(doc, [title, holder]);
 * faces.bold.draw(page, title, { x: 56, y: 700, size: 26, color: rgb(0, 0, 0) });
 */
export async function embedTypefaces(doc: PDFDocument, texts: readonly string[]): Promise<{ regular: Typeface; bold: Typeface }> {
  doc.registerFontkit(fontkit2);
  const faces = await Promise.all(
    (["regular", "bold"] as const).map(async (weight) => {
      const main = await doc.embedFont(fontBytes(FILES[weight].main), { subset: true });
      const known = new Set(main.getCharacterSet());
      const needsFallback = texts.some((t) => Array.from(t.normalize("NFC").replace(INVISIBLE, " ")).some((c) => !known.has(c.codePointAt(0)!)));
      const fallback = needsFallback ? [await doc.embedFont(fontBytes(FILES[weight].fallback), { subset: true })] : [];
      return typeface([main, ...fallback]);
    }),
  );
  return { regular: faces[0]!, bold: faces[1]! };
}
