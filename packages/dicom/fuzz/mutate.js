/**
 * The structure-aware mutations of the fuzzer: each takes a well-formed seed file (with the
 * map of its elements and items that the reader gives) and a random source, and returns one
 * corrupt variant: bit flips, lengths, tags, VRs, truncation, duplication, nesting,
 * character sets, file meta, values and delimiters. Insertions keep the defined lengths of
 * the enclosing items and sequences true, so that the corruption reaches the de-identifier
 * instead of stopping the reader at the first byte.
 */
'use strict';

const { Buffer } = require('node:buffer');
const { deflateRawSync } = require('node:zlib');
const { parseDicom } = require('../dist/reader');

/** A small deterministic random source (mulberry32). */
function random(seed) {
  let a = seed >>> 0;
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return {
    next,
    int: (n) => Math.floor(next() * n),
    pick: (list) => list[Math.floor(next() * list.length)],
  };
}

/** Tags of attributes the default profile keeps (where a renumbered value would be kept). */
const KEPT_TAGS = [
  0x00080008, 0x00080060, 0x00080070, 0x00081090, 0x00181020, 0x00201041, 0x00280030, 0x00080100,
  0x00080102, 0x00080104, 0x00081150, 0x00180050, 0x00200013, 0x00280004,
];
const PIXEL_TAGS = [0x7fe00010, 0x7fe00008, 0x7fe00009];
const VRS = [
  'AE',
  'AS',
  'CS',
  'DA',
  'DS',
  'DT',
  'IS',
  'LO',
  'LT',
  'OB',
  'OW',
  'PN',
  'SH',
  'SQ',
  'ST',
  'TM',
  'UI',
  'UL',
  'UN',
  'US',
  'UT',
  'FD',
  'SL',
  'XX',
  '\0\0',
];
const CHARSETS = [
  'ISO_IR 192',
  'ISO_IR 100',
  '\\ISO 2022 IR 87',
  'ISO 2022 IR 6\\ISO 2022 IR 149',
  'GB18030',
  'ISO_IR 13',
  'BOGUS',
  '',
];
const SYNTAXES = [
  '1.2.840.10008.1.2',
  '1.2.840.10008.1.2.1',
  '1.2.840.10008.1.2.2',
  '1.2.840.10008.1.2.1.99',
  '1.2.840.10008.1.2.4.50',
  '1.2.840.10008.1.2.5',
  '1.2.840.10008.1.2.4.90',
  '1.2.3.4.5',
  '',
];
const BAD_DATES = ['00000000', '19000229', '20231345', '2020', '20200230', 'ABCDEFGH'];
const HOSTILE_TEXT = ['A\0B', 'A\x1bB', 'x\x1b$B@@\x1b(B', 'tab\there', '\x7f\x7f', 'é\x85'];

/**
 * The elements and items of a parsed seed, flat, each with what a mutation needs: where
 * its header, length field and value are, its encoding, and its enclosing nodes.
 */
function mapOf(parsed) {
  const nodes = [];
  const visit = (dataset, parent, depth) => {
    for (const e of dataset.elements) {
      const { explicitVr, littleEndian } = dataset.encoding;
      const long = e.valueOffset - e.offset === 12 || !explicitVr;
      const node = {
        kind: 'element',
        tag: e.tag,
        vr: e.vr,
        offset: e.offset,
        valueOffset: e.valueOffset,
        end: e.end,
        length: e.length,
        undefinedLength: e.undefinedLength,
        hasItems: e.items !== undefined,
        lengthAt: explicitVr ? (long ? e.offset + 8 : e.offset + 6) : e.offset + 4,
        lengthSize: long ? 4 : 2,
        explicitVr,
        littleEndian,
        parent,
        depth,
        dataset,
      };
      nodes.push(node);
      for (const item of e.items ?? []) {
        const itemNode = {
          kind: 'item',
          offset: item.offset,
          valueOffset: item.offset + 8,
          end: item.end,
          undefinedLength: item.undefinedLength,
          lengthAt: item.offset + 4,
          lengthSize: 4,
          littleEndian: e.vr === 'UN' ? true : littleEndian,
          parent: node,
          depth,
        };
        nodes.push(itemNode);
        visit(item.dataset, itemNode, depth + 1);
      }
    }
  };
  visit(parsed.dataset, undefined, 0);
  return nodes;
}

