import { readFileSync } from 'node:fs';

/** The version in package.json, for the startup log and the MCP server's name. */
export const VERSION: string = (JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }).version;
