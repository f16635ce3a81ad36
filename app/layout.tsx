import type { Metadata } from 'next';
import { headers } from 'next/headers';
import { THEME_BOOT_SCRIPT } from '@/lib/client/theme';
import './globals.css';

/**
 * Every page is rendered per request: Next puts the response's CSP nonce (server/edge/page-headers.ts)
 * on its scripts only then, and a per-request page is answered `private, no-store` — it may set
 * the identity cookie, so no shared cache may keep it.
 */
export const dynamic = 'force-dynamic';

export const metadata: Metadata = {
  title: 'Flint',
  description: 'Live coding with very fast models',
};

/** The nonce of this response's CSP, which page-headers.ts put on the request for Next. */
async function cspNonce(): Promise<string | undefined> {
  const csp = (await headers()).get('content-security-policy') ?? '';
  return /'nonce-([^']+)'/.exec(csp)?.[1];
}

export default async function RootLayout({ children }: { children: React.ReactNode }) {
  const nonce = await cspNonce();
  // The theme is set on <html> before the body paints (lib/client/theme.ts), hence the
  // suppressed hydration warning: the server cannot know the saved choice.
  return (
    <html lang="en" suppressHydrationWarning>
      <head>
        <script nonce={nonce} suppressHydrationWarning dangerouslySetInnerHTML={{ __html: THEME_BOOT_SCRIPT }} />
      </head>
      <body>{children}</body>
    </html>
  );
}