/** A mutable copy of a seed: the data set bytes (inflated if deflated) and the bytes before them. */
class Mutant {
  constructor(seed) {
    this.seed = seed;
    this.prefix = Buffer.from(seed.bytes.subarray(0, seed.parsed.datasetOffset));
    this.body = Buffer.from(seed.parsed.dataset.buffer.subarray(seed.bodyStart));
    this.shift = seed.bodyStart;
    this.nodes = seed.nodes;
    this.deflated = seed.parsed.transferSyntax.deflated;
  }

  /** Offsets of nodes are in the seed's data set buffer: here, in {@link body}. */
  at(offset) {
    return offset - this.shift;
  }

  readLength(node) {
    const p = this.at(node.lengthAt);
    if (node.lengthSize === 2)
      return node.littleEndian ? this.body.readUInt16LE(p) : this.body.readUInt16BE(p);
    return node.littleEndian ? this.body.readUInt32LE(p) : this.body.readUInt32BE(p);
  }

  writeLength(node, value) {
    const p = this.at(node.lengthAt);
    if (node.lengthSize === 2) {
      const v = value & 0xffff;
      if (node.littleEndian) this.body.writeUInt16LE(v, p);
      else this.body.writeUInt16BE(v, p);
    } else if (node.littleEndian) this.body.writeUInt32LE(value >>> 0, p);
    else this.body.writeUInt32BE(value >>> 0, p);
  }

  writeTag(node, tag) {
    const p = this.at(node.offset);
    if (node.littleEndian) {
      this.body.writeUInt16LE(tag >>> 16, p);
      this.body.writeUInt16LE(tag & 0xffff, p + 2);
    } else this.body.writeUInt32BE(tag >>> 0, p);
  }

  /**
   * Replace `body[from, to)` with `bytes`; the defined lengths of every element and item
   * around the change grow or shrink with it. Only one splice per mutant (offsets move).
   */
  splice(from, to, bytes) {
    const delta = bytes.length - (to - from);
    for (const node of this.nodes) {
      if (node.undefinedLength || (node.kind === 'element' && !node.hasItems)) continue;
      if (this.at(node.valueOffset) <= from && to <= this.at(node.end))
        this.writeLength(node, this.readLength(node) + delta);
    }
    this.body = Buffer.concat([this.body.subarray(0, from), bytes, this.body.subarray(to)]);
  }

  /** The Part 10 file: the meta group as it is (or mutated), the data set (re-deflated). */
  bytes() {
    return Buffer.concat([this.prefix, this.deflated ? deflateRawSync(this.body) : this.body]);
  }
}

/** An element header in the node's encoding. */
function header(node, tag, vr, length) {
  const le = node.littleEndian;
  const out = [];
  const t = Buffer.alloc(4);
  if (le) {
    t.writeUInt16LE(tag >>> 16, 0);
    t.writeUInt16LE(tag & 0xffff, 2);
  } else t.writeUInt32BE(tag >>> 0, 0);
  out.push(t);
  if (node.explicitVr === false) {
    const l = Buffer.alloc(4);
    if (le) l.writeUInt32LE(length, 0);
    else l.writeUInt32BE(length, 0);
    out.push(l);
  } else if (['OB', 'OW', 'SQ', 'UN', 'UT', 'UC', 'UR', 'OF', 'OD', 'OL'].includes(vr)) {
    const l = Buffer.alloc(8);
    l.write(vr, 0, 'latin1');
    if (le) l.writeUInt32LE(length, 4);
    else l.writeUInt32BE(length, 4);
    out.push(l);
  } else {
    const l = Buffer.alloc(4);
    l.write(vr, 0, 'latin1');
    if (le) l.writeUInt16LE(length & 0xffff, 2);
    else l.writeUInt16BE(length & 0xffff, 2);
    out.push(l);
  }
  return Buffer.concat(out);
}

