/**
 * Admins' changes to an agent's trust: set a scope's level (promote, demote, grant), revoke every
 * scope, freeze and unfreeze. Each asks for a reason and a confirmation; the server audits it.
 */

import { type ReactNode, useId, useState } from 'react';
import type { ApiClient } from '../api/client.ts';
import type { ScopeTrust } from '../api/trust-types.ts';
import { ConfirmDialog } from '../components/confirm-dialog.tsx';
import { levelName } from '../lib/format.ts';

export type AdminIntent =
  | { readonly kind: 'level'; readonly scope: ScopeTrust; readonly to: number }
  | { readonly kind: 'grant' }
  | { readonly kind: 'revoke' }
  | { readonly kind: 'freeze' }
  | { readonly kind: 'unfreeze' };

export function ScopeAdmin({
  scope,
  onIntent,
}: {
  scope: ScopeTrust;
  onIntent: (intent: AdminIntent) => void;
}) {
  return (
    <div className="admin-row" data-testid="scope-admin">
      {scope.level < 3 && (
        <button
          type="button"
          className="button button-small"
          onClick={() => onIntent({ kind: 'level', scope, to: scope.level + 1 })}
          data-testid="promote-button"
        >
          Promote to {scope.level + 1}
        </button>
      )}
      {scope.level > 0 && (
        <button
          type="button"
          className="button button-small"
          onClick={() => onIntent({ kind: 'level', scope, to: scope.level - 1 })}
          data-testid="demote-button"
        >
          Demote to {scope.level - 1}
        </button>
      )}
    </div>
  );
}

export function AgentAdminBar({
  frozen,
  onIntent,
}: {
  frozen: boolean;
  onIntent: (intent: AdminIntent) => void;
}) {
  return (
    <div className="admin-bar" data-testid="agent-admin">
      <span className="admin-label">Admin</span>
      <button
        type="button"
        className="button button-small"
        onClick={() => onIntent({ kind: 'grant' })}
        data-testid="grant-button"
      >
        Set a scope’s level…
      </button>
      {frozen ? (
        <button
          type="button"
          className="button button-small"
          onClick={() => onIntent({ kind: 'unfreeze' })}
          data-testid="unfreeze-button"
        >
          Unfreeze
        </button>
      ) : (
        <button
          type="button"
          className="button button-small button-danger-outline"
          onClick={() => onIntent({ kind: 'freeze' })}
          data-testid="freeze-button"
        >
          Freeze
        </button>
      )}
      <button
        type="button"
        className="button button-small button-danger-outline"
        onClick={() => onIntent({ kind: 'revoke' })}
        data-testid="revoke-button"
      >
        Revoke all trust
      </button>
    </div>
  );
}

