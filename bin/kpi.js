#!/usr/bin/env node
// The kpi CLI. Node 22.18+ runs the TypeScript sources directly (type stripping); `npm ci` installs
// Node 22 into node_modules/.bin, which npm scripts and `npx kpi` put first on PATH.
const [major, minor] = process.versions.node.split('.').map(Number);
if (major < 22 || (major === 22 && minor < 18)) {
  process.stderr.write(`kpi needs Node.js 22.18 or newer (this is ${process.version}). Run it through npm so the project's Node 22 is used: npm start, or npx kpi …\n`);
  process.exit(1);
}
await import('../cli/main.ts');
