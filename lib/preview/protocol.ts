import { z } from '@/lib/zod';

/**
 * Messages between the IDE page and the preview frame (`/sandbox/preview` on the sandbox
 * origin). Both ends parse what they receive with these schemas; anything else is dropped.
 */
export const PREVIEW_PROTOCOL = 'flint-preview-1';

/** One session file as a module of the preview: its code (CommonJS, wrapped) and how its imports resolve. */
export const PreviewModule = z.object({
  path: z.string().max(1024),
  /** `__flintDefine(path, function (require, module, exports, $RefreshReg$, $RefreshSig$) {` + code + `})`. */
  code: z.string().max(8_000_000),
  /** Import specifier → a session path, or `pkg:<spec>` for a package in the vendor bundle. */
  deps: z.record(z.string(), z.string()),
  /** A stylesheet: updated in place, never a reload. */
  css: z.boolean().optional(),
});
export type PreviewModule = z.infer<typeof PreviewModule>;

export const IdeToPreview = z.discriminatedUnion('type', [
  z.object({ type: z.literal('ping'), protocol: z.literal(PREVIEW_PROTOCOL) }),
  z.object({
    type: z.literal('load'),
    protocol: z.literal(PREVIEW_PROTOCOL),
    /** index.html's body, scripts removed. */
    body: z.string().max(1_000_000),
    /** The packages the app imports, as one script that sets `globalThis.__flintPkgs`. */
    vendor: z.string().max(30_000_000),
    modules: z.array(PreviewModule).max(2000),
    entry: z.string(),
  }),
  z.object({ type: z.literal('update'), protocol: z.literal(PREVIEW_PROTOCOL), modules: z.array(PreviewModule).max(2000), revision: z.number().int() }),
]);
export type IdeToPreview = z.infer<typeof IdeToPreview>;

export const ConsoleLevel = z.enum(['log', 'info', 'warn', 'error', 'debug']);

export const PreviewToIde = z.discriminatedUnion('type', [
  z.object({ type: z.literal('pong') }),
  z.object({ type: z.literal('loaded') }),
  z.object({ type: z.literal('updated'), revision: z.number().int(), hot: z.boolean() }),
  /** The update cannot be applied hot (not every export of a changed module is a component): reload. */
  z.object({ type: z.literal('reload'), revision: z.number().int() }),
  z.object({ type: z.literal('console'), level: ConsoleLevel, text: z.string().max(10_000) }),
  /** An uncaught error or unhandled rejection; stack frames name `flint-module:<path>:<line>:<col>`. */
  z.object({ type: z.literal('error'), message: z.string().max(10_000), stack: z.string().max(50_000) }),
]);
export type PreviewToIde = z.infer<typeof PreviewToIde>;

/** What stack frames of a module's code are rewritten to in the frame (blob: URLs are meaningless outside it). */
export const MODULE_URL = 'flint-module:';
/** The wrapper puts one line before a module's code. */
export const WRAPPER_LINES = 1;
