#!/usr/bin/python3
"""What pydicom reads in DICOM files, as JSON, for the server's DICOMweb contract test.

    /usr/bin/python3 pydicom-oracle.py FILE...

Prints {file: {transferSyntax, frames, frameMd5: [md5 of each frame's bytes as WADO-RS gives
them], json: the data set in the DICOM JSON Model (binary values over 1024 bytes left out)}}.
Native frames are given in Explicit VR Little Endian (big endian words swapped).
"""
import hashlib
import json
import sys

import pydicom
from pydicom.encaps import generate_pixel_data_frame

NATIVE = {'1.2.840.10008.1.2', '1.2.840.10008.1.2.1', '1.2.840.10008.1.2.1.99', '1.2.840.10008.1.2.2'}


def frames_of(ds):
    count = int(ds.get('NumberOfFrames', 1) or 1)
    syntax = str(ds.file_meta.TransferSyntaxUID)
    if syntax not in NATIVE:
        return [bytes(f) for f in generate_pixel_data_frame(ds.PixelData, count)]
    data = bytes(ds.PixelData)
    if syntax == '1.2.840.10008.1.2.2' and ds.BitsAllocated == 16:
        swapped = bytearray(data)
        swapped[0::2], swapped[1::2] = data[1::2], data[0::2]
        data = bytes(swapped)
    size = ds.Rows * ds.Columns * int(ds.get('SamplesPerPixel', 1)) * ds.BitsAllocated // 8
    return [data[i * size:(i + 1) * size] for i in range(count)]


def main(paths):
    out = {}
    for path in paths:
        ds = pydicom.dcmread(path)
        frames = frames_of(ds) if 'PixelData' in ds else []
        out[path] = {
            'transferSyntax': str(ds.file_meta.TransferSyntaxUID),
            'frames': len(frames),
            'frameMd5': [hashlib.md5(f).hexdigest() for f in frames],
            'json': ds.to_json_dict(bulk_data_threshold=1024, bulk_data_element_handler=lambda e: 'bulk'),
        }
    json.dump(out, sys.stdout)


if __name__ == '__main__':
    main(sys.argv[1:])
