// QR codes into the page: a printed certificate's code read from an image file (jsQR, bundled)
// or, where the browser can, from the camera (BarcodeDetector, else jsQR on video frames).
// Everything is decoded in the page; no image leaves it.
import jsQRModule from "jsqr";

// A CommonJS module: Node hands over `module.exports` (jsQR on `default`), esbuild may hand over jsQR itself.
const jsQR: typeof jsQRModule.default = (jsQRModule as { default?: typeof jsQRModule.default }).default ?? (jsQRModule as unknown as typeof jsQRModule.default);

/** Large photos are scaled down to this many pixels on their long side (plenty for a printed code). */
const MAX_SIDE = 1600;

/** The pixels of an image (scaled to at most MAX_SIDE), read through a canvas. */
function pixels(source: CanvasImageSource, width: number, height: number): ImageData {
  const scale = Math.min(1, MAX_SIDE / Math.max(width, height));
  const canvas = document.createElement("canvas");
  canvas.width = Math.max(1, Math.round(width * scale));
  canvas.height = Math.max(1, Math.round(height * scale));
  const context = canvas.getContext("2d", { willReadFrequently: true })!;
  context.drawImage(source, 0, 0, canvas.width, canvas.height);
  return context.getImageData(0, 0, canvas.width, canvas.height);
}

/**
 * The text of the QR code in an image file, or undefined when no code can be read in it.
 *
 * @example
 * const text = await readQrImage(file); // "https://issuer.example/verify#b=ygE…"
 */
export async function readQrImage(file: Blob): Promise<string | undefined> {
  let bitmap: ImageBitmap;
  try {
    bitmap = await createImageBitmap(file);
  } catch {
    return undefined; // not an image the browser can read
  }
  const { data, width, height } = pixels(bitmap, bitmap.width, bitmap.height);
  bitmap.close();
  return jsQR(data, width, height, { inversionAttempts: "attemptBoth" })?.data;
}

/** Whether this browser can show a camera to the page (the scan button appears only then). */
export const canUseCamera = (): boolean => typeof navigator.mediaDevices?.getUserMedia === "function";

type Detector = { detect(source: CanvasImageSource): Promise<{ rawValue: string }[]> };

/** The browser's own QR detector where it has one; else jsQR on the frame's pixels. */
function frameReader(): (video: HTMLVideoElement) => Promise<string | undefined> {
  const Native = (globalThis as { BarcodeDetector?: new (options: { formats: string[] }) => Detector }).BarcodeDetector;
  if (Native) {
    const detector = new Native({ formats: ["qr_code"] });
    return async (video) => (await detector.detect(video).catch(() => []))[0]?.rawValue;
  }
  return async (video) => {
    const { data, width, height } = pixels(video, video.videoWidth, video.videoHeight);
    return jsQR(data, width, height)?.data;
  };
}

/**
 * Shows the camera in `video` and reads frames until one holds a QR code (its text), or until
 * `stop()` is called (undefined). The camera is released either way.
 *
 * @example
 * const scan = scanWithCamera(video); cancel.onclick = scan.stop; const text = await scan.result;
 */
export function scanWithCamera(video: HTMLVideoElement): { result: Promise<string | undefined>; stop: () => void } {
  let stopped = false;
  const stop = () => {
    stopped = true;
  };
  const result = (async () => {
    const stream = await navigator.mediaDevices.getUserMedia({ video: { facingMode: "environment" }, audio: false });
    try {
      video.srcObject = stream;
      video.hidden = false;
      await video.play();
      const read = frameReader();
      while (!stopped) {
        if (video.videoWidth > 0) {
          const text = await read(video);
          if (text) return text;
        }
        await new Promise((r) => requestAnimationFrame(r));
      }
      return undefined;
    } finally {
      for (const track of stream.getTracks()) track.stop();
      video.srcObject = null;
      video.hidden = true;
    }
  })();
  return { result, stop };
}
