/** The elkjs worker script, bundled as text by esbuild.mjs so that it can start from a Blob URL. */
declare module 'elkjs/lib/elk-worker.min.js' {
  const source: string;
  export default source;
}
