import { roleName } from '../text/words.ts';

/** A person's roles as tags, in their readable names; the caller says what an empty list means where it stands. */
export function RoleTags({ roles }: { roles: readonly string[] }) {
  return (
    <ul className="tags">
      {roles.map((role) => (
        <li key={role} className="tag">
          {roleName(role)}
        </li>
      ))}
    </ul>
  );
}
