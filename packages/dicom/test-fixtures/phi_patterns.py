#!/usr/bin/python3
"""The identifying byte patterns of DICOM files, for the PHI-leak test (Debian's python3-pydicom).

    /usr/bin/python3 phi_patterns.py FILE...

Prints one JSON line per file: {"path": ..., "patterns": [[label, hex, kind, stored], ...]}
where kind is "text", "uid" or "date", and stored is true for bytes exactly as the file holds
them (false for the same text in other encodings). Patterns come from pydicom's reading of the file, at every
depth, in the file meta group and in private blocks:
  - the values of identifying attributes (names, IDs, addresses, institutions, free text),
    as stored and in UTF-8, Latin-1, UTF-16, ISO 2022 (JIS), EUC-JP and Shift-JIS; names
    and addresses also word by word (free text only whole: its words are ordinary words);
  - every date (DA, and the date part and whole value of DT);
  - every UID that is not the standard's (1.2.840.10008.*);
  - every private element value (text, or the first 32 bytes of binary data).
Patterns shorter than 4 bytes are left out (they would match by chance).
"""
import json
import re
import sys

import pydicom
from pydicom.dataelem import RawDataElement

IDENTIFYING = {
    'PatientName', 'PatientID', 'OtherPatientIDs', 'OtherPatientNames', 'PatientBirthName',
    'PatientMotherBirthName', 'PatientAddress', 'PatientTelephoneNumbers', 'IssuerOfPatientID',
    'AccessionNumber', 'StudyID', 'InstitutionName', 'InstitutionAddress',
    'ReferringPhysicianName', 'PerformingPhysicianName', 'OperatorsName', 'RequestingPhysician',
    'NameOfPhysiciansReadingStudy', 'PhysiciansOfRecord', 'StationName', 'DeviceSerialNumber',
    'AdditionalPatientHistory', 'ImageComments', 'RequestedProcedureID', 'ScheduledProcedureStepID',
    'PerformedProcedureStepID', 'SourceOfPreviousValues', 'ModifyingSystem', 'OverlayComments',
    'SourceApplicationEntityTitle', 'PrivateInformation',
}
TEXT_VRS = {'AE', 'LO', 'LT', 'PN', 'SH', 'ST', 'UC', 'UT', 'UN', 'OB'}
ENCODINGS = ['utf-8', 'latin-1', 'utf-16-le', 'iso2022_jp', 'euc_jp', 'shift_jis']


TOKENIZED = {'PN', 'PatientAddress', 'OtherPatientIDs', 'PatientID'}


def text_patterns(label, value, raw, tokens, out):
    if raw:
        out.append((label, raw.rstrip(b' \0'), 'text', True))
    parts = re.split(r'[\^=\\ ,]+', value) if tokens else [value.strip()]
    for part in parts:
        if len(part) < 2:
            continue
        for enc in ENCODINGS:
            try:
                b = part.encode(enc)
            except UnicodeEncodeError:
                continue
            out.append((label, b, 'text', False))


def raw_value(ds, tag):
    elem = ds.get_item(tag)
    if isinstance(elem, RawDataElement) and isinstance(elem.value, bytes):
        return elem.value
    return None


def walk(ds, out, private_context=False):
    for elem in list(ds):
        label = '%s %s' % (elem.tag, elem.keyword or 'private')
        if elem.VR == 'SQ':
            for item in elem.value:
                walk(item, out, private_context or elem.tag.is_private)
            continue
        raw = raw_value(ds, elem.tag)
        value = elem.value
        if elem.VR == 'DA' and value:
            for v in str(value).split('\\'):
                out.append((label, v.strip().encode(), 'date', True))
        elif elem.VR == 'DT' and value:
            for v in str(value).split('\\'):
                out.append((label, v.strip().encode(), 'text', True))
                out.append((label, v.strip()[:8].encode(), 'date', True))
        elif elem.VR == 'UI' and value:
            for v in (value if isinstance(value, (list, pydicom.multival.MultiValue)) else [value]):
                if not str(v).startswith('1.2.840.10008.'):
                    out.append((label, str(v).encode(), 'uid', True))
        elif elem.tag.is_private and not elem.tag.is_private_creator:
            data = raw if raw is not None else value
            if isinstance(data, bytes):
                out.append((label, data.rstrip(b' \0')[:32], 'text', True))
            elif isinstance(data, str) and re.search('[A-Za-z]', data):
                text_patterns(label, data, None, elem.VR == 'PN', out)
        elif (elem.keyword in IDENTIFYING or elem.VR == 'UN') and elem.VR in TEXT_VRS and value:
            text = value.decode('latin-1') if isinstance(value, bytes) else str(value)
            tokens = elem.VR in TOKENIZED or elem.keyword in TOKENIZED
            text_patterns(label, text, raw if raw is not None else (value if isinstance(value, bytes) else None), tokens, out)


def patterns(path):
    ds = pydicom.dcmread(path, force=True)
    out = []
    walk(ds.file_meta, out)
    walk(ds, out)
    seen = set()
    result = []
    for label, b, kind, stored in out:
        if len(b) < 4 or (kind, b) in seen:
            continue
        seen.add((kind, b))
        result.append([label, b.hex(), kind, stored])
    return result


if __name__ == '__main__':
    for p in sys.argv[1:]:
        print(json.dumps({'path': p, 'patterns': patterns(p)}))
