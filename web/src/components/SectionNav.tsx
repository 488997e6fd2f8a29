import { NavLink } from 'react-router';

export interface SectionLink {
  to: string;
  label: string;
  end?: boolean;
}

/** The tabs of one area (Privacy, Admin); links the person's permissions would not open are not passed in. */
export function SectionNav({ label, links }: { label: string; links: SectionLink[] }) {
  return (
    <nav className="subnav" aria-label={label}>
      {links.map((link) => (
        <NavLink key={link.to} to={link.to} end={link.end ?? false} className={({ isActive }) => (isActive ? 'subnav__link subnav__link--active' : 'subnav__link')}>
          {link.label}
        </NavLink>
      ))}
    </nav>
  );
}
