/** Which page a path shows; focus moves to the page when the path changes, for keyboard and screen readers. */

import { useEffect, useRef } from 'react';
import { matchPath, useLocation } from './lib/router.tsx';
import { ActionPage } from './pages/action-page.tsx';
import { ActionsPage } from './pages/actions-page.tsx';
import { AgentPage } from './pages/agent-page.tsx';
import { AgentsPage } from './pages/agents-page.tsx';
import { AuditPage } from './pages/audit-page.tsx';
import { InboxPage } from './pages/inbox-page.tsx';
import { NotFound } from './pages/not-found.tsx';
import { PoliciesPage } from './pages/policies-page.tsx';

function page(pathname: string) {
  if (pathname === '/' || pathname === '/inbox') return <InboxPage />;
  if (pathname === '/actions') return <ActionsPage />;
  const action = matchPath('/actions/:id', pathname);
  if (action !== null) return <ActionPage id={action.id ?? ''} key={action.id} />;
  if (pathname === '/agents') return <AgentsPage />;
  const agent = matchPath('/agents/:id', pathname);
  if (agent !== null) return <AgentPage id={agent.id ?? ''} key={agent.id} />;
  if (pathname === '/policies') return <PoliciesPage />;
  if (pathname === '/audit') return <AuditPage />;
  return <NotFound />;
}

export function Routes() {
  const { pathname } = useLocation();
  const main = useRef<HTMLElement>(null);
  const shown = useRef(pathname);

  useEffect(() => {
    if (shown.current === pathname) return;
    shown.current = pathname;
    main.current?.focus({ preventScroll: true });
  }, [pathname]);

  return (
    <main id="main" ref={main} tabIndex={-1} className="main">
      {page(pathname)}
    </main>
  );
}
