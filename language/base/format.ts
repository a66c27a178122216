/** How numbers read everywhere a person sees them: thousands separators, binary byte units. */

export function formatCount(n: number): string {
  if (!Number.isFinite(n)) return String(n);
  const neg = n < 0;
  // BigInt prints a large double's exact digits where toString() would switch to 1e+21.
  const digits = BigInt(Math.round(Math.abs(n))).toString();
  let out = '';
  for (let i = 0; i < digits.length; i++) {
    if (i > 0 && (digits.length - i) % 3 === 0) out += ',';
    out += digits[i];
  }
  return neg ? `-${out}` : out;
}

const COMPACT_UNITS = ['', 'K', 'M', 'G', 'T', 'P', 'E'];

/** 34,944 → "34.9K", 61,100,840 → "61.1M": for tight spaces such as inlay hints and the status bar. */
export function formatCompact(n: number): string {
  if (!Number.isFinite(n)) return String(n);
  if (Math.abs(n) < 1000) return `${Math.round(n)}`;
  const [v, u] = scaled(n, 1000, COMPACT_UNITS.length - 1);
  return `${v}${COMPACT_UNITS[u]}`;
}

const BYTE_UNITS = ['B', 'KiB', 'MiB', 'GiB', 'TiB', 'PiB', 'EiB'];

export function formatBytes(bytes: number): string {
  if (!Number.isFinite(bytes)) return String(bytes);
  if (Math.abs(bytes) < 1024) return `${Math.round(bytes)} B`;
  const [v, u] = scaled(bytes, 1024, BYTE_UNITS.length - 1);
  return `${v} ${BYTE_UNITS[u]}`;
}

/**
 * A value in the largest unit (a power of `base`) that keeps it at 1 or more, to three significant
 * digits without trailing zeros. Rounding can carry into the next unit (1023.9 KiB is 1 MiB, not
 * "1024 KiB"). Past the last unit the figure grows with thousands separators.
 */
function scaled(value: number, base: number, lastUnit: number): [string, number] {
  let v = value;
  let u = 0;
  while (Math.abs(v) >= base && u < lastUnit) {
    v /= base;
    u++;
  }
  let text = threeDigits(v);
  if (Math.abs(Number(text)) >= base && u < lastUnit) {
    v /= base;
    u++;
    text = threeDigits(v);
  }
  return [Math.abs(v) >= 1000 ? formatCount(v) : text, u];
}

/** Three significant digits (for values from 1 to 999.5), no trailing zeros after the point. */
function threeDigits(v: number): string {
  const a = Math.abs(v);
  const digits = a >= 99.95 ? 0 : a >= 9.995 ? 1 : 2;
  const fixed = v.toFixed(digits);
  // Only zeros after a decimal point are trailing: 100 stays 100.
  return fixed.includes('.') ? fixed.replace(/\.?0+$/, '') : fixed;
}
