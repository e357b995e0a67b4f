/**
 * "Access": who may open a page or run a query — Anyone, Signed-in users, or Users with a
 * role (their names typed in "Roles"). The server enforces it (docs/security.md, "Protected
 * apps"); a choice the app cannot have yet (no sign-in set up) is refused with the reason,
 * shown under the field.
 */

import { useState } from 'preact/hooks';
import { accessOf, parseRoles, type AccessDoc } from '../doc/access.ts';

export function AccessField({ id, value, onChange }: { id: string; value: unknown; onChange: (access: AccessDoc) => void }) {
  const access = accessOf(value);
  
  const [rolesText, setRolesText] = useState(typeof access === 'object' ? access.roles.join(', ') : '');
  const [problem, setProblem] = useState<string | null>(null);
  // "Users with a role" chosen, no role named yet.
  const [pendingRoles, setPendingRoles] = useState(false);
  const attempt = (next: AccessDoc): void => {
    try {
      onChange(next);
      setProblem(null);
    } catch (e) {
      setProblem(e instanceof Error ? e.message : String(e));
    }
  };
  const kind = typeof access === 'object' || pendingRoles ? 'roles' : access;
  const problemId = `${id}-problem`;
  return (
    <div class="ed-qfield ed-access">
      <label for={id}>Access</label>
      <select
        id={id}
        value={kind}
        aria-describedby={problem ? problemId : undefined}
        onChange={(e) => {
          const k = e.currentTarget.value;
          if (k === 'roles') {
            const roles = parseRoles(rolesText);
            if (roles.length === 0) {
              setProblem('Type the roles that may, then leave the field.');
              setRolesText('');
              // The choice shows the Roles field; nothing is saved until a role is named.
              setPendingRoles(true);
              return;
            }
            attempt({ roles });
          } else attempt(k as AccessDoc);
          setPendingRoles(false);
        }}
      >
        <option value="public">Anyone</option>
        <option value="signedIn">Signed-in users</option>
        <option value="roles">Users with a role</option>
      </select>
      {kind === 'roles' && (
        <>
          <label for={`${id}-roles`}>Roles</label>
          <input
            id={`${id}-roles`}
            value={rolesText}
            placeholder="admin, editor"
            onInput={(e) => setRolesText(e.currentTarget.value)}
            onBlur={() => {
              const roles = parseRoles(rolesText);
              if (roles.length > 0) {
                attempt({ roles });
                setPendingRoles(false);
              }
            }}
            onKeyDown={(e) => {
              if (e.key === 'Enter') e.currentTarget.blur();
            }}
          />
        </>
      )}
      {problem && (
        <p id={problemId} class="ed-error ed-small" role="alert">
          {problem}
        </p>
      )}
    </div>
  );
}