function text(value) {
  const b = Buffer.from(value, 'latin1');
  return b.length % 2 === 0 ? b : Buffer.concat([b, Buffer.of(0x20)]);
}

/** The mutations, by name: each changes `m` using `r` and returns a word on what it did. */
const MUTATIONS = {
  bitflip(m, r) {
    const flips = 1 + r.int(3);
    for (let i = 0; i < flips; i++) {
      const n = r.pick(m.nodes);
      const span = Math.min(m.at(n.end), m.at(n.valueOffset) + 64) - m.at(n.offset);
      const p = m.at(n.offset) + r.int(Math.max(1, span));
      if (p < m.body.length) m.body[p] ^= 1 << r.int(8);
    }
    return `${flips} bits`;
  },
  length(m, r) {
    const n = r.pick(m.nodes);
    const old = m.readLength(n);
    const next = m.nodes.find((x) => x.offset === n.end && x.depth === n.depth);
    const choice = r.int(6);
    const value = [
      old + 2,
      Math.max(0, old - 2),
      old + 1 + r.int(64),
      next ? old + (next.end - next.offset) : old + 8,
      0,
      n.lengthSize === 2 ? 0xffff : 0xffffffff,
    ][choice];
    m.writeLength(n, value);
    return `length ${choice}`;
  },
  tag(m, r) {
    const n = r.pick(m.nodes.filter((x) => x.kind === 'element'));
    const choice = r.int(5);
    const tag = [
      () => r.pick(m.nodes.filter((x) => x.kind === 'element')).tag,
      () => r.pick(KEPT_TAGS),
      () => r.pick(PIXEL_TAGS),
      () => ((n.tag & 0xffff0000) | r.int(0x10000)) >>> 0,
      () => ((0x0009 + 2 * r.int(8)) * 0x10000 + 0x1000 + r.int(0x100)) >>> 0,
    ][choice]();
    m.writeTag(n, tag);
    return `tag ${choice}`;
  },
  vr(m, r) {
    const explicit = m.nodes.filter((x) => x.kind === 'element' && x.explicitVr);
    if (explicit.length === 0) return MUTATIONS.bitflip(m, r);
    const n = r.pick(explicit);
    m.body.write(r.pick(VRS), m.at(n.offset) + 4, 'latin1');
    return 'vr';
  },
  truncate(m, r) {
    const choice = r.int(3);
    const elements = m.nodes.filter((x) => x.kind === 'element');
    const pixels = elements.find((x) => x.tag === 0x7fe00010 && x.depth === 0);
    const at = [
      () => r.int(m.body.length),
      () => m.at(r.pick(elements).offset),
      () => (pixels ? m.at(pixels.offset) : m.body.length - 1),
    ][choice]();
    m.body = m.body.subarray(0, at);
    return `truncate ${choice}`;
  },
  duplicate(m, r) {
    const elements = m.nodes.filter((x) => x.kind === 'element');
    const n = r.pick(elements);
    const copy = Buffer.from(m.body.subarray(m.at(n.offset), m.at(n.end)));
    const choice = r.int(3);
    if (choice === 0) {
      m.splice(m.at(n.end), m.at(n.end), copy);
    } else if (choice === 1) {
      // Pixel data appended, or put into a sequence item.
      const pixels = elements.find((x) => PIXEL_TAGS.includes(x.tag));
      if (!pixels) return MUTATIONS.bitflip(m, r);
      const bytes = Buffer.from(m.body.subarray(m.at(pixels.offset), m.at(pixels.end)));
      const items = m.nodes.filter((x) => x.kind === 'item');
      if (items.length > 0 && r.int(2) === 0) {
        const item = r.pick(items);
        m.splice(
          m.at(item.end) - (item.undefinedLength ? 8 : 0),
          m.at(item.end) - (item.undefinedLength ? 8 : 0),
          bytes,
        );
      } else {
        m.splice(m.body.length, m.body.length, bytes);
      }
    } else {
      // An element copied into a sequence item (where a kept sequence may carry it out).
      const items = m.nodes.filter((x) => x.kind === 'item');
      if (items.length === 0) return MUTATIONS.bitflip(m, r);
      const item = r.pick(items);
      const at = m.at(item.valueOffset);
      m.splice(at, at, copy);
    }
    return `duplicate ${choice}`;
  },
  nesting(m, r) {
    const elements = m.nodes.filter((x) => x.kind === 'element' && x.depth === 0);
    const n = r.pick(elements);
    const inner = Buffer.from(m.body.subarray(m.at(n.offset), m.at(n.end)));
    const levels = r.int(2) === 0 ? 1 + r.int(3) : 60 + r.int(10);
    let content = inner;
    for (let i = 0; i < levels; i++) {
      const item = Buffer.concat([Buffer.alloc(8), content]);
      const le = n.littleEndian;
      if (le) {
        item.writeUInt16LE(0xfffe, 0);
        item.writeUInt16LE(0xe000, 2);
        item.writeUInt32LE(content.length, 4);
      } else {
        item.writeUInt16BE(0xfffe, 0);
        item.writeUInt16BE(0xe000, 2);
        item.writeUInt32BE(content.length, 4);
      }
      content = Buffer.concat([header(n, 0x00081140, 'SQ', item.length), item]);
    }
    // Put at the place of Referenced Image Sequence if it is there, else where it sorts.
    const at = elements.find((x) => x.tag >= 0x00081140) ?? elements[elements.length - 1];
    const same = at.tag === 0x00081140;
    m.splice(m.at(at.offset), same ? m.at(at.end) : m.at(at.offset), content);
    return `nesting ${levels}`;
  },
  charset(m, r) {
    const elements = m.nodes.filter((x) => x.kind === 'element' && x.depth === 0);
    const charset = elements.find((x) => x.tag === 0x00080005);
    if (r.int(2) === 0 && charset) {
      const value = text(r.pick(CHARSETS));
      m.splice(
        m.at(charset.offset),
        m.at(charset.end),
        Buffer.concat([header(charset, 0x00080005, 'CS', value.length), value]),
      );
      return 'charset term';
    }
    const texts = m.nodes.filter(
      (x) => x.kind === 'element' && ['LO', 'SH', 'PN', 'LT', 'ST', 'UT', 'CS'].includes(x.vr),
    );
    if (texts.length === 0) return MUTATIONS.bitflip(m, r);
    const n = r.pick(texts);
    const value = text(r.pick(HOSTILE_TEXT));
    m.splice(
      m.at(n.offset),
      m.at(n.end),
      Buffer.concat([header(n, n.tag, n.vr, value.length), value]),
    );
    return 'charset text';
  },
  meta(m, r) {
    const choice = r.int(5);
    const meta = m.seed.parsed.meta.elements;
    const ts = meta.find((e) => e.tag === 0x00020010);
    if (choice === 0 && ts) {
      const value = text(r.pick(SYNTAXES));
      const before = m.prefix.subarray(0, ts.offset);
      const el = Buffer.concat([
        header({ littleEndian: true, explicitVr: true }, 0x00020010, 'UI', value.length),
        value,
      ]);
      const after = m.prefix.subarray(ts.end);
      m.prefix = Buffer.concat([before, el, after]);
      const gl = meta.find((e) => e.tag === 0x00020000);
      if (gl)
        m.prefix.writeUInt32LE(
          m.prefix.readUInt32LE(gl.valueOffset) + el.length - (ts.end - ts.offset),
          gl.valueOffset,
        );
      return 'meta syntax';
    }
    if (choice === 1) {
      const gl = meta.find((e) => e.tag === 0x00020000);
      if (gl) m.prefix.writeUInt32LE(r.int(400), gl.valueOffset);
      return 'meta length';
    }
    if (choice === 2) {
      m.prefix = m.prefix.subarray(0, 128 + 4).fill(0, 0, 128);
      m.prefix.write('DICM', 128, 'latin1');
      return 'meta removed';
    }
    if (choice === 3 && meta.length > 1) {
      const e = r.pick(meta);
      m.prefix[e.offset + r.int(e.end - e.offset)] ^= 1 << r.int(8);
      return 'meta bitflip';
    }
    m.prefix = m.prefix.subarray(132);
    return 'no preamble';
  },
  value(m, r) {
    const choice = r.int(3);
    const dates = m.nodes.filter((x) => x.kind === 'element' && x.vr === 'DA');
    if (choice === 0 && dates.length > 0) {
      const n = r.pick(dates);
      const value = text(r.pick(BAD_DATES));
      m.splice(
        m.at(n.offset),
        m.at(n.end),
        Buffer.concat([header(n, n.tag, 'DA', value.length), value]),
      );
      return 'bad date';
    }
    const binary = m.nodes.filter(
      (x) => x.kind === 'element' && ['US', 'UL', 'FD', 'SS', 'OW'].includes(x.vr),
    );
    if (choice === 1 && binary.length > 0) {
      const n = r.pick(binary);
      const value = Buffer.alloc(1 + r.int(7));
      m.splice(
        m.at(n.offset),
        m.at(n.end),
        Buffer.concat([header(n, n.tag, n.vr, value.length), value]),
      );
      return 'odd binary';
    }
    const delimited = m.nodes.filter((x) => x.undefinedLength);
    if (delimited.length > 0) {
      const n = r.pick(delimited);
      const p = m.at(n.end) - 4;
      if (n.littleEndian) m.body.writeUInt32LE(1 + r.int(100), p);
      else m.body.writeUInt32BE(1 + r.int(100), p);
      return 'delimiter length';
    }
    return MUTATIONS.bitflip(m, r);
  },
};

