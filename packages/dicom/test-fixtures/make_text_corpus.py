#!/usr/bin/python3
"""Writes DICOM files with burned-in text at known places, for measuring text detection.

CT-like (512x512, signed 16-bit, windowed), US-like (640x480, 8-bit or RGB, a speckle fan)
and XR-like (1024x1024, 12-bit, MONOCHROME1 or 2) frames; names, dates and IDs rendered with
DejaVu Sans at several sizes and contrasts into 0-3 corners; some frames without text.
truth.json lists each file's kind and its text boxes [x0, y0, x1, y1) (the ink of each line).

Usage: /usr/bin/python3 make_text_corpus.py --out DIR [--images N] [--seed S]
Needs Debian's python3-pydicom, python3-numpy, python3-pil and fonts-dejavu-core.
"""
import argparse
import json
import os
import random

import numpy as np
from PIL import Image, ImageDraw, ImageFont
from pydicom.dataset import FileDataset, FileMetaDataset
from pydicom.uid import ExplicitVRLittleEndian, generate_uid

FONT = "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"
NAMES = ["DOE, JOHN", "SMITH^ANNA", "GARCIA LOPEZ, MARIA", "O'BRIEN, PAT", "NGUYEN VAN AN", "MULLER^KARL"]
SOP = {
    "CT": "1.2.840.10008.5.1.4.1.1.2",
    "US": "1.2.840.10008.5.1.4.1.1.6.1",
    "XR": "1.2.840.10008.5.1.4.1.1.1.1",
}


def text_lines(rng):
    day = f"{rng.randint(1990, 2024)}-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}"
    choices = [
        rng.choice(NAMES),
        f"DOB {day}",
        f"MRN {rng.randint(10_000_000, 99_999_999)}",
        f"ACC A{rng.randint(1_000_000, 9_999_999)}",
        f"{rng.randint(1, 28):02d}/{rng.randint(1, 12):02d}/{rng.randint(1990, 2024)} {rng.randint(0, 23):02d}:{rng.randint(0, 59):02d}",
        f"ID: {rng.randint(1000, 9999)}-{rng.randint(100, 999)}",
    ]
    return rng.sample(choices, rng.randint(1, 3))


def burn(shape, rng):
    """A mask of rendered text (0-255) and the boxes of its lines, in 0-3 corners."""
    h, w = shape
    canvas = Image.new("L", (w, h), 0)
    draw = ImageDraw.Draw(canvas)
    boxes = []
    corners = rng.sample(["tl", "tr", "bl", "br"], rng.choice([0, 1, 1, 2, 2, 3]))
    for corner in corners:
        size = rng.choice([10, 12, 14, 18, 24])
        font = ImageFont.truetype(FONT, size)
        y = 6 if corner[0] == "t" else None
        lines = text_lines(rng)
        heights = [draw.textbbox((0, 0), line, font=font)[3] + 4 for line in lines]
        if y is None:
            y = h - 6 - sum(heights)
        for line, lh in zip(lines, heights):
            x0, y0, x1, y1 = draw.textbbox((0, 0), line, font=font)
            x = 6 if corner[1] == "l" else w - 6 - (x1 - x0)
            draw.text((x - x0, y), line, fill=255, font=font)
            bx = draw.textbbox((x - x0, y), line, font=font)
            boxes.append([int(bx[0]), int(bx[1]), int(bx[2]), int(bx[3])])
            y += lh
    return np.asarray(canvas, dtype=np.float64) / 255.0, boxes


def dataset(kind, rows, cols, uid):
    meta = FileMetaDataset()
    meta.MediaStorageSOPClassUID = SOP[kind]
    meta.MediaStorageSOPInstanceUID = uid
    meta.TransferSyntaxUID = ExplicitVRLittleEndian
    ds = FileDataset(None, {}, file_meta=meta, preamble=b"\0" * 128)
    ds.SOPClassUID = SOP[kind]
    ds.SOPInstanceUID = uid
    ds.Modality = {"CT": "CT", "US": "US", "XR": "DX"}[kind]
    ds.PatientID = "TEXT-CORPUS"
    ds.Rows, ds.Columns = rows, cols
    return ds


