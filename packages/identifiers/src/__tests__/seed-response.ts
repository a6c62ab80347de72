/** Test fixture: the DASHER response of the original som documentation. */

/** One patient (by MRN) with one `Lab Result` item, timestamps with UTC offsets. */
export const SEED_RESPONSE = {
  results: [
    {
      id: '14953772',
      id_source: 'Stanford MRN',
      items: [
        {
          id: 'MCH',
          id_source: 'Lab Result',
          jitter: 5,
          jittered_timestamp: '2010-02-09T11:50:00-0800',
          suid: '12fb',
        },
      ],
      jitter: 5,
      jittered_timestamp: '1961-08-01T00:00:00-0700',
      suid: '12fa',
    },
  ],
};
