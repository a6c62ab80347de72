// The image decoding thread of @som/serve (see src/render-pool.ts): renders one frame of a
// DICOM object (every transfer syntax dcmjs-imaging decodes: native, RLE, JPEG baseline,
// extended and lossless, JPEG-LS, JPEG 2000) with a window, and encodes it as PNG or JPEG
// at a size with sharp. Plain JavaScript, so the same file runs beside the built package and
// beside its sources under the tests.
'use strict';
const { Buffer } = require('node:buffer');
const { parentPort } = require('node:worker_threads');

// Nothing the decoders print may leave this thread: their messages can quote file values.
for (const method of ['log', 'info', 'warn', 'error', 'debug', 'trace']) console[method] = () => {};

const imaging = require('dcmjs-imaging');
const dcmjs = require('dcmjs');
const sharp = require('sharp');

imaging.log.setLevel('silent');
dcmjs.log.setLevel('silent');
const ready = imaging.NativePixelDecoder.initializeAsync({ logNativeDecodersMessages: false });

/** Why a frame could not be rendered, in words that hold no value from the file. */
class RenderError extends Error {}

async function render(job) {
  await ready;
  let image;
  try {
    image = new imaging.DicomImage(job.bytes);
  } catch {
    throw new RenderError('not readable as DICOM by the decoder');
  }
  const frames = image.getNumberOfFrames();
  if (job.frame >= frames) throw new RenderError(`it has ${frames} frame(s)`);
  const options = { frame: job.frame };
  if (job.window)
    options.windowLevel = new imaging.WindowLevel(job.window.width, job.window.center);
  let rendered;
  try {
    rendered = image.render(options);
  } catch {
    throw new RenderError('its pixel data could not be decoded');
  }
  let pipeline = sharp(Buffer.from(rendered.pixels), {
    raw: { width: rendered.width, height: rendered.height, channels: 4 },
  });
  if (job.size)
    pipeline = pipeline.resize(job.size, job.size, {
      fit: 'inside',
      withoutEnlargement: job.shrinkOnly === true,
    });
  pipeline = pipeline.removeAlpha();
  const encoded =
    job.format === 'png'
      ? await pipeline.png({ compressionLevel: 6 }).toBuffer()
      : await pipeline.jpeg({ quality: job.quality }).toBuffer();
  return { image: encoded, width: rendered.width, height: rendered.height };
}

parentPort.on('message', (job) => {
  render(job).then(
    ({ image, width, height }) => {
      const bytes = new Uint8Array(image.buffer, image.byteOffset, image.length).slice();
      parentPort.postMessage({ id: job.id, ok: true, image: bytes, width, height }, [bytes.buffer]);
    },
    (err) => {
      const message = err instanceof RenderError ? err.message : 'the image could not be rendered';
      parentPort.postMessage({ id: job.id, ok: false, message });
    },
  );
});
