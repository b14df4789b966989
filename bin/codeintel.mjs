#!/usr/bin/env node
// The codeintel CLI. TypeScript sources run through tsx's loader: no build step.
import { register } from 'tsx/esm/api';

register();
const { main } = await import('../workers/main.ts');
await main(process.argv);
