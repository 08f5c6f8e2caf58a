// BLAKE2b (RFC 7693) with a key, a salt and a personalisation, as Python's hashlib.blake2b
// computes it. libsodium's wrappers expose personalisation only for hashing nothing (a
// KDF), and Plaza's addresses and key derivation personalise the hash of real input, so
// the wallet carries this small implementation; the test suite holds it against hashlib
// through the addresses and keys it derives. 64-bit words are BigInts: the inputs are a
// few dozen bytes, so clarity wins over speed.

const MASK = (1n << 64n) - 1n;
const IV = [
  0x6a09e667f3bcc908n, 0xbb67ae8584caa73bn, 0x3c6ef372fe94f82bn, 0xa54ff53a5f1d36f1n,
  0x510e527fade682d1n, 0x9b05688c2b3e6c1fn, 0x1f83d9abfb41bd6bn, 0x5be0cd19137e2179n,
];
const SIGMA = [
  [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15],
  [14, 10, 4, 8, 9, 15, 13, 6, 1, 12, 0, 2, 11, 7, 5, 3],
  [11, 8, 12, 0, 5, 2, 15, 13, 10, 14, 3, 6, 7, 1, 9, 4],
  [7, 9, 3, 1, 13, 12, 11, 14, 2, 6, 5, 10, 4, 0, 15, 8],
  [9, 0, 5, 7, 2, 4, 10, 15, 14, 1, 11, 12, 6, 8, 3, 13],
  [2, 12, 6, 10, 0, 11, 8, 3, 4, 13, 7, 5, 15, 14, 1, 9],
  [12, 5, 1, 15, 14, 13, 4, 10, 0, 7, 6, 3, 9, 2, 8, 11],
  [13, 11, 7, 14, 12, 1, 3, 9, 5, 0, 15, 4, 8, 6, 2, 10],
  [6, 15, 14, 9, 11, 3, 0, 8, 12, 2, 13, 7, 1, 4, 10, 5],
  [10, 2, 8, 4, 7, 6, 1, 5, 15, 11, 9, 14, 3, 12, 13, 0],
];
const BLOCK = 128;

function word(bytes, at) {
  let value = 0n;
  for (let i = 7; i >= 0; i -= 1) value = (value << 8n) | BigInt(bytes[at + i]);
  return value;
}

function rotr(value, bits) {
  return ((value >> BigInt(bits)) | (value << BigInt(64 - bits))) & MASK;
}

function mix(v, a, b, c, d, x, y) {
  v[a] = (v[a] + v[b] + x) & MASK;
  v[d] = rotr(v[d] ^ v[a], 32);
  v[c] = (v[c] + v[d]) & MASK;
  v[b] = rotr(v[b] ^ v[c], 24);
  v[a] = (v[a] + v[b] + y) & MASK;
  v[d] = rotr(v[d] ^ v[a], 16);
  v[c] = (v[c] + v[d]) & MASK;
  v[b] = rotr(v[b] ^ v[c], 63);
}

function compress(h, block, counter, last) {
  const m = Array.from({ length: 16 }, (_, i) => word(block, i * 8));
  const v = [...h, ...IV];
  v[12] ^= BigInt(counter) & MASK;
  v[13] ^= BigInt(counter) >> 64n;
  if (last) v[14] ^= MASK;
  for (let round = 0; round < 12; round += 1) {
    const s = SIGMA[round % 10];
    mix(v, 0, 4, 8, 12, m[s[0]], m[s[1]]);
    mix(v, 1, 5, 9, 13, m[s[2]], m[s[3]]);
    mix(v, 2, 6, 10, 14, m[s[4]], m[s[5]]);
    mix(v, 3, 7, 11, 15, m[s[6]], m[s[7]]);
    mix(v, 0, 5, 10, 15, m[s[8]], m[s[9]]);
    mix(v, 1, 6, 11, 12, m[s[10]], m[s[11]]);
    mix(v, 2, 7, 8, 13, m[s[12]], m[s[13]]);
    mix(v, 3, 4, 9, 14, m[s[14]], m[s[15]]);
  }
  for (let i = 0; i < 8; i += 1) h[i] ^= v[i] ^ v[i + 8];
}

function parameters(size, key, salt, person) {
  const block = new Uint8Array(64);
  block.set([size, key.length, 1, 1]);
  block.set(salt, 32);
  block.set(person, 48);
  return block;
}

// The `size`-byte digest of `data` (1 to 64 bytes; key up to 64 bytes; salt and person
// up to 16 bytes each, zero padded, as hashlib pads them).
export function blake2b(data, { size = 32, key = new Uint8Array(0), salt = new Uint8Array(0), person = new Uint8Array(0) } = {}) {
  if (size < 1 || size > 64 || key.length > 64 || salt.length > 16 || person.length > 16) {
    throw new RangeError("blake2b: size 1-64, key up to 64 bytes, salt and person up to 16");
  }
  const param = parameters(size, key, salt, person);
  const h = IV.map((iv, i) => iv ^ word(param, i * 8));
  let input = data;
  if (key.length) {
    input = new Uint8Array(BLOCK + data.length);
    input.set(key);
    input.set(data, BLOCK);
  }
  const blocks = Math.max(1, Math.ceil(input.length / BLOCK));
  for (let i = 0; i < blocks; i += 1) {
    const block = new Uint8Array(BLOCK);
    block.set(input.subarray(i * BLOCK, (i + 1) * BLOCK));
    const last = i === blocks - 1;
    compress(h, block, last ? input.length : (i + 1) * BLOCK, last);
  }
  const out = new Uint8Array(64);
  h.forEach((value, i) => {
    for (let j = 0; j < 8; j += 1) out[i * 8 + j] = Number((value >> BigInt(8 * j)) & 0xffn);
  });
  return out.slice(0, size);
}
