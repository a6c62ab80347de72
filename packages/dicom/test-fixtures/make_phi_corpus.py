#!/usr/bin/python3
"""A small corpus with identifiers where de-identifiers miss them (Debian's python3-pydicom).

    /usr/bin/python3 make_phi_corpus.py --out DIR

Three patients, two images each, in explicit VR LE, implicit VR LE, explicit VR big endian
and deflated, with Specific Character Sets ISO 2022 IR 87 (Japanese), ISO_IR 192 (UTF-8)
and ISO_IR 100. Identifiers are in the file meta group, person names, IDs, DA/DT values
(with fractions and UTC offsets), free text, sequences nested two levels deep, private
blocks (also inside standard sequence items, and private sequences), an element written
with VR UN, overlay comments, and references from one image to the other (which must be
remapped to the other image's new SOP Instance UID).
Writes DIR/manifest.csv: path,patient_id,study_uid,series_uid,sop_uid,referenced_sop_uid.
"""
import argparse
import csv
import os

import numpy as np
import pydicom
from pydicom.dataset import Dataset, FileMetaDataset
from pydicom.sequence import Sequence
from pydicom.uid import (DeflatedExplicitVRLittleEndian, ExplicitVRBigEndian,
                         ExplicitVRLittleEndian, ImplicitVRLittleEndian, generate_uid)

ROOT = '1.2.826.0.1.3680043.8.498.'
CT = '1.2.840.10008.5.1.4.1.1.2'

PATIENTS = [
    dict(id='JP-0042-7781', name='Yamada^Tarou=山田^太郎=やまだ^たろう', charset=['', 'ISO 2022 IR 87'],
         birth='19550412', other='Suzuki^Hanako=鈴木^花子=すずき^はなこ', physician='Tanaka^Ichiro=田中^一郎=たなか^いちろう',
         address='Chiyoda 1-2-3 Tokyo', syntaxes=[ExplicitVRLittleEndian, ImplicitVRLittleEndian]),
    dict(id='DE-0099-1234', name='Müller^Jürgen^Hans', charset=['ISO_IR 192'], birth='19620930',
         other='Schröder^Anneliese', physician='Weiß^Dörte', address='Hauptstraße 5 München',
         syntaxes=[ExplicitVRBigEndian, DeflatedExplicitVRLittleEndian]),
    dict(id='IE-7777-0001', name="O'Brien^Seán", charset=['ISO_IR 100'], birth='19700101',
         other='Ní Bhriain^Siobhán', physician='Ó Súilleabháin^Pádraig', address='Kilkenny Road 7 Dublin',
         syntaxes=[ExplicitVRLittleEndian, ExplicitVRLittleEndian]),
]


def uid(*parts):
    return generate_uid(prefix=ROOT, entropy_srcs=[str(p) for p in parts])


