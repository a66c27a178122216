import { createRequire, Module } from 'node:module';
import { join } from 'node:path';
import type * as Ort from 'onnxruntime-node';

/**
 * onnxruntime-node, loaded in the run process. With STRIDE_ORT_BINDING set (a GPU set-up's private binding
 * folder), its addon comes from that folder, so that ONNX Runtime finds the CUDA provider libraries beside
 * the `libonnxruntime.so.1` it loads: onnxruntime-node requires its addon by a fixed path, and an entry
 * put in `require.cache` under that path is what it gets.
 */

const here = typeof __filename === 'string' ? __filename : join(process.cwd(), 'index.js');

export function loadOrt(bindingDir = process.env.STRIDE_ORT_BINDING): { ort: typeof Ort; bindingDir: string } {
  const req = createRequire(here);
  const bundled = req.resolve(`onnxruntime-node/bin/napi-v6/${process.platform}/${process.arch}/onnxruntime_binding.node`);
  if (bindingDir) {
    const m = new Module(bundled);
    m.filename = bundled;
    m.exports = req(join(bindingDir, 'onnxruntime_binding.node'));
    m.loaded = true;
    req.cache[bundled] = m;
  }
  return { ort: req('onnxruntime-node') as typeof Ort, bindingDir: bindingDir ?? join(bundled, '..') };
}

/**
 * Why ONNX Runtime's CUDA provider does not load from `dir`, in the loader's words: ONNX Runtime only says
 * "Failed to load shared library". Loading each library as an addon gives the dynamic loader's message
 * (`libcublasLt.so.12: cannot open shared object file`); a library that loads is not an addon, and says so.
 */
export function cudaLoadProblem(dir: string): string | undefined {
  for (const lib of ['libonnxruntime_providers_shared.so', 'libonnxruntime_providers_cuda.so']) {
    try {
      process.dlopen({ exports: {} } as NodeJS.Module, join(dir, lib));
    } catch (e) {
      const message = (e as Error).message;
      if (/did not self-register|Module did not/i.test(message)) continue;
      if (/No such file/.test(message) && message.includes(join(dir, lib))) return `${lib} is not in ${dir}`;
      return message.replace(`${dir}/`, '');
    }
  }
  return undefined;
}
