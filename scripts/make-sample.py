#!/usr/bin/python3
"""Write the bundled demo dataset of som: a few tiny DICOM files with synthetic PHI.

Run with Debian's interpreter (apt install python3-pydicom python3-numpy):
    /usr/bin/python3 scripts/make-sample.py [--out sample/dicom]

The output is deterministic (fixed UIDs, dates and pixel patterns): running it again
gives byte-identical files. Every name, ID, date and address is invented.

  <out>/patient-a/IM0001.dcm ...   3 patients, 7 files, 2 modalities (CT, MR), 64x64 pixels

PHI is placed where de-identification tools often miss it:
  - the usual header attributes (names, IDs, birth date, address, dates, UIDs, institution)
  - a nested sequence (RequestAttributesSequence > ReferencedStudySequence) and
    OtherPatientIDsSequence
  - a private block (0009,"SOM_SAMPLE_PHI") repeating the patient's name and ID
  - free text (ImageComments, StudyDescription) mentioning the patient
"""
import argparse
import datetime
import os

import numpy as np
from pydicom.dataset import Dataset, FileMetaDataset
from pydicom.sequence import Sequence
from pydicom.uid import ExplicitVRLittleEndian

ROOT = '1.2.826.0.1.3680043.8.498.7701.'   # pydicom's root + a fixed branch for this sample
CT_STORAGE = '1.2.840.10008.5.1.4.1.1.2'
MR_STORAGE = '1.2.840.10008.5.1.4.1.1.4'
SIZE = 64

PATIENTS = [
    dict(folder='patient-a', name='Doe^Jane^Q', id='SAMPLE-MRN-1001', birth='19640312', sex='F', age='046Y',
         address='12 Elm Street, Springfield', phone='555-0101',
         studies=[dict(date='20100315', time='081500', modality='CT', body='CHEST', desc='CT chest for Jane Doe',
                       series='Axial 5mm', images=3, accession='ACC-55501')]),
    dict(folder='patient-b', name='Roe^Richard', id='SAMPLE-MRN-1002', birth='19520730', sex='M', age='058Y',
         address='7 Rue de la Paix, Lyon', phone='555-0102',
         studies=[dict(date='20100402', time='143000', modality='MR', body='HEAD', desc='MR brain',
                       series='T1 axial', images=2, accession='ACC-55502')]),
    dict(folder='patient-c', name='Muller^Jurgen', id='SAMPLE-MRN-1003', birth='19780101', sex='M', age='032Y',
         address='Hauptstrasse 1, Munich', phone='555-0103',
         studies=[dict(date='20100120', time='091000', modality='CT', body='ABDOMEN', desc='CT abdomen',
                       series='Portal venous', images=1, accession='ACC-55503'),
                  dict(date='20100611', time='101500', modality='MR', body='KNEE', desc='MR knee',
                       series='PD sagittal', images=1, accession='ACC-55504')]),
]


def uid(*parts):
    """A fixed UID from the parts (digits only)."""
    return ROOT + '.'.join(str(p) for p in parts)


def pixels(patient, study, image):
    """A small 12-bit test pattern: a disc whose radius and brightness vary per image."""
    y, x = np.mgrid[0:SIZE, 0:SIZE]
    r = np.hypot(x - SIZE / 2, y - SIZE / 2)
    disc = (r < 10 + 4 * image + 3 * study).astype(np.uint16) * (800 + 100 * patient)
    ramp = (x * 4 + y * 2).astype(np.uint16)
    return (disc + ramp).astype(np.uint16)


