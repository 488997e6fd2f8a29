import type { CareTeam, Facility, Organization, Page, Person } from '../../api/types.ts';
import { useApi } from '../../hooks/use-api.ts';

/** Directory lists the admin screens share. One page of up to 200 is read; a longer list says so. */
export const LIST_LIMIT = 200;

export function usePeople(filter = '') {
  return useApi<Page<Person>>(`/api/admin/people?limit=${LIST_LIMIT}${filter}`);
}

export function useFacilities() {
  return useApi<Page<Facility>>(`/api/admin/facilities?limit=${LIST_LIMIT}`);
}

export function useOrganizations() {
  return useApi<Page<Organization>>(`/api/admin/organizations?limit=${LIST_LIMIT}`);
}

export function useRoles() {
  return useApi<{ roles: string[] }>('/api/admin/roles');
}

export function useCareTeams(filter = '') {
  return useApi<Page<CareTeam>>(`/api/admin/care-teams?limit=${LIST_LIMIT}${filter}`);
}

export function facilityName(facilities: Facility[] | undefined, id: string): string {
  const f = facilities?.find((x) => x.id === id);
  return f ? `${f.name} (${f.code})` : 'Unknown facility';
}

export function personName(people: Person[] | undefined, id: string): string {
  const p = people?.find((x) => x.id === id);
  return p ? `${p.displayName} (${p.username})` : `Person ${id.slice(0, 8)}…`;
}

/** Roles that look after patients (can be covered) and roles that can cover, as the directory enforces them. */
export const CARE_ROLES = ['physician', 'nurse'];
export const COVERING_ROLES = ['physician', 'nurse', 'covering-clinician'];
