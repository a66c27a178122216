/**
 * A float32 tensor as a NumPy .npy file (format 1.0): what `np.load` and `torch.from_numpy` read.
 * The header is padded with spaces so the data starts at a multiple of 64 bytes, as NumPy writes it.
 */
export function encodeNpy(dims: readonly number[], data: Float32Array): Uint8Array[] {
  const shape = dims.length === 1 ? `(${dims[0]},)` : `(${dims.join(', ')})`;
  const dict = `{'descr': '<f4', 'fortran_order': False, 'shape': ${shape}, }`;
  const unpadded = 10 + dict.length + 1;
  const header = dict + ' '.repeat((64 - (unpadded % 64)) % 64) + '\n';
  const head = new Uint8Array(10 + header.length);
  head.set([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, 1, 0, header.length & 0xff, header.length >> 8]);
  head.set(new TextEncoder().encode(header), 10);
  return [head, new Uint8Array(data.buffer, data.byteOffset, data.byteLength)];
}
