#!/usr/bin/python3
"""Independent checker for the @som/dicom tests (Debian's python3-pydicom).

Reads every file named on the command line with pydicom (with --force first: also files
without preamble or file meta group), decodes every element at every
depth, and prints one JSON line per file:
  {"path": ..., "ok": true, "pixels": <sha256 of the pixel data or null>, "values": {...}}
or {"path": ..., "ok": false, "error": "..."}.
The pixel digest covers the pixel bytes as stored: native pixel data as is, encapsulated
pixel data as the concatenation of its fragments (basic offset table included), which is
what `dcmdump +W` writes for the same element.
"""
import hashlib
import json
import struct
import sys

import pydicom

KEYWORDS = ['PatientName', 'PatientID', 'StudyInstanceUID', 'SOPInstanceUID', 'StudyDate',
            'SpecificCharacterSet']


def pixel_digest(ds):
    if 'PixelData' not in ds:
        return None
    data = ds.PixelData
    h = hashlib.sha256()
    if ds['PixelData'].is_undefined_length:
        i = 0
        while i + 8 <= len(data):
            tag, length = struct.unpack('<II', data[i:i + 8])
            if tag == 0xE0DDFFFE:
                break
            h.update(data[i + 8:i + 8 + length])
            i += 8 + length
    else:
        h.update(data)
    return h.hexdigest()


def check(path, force):
    try:
        ds = pydicom.dcmread(path, force=force)
        for elem in ds.iterall():
            str(elem.value)
        values = {k: str(ds.get(k, '')) for k in KEYWORDS}
        return {'path': path, 'ok': True, 'pixels': pixel_digest(ds), 'values': values,
                'transferSyntax': str(getattr(ds, 'file_meta', {}).get('TransferSyntaxUID', ''))}
    except Exception as e:  # noqa: BLE001 - every failure is reported to the test
        return {'path': path, 'ok': False, 'error': '%s: %s' % (type(e).__name__, e)}


if __name__ == '__main__':
    args = sys.argv[1:]
    force = bool(args) and args[0] == '--force'
    for p in args[1:] if force else args:
        print(json.dumps(check(p, force)))
