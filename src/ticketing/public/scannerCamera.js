// @ts-check
// The door scanner's camera (imported by ./scanner.js): BarcodeDetector when the browser has it, jsQR
// (/static/jsqr.js, loaded on first use) on a canvas otherwise. The same code seen again within 10
// seconds is not scanned twice.
/* global window, document, navigator */

/**
 * @typedef {{ video: HTMLVideoElement, button: HTMLElement, words: Record<string, string>,
 *   onCode: (code: string) => unknown, onUnavailable: () => void }} CameraOptions
 */
/** @type {CameraOptions} */
var camera;

/** @type {MediaStream | null} */
var stream = null;
var lastCode = '';
var lastAt = 0;
/** @param {string} code */
function detected(code) {
  // The camera sees the same code many times a second, and a ticket stays in front of it for a
  // while: the same code again counts only after 10 seconds (else a green turns red at once).
  var now = Date.now();
  if (code === lastCode && now - lastAt < 10000) return;
  lastCode = code;
  lastAt = now;
  camera.onCode(code);
}
/** jsQR (/static/jsqr.js) and BarcodeDetector are not in every browser, nor in TypeScript's DOM types. */
var w = /** @type {any} */ (window);
/** @returns {Promise<any>} */
function loadJsqr() {
  if (w.jsQR) return Promise.resolve(w.jsQR);
  return new Promise(function (resolve, reject) {
    var tag = document.createElement('script');
    tag.src = '/static/jsqr.js';
    tag.onload = function () {
      resolve(w.jsQR);
    };
    tag.onerror = reject;
    document.head.appendChild(tag);
  });
}
/** @returns {Promise<() => Promise<string | null>>} */
function makeReader() {
  if ('BarcodeDetector' in window) {
    var detector = new w.BarcodeDetector({ formats: ['qr_code'] });
    return Promise.resolve(function () {
      return detector.detect(camera.video).then(function (/** @type {{ rawValue: string }[]} */ codes) {
        return codes.length ? codes[0].rawValue : null;
      });
    });
  }
  return loadJsqr().then(function (jsQR) {
    var canvas = document.createElement('canvas');
    var context = /** @type {CanvasRenderingContext2D} */ (canvas.getContext('2d', { willReadFrequently: true }));
    return function () {
      // A small picture is enough for a QR held up to the phone, and cheap to decode.
      var scale = Math.min(1, 480 / (camera.video.videoWidth || 480));
      canvas.width = Math.round((camera.video.videoWidth || 480) * scale);
      canvas.height = Math.round((camera.video.videoHeight || 360) * scale);
      context.drawImage(camera.video, 0, 0, canvas.width, canvas.height);
      var image = context.getImageData(0, 0, canvas.width, canvas.height);
      var found = jsQR(image.data, image.width, image.height, { inversionAttempts: 'dontInvert' });
      return Promise.resolve(found ? found.data : null);
    };
  });
}
function stopCamera() {
  if (stream)
    stream.getTracks().forEach(function (track) {
      track.stop();
    });
  stream = null;
  camera.video.hidden = true;
  camera.button.textContent = camera.words.camera;
}
function startCamera() {
  if (!navigator.mediaDevices || !navigator.mediaDevices.getUserMedia) {
    camera.onUnavailable();
    return;
  }
  navigator.mediaDevices
    .getUserMedia({ video: { facingMode: 'environment' }, audio: false })
    .then(function (s) {
      stream = s;
      camera.video.srcObject = s;
      camera.video.hidden = false;
      camera.button.textContent = camera.words.cameraStop;
      return camera.video.play().then(makeReader);
    })
    .then(function (read) {
      var tick = function () {
        if (!stream) return;
        read()
          .then(
            function (code) {
              if (code) detected(code);
            },
            function () {
              return null;
            },
          )
          .then(function () {
            setTimeout(tick, 250);
          });
      };
      tick();
    })
    .catch(function () {
      stopCamera();
      camera.onUnavailable();
    });
}

/**
 * Wires the camera button: starts the camera, reads codes from the video, stops on a second press.
 * @param {CameraOptions} options
 */
export function wireCamera(options) {
  camera = options;
  camera.button.addEventListener('click', function () {
    if (stream) stopCamera();
    else startCamera();
  });
}
