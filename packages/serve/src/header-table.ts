/**
 * A de-identified DICOM header as an HTML table: tag, keyword, VR and value of every
 * element, sequences as expandable items (`<details>`, no script), binary values by size.
 */
import { formatTag, keywordOf, type DicomDataset, type DicomElement } from '@som/dicom';
import { html, type Html } from './html';

/** Text values longer than this are cut on the page (the download has them whole). */
const MAX_SHOWN = 2000;

const BINARY_VRS = new Set(['OB', 'OD', 'OF', 'OL', 'OV', 'OW', 'UN']);

function valueCell(dataset: DicomDataset, element: DicomElement, depth: number): Html | string {
  if (element.vr === 'SQ' || element.items !== undefined) {
    const items = dataset.items(element);
    if (items.length === 0) return html`<span class="muted">empty sequence</span>`;
    return html`<details>
      <summary>${items.length} item${items.length === 1 ? '' : 's'}</summary>
      ${items.map(
        (item, i) =>
          html`<p class="muted">item ${i + 1}</p>
            ${headerTable(item, depth + 1)}`,
      )}
    </details>`;
  }
  if (BINARY_VRS.has(element.vr) || element.encapsulated)
    return html`<span class="muted">${element.length} bytes</span>`;
  const text = dataset.text(element);
  return text.length > MAX_SHOWN ? `${text.slice(0, MAX_SHOWN)}…` : text;
}

/** The table of one data set (nested data sets of sequences inside their rows). */
export function headerTable(dataset: DicomDataset, depth = 0): Html {
  return html`<table class="header">
    <thead>
      <tr>
        <th>Tag</th>
        <th>Keyword</th>
        <th>VR</th>
        <th>Value</th>
      </tr>
    </thead>
    <tbody>
      ${dataset.elements.map(
        (element) =>
          html`<tr>
            <td><code>${formatTag(element.tag)}</code></td>
            <td>
              ${keywordOf(element.tag) ?? html`<span class="muted">private or unknown</span>`}
            </td>
            <td>${element.vr}</td>
            <td>${valueCell(dataset, element, depth)}</td>
          </tr>`,
      )}
    </tbody>
  </table>`;
}
