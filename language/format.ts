/** How numbers read everywhere a person sees them: thousands separators, binary byte units. */

export function formatCount(n: number): string {
  if (!Number.isFinite(n)) return String(n);
  const neg = n < 0;
  const digits = Math.round(Math.abs(n)).toString();
  let out = '';
  for (let i = 0; i < digits.length; i++) {
    if (i > 0 && (digits.length - i) % 3 === 0) out += ',';
    out += digits[i];
  }
  return neg ? `-${out}` : out;
}

/** 34,944 → "34.9K", 61,100,840 → "61.1M": for tight spaces such as inlay hints and the status bar. */
export function formatCompact(n: number): string {
  const a = Math.abs(n);
  const units: [number, string][] = [[1e12, 'T'], [1e9, 'G'], [1e6, 'M'], [1e3, 'K']];
  for (const [size, unit] of units) {
    if (a >= size) return `${trim(n / size)}${unit}`;
  }
  return `${n}`;
}

const BYTE_UNITS = ['B', 'KiB', 'MiB', 'GiB', 'TiB', 'PiB'];

export function formatBytes(bytes: number): string {
  let v = bytes;
  let u = 0;
  while (Math.abs(v) >= 1024 && u < BYTE_UNITS.length - 1) {
    v /= 1024;
    u++;
  }
  return u === 0 ? `${v} B` : `${trim(v)} ${BYTE_UNITS[u]}`;
}

/** Three significant digits, no trailing zeros. */
function trim(v: number): string {
  const a = Math.abs(v);
  const digits = a >= 100 ? 0 : a >= 10 ? 1 : 2;
  const fixed = v.toFixed(digits);
  // Only zeros after a decimal point are trailing: 100 stays 100.
  return fixed.includes('.') ? fixed.replace(/\.?0+$/, '') : fixed;
}
