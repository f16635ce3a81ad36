declare module 'react-refresh/runtime' {
  export function injectIntoGlobalHook(w: Window): void;
  export function register(type: unknown, id: string): void;
  export function setSignature(type: unknown, key: string, forceReset?: boolean, getCustomHooks?: () => unknown[]): void;
  export function performReactRefresh(): unknown;
  export function isLikelyComponentType(t: unknown): boolean;
}
