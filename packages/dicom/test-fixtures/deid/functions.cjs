// The func: functions deid's example recipes name, written for som's tests (deid's
// examples pass them in Python): each gets deid's arguments in one object.
'use strict';

/** deid.dicom-pusheen: every value becomes "pusheen" (numbers and UIDs get valid stand-ins). */
function pusheenize({ field }) {
  if (field.vr === 'UI') return '1.2.3.4';
  if (['US', 'SS', 'UL', 'SL', 'FL', 'FD', 'IS', 'DS', 'SV', 'UV'].includes(field.vr)) return 0;
  if (field.vr === 'DA') return '20000101';
  if (field.vr === 'TM') return '000000';
  if (field.vr === 'DT') return '20000101000000';
  if (field.vr === 'AS') return '000Y';
  if (['SQ', 'OB', 'OW', 'OF', 'OD', 'OL', 'OV', 'UN', 'AT'].includes(field.vr)) return undefined;
  return 'pusheen';
}

/** header-manipulation: a UID derived from the field's name and the item's id (deid's example makes random ones). */
function generate_uid({ field, item }) {
  let hash = 7;
  for (const c of `${field.name}:${item.entity_id}`) hash = (hash * 31 + c.charCodeAt(0)) % 1e15;
  return `2.25.${hash}`;
}

module.exports = { pusheenize, generate_uid };
