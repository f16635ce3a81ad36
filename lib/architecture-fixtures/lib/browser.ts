import { readFileSync } from 'node:fs';
export const browser = readFileSync;
