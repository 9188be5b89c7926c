/** The top bar: the console's sections (with what waits in the inbox), the live indicator and who is signed in. */

import { usePending } from '../lib/pending.tsx';
import { Link, useLocation } from '../lib/router.tsx';
import { useSession } from '../lib/session.tsx';
import { LiveIndicator } from './live-indicator.tsx';

const SECTIONS = [
  { to: '/inbox', label: 'Inbox' },
  { to: '/actions', label: 'Actions' },
  { to: '/agents', label: 'Agents' },
  { to: '/policies', label: 'Policies' },
  { to: '/audit', label: 'Audit' },
] as const;

function PendingCount() {
  const { data } = usePending();
  const count = data?.approvals.length ?? null;
  const text = count === null ? '–' : count >= 100 ? '99+' : String(count);
  return (
    <span
      className={`count-badge num${count !== null && count > 0 ? ' count-badge-on' : ''}`}
      data-testid="pending-count"
      data-count={count ?? ''}
    >
      <span className="visually-hidden">, </span>
      {text}
      <span className="visually-hidden"> pending</span>
    </span>
  );
}

export function TopBar() {
  const { me, signOut } = useSession();
  const { pathname } = useLocation();
  return (
    <header className="topbar">
      <div className="topbar-inner">
        <Link to="/inbox" className="brand" aria-label="Airlock console, inbox">
          <svg viewBox="0 0 16 16" width="18" height="18" aria-hidden="true">
            <rect width="16" height="16" rx="3" fill="currentColor" />
            <path d="M4 12V7a4 4 0 0 1 8 0v5" stroke="#fff" strokeWidth="2" fill="none" />
          </svg>
          <span>Airlock</span>
        </Link>
        <nav className="nav" aria-label="Sections">
          <ul>
            {SECTIONS.map((s) => {
              const current = pathname === s.to || pathname.startsWith(`${s.to}/`);
              return (
                <li key={s.to}>
                  <Link
                    to={s.to}
                    className="nav-link"
                    aria-current={current ? 'page' : undefined}
                    data-testid={`nav-${s.label.toLowerCase()}`}
                  >
                    {s.label}
                    {s.to === '/inbox' && <PendingCount />}
                  </Link>
                </li>
              );
            })}
          </ul>
        </nav>
        <div className="topbar-end">
          <LiveIndicator />
          <span className="who" data-testid="signed-in-person" title={me.id}>
            <span className="who-name">{me.name ?? me.id}</span>
            {me.role !== null && <span className="who-role">{me.admin ? 'admin' : me.role}</span>}
          </span>
          <button
            type="button"
            className="button button-small"
            onClick={() => signOut()}
            data-testid="sign-out"
          >
            Sign out
          </button>
        </div>
      </div>
    </header>
  );
}
