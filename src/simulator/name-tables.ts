/**
 * Name and place tables for synthetic patients. Names are combined at random from common given names and surnames of
 * many origins; no entry or combination describes a real person. Places are invented; phone numbers use the 555-01xx
 * range reserved for fiction.
 */
export const FEMALE_GIVEN = [
  'Abigail', 'Adaeze', 'Alma', 'Amara', 'Beatriz', 'Bridget', 'Camille', 'Dolores', 'Elena', 'Elizabeth', 'Esther', 'Farah',
  'Fiona', 'Gwendolyn', 'Hana', 'Imogen', 'Ingrid', 'Jennifer', 'Josephine', 'Katherine', 'Leilani', 'Lucinda', 'Margaret',
  'Mei', 'Nadia', 'Noor', 'Olivia', 'Patricia', 'Priya', 'Renée', 'Rebecca', 'Rosalind', 'Samantha', 'Sofia', 'Susan',
  'Thandiwe', 'Valentina', 'Victoria', 'Yasmin', 'Zoë',
] as const;

export const MALE_GIVEN = [
  'Abdul', 'Alexander', 'Andrés', 'Anthony', 'Bartholomew', 'Benedict', 'Callum', 'Christopher', 'Cormac', 'Daniel', 'Dmitri',
  'Edmund', 'Emeka', 'Felix', 'Gareth', 'Hamish', 'Hiroshi', 'Ignatius', 'James', 'Joseph', 'Kwame', 'Leopold', 'Lorenzo',
  'Malcolm', 'Mateo', 'Michael', 'Nikhil', 'Oswald', 'Percival', 'Rafael', 'Richard', 'Robert', 'Santiago', 'Stellan',
  'Thaddeus', 'Thomas', 'Tobias', 'Wendell', 'William', 'Yusuf',
] as const;

/** What another department's system calls the same person. */
export const NICKNAMES: Readonly<Record<string, string>> = {
  Elizabeth: 'Liz', Jennifer: 'Jen', Katherine: 'Kate', Margaret: 'Peggy', Patricia: 'Pat', Rebecca: 'Becky', Samantha: 'Sam',
  Susan: 'Sue', Victoria: 'Vicky', Josephine: 'Jo', Alexander: 'Alex', Anthony: 'Tony', Christopher: 'Chris', Daniel: 'Dan',
  James: 'Jim', Joseph: 'Joe', Michael: 'Mike', Richard: 'Rick', Robert: 'Bob', Thomas: 'Tom', William: 'Bill',
  Bartholomew: 'Bart', Benedict: 'Ben', Edmund: 'Ed', Percival: 'Percy', Leopold: 'Leo',
};

export const FAMILY = [
  'Abernathy', 'Achebe', 'Alcott', 'Baptiste', 'Brannigan', 'Castellanos', 'Chowdhury', 'Delacroix', 'Dunleavy', 'Eriksen',
  'Fairweather', 'Fitzgerald', 'Gallagher', 'Gonzaga', 'Haverford', 'Huang', 'Ibarra', 'Jankowski', 'Kowalczyk', 'Lindqvist',
  'Llewellyn', 'MacAllister', 'Marchetti', 'Mwangi', 'Nakamura', 'Nwosu', "O'Donnell", 'Okafor', 'Oyelaran', 'Pemberton',
  'Petrakis', 'Quintero', 'Radcliffe', 'Ramanathan', 'Rosenthal', 'Sandoval', 'Schreiber', 'Sørensen', 'Tanaka',
  'Thistlewood', 'Underhill', 'Valdés', 'Vasquez', 'Wainwright', 'Whitcombe', 'Yilmaz', 'Zielinski', 'Núñez', 'Van der Berg',
  'St. Claire',
] as const;

export const STREETS = ['Maple', 'Juniper', 'Alder', 'Foundry', 'Harbor', 'Orchard', 'Quarry', 'Tanner', 'Linden', 'Chapel', 'Mill Pond', 'Beacon'] as const;
export const STREET_KINDS = ['St', 'Ave', 'Rd', 'Ln', 'Ct', 'Way'] as const;
export const CITIES = [
  { city: 'Northbridge', zip: '01990' },
  { city: 'Easton Falls', zip: '01993' },
  { city: 'Southport', zip: '01995' },
  { city: 'Wrenfield', zip: '01997' },
  { city: 'Marlow Heights', zip: '01998' },
  { city: 'Kestrel Bay', zip: '01999' },
] as const;
export const AREA_CODES = ['201', '312', '413', '617', '774', '857'] as const;

/** Clinicians as they appear in PV1-7 and ORC-12: an id and a name that is plainly not a person's. */
export const ATTENDING = ['D1001^Attending^Alpha', 'D1002^Attending^Bravo', 'D1003^Attending^Charlie', 'D1004^Attending^Delta'] as const;
export const WARDS = ['4WEST', '5EAST', 'ICU', 'CARD'] as const;
