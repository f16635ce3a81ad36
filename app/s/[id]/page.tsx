import type { Metadata } from 'next';
import { Workspace } from '@/components/workspace';

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
  return <Workspace sessionId={id} token={typeof t === 'string' ? t : undefined} />;
}
