import type { InstanceInfo } from '../status/types.ts';
import markUrl from '../vigil-mark.svg';

export function SiteHeader({ instance }: { instance: InstanceInfo | undefined }) {
  return (
    <header className="site-header">
      <div className="site-header__inner">
        <a className="brand" href="/">
          <img className="brand__mark" src={markUrl} alt="" width="28" height="28" />
          <span className="brand__name">Vigil</span>
        </a>
        {instance ? (
          <div className="instance">
            <span className="instance__caption">Instance</span>
            <span className="instance__name" data-testid="instance-name">
              {instance.name}
            </span>
            {instance.demo ? (
              <span className="demo-badge" data-testid="demo-badge" title="This instance holds synthetic patients only, never real patient data">
                Demo data
              </span>
            ) : null}
          </div>
        ) : null}
      </div>
    </header>
  );
}