def make(kind, rng, nprng):
    uid = generate_uid()
    if kind == "CT":
        rows = cols = 512
        yy, xx = np.mgrid[0:rows, 0:cols]
        body = ((xx - 256) / 200.0) ** 2 + ((yy - 256) / 160.0) ** 2 < 1
        hu = np.where(body, 40 + nprng.normal(0, 20, (rows, cols)), -1000.0)
        mask, boxes = burn((rows, cols), rng)
        level = rng.choice([1500.0, 400.0, 150.0])  # white, bright, low contrast in the window
        hu = hu * (1 - mask) + level * mask
        ds = dataset(kind, rows, cols, uid)
        ds.SamplesPerPixel, ds.PhotometricInterpretation = 1, "MONOCHROME2"
        ds.BitsAllocated, ds.BitsStored, ds.HighBit, ds.PixelRepresentation = 16, 16, 15, 1
        ds.RescaleIntercept, ds.RescaleSlope = -1024, 1
        ds.WindowCenter, ds.WindowWidth = 40, 400
        ds.PixelData = np.round(hu + 1024).astype("<i2").tobytes()
    elif kind == "US":
        rows, cols = 480, 640
        yy, xx = np.mgrid[0:rows, 0:cols]
        angle = np.abs(np.arctan2(xx - 320, yy + 40))
        fan = (angle < 0.6) & (yy > 40) & (yy < 440)
        img = np.where(fan, nprng.rayleigh(40, (rows, cols)), 0.0)
        mask, boxes = burn((rows, cols), rng)
        level = rng.choice([255.0, 200.0, 120.0])
        img = np.clip(img * (1 - mask) + level * mask, 0, 255)
        ds = dataset(kind, rows, cols, uid)
        ds.BitsAllocated, ds.BitsStored, ds.HighBit, ds.PixelRepresentation = 8, 8, 7, 0
        if rng.random() < 0.5:
            ds.SamplesPerPixel, ds.PhotometricInterpretation, ds.PlanarConfiguration = 3, "RGB", 0
            rgb = np.stack([img, img * 0.9, img * 0.8], axis=-1)
            ds.PixelData = np.round(rgb).astype(np.uint8).tobytes()
        else:
            ds.SamplesPerPixel, ds.PhotometricInterpretation = 1, "MONOCHROME2"
            ds.PixelData = np.round(img).astype(np.uint8).tobytes()
    else:
        rows = cols = 1024
        yy, xx = np.mgrid[0:rows, 0:cols]
        img = 1200 + 900 * np.exp(-(((xx - 512) / 300.0) ** 2 + ((yy - 540) / 380.0) ** 2)) + nprng.normal(0, 30, (rows, cols))
        mask, boxes = burn((rows, cols), rng)
        mono1 = rng.random() < 0.5
        level = rng.choice([4095.0, 3200.0]) if not mono1 else rng.choice([0.0, 600.0])
        img = np.clip(img * (1 - mask) + level * mask, 0, 4095)
        ds = dataset(kind, rows, cols, uid)
        ds.SamplesPerPixel = 1
        ds.PhotometricInterpretation = "MONOCHROME1" if mono1 else "MONOCHROME2"
        ds.BitsAllocated, ds.BitsStored, ds.HighBit, ds.PixelRepresentation = 16, 12, 11, 0
        ds.PixelData = np.round(img).astype("<u2").tobytes()
    return ds, boxes


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--out", required=True)
    parser.add_argument("--images", type=int, default=60)
    parser.add_argument("--seed", type=int, default=12)
    args = parser.parse_args()
    os.makedirs(args.out, exist_ok=True)
    rng = random.Random(args.seed)
    nprng = np.random.default_rng(args.seed)
    truth = {}
    for i in range(args.images):
        kind = ["CT", "US", "XR"][i % 3]
        ds, boxes = make(kind, rng, nprng)
        name = f"{i:04d}-{kind}.dcm"
        ds.save_as(os.path.join(args.out, name), write_like_original=False)
        truth[name] = {"kind": kind, "boxes": boxes}
    with open(os.path.join(args.out, "truth.json"), "w") as f:
        json.dump(truth, f, indent=1)
    print(f"{args.images} images in {args.out}")


if __name__ == "__main__":
    main()
