/** A mistake on the command line: `rezo` prints its message as one line and exits 1, before opening the database. */
export class CommandLineError extends Error {}

/**
 * Splits `args` into positional arguments and `--option value` pairs, allowing only the options
 * named; an unknown option, an option given twice or without a value is a CommandLineError(usage).
 */
export function parseArgs(
  args: string[],
  options: readonly string[],
  usage: string,
): { positional: string[]; options: Map<string, string> } {
  const positional: string[] = [];
  const found = new Map<string, string>();
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    if (!arg.startsWith('--')) {
      positional.push(arg);
      continue;
    }
    const [name, inline] = arg.includes('=')
      ? [arg.slice(0, arg.indexOf('=')), arg.slice(arg.indexOf('=') + 1)]
      : [arg, undefined];
    if (!options.includes(name)) throw new CommandLineError(`unknown option ${name}; ${usage}`);
    if (found.has(name)) throw new CommandLineError(`${name} given twice; ${usage}`);
    const value = inline ?? args[++i];
    if (value === undefined || (inline === undefined && value.startsWith('--')) || value.trim() === '')
      throw new CommandLineError(`${name} needs a value; ${usage}`);
    found.set(name, value);
  }
  return { positional, options: found };
}

/** `a,b, c` → ['a', 'b', 'c'] (empty items dropped). */
export function list(value: string | undefined): string[] {
  return (value ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
}

export interface Output {
  stdout: (s: string) => void;
  stderr: (s: string) => void;
}
