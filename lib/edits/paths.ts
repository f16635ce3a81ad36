export function resolvePath(raw: string, workspace: readonly string[]): string | null {
  return workspace.includes(raw) ? raw : null;
}
