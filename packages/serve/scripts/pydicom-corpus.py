#!/usr/bin/python3
"""Copies of pydicom's test files in many transfer syntaxes, made distinct for an upload.

    /usr/bin/python3 pydicom-corpus.py OUT

Several of pydicom's files are the same image in other encodings (same patient, same SOP
Instance UID), and some have no PatientID: each copy gets its own PatientID and its own
Study, Series and SOP Instance UIDs (derived from its name, so runs are deterministic).
Pixel data and transfer syntax are kept as they are. Prints one line per file written:
name, transfer syntax UID, modality.
"""
import os
import sys

import pydicom
from pydicom.uid import generate_uid

FILES = [
    'CT_small.dcm',                    # Explicit VR Little Endian
    'MR_small_implicit.dcm',           # Implicit VR Little Endian
    'MR_small_bigendian.dcm',          # Explicit VR Big Endian
    'image_dfl.dcm',                   # Deflated Explicit VR Little Endian
    'MR_small_RLE.dcm',                # RLE Lossless
    'JPEG-lossy.dcm',                  # JPEG Extended (Process 2 & 4)
    'SC_jpeg_no_color_transform.dcm',  # JPEG Baseline (Process 1)
    'SC_rgb_jpeg_gdcm.dcm',            # JPEG Lossless SV1
    'MR_small_jpeg_ls_lossless.dcm',   # JPEG-LS Lossless
    'MR_small_jp2klossless.dcm',       # JPEG 2000 Lossless
    'JPEG2000.dcm',                    # JPEG 2000
    'SC_rgb_rle_2frame.dcm',           # RLE Lossless, two frames
]

SOURCE = '/usr/lib/python3/dist-packages/pydicom/data/test_files'


def main(out):
    os.makedirs(out, exist_ok=True)
    for index, name in enumerate(FILES):
        ds = pydicom.dcmread(os.path.join(SOURCE, name))
        ds.PatientID = 'PYD%02d' % index
        ds.StudyInstanceUID = generate_uid(entropy_srcs=[name, 'study'])
        ds.SeriesInstanceUID = generate_uid(entropy_srcs=[name, 'series'])
        ds.SOPInstanceUID = generate_uid(entropy_srcs=[name, 'sop'])
        ds.file_meta.MediaStorageSOPInstanceUID = ds.SOPInstanceUID
        ds.save_as(os.path.join(out, name), write_like_original=True)
        print(name, ds.file_meta.TransferSyntaxUID, ds.get('Modality', ''))


if __name__ == '__main__':
    main(sys.argv[1])