/** The dialog for one intent; `onDone` gets a sentence saying what changed. */
export function AdminDialog(props: {
  agent: string;
  intent: AdminIntent | null;
  api: ApiClient;
  onClose: () => void;
  onDone: (message: string) => void;
}) {
  const { agent, intent, api, onClose, onDone } = props;
  const id = useId();
  const [override, setOverride] = useState(false);
  const [grantScope, setGrantScope] = useState('');
  const [grantLevel, setGrantLevel] = useState(1);
  const open = intent !== null;
  const kind = intent?.kind ?? 'grant';

  const overrideBox = (
    <div className="check">
      <input
        id={`${id}-override`}
        type="checkbox"
        checked={override}
        onChange={(e) => setOverride(e.target.checked)}
        data-testid="override-checkbox"
      />
      <label htmlFor={`${id}-override`}>
        Override: raise although the promotion criteria are not met (recorded as an override)
      </label>
    </div>
  );

  const close = () => {
    setOverride(false);
    onClose();
  };

  let title = '';
  let confirmLabel = 'Confirm';
  let danger = false;
  let body: ReactNode = null;
  let run: (reason: string) => Promise<string> = async () => '';
  if (intent?.kind === 'level') {
    const { scope, to } = intent;
    const up = to > scope.level;
    title = `${up ? 'Promote' : 'Demote'} ${agent} on ${scope.scope}?`;
    confirmLabel = `${up ? 'Promote' : 'Demote'} to ${to}`;
    danger = !up;
    body = (
      <>
        <p>
          From level {scope.level} ({levelName(scope.level)}) to level {to} ({levelName(to)}).
        </p>
        {up && scope.next !== null && !scope.next.qualifies && (
          <>
            <p className="notice notice-warn small">
              The evidence does not meet the criteria for level {scope.next.to}:{' '}
              {scope.next.criteria
                .filter((c) => !c.passed)
                .map((c) => c.message)
                .join('; ')}
              .
            </p>
            {overrideBox}
          </>
        )}
      </>
    );
    run = async (reason) => {
      const r = await api.setTrust(agent, {
        scope: scope.scope,
        level: to,
        reason,
        ...(override ? { override: true } : {}),
      });
      return `${agent} ${r.scope}: level ${r.from} → ${r.to}${r.promotion?.override === true ? ' (override recorded)' : ''}.`;
    };
  } else if (intent?.kind === 'grant') {
    title = `Set a level for ${agent}`;
    confirmLabel = 'Set level';
    body = (
      <>
        <label className="label" htmlFor={`${id}-scope`}>
          Scope (type pattern@environment)
        </label>
        <input
          id={`${id}-scope`}
          className="input mono"
          placeholder="service.restart@staging"
          value={grantScope}
          onChange={(e) => setGrantScope(e.target.value)}
          required
          data-testid="grant-scope"
        />
        <label className="label" htmlFor={`${id}-level`}>
          Level
        </label>
        <select
          id={`${id}-level`}
          className="input"
          value={grantLevel}
          onChange={(e) => setGrantLevel(Number(e.target.value))}
          data-testid="grant-level"
        >
          {[0, 1, 2, 3].map((l) => (
            <option key={l} value={l}>
              {l} — {levelName(l)}
            </option>
          ))}
        </select>
        {overrideBox}
      </>
    );
    run = async (reason) => {
      const r = await api.setTrust(agent, {
        scope: grantScope.trim(),
        level: grantLevel,
        reason,
        ...(override ? { override: true } : {}),
      });
      return `${agent} ${r.scope}: level ${r.from} → ${r.to}.`;
    };
  } else if (intent?.kind === 'revoke') {
    title = `Revoke all trust of ${agent}?`;
    confirmLabel = 'Revoke';
    danger = true;
    body = <p>Every scope drops to level 0 (advisory) at once and the agent is frozen.</p>;
    run = async (reason) => {
      await api.revokeTrust(agent, reason);
      return `${agent}: every scope set to level 0, and the agent frozen.`;
    };
  } else if (intent?.kind === 'freeze') {
    title = `Freeze ${agent}?`;
    confirmLabel = 'Freeze';
    danger = true;
    body = <p>Autonomous execution halts at once: what would have executed alone goes to people instead.</p>;
    run = async (reason) => {
      await api.freeze(agent, reason);
      return `${agent} is frozen.`;
    };
  } else if (intent?.kind === 'unfreeze') {
    title = `Unfreeze ${agent}?`;
    confirmLabel = 'Unfreeze';
    body = <p>The agent may act alone again where its levels allow.</p>;
    run = async (reason) => {
      await api.unfreeze(agent, reason);
      return `${agent} is no longer frozen.`;
    };
  }

  return (
    <ConfirmDialog
      open={open}
      title={title}
      confirmLabel={confirmLabel}
      danger={danger}
      reasonRequired={kind !== 'unfreeze'}
      reasonMinLength={kind === 'freeze' ? 3 : kind === 'unfreeze' ? 0 : 1}
      onConfirm={async (reason) => onDone(await run(reason))}
      onClose={close}
      testId="admin-dialog"
    >
      {body}
    </ConfirmDialog>
  );
}
