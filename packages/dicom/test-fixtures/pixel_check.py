#!/usr/bin/python3
"""pydicom + numpy as the oracle of pixel cleaning.

  pixel_check.py make DIR       writes images of several layouts (native and RLE) and one
                                with burned-in text; prints a JSON manifest
  pixel_check.py verify IN OUT x0 y0 x1 y1 [x0 y0 x1 y1 ...]
                                decodes both with pydicom and prints JSON: whether every
                                pixel inside the rectangles is zero in every frame of OUT,
                                and every other pixel equal to IN's
"""
import json
import os
import sys

import numpy as np
from pydicom import dcmread
from pydicom.dataset import FileDataset, FileMetaDataset
from pydicom.uid import ExplicitVRLittleEndian, ImplicitVRLittleEndian, RLELossless, generate_uid


def base(rows, cols, syntax=ExplicitVRLittleEndian):
    meta = FileMetaDataset()
    meta.MediaStorageSOPClassUID = "1.2.840.10008.5.1.4.1.1.7"
    meta.MediaStorageSOPInstanceUID = generate_uid()
    meta.TransferSyntaxUID = syntax
    ds = FileDataset(None, {}, file_meta=meta, preamble=b"\0" * 128)
    ds.SOPClassUID = meta.MediaStorageSOPClassUID
    ds.SOPInstanceUID = meta.MediaStorageSOPInstanceUID
    ds.Modality = "OT"
    ds.Manufacturer = "ACME"
    ds.PatientID = "PIXELS"
    ds.Rows, ds.Columns = rows, cols
    ds.is_little_endian = True
    ds.is_implicit_VR = syntax == ImplicitVRLittleEndian
    return ds


def image(name, rows, cols, frames, samples, bits, planar=0, rle=False, implicit=False):
    rng = np.random.default_rng(len(name))
    ds = base(rows, cols, ImplicitVRLittleEndian if implicit else ExplicitVRLittleEndian)
    ds.SamplesPerPixel = samples
    ds.PhotometricInterpretation = "RGB" if samples == 3 else "MONOCHROME2"
    if samples == 3:
        ds.PlanarConfiguration = planar
    ds.BitsAllocated, ds.BitsStored, ds.HighBit, ds.PixelRepresentation = bits, bits, bits - 1, 0
    if frames > 1:
        ds.NumberOfFrames = frames
    dtype = {8: np.uint8, 16: np.uint16, 32: np.uint32}[bits]
    shape = [frames, rows, cols] + ([samples] if samples > 1 else [])
    arr = rng.integers(1, 2 ** min(bits, 16) - 1, size=shape).astype(dtype)
    if frames == 1:
        arr = arr[0]
    if samples == 3 and planar == 1:
        # pydicom expects planar data as it is stored: one plane per sample.
        axes = (0, 3, 1, 2) if frames > 1 else (2, 0, 1)
        ds.PixelData = np.ascontiguousarray(np.transpose(arr, axes)).tobytes()
    else:
        ds.PixelData = arr.tobytes()
    if rle:
        ds.compress(RLELossless, arr)
    return ds


def text_frame():
    from PIL import Image, ImageDraw, ImageFont

    font = ImageFont.truetype("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf", 24)
    canvas = Image.new("L", (512, 256), 0)
    draw = ImageDraw.Draw(canvas)
    draw.text((20, 20), "DOE, JOHN 1970-01-01", fill=255, font=font)
    box = list(draw.textbbox((20, 20), "DOE, JOHN 1970-01-01", font=font))
    ds = base(256, 512)
    ds.SamplesPerPixel, ds.PhotometricInterpretation = 1, "MONOCHROME2"
    ds.BitsAllocated, ds.BitsStored, ds.HighBit, ds.PixelRepresentation = 8, 8, 7, 0
    noise = np.random.default_rng(3).integers(0, 40, size=(256, 512)).astype(np.uint8)
    ds.PixelData = np.maximum(np.asarray(canvas, dtype=np.uint8), noise).tobytes()
    return ds, box


def make(out):
    os.makedirs(out, exist_ok=True)
    specs = {
        "mono8.dcm": dict(rows=40, cols=30, frames=1, samples=1, bits=8),
        "mono16-frames.dcm": dict(rows=32, cols=24, frames=3, samples=1, bits=16),
        "mono16-implicit.dcm": dict(rows=32, cols=24, frames=1, samples=1, bits=16, implicit=True),
        "rgb-interleaved.dcm": dict(rows=20, cols=30, frames=2, samples=3, bits=8, planar=0),
        "rgb-planar.dcm": dict(rows=20, cols=30, frames=2, samples=3, bits=8, planar=1),
        "rle-mono16-frames.dcm": dict(rows=32, cols=24, frames=3, samples=1, bits=16, rle=True),
        "rle-rgb.dcm": dict(rows=20, cols=30, frames=1, samples=3, bits=8, rle=True),
    }
    for name, spec in specs.items():
        image(name, **spec).save_as(os.path.join(out, name), write_like_original=False)
    ds, box = text_frame()
    ds.save_as(os.path.join(out, "text.dcm"), write_like_original=False)
    blank = base(256, 512)
    blank.SamplesPerPixel, blank.PhotometricInterpretation = 1, "MONOCHROME2"
    blank.BitsAllocated, blank.BitsStored, blank.HighBit, blank.PixelRepresentation = 8, 8, 7, 0
    blank.PixelData = np.random.default_rng(4).integers(0, 40, size=(256, 512)).astype(np.uint8).tobytes()
    blank.save_as(os.path.join(out, "no-text.dcm"), write_like_original=False)
    print(json.dumps({"images": sorted(specs), "text": "text.dcm", "textBox": box, "noText": "no-text.dcm"}))


def frames_of(ds):
    arr = ds.pixel_array
    frames = int(getattr(ds, "NumberOfFrames", 1) or 1)
    return arr if frames > 1 else arr[np.newaxis, ...]


def verify(src, out, rects):
    da, db = dcmread(src), dcmread(out)
    same_bytes = da.PixelData == db.PixelData
    a = frames_of(da)
    b = frames_of(db)
    inside = np.zeros(a.shape[1:3], dtype=bool)
    for x0, y0, x1, y1 in rects:
        inside[max(0, y0):y1, max(0, x0):x1] = True
    zeroed = bool(np.all(b[:, inside] == 0))
    identical = bool(np.array_equal(a[:, ~inside], b[:, ~inside]))
    changed_inside = bool(np.any(a[:, inside] != 0))
    print(json.dumps({"zeroed": zeroed, "identical": identical, "hadValuesInside": changed_inside, "sameBytes": same_bytes, "burnedIn": str(db.get("BurnedInAnnotation", ""))}))


if __name__ == "__main__":
    if sys.argv[1] == "make":
        make(sys.argv[2])
    else:
        nums = [int(v) for v in sys.argv[4:]]
        verify(sys.argv[2], sys.argv[3], [nums[i : i + 4] for i in range(0, len(nums), 4)])
