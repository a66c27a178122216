// Assembles runtime/ziggurat.wat into runtime/ziggurat-wasm.ts, the module's bytes as base64: the source
// and the bundles then need no loader for .wasm files. Run after changing the .wat; the initialisation
// test assembles it again and fails if the two differ.
import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import wabt from 'wabt';

export async function assemble(path) {
  const module = (await wabt()).parseWat(path, readFileSync(path, 'utf8'), { simd: true });
  try {
    module.validate();
    return Buffer.from(module.toBinary({}).buffer);
  } finally {
    module.destroy();
  }
}

export function moduleSource(bytes) {
  const lines = bytes.toString('base64').match(/.{1,100}/g).map((l) => `  '${l}'`);
  return `// Generated from ziggurat.wat by scripts/build-wasm.mjs: do not edit.\nexport const ZIGGURAT_WASM =\n${lines.join(' +\n')};\n`;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const root = new URL('..', import.meta.url);
  const bytes = await assemble(fileURLToPath(new URL('runtime/ziggurat.wat', root)));
  writeFileSync(new URL('runtime/ziggurat-wasm.ts', root), moduleSource(bytes));
  console.log(`runtime/ziggurat-wasm.ts: ${bytes.length} bytes`);
}
