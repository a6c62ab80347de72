#!/usr/bin/python3
"""pydicom doing work comparable to som's default profile, for bench/deid.js.

    /usr/bin/python3 bench/deid.py IN_DIR OUT_DIR FILE...   (FILE relative to IN_DIR)

Per file: read, remove private tags, remove or empty the usual identifying attributes at
every depth, remap every non-standard UID with a keyed hash, shift dates by a per-patient
jitter, set PatientID/PatientName to an alias, write.
"""
import hashlib
import os
import sys
from datetime import date, timedelta

import pydicom

REMOVE = ['PatientBirthDate', 'PatientAddress', 'PatientTelephoneNumbers', 'OtherPatientNames',
          'OtherPatientIDsSequence', 'IssuerOfPatientID', 'InstitutionName', 'InstitutionAddress',
          'InstitutionalDepartmentName', 'ReferringPhysicianName', 'PerformingPhysicianName',
          'OperatorsName', 'RequestingPhysician', 'StationName', 'DeviceSerialNumber',
          'AdditionalPatientHistory', 'StudyID', 'AccessionNumber', 'PatientAge', 'PatientSize',
          'PatientWeight', 'ReferencedStudySequence', 'OriginalAttributesSequence',
          'RequestAttributesSequence', 'PerformedProcedureStepID', 'StudyDescription',
          'SeriesDescription', 'ProtocolName', 'RequestedProcedureDescription']
KEY = b'bench-key'


def digest(text):
    return hashlib.sha256(KEY + text.encode()).digest()


def clean(ds, jitter):
    for keyword in REMOVE:
        if keyword in ds:
            delattr(ds, keyword)
    for elem in list(ds):
        if elem.VR == 'SQ':
            for item in elem.value:
                clean(item, jitter)
        elif elem.VR == 'UI' and elem.value and not str(elem.value).startswith('1.2.840.10008.'):
            elem.value = '2.25.%d' % int.from_bytes(digest(str(elem.value))[:16], 'big')
        elif elem.VR == 'DA' and elem.value:
            d = str(elem.value)
            try:
                shifted = date(int(d[0:4]), int(d[4:6]), int(d[6:8])) + timedelta(days=jitter)
                elem.value = shifted.strftime('%Y%m%d')
            except ValueError:
                elem.value = ''


def main():
    src, dst, files = sys.argv[1], sys.argv[2], sys.argv[3:]
    for rel in files:
        ds = pydicom.dcmread(os.path.join(src, rel))
        ds.remove_private_tags()
        pid = str(ds.get('PatientID', ''))
        jitter = digest(pid)[0] % 60 - 30
        clean(ds, jitter)
        ds.PatientID = 'E' + digest(pid).hex()[:12]
        ds.PatientName = ds.PatientID
        ds.file_meta.MediaStorageSOPInstanceUID = ds.SOPInstanceUID
        out = os.path.join(dst, rel)
        os.makedirs(os.path.dirname(out), exist_ok=True)
        ds.save_as(out)


if __name__ == '__main__':
    main()
