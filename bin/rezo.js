#!/usr/bin/env node
// Entry point of the `rezo` command. The source is TypeScript run through tsx, so there is no build
// step between `npm install` and `npm start`.
import { register } from 'tsx/esm/api';

register();
const { main, describeError } = await import('../src/cli.ts');
try {
  const code = await main(process.argv.slice(2));
  if (code >= 0) process.exit(code);
} catch (error) {
  process.stderr.write(describeError(error) + '\n');
  process.exit(1);
}