def dataset(p, index, image, study, series, sop, referenced):
    surname = p['name'].split('^')[0]
    meta = FileMetaDataset()
    meta.MediaStorageSOPClassUID = CT
    meta.MediaStorageSOPInstanceUID = sop
    meta.TransferSyntaxUID = p['syntaxes'][image]
    meta.ImplementationClassUID = ROOT + '99'
    meta.SourceApplicationEntityTitle = 'HOSPAE%d' % index
    meta.PrivateInformationCreatorUID = uid('private-info', index)
    meta.PrivateInformation = ('private %s' % p['id']).encode()

    ds = Dataset()
    ds.file_meta = meta
    ds.SpecificCharacterSet = p['charset'] if len(p['charset']) > 1 else p['charset'][0]
    ds.SOPClassUID = CT
    ds.SOPInstanceUID = sop
    ds.StudyDate = '2021031%d' % index
    ds.SeriesDate = '2021031%d' % index
    ds.ContentDate = '2021031%d' % index
    ds.AcquisitionDateTime = '2021031%d101530.123456+0900' % index
    ds.StudyTime = '101530'
    ds.AccessionNumber = 'ACC-%s' % p['id']
    ds.Modality = 'CT'
    ds.InstitutionName = 'Saint Elsewhere Hospital %d' % index
    ds.ReferringPhysicianName = p['physician']
    ds.OperatorsName = p['other']
    ds.StudyDescription = 'Follow-up %s %s' % (surname, ds.StudyDate)
    ds.PatientName = p['name']
    ds.PatientID = p['id']
    ds.PatientBirthDate = p['birth']
    ds.PatientAddress = p['address']
    ds.PatientTelephoneNumbers = '+81-3-5555-01%02d' % index
    ds.OtherPatientNames = p['other']
    ds.StudyInstanceUID = study
    ds.SeriesInstanceUID = series
    ds.StudyID = 'SID%05d' % (index * 111)
    ds.InstanceNumber = image + 1
    ds.ImageComments = 'Patient %s called %s on %s' % (p['id'], surname, ds.StudyDate)
    ds.FrameOfReferenceUID = uid('for', index)

    # Two levels deep: Original Attributes Sequence > Modified Attributes Sequence.
    modified = Dataset()
    modified.PatientName = p['other']
    modified.PatientID = 'OLD-%s' % p['id']
    modified.PatientBirthDate = p['birth']
    original = Dataset()
    original.ModifiedAttributesSequence = Sequence([modified])
    original.AttributeModificationDateTime = '2021031%d120000.5-0500' % index
    original.ModifyingSystem = 'PACS %s' % p['id']
    original.SourceOfPreviousValues = 'Clinic of Dr %s' % surname
    original.ReasonForTheAttributeModification = 'COERCE'
    ds.OriginalAttributesSequence = Sequence([original])

    request = Dataset()
    request.AccessionNumber = 'ACC-%s' % p['id']
    request.RequestedProcedureID = 'RP-%s' % p['id']
    request.StudyInstanceUID = study
    ref_study = Dataset()
    ref_study.ReferencedSOPClassUID = '1.2.840.10008.3.1.2.3.1'
    ref_study.ReferencedSOPInstanceUID = uid('prior-study', index)
    request.ReferencedStudySequence = Sequence([ref_study])
    ds.RequestAttributesSequence = Sequence([request])

    if referenced:
        ref = Dataset()
        ref.ReferencedSOPClassUID = CT
        ref.ReferencedSOPInstanceUID = referenced
        # A private block inside a standard sequence item.
        block = ref.private_block(0x0011, 'ACME_REF', create=True)
        block.add_new(0x01, 'LO', 'ref of %s' % p['id'])
        ds.ReferencedImageSequence = Sequence([ref])
        source = Dataset()
        source.ReferencedSOPClassUID = CT
        source.ReferencedSOPInstanceUID = referenced
        ds.SourceImageSequence = Sequence([source])

    block = ds.private_block(0x0009, 'ACME_PHI', create=True)
    block.add_new(0x01, 'PN', p['name'])
    block.add_new(0x02, 'LO', p['id'])
    block.add_new(0x03, 'DA', p['birth'])
    item = Dataset()
    item.add_new(0x00090010, 'LO', 'ACME_PHI')
    item.add_new(0x00091001, 'LO', 'MRN %s' % p['id'])
    block.add_new(0x04, 'SQ', Sequence([item]))

    if p['syntaxes'][image] == ExplicitVRLittleEndian:
        # A standard attribute written as UN (its value bytes are the LO text).
        ds.add_new(0x00101000, 'UN', ('UN %s' % p['id']).encode('latin-1'))
    ds.add_new(0x60004000, 'LT', 'Overlay of %s' % surname)

    ds.SamplesPerPixel = 1
    ds.PhotometricInterpretation = 'MONOCHROME2'
    ds.Rows = 8
    ds.Columns = 8
    ds.BitsAllocated = 16
    ds.BitsStored = 12
    ds.HighBit = 11
    ds.PixelRepresentation = 0
    pixels = (np.arange(64, dtype=np.uint16) * (index + 3) + image) % 4096
    if p['syntaxes'][image] == ExplicitVRBigEndian:
        pixels = pixels.byteswap()
    ds.PixelData = pixels.tobytes()
    ds.is_little_endian = p['syntaxes'][image] != ExplicitVRBigEndian
    ds.is_implicit_VR = p['syntaxes'][image] == ImplicitVRLittleEndian
    return ds


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument('--out', required=True)
    a = ap.parse_args()
    os.makedirs(a.out, exist_ok=True)
    rows = []
    for index, p in enumerate(PATIENTS):
        study = uid('study', index)
        series = uid('series', index)
        previous = None
        for image in range(2):
            sop = uid('sop', index, image)
            ds = dataset(p, index, image, study, series, sop, previous)
            path = os.path.join(a.out, 'P%d_IM%d.dcm' % (index, image))
            pydicom.dcmwrite(path, ds, write_like_original=False)
            rows.append((os.path.basename(path), p['id'], study, series, sop, previous or ''))
            previous = sop
    with open(os.path.join(a.out, 'manifest.csv'), 'w', newline='') as f:
        w = csv.writer(f)
        w.writerow(['path', 'patient_id', 'study_uid', 'series_uid', 'sop_uid', 'referenced_sop_uid'])
        w.writerows(rows)


if __name__ == '__main__':
    main()
