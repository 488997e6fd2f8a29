/**
 * Name and place tables for the synthetic identity set, most frequent first (roughly the order of US census and
 * birth-registry tables); the generator draws from them with a falling weight by rank, and adds a tail of rarer
 * surnames built from syllables, so that common names collide about as often as they do in a real population.
 */
const words = (text: string): string[] => text.trim().split(/\s+/);

export const MALE_GIVEN = words(`
James John Robert Michael William David Richard Joseph Thomas Charles Christopher Daniel Matthew Anthony Mark Donald
Steven Paul Andrew Joshua Kenneth Kevin Brian George Timothy Ronald Edward Jason Jeffrey Ryan Jacob Gary Nicholas Eric
Jonathan Stephen Larry Justin Scott Brandon Benjamin Samuel Gregory Alexander Frank Patrick Raymond Jack Dennis Jerry
Tyler Aaron Jose Adam Nathan Henry Douglas Zachary Peter Kyle Ethan Walter Noah Jeremy Christian Keith Roger Terry
Gerald Harold Sean Austin Carl Arthur Lawrence Dylan Jesse Jordan Bryan Billy Joe Bruce Gabriel Logan Albert Willie
Alan Juan Wayne Elijah Randy Roy Vincent Ralph Eugene Russell Bobby Mason Philip Louis Harry Howard Fred Ernest Martin
Craig Stanley Shawn Travis Leonard Earl Jimmy Francis Dale Luis Carlos Victor Todd Curtis Clarence Allen Theodore
Mitchell Bernard Chester Calvin Isaac Oliver Luke Owen Caleb Hunter Liam Lucas Julian Miguel Ivan Omar Hector Rafael
Marcus Derek Troy Darius Malik Tariq Hiroshi Wei Raj Arjun Dmitri Mateo Diego Andre Xavier Warren Lloyd Clifford
Norman Marvin Glenn Leon Milton Dwight Rodney Neil Reginald Franklin Edwin Herbert Stuart Gilbert Cornelius Wendell
`);

export const FEMALE_GIVEN = words(`
Mary Patricia Jennifer Linda Elizabeth Barbara Susan Jessica Sarah Karen Lisa Nancy Betty Margaret Sandra Ashley
Kimberly Emily Donna Michelle Carol Amanda Dorothy Melissa Deborah Stephanie Rebecca Sharon Laura Cynthia Kathleen Amy
Angela Shirley Anna Brenda Pamela Emma Nicole Helen Samantha Katherine Christine Debra Rachel Carolyn Janet Catherine
Maria Heather Diane Ruth Julie Olivia Joyce Virginia Victoria Kelly Lauren Christina Joan Evelyn Judith Megan Andrea
Cheryl Hannah Jacqueline Martha Gloria Teresa Ann Sara Madison Frances Kathryn Janice Jean Abigail Alice Judy Sophia
Grace Denise Amber Doris Marilyn Danielle Beverly Isabella Theresa Diana Natalie Brittany Charlotte Marie Kayla
Alexis Lori Ava Rose Eleanor Lillian Harriet Florence Gertrude Mildred Agnes Edith Ethel Irene Josephine Louise Lucille
Constance Priscilla Gwendolyn Bernadette Dolores Lorraine Rosemary Matilda Penelope Valerie Veronica Tabitha Suzanne
Johanna Isabel Madeline Gabrielle Stephanie Camila Lucia Ximena Mei Yuki Priya Aisha Fatima Ngozi Leilani Ingrid Astrid
Colleen Maureen Bridget Siobhan Tamara Wanda Yvonne Bonnie Peggy Tracy Dawn Erin Jill Holly Stacy Wendy Paula Renee
`);

