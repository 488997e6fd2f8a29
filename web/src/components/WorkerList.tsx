import { secondsAgo } from '../status/format-time.ts';
import type { WorkerSummary } from '../status/types.ts';
import { ColumnHeads } from './ColumnHeads.tsx';

export function WorkerList({ workers }: { workers: WorkerSummary[] }) {
  if (workers.length === 0) return null;
  return (
    <table className="workers">
      <ColumnHeads columns={['Role', 'Host', 'PID', 'Last seen']} />
      <tbody>
        {workers.map((w) => (
          <tr key={`${w.hostname}:${w.pid}`}>
            <td>{w.role}</td>
            <td className="workers__host">{w.hostname}</td>
            <td className="workers__num">{w.pid}</td>
            <td>
              {secondsAgo(w.lastSeenSecondsAgo)}
              {w.stopping ? <span className="workers__stopping"> · stopping</span> : null}
            </td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}
