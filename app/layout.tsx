import type { Metadata } from 'next';
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

export default function RootLayout({ children }: { children: React.ReactNode }) {
  return (
    <html lang="en">
      <body>{children}</body>
    </html>
  );
}