export const FAMILY = words(`
Smith Johnson Williams Brown Jones Garcia Miller Davis Rodriguez Martinez Hernandez Lopez Gonzalez Wilson Anderson Thomas
Taylor Moore Jackson Martin Lee Perez Thompson White Harris Sanchez Clark Ramirez Lewis Robinson Walker Young Allen King
Wright Scott Torres Nguyen Hill Flores Green Adams Nelson Baker Hall Rivera Campbell Mitchell Carter Roberts Gomez
Phillips Evans Turner Diaz Parker Cruz Edwards Collins Reyes Stewart Morris Morales Murphy Cook Rogers Gutierrez Ortiz
Morgan Cooper Peterson Bailey Reed Kelly Howard Ramos Kim Cox Ward Richardson Watson Brooks Chavez Wood James Bennett
Gray Mendoza Ruiz Hughes Price Alvarez Castillo Sanders Patel Myers Long Ross Foster Jimenez Powell Jenkins Perry
Russell Sullivan Bell Coleman Butler Henderson Barnes Gonzales Fisher Vasquez Simmons Romero Jordan Patterson Alexander
Hamilton Graham Reynolds Griffin Wallace Moreno West Cole Hayes Bryant Herrera Gibson Ellis Tran Medina Aguilar Stevens
Murray Ford Castro Marshall Owens Harrison Fernandez McDonald Woods Washington Kennedy Wells Vargas Henry Chen Freeman
Webb Tucker Guzman Burns Crawford Olson Simpson Porter Hunter Gordon Mendez Silva Shaw Snyder Mason Dixon Munoz Hunt
Hicks Holmes Palmer Wagner Black Robertson Boyd Rose Stone Salazar Fox Warren Mills Meyer Rice Schmidt Garza Daniels
Ferguson Nichols Stephens Soto Weaver Ryan Gardner Payne Grant Dunn Kelley Spencer Hawkins Arnold Pierce Vazquez Hansen
Peters Santos Hart Bradley Knight Elliott Cunningham Duncan Armstrong Hudson Carroll Lane Riley Andrews Alvarado Ray
Delgado Berry Perkins Hoffman Johnston Matthews Pena Richards Contreras Willis Carpenter Lawrence Sandoval Guerrero
George Chapman Rios Estrada Ortega Watkins Greene Nunez Wheeler Valdez Harper Burke Larson Santiago Maldonado Morrison
Franklin Carlson Austin Dominguez Carr Lawson Jacobs OBrien Lynch Singh Vega Bishop Montgomery Oliver Jensen Harvey
Williamson Gilbert Dean Sims Espinoza Howell Li Wong Reid Hanson Le McCoy Garrett Burton Fuller Wang Weber Welch Rojas
Lucas Marquez Fields Park Yang Little Banks Padilla Day Walsh Bowman Schultz Luna Fowler Mejia Davidson Acosta Brewer
May Holland Juarez Newman Pearson Curtis Cortez Douglas Schneider Joseph Barrett Navarro Figueroa Keller Avila Wade
Molina Stanley Hopkins Campos Barnett Bates Chambers Caldwell Beck Lambert Miranda Byrd Craig Ayala Lowe Frazier Powers
Neal Leonard Gregory Carrillo Sutton Fleming Rhodes Shelton Schwartz Norris Jennings Watts Duran Walters Cohen McDaniel
Moran Parks Steele Vaughn Becker Holt DeLeon Barker Terry Hale Leon Hail Benson Haynes Horton Miles Lyons Pham Graves
Bush Thornton Wolfe Warner Cabrera McKinney Mann Zimmerman Dawson Lara Fletcher Page McCarthy Love Robles Cervantes
Solis Erickson Reeves Chang Klein Salinas Fuentes Baldwin Daniel Simon Velasquez Hardy Higgins Aguirre Lin Cummings
Chandler Sharp Barber Bowen Ochoa Dennis Robbins Liu Ramsey Francis Griffith Paul Blair OConnor Cardenas Pacheco Cross
Calderon Quinn Moss Swanson Chan Rivas Khan Rodgers Serrano Fitzgerald Rosales Stevenson Christensen Manning Gill
Curry McLaughlin Harmon McGee Gross Doyle Garner Newton Burgess Reese Walton Blake Trujillo Adkins Brady Goodman Roman
`);

