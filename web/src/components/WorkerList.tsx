import { secondsAgo } from '../status/format-time.ts';
import type { WorkerSummary } from '../status/types.ts';

export function WorkerList({ workers }: { workers: WorkerSummary[] }) {
  if (workers.length === 0) return null;
  return (
    <table className="workers">
      <thead>
        <tr>
          <th scope="col">Role</th>
          <th scope="col">Host</th>
          <th scope="col">PID</th>
          <th scope="col">Last seen</th>
        </tr>
      </thead>
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
