import { notFound } from 'next/navigation';
import { PeerBench } from './peer-bench';

/** The benchmark's peer harness page (see api/route.ts); 404 unless FLINT_BENCH=1. */
export const dynamic = 'force-dynamic'; // read the environment per request, not at build time

export default function PeerBenchPage() {
  if (process.env.FLINT_BENCH !== '1') notFound();
  return <PeerBench />;
}