/** Syllables for the tail of rarer surnames (about a third of a real population carries a surname outside any top-1000). */
export const SURNAME_PARTS = {
  head: words(`Ab Al Am An Ar Ash Bal Bar Bel Ben Ber Bl Bor Br Bran Brock Cal Car Cas Ch Cl Cor Cr Dal Dar Del Dr Dun El
    Em Er Es Fal Far Fen Fl Fr Gal Gar Gl Gr Hal Har Hel Her Hol Hor Ing Jar Kal Kar Kel Ken Kr Lam Lar Len Lind Mal Mar
    Mel Mer Mor Nor Ost Pal Par Pel Pr Quin Ral Ren Ros Sal Sch Sel Sh Sk St Str Tal Tar Ther Thorn Tr Val Van Vel Wal
    War Wen Whit Wil Win Yar Zel`),
  middle: words(`a e i o u ar er in on en el an ow ey ai ea ie ou`),
  tail: words(`berg burn by dale den don dorf er ett ey field ford gard ham hart holm ick ing kin land ley low man mond
    more ner nett ney off ova ridge rick sen shaw ski son stad ston stein strom ter ton vich wick win wood worth`),
};

export const STREETS = words(`
Main Oak Pine Maple Cedar Elm Washington Lake Hill Park Walnut Spring North Ridge Church Willow Mill Sunset Railroad
Jackson Cherry Highland Franklin Jefferson Lincoln Madison Meadow Forest River Chestnut Center Adams Dogwood Hickory
Laurel Magnolia Poplar Sycamore Birch Spruce Aspen Valley Prospect Union Broad Market Water Bridge School Orchard
Summit Fairview Greenwood Lakeview Riverside Woodland Cottage Harbor Liberty Grove Heritage Canyon Brookside Colonial
`);

/** Street types: the long form a clerk types and the abbreviation another source uses. */
export const STREET_TYPES: readonly [string, string][] = [
  ['Street', 'St'], ['Avenue', 'Ave'], ['Road', 'Rd'], ['Drive', 'Dr'], ['Lane', 'Ln'], ['Court', 'Ct'],
  ['Boulevard', 'Blvd'], ['Place', 'Pl'], ['Way', 'Way'], ['Circle', 'Cir'], ['Terrace', 'Ter'],
];

/** Cities with the first three digits of their postal codes and their telephone area codes. */
export const CITIES: readonly { name: string; zip3: string; area: string[] }[] = [
  { name: 'Springfield', zip3: '627', area: ['217', '447'] },
  { name: 'Riverton', zip3: '824', area: ['307'] },
  { name: 'Fairview', zip3: '730', area: ['405', '572'] },
  { name: 'Greenville', zip3: '296', area: ['864'] },
  { name: 'Franklin', zip3: '370', area: ['615', '629'] },
  { name: 'Clinton', zip3: '527', area: ['563'] },
  { name: 'Madison', zip3: '537', area: ['608'] },
  { name: 'Georgetown', zip3: '786', area: ['512', '737'] },
  { name: 'Salem', zip3: '973', area: ['503', '971'] },
  { name: 'Arlington', zip3: '760', area: ['817', '682'] },
  { name: 'Ashland', zip3: '411', area: ['606'] },
  { name: 'Burlington', zip3: '054', area: ['802'] },
  { name: 'Dover', zip3: '199', area: ['302'] },
  { name: 'Milton', zip3: '021', area: ['617', '857'] },
  { name: 'Newport', zip3: '028', area: ['401'] },
  { name: 'Oxford', zip3: '386', area: ['662'] },
  { name: 'Kingston', zip3: '124', area: ['845'] },
  { name: 'Lexington', zip3: '405', area: ['859'] },
  { name: 'Marion', zip3: '433', area: ['740', '220'] },
  { name: 'Jackson', zip3: '392', area: ['601', '769'] },
  { name: 'Chester', zip3: '190', area: ['610', '484'] },
  { name: 'Hudson', zip3: '440', area: ['330', '234'] },
  { name: 'Monroe', zip3: '712', area: ['318'] },
  { name: 'Plymouth', zip3: '023', area: ['508', '774'] },
];