/** The names of the mutations, in a fixed order (a case picks one by index). */
const MUTATION_NAMES = Object.keys(MUTATIONS);

/** A seed ready to mutate: its bytes, its parse and its map. */
function loadSeed(name, bytes) {
  const parsed = parseDicom(bytes, name);
  const bodyStart = parsed.transferSyntax.deflated ? 0 : parsed.datasetOffset;
  return { name, bytes, parsed, bodyStart, nodes: mapOf(parsed) };
}

/**
 * Case `index` of a campaign of `campaign`: the seed it mutates, the mutations applied (one,
 * sometimes two), and the mutant's bytes. The same arguments give the same bytes.
 */
function mutant(seeds, campaign, index) {
  const r = random((campaign * 0x9e3779b1) ^ (index * 0x85ebca6b) ^ 0x5bd1e995);
  const seed = seeds[index % seeds.length];
  const m = new Mutant(seed);
  const count = r.int(4) === 0 ? 2 : 1;
  const applied = [];
  for (let i = 0; i < count; i++) {
    const name = MUTATION_NAMES[r.int(MUTATION_NAMES.length)];
    // Only one splice per mutant: a second mutation works on the bytes only.
    const use =
      i > 0 && ['duplicate', 'nesting', 'charset', 'value'].includes(name) ? 'bitflip' : name;
    try {
      applied.push(`${use}: ${MUTATIONS[use](m, r)}`);
    } catch {
      // A second mutation may no longer fit the bytes the first one left (a truncation).
      applied.push(`${use}: did not apply`);
    }
  }
  return { seed: seed.name, mutations: applied, bytes: m.bytes() };
}

module.exports = { loadSeed, mutant, MUTATION_NAMES };
