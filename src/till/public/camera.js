// @ts-check
// The card's QR code read with the phone's camera (docs/TILL.md, "A card by its printed number or its QR code"):
// BarcodeDetector where the browser has it, else jsQR (served by the node as /static/till/jsQR.js, no CDN).
// What is read goes to the same place as a card read by NFC or typed (`onRead`).
/* global window, document, navigator */
import { $, $button, words } from './dom.js';
import { showResult } from './screens.js';

/** @type {MediaStream | null} */
let stream = null;
let timer = 0;

/** @returns {Promise<(video: HTMLVideoElement) => Promise<string | null>>} */
async function decoder() {
  const w = /** @type {any} */ (window);
  if (w.BarcodeDetector) {
    const detector = new w.BarcodeDetector({ formats: ['qr_code'] });
    return async (video) => {
      const codes = await detector.detect(video);
      return codes.length ? String(codes[0].rawValue) : null;
    };
  }
  if (!w.jsQR) {
    await new Promise((resolve, reject) => {
      const script = document.createElement('script');
      script.src = '/static/till/jsQR.js';
      script.onload = resolve;
      script.onerror = reject;
      document.head.append(script);
    });
  }
  const canvas = document.createElement('canvas');
  return async (video) => {
    const width = video.videoWidth;
    const height = video.videoHeight;
    if (!width || !height) return null;
    canvas.width = width;
    canvas.height = height;
    const ctx = /** @type {CanvasRenderingContext2D} */ (canvas.getContext('2d', { willReadFrequently: true }));
    ctx.drawImage(video, 0, 0, width, height);
    const code = w.jsQR(ctx.getImageData(0, 0, width, height).data, width, height);
    return code ? String(code.data) : null;
  };
}

export function stopCamera() {
  window.clearTimeout(timer);
  if (stream) for (const track of stream.getTracks()) track.stop();
  stream = null;
  $('till-camera-view').hidden = true;
}

/** The camera button, where the browser may film. @param {(raw: string) => unknown} onRead */
export function wireCamera(onRead) {
  if (!navigator.mediaDevices || !navigator.mediaDevices.getUserMedia) return;
  const button = $button('till-camera');
  button.hidden = false;
  $('till-camera-stop').addEventListener('click', stopCamera);
  button.addEventListener('click', async () => {
    const video = /** @type {HTMLVideoElement} */ ($('till-camera-video'));
    try {
      const detect = await decoder();
      stream = await navigator.mediaDevices.getUserMedia({ video: { facingMode: 'environment' }, audio: false });
      video.srcObject = stream;
      $('till-camera-view').hidden = false;
      await video.play().catch(() => null);
      const scan = async () => {
        if (!stream) return;
        const value = await detect(video).catch(() => null);
        if (value) {
          stopCamera();
          return onRead(value);
        }
        timer = window.setTimeout(scan, 200);
      };
      void scan();
    } catch {
      stopCamera();
      showResult('ko', words.cameraFailed, []);
    }
  });
}
