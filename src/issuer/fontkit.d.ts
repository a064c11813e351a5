// Type declarations for fontkit 2, which ships JavaScript without types: only what the PDF fonts use.
declare module "fontkit" {
  export type FontkitSubset = { includeGlyph(glyph: unknown): number; encode(): Uint8Array };
  export type FontkitFont = { createSubset(): FontkitSubset };
  export function create(buffer: Uint8Array, postscriptName?: string): FontkitFont;
}
