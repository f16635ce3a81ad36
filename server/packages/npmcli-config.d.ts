// @npmcli/config ships no types; only what registry.ts uses.
declare module '@npmcli/config' {
  export default class Config {
    constructor(opts: Record<string, unknown>);
    load(): Promise<void>;
    get(key: string): unknown;
  }
}
declare module '@npmcli/config/lib/definitions/index.js' {
  const defs: { definitions: object; flatten: object; shorthands: object };
  export default defs;
}
