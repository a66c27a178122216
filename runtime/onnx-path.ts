/** Where `stride export` and Export ONNX write a network when no path is given: beside its source file. */
export function defaultOnnxPath(file: string, network?: string): string {
  const base = file.replace(/\.stride$/, '');
  return network ? `${base}.${network}.onnx` : `${base}.onnx`;
}

/** Where `stride export --format pytorch` and Export PyTorch write a network when no path is given. */
export function defaultPytorchPath(file: string, network?: string): string {
  return defaultOnnxPath(file, network).replace(/\.onnx$/, '.py');
}
