import type { Metadata } from 'next';
import { Workspace } from '@/components/workspace';
import { sandboxSettingsFromEnv } from '@/lib/sandbox/origin';

// A share link carries its capability token in the query (`?t=`): never leak it in a Referer.
export const metadata: Metadata = { referrer: 'no-referrer' };

export default async function SessionPage({
  params,
  searchParams,
}: {
  params: Promise<{ id: string }>;
  searchParams: Promise<Record<string, string | string[] | undefined>>;
}) {
  const { id } = await params;
  const { t } = await searchParams;
  // Only the configured sandbox origin travels to the browser; the IDE derives the default from
  // its own location (lib/sandbox/origin.ts).
  return <Workspace sessionId={id} token={typeof t === 'string' ? t : undefined} sandboxOrigin={sandboxSettingsFromEnv().origin ?? null} />;
}
