// YAML for Python readers (PyYAML, YAML 1.1): strings like "no" / "on" quoted, floats always with a dot and a signed
// exponent (PyYAML reads 5e-7 as a string). Not a general YAML writer: the `yaml` package does the work.

import { stringify } from 'yaml';

export function toPyYaml(value: unknown): string {
  const text = stringify(value, { version: '1.1' });
  // `key: 5e-7` / `- 1e+21` -> 5.0e-07-style numbers PyYAML's float pattern accepts.
  return text.replace(/^(\s*(?:- |[^:\n]+: ))(-?\d+)(?:\.(\d+))?e([-+]?)(\d+)$/gm,
    (_m, pre: string, int: string, frac: string | undefined, sign: string, exp: string) => `${pre}${int}.${frac ?? '0'}e${sign || '+'}${exp}`);
}
