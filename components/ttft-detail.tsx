'use client';
import { STAGE_LABELS, type TtftStageName } from '@/lib/client/ttft-stages';
import type { IdeStore } from '@/lib/stores/ide-store';
import { useIdeStore } from './session-provider';

const selectStages = (s: IdeStore) => s.stream.ttftStages;

/**
 * The last own turn's time to first token, stage by stage (submit → socket send → … → painted),
 * as lib/client/ttft-stages.ts computes it when the turn ends. Collapsed by default.
 */
export function TtftDetail() {
  const stages = useIdeStore(selectStages);
  if (!stages) return null;
  return (
    <details className="ttft-detail" data-testid="ttft-detail">
      <summary>TTFT by stage</summary>
      <table>
        <tbody>
          {stages.map(({ stage, ms }) => (
            <tr key={stage} data-testid="ttft-stage" data-stage={stage}>
              <th scope="row">{STAGE_LABELS[stage as TtftStageName] ?? stage}</th>
              <td data-testid="ttft-stage-ms">{ms === null ? '–' : `${ms.toFixed(1)} ms`}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </details>
  );
}