def make(p_index, patient, s_index, study, i_index):
    modality = study['modality']
    sop_class = CT_STORAGE if modality == 'CT' else MR_STORAGE
    study_uid = uid(p_index + 1, s_index + 1)
    series_uid = uid(p_index + 1, s_index + 1, 1)
    sop_uid = uid(p_index + 1, s_index + 1, 1, i_index + 1)

    meta = FileMetaDataset()
    meta.MediaStorageSOPClassUID = sop_class
    meta.MediaStorageSOPInstanceUID = sop_uid
    meta.TransferSyntaxUID = ExplicitVRLittleEndian
    meta.ImplementationClassUID = ROOT + '0'
    meta.ImplementationVersionName = 'SOM_SAMPLE_1'

    ds = Dataset()
    ds.file_meta = meta
    ds.SpecificCharacterSet = 'ISO_IR 100'
    ds.ImageType = ['ORIGINAL', 'PRIMARY', 'AXIAL']
    ds.SOPClassUID = sop_class
    ds.SOPInstanceUID = sop_uid
    ds.StudyDate = ds.SeriesDate = ds.AcquisitionDate = ds.ContentDate = study['date']
    ds.StudyTime = ds.SeriesTime = ds.AcquisitionTime = ds.ContentTime = study['time']
    ds.AccessionNumber = study['accession']
    ds.Modality = modality
    ds.Manufacturer = 'SOM Sample Scanner Co'
    ds.InstitutionName = 'St. Elsewhere General Hospital'
    ds.InstitutionAddress = '1 Hospital Road, Springfield'
    ds.ReferringPhysicianName = 'House^Gregory^^Dr.'
    ds.StationName = 'CT-ROOM-3' if modality == 'CT' else 'MR-ROOM-1'
    ds.StudyDescription = study['desc']
    ds.SeriesDescription = study['series']
    ds.OperatorsName = 'Grey^Meredith'
    ds.ManufacturerModelName = 'Sampler 64'
    ds.PatientName = patient['name']
    ds.PatientID = patient['id']
    ds.IssuerOfPatientID = 'SPRINGFIELD-GENERAL'
    ds.PatientBirthDate = patient['birth']
    ds.PatientSex = patient['sex']
    ds.PatientAge = patient['age']
    ds.PatientAddress = patient['address']
    ds.PatientTelephoneNumbers = patient['phone']
    other = Dataset()
    other.PatientID = patient['id'].replace('MRN', 'OLD')
    other.IssuerOfPatientID = 'OLD-SYSTEM'
    ds.OtherPatientIDsSequence = Sequence([other])
    ds.BodyPartExamined = study['body']
    ds.DeviceSerialNumber = 'SN-%04d' % (1000 + p_index)
    ds.SoftwareVersions = '1.0'
    ds.StudyInstanceUID = study_uid
    ds.SeriesInstanceUID = series_uid
    ds.StudyID = 'S%d%d' % (p_index + 1, s_index + 1)
    ds.SeriesNumber = 1
    ds.InstanceNumber = i_index + 1
    ds.FrameOfReferenceUID = uid(p_index + 1, s_index + 1, 9)
    ds.ImageComments = 'Follow-up requested by Dr. House for %s' % patient['name'].replace('^', ' ')
    # A nested sequence carrying PHI two levels down.
    referenced = Dataset()
    referenced.ReferencedSOPClassUID = '1.2.840.10008.3.1.2.3.1'
    referenced.ReferencedSOPInstanceUID = uid(p_index + 1, s_index + 1, 7)
    request = Dataset()
    request.RequestedProcedureID = 'RP-%s' % study['accession']
    request.ScheduledProcedureStepID = 'SPS%s' % patient['id'][-9:]
    request.ReferencedStudySequence = Sequence([referenced])
    ds.RequestAttributesSequence = Sequence([request])
    # A private block repeating the patient's identity.
    block = ds.private_block(0x0009, 'SOM_SAMPLE_PHI', create=True)
    block.add_new(0x01, 'PN', patient['name'])
    block.add_new(0x02, 'LO', patient['id'])
    block.add_new(0x03, 'DA', patient['birth'])
    # The image.
    ds.SamplesPerPixel = 1
    ds.PhotometricInterpretation = 'MONOCHROME2'
    ds.Rows = ds.Columns = SIZE
    ds.PixelSpacing = [0.7, 0.7]
    ds.SliceThickness = 5 if modality == 'CT' else 3
    ds.BitsAllocated = 16
    ds.BitsStored = 12
    ds.HighBit = 11
    ds.PixelRepresentation = 0
    if modality == 'CT':
        ds.RescaleIntercept = -1024
        ds.RescaleSlope = 1
    ds.PixelData = pixels(p_index, s_index, i_index).tobytes()
    return ds


def main():
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--out', default=os.path.join(os.path.dirname(__file__), '..', 'sample', 'dicom'))
    args = parser.parse_args()
    count = 0
    for p_index, patient in enumerate(PATIENTS):
        folder = os.path.join(args.out, patient['folder'])
        os.makedirs(folder, exist_ok=True)
        n = 0
        for s_index, study in enumerate(patient['studies']):
            for i_index in range(study['images']):
                n += 1
                ds = make(p_index, patient, s_index, study, i_index)
                ds.save_as(os.path.join(folder, 'IM%04d.dcm' % n), write_like_original=False)
                count += 1
    print('wrote %d DICOM files to %s' % (count, os.path.normpath(args.out)))


if __name__ == '__main__':
    main()
