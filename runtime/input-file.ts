import { readImage } from './image.js';
import { InputError } from './input-error.js';
import { isNpy, matchShape, readNpy } from './npy.js';

/**
 * An image or a .npy array as a network's input (NCHW float32), for `stride run --input` and the run panel's
 * chosen input. An image is one sample, repeated to fill the batch; an array brings its own batch.
 */
export function inputFromFile(bytes: Uint8Array, file: string, shape: number[], batch: number, norm: { mean?: number[]; std?: number[] } = {}): { batch: number; data: Float32Array } {
  if (isNpy(bytes)) return matchShape(readNpy(bytes, file), shape, file);
  if (shape.length !== 3) throw new InputError(`${file}: the network takes ${shape[0]} features, not an image; give a .npy array`);
  const image = readImage(bytes, file, { channels: shape[0], height: shape[1], width: shape[2] }, norm);
  const data = new Float32Array(image.length * batch);
  for (let i = 0; i < batch; i++) data.set(image, i * image.length);
  return { batch, data };
}

/** A file the run reads, or an error that names it and says why it cannot be read. */
export function readRunFile(read: (file: string) => Uint8Array, file: string, what: string): Uint8Array {
  try {
    return read(file);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    const why = code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'is a directory' : code === 'EACCES' ? 'permission denied' : (e as Error).message;
    throw new InputError(`cannot read the ${what} ${file}: ${why}`);
  }
}
