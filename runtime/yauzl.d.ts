// The part of yauzl 3 (its promise API) that the GPU set-up uses; the package ships no types.
declare module 'yauzl' {
  import type { Readable } from 'node:stream';

  export interface Entry {
    fileName: string;
    uncompressedSize: number;
    crc32: number;
  }

  export interface ZipFile {
    entryCount: number;
    eachEntry(): AsyncIterable<Entry>;
    openReadStreamPromise(entry: Entry): Promise<Readable>;
    close(): void;
  }

  export function openPromise(path: string, options?: { validateEntrySizes?: boolean; strictFileNames?: boolean }): Promise<ZipFile>;
}
