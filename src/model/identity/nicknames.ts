/**
 * Common English given-name nicknames and spelling variants, one formal name per line followed by the names people
 * register under instead. A name may appear under several formal names (Chris, Alex, Sam): it then agrees with each of
 * them but the formal names do not agree with one another (Christopher is not Christina).
 */
const TABLE = `
ABIGAIL: ABBY ABBIE GAIL
ABRAHAM: ABE BRAM
ADAM: ADDIE
ADELAIDE: ADDIE ADDY HEIDI
AGNES: AGGIE NESSA
ALBERT: AL BERT BERTIE
ALEXANDER: ALEX AL SANDY XANDER ALEC LEX
ALEXANDRA: ALEX SANDRA LEXI ALEXA SANDY
ALEXIS: ALEX LEXI
ALFRED: AL ALF ALFIE FRED FREDDIE
ALICE: ALLIE ALLY ELSIE
ALLISON: ALLIE ALLY ALISON
ALVIN: AL
AMANDA: MANDY MANDA
ANDREA: ANDIE
ANDREW: ANDY DREW
ANGELA: ANGIE ANGEL
ANTHONY: TONY ANT
ANTOINETTE: TONI NETTIE
ARNOLD: ARNIE
ARTHUR: ART ARTIE
BARBARA: BARB BARBIE BABS
BARTHOLOMEW: BART
BEATRICE: BEA TRIXIE BEE
BENJAMIN: BEN BENNY BENJI
BERNARD: BERNIE BARNEY
BERNADETTE: BERNIE DETTE
BETHANY: BETH
BEVERLY: BEV
BRADLEY: BRAD
BRIDGET: BIDDY BRIDIE
CALVIN: CAL
CAMERON: CAM
CANDACE: CANDY
CAROL: CARRIE
CAROLINE: CAROL CARRIE CARLY LINA
CAROLYN: CAROL CARRIE LYNN
CASSANDRA: CASSIE SANDRA SANDY
CATHERINE: CATHY CATE KATE KATIE CAT
CHARLES: CHARLIE CHUCK CHAS CHAZ CHIP
CHARLOTTE: CHARLIE LOTTIE LOTTE CHAR
CHESTER: CHET
CHRISTIAN: CHRIS KRIS
CHRISTINA: CHRIS CHRISSY TINA KRIS
CHRISTINE: CHRIS CHRISSY TINA KRIS
CHRISTOPHER: CHRIS KIT TOPHER KRIS
CLARENCE: CLARE
CLIFFORD: CLIFF
CLINTON: CLINT
CONSTANCE: CONNIE
CORNELIUS: NEIL CORNEY
CURTIS: CURT
CYNTHIA: CINDY CYNDI
DANIEL: DAN DANNY
DANIELLE: DANI ELLIE
DAVID: DAVE DAVEY
DEBORAH: DEB DEBBIE DEBRA
DENNIS: DENNY
DIANA: DI DIANE
DOLORES: LOLA DEE
DONALD: DON DONNIE
DONNA: DONNIE
DOROTHY: DOT DOTTIE DOLLY DORA
DOUGLAS: DOUG
EDGAR: ED EDDIE
EDMUND: ED EDDIE NED
EDWARD: ED EDDIE TED TEDDY NED
EDWIN: ED EDDIE
ELEANOR: ELLIE NELL NELLIE NORA LENORE
ELIZABETH: LIZ LIZZIE BETH BETTY BETSY ELIZA LISA LIBBY BESS BESSIE ELSIE LIZA ELISABETH
ELLEN: ELLIE NELL
EMILY: EMMY EM MILLIE
EMMA: EMMY EM
ERIC: RICK
ERNEST: ERNIE
EUGENE: GENE
EVELYN: EVIE EVE
FLORENCE: FLO FLOSSIE
FRANCES: FRAN FRANNIE FRANKIE
FRANCIS: FRANK FRAN
FRANKLIN: FRANK
FREDERICK: FRED FREDDIE FRITZ RICK
GABRIEL: GABE
GABRIELLE: GABBY ELLIE
GEOFFREY: GEOFF JEFF
GEORGE: GEORGIE
GEORGIA: GEORGIE
GERALD: GERRY JERRY
GERTRUDE: GERTIE TRUDY
GILBERT: GIL BERT
GREGORY: GREG
GWENDOLYN: GWEN WENDY
HAROLD: HAL HARRY
HARRIET: HATTIE HARRIE
HENRY: HANK HARRY HAL
HERBERT: HERB BERT
HOWARD: HOWIE
ISAAC: IKE ZAC
ISABEL: IZZY BELLA BELLE ISABELLA
JACOB: JAKE JAKOB
JACQUELINE: JACKIE JACKY
JAMES: JIM JIMMY JAMIE JIMBO
JANET: JAN JANIE
JANICE: JAN
JASON: JAY
JEFFREY: JEFF
JENNIFER: JEN JENNY JENNI
JEREMIAH: JERRY
JEREMY: JERRY
JESSICA: JESS JESSIE
JOAN: JOANIE
JOHANNA: JO HANNA
JOHN: JACK JOHNNY JON JOHNNIE
JONATHAN: JON JONNY NATE
JOSEPH: JOE JOEY JO
JOSEPHINE: JO JOSIE JOEY
JOSHUA: JOSH
JUDITH: JUDY JUDE
JULIA: JULIE JULES
JULIAN: JULES
KATHERINE: KATE KATHY KATIE KAT KIT KATHRYN KATHARINE KATHLEEN
KATHLEEN: KATHY KATE KATIE
KENNETH: KEN KENNY
KIMBERLY: KIM KIMMY
LAWRENCE: LARRY LAURIE LAURENCE
LEONARD: LEN LENNY LEO
LEWIS: LOU LEW
LILLIAN: LILY LIL LILLIE
LORRAINE: LORI
LOUIS: LOU LOUIE
LOUISE: LOU LULU
LUCILLE: LUCY
LUCINDA: LUCY CINDY
MADELINE: MADDIE MADDY MADELYN
MARGARET: MAGGIE PEGGY PEG MEG MARGE MARGIE GRETA DAISY MAISIE RITA MADGE
MARIE: MARY MIA
MARILYN: MARY LYNN
MARJORIE: MARGE MARGIE
MARTHA: MARTY MATTIE PATTY
MARTIN: MARTY
MARY: MOLLY POLLY MAMIE MAE MAY MARIE MARIA
MATILDA: TILLY MATTIE
MATTHEW: MATT MATTY
MAXIMILIAN: MAX
MAXWELL: MAX
MELISSA: MISSY MEL LISSA
MICHAEL: MIKE MICKEY MICK MIKEY MITCH
MICHELLE: SHELLY MICHELE
MILDRED: MILLIE
MITCHELL: MITCH
NANCY: NAN
NATHAN: NATE
NATHANIEL: NATE NAT NATHAN
NICHOLAS: NICK NICKY COLE
NICOLE: NIKKI NICKY COLE
NORMAN: NORM
OLIVER: OLLIE
OLIVIA: LIV LIVIE OLLIE
PAMELA: PAM
PATRICIA: PAT PATTY TRISH TRICIA PATSY TISH
PATRICK: PAT PADDY RICK
PENELOPE: PENNY
PETER: PETE
PHILIP: PHIL PHILLIP
PRISCILLA: CILLA PRISSY
RACHEL: RAE
RANDALL: RANDY
RAYMOND: RAY
REBECCA: BECKY BECCA REBA
REGINALD: REG REGGIE
RICHARD: RICK RICKY DICK RICH RICHIE
ROBERT: BOB BOBBY ROB ROBBIE BERT
ROBERTA: BOBBIE ROBBIE BERTIE
RODNEY: ROD
ROGER: ROG
RONALD: RON RONNIE
ROSALIND: ROZ ROSIE
ROSE: ROSIE
ROSEMARY: ROSIE ROSE
RUSSELL: RUSS
SALLY: SAL
SAMANTHA: SAM SAMMY
SAMUEL: SAM SAMMY
SANDRA: SANDY
SARAH: SALLY SADIE SARA
SOPHIA: SOPHIE SOFIA
STANLEY: STAN
STEPHANIE: STEPH STEVIE
STEPHEN: STEVE STEVIE STEVEN
STEVEN: STEVE STEVIE
STUART: STU
SUSAN: SUE SUSIE SUZY SUZANNE
SUZANNE: SUE SUSIE SUZY
SYLVESTER: SLY
TABITHA: TABBY
TERESA: TERRY TESS TESSA TERI THERESA
THADDEUS: TAD
THEODORE: TED TEDDY THEO
THOMAS: TOM TOMMY
TIMOTHY: TIM TIMMY
TOBIAS: TOBY
VALERIE: VAL
VERONICA: RONNIE VERA
VICTOR: VIC
VICTORIA: VICKY VICKIE TORI
VINCENT: VINCE VINNY
VIRGINIA: GINNY GINGER
WALTER: WALT WALLY
WENDELL: DELL
WILLIAM: BILL BILLY WILL WILLY WILLIE LIAM
WINIFRED: WINNIE FREDA
ZACHARY: ZACH ZACK ZAK
`;

/** For every known name, the formal names it stands for (a formal name stands for itself). */
const GROUPS: ReadonlyMap<string, readonly string[]> = (() => {
  const groups = new Map<string, string[]>();
  const add = (name: string, formal: string) => {
    const list = groups.get(name) ?? [];
    if (!list.includes(formal)) list.push(formal);
    groups.set(name, list);
  };
  for (const line of TABLE.trim().split('\n')) {
    const [formal, rest] = line.split(':') as [string, string];
    add(formal, formal);
    for (const nick of rest.trim().split(/\s+/)) add(nick, formal);
  }
  return groups;
})();

const NONE: readonly string[] = [];

/** Each known name of four letters or more under every one-letter deletion of it: a misspelled nickname (JENNIER,
 * HRISTINA) is one deletion, insertion or substitution away from a known name, and then shares a deleted form. */
const BY_DELETION: ReadonlyMap<string, readonly string[]> = (() => {
  const index = new Map<string, string[]>();
  const add = (form: string, name: string) => {
    const list = index.get(form) ?? [];
    if (!list.includes(name)) list.push(name);
    index.set(form, list);
  };
  for (const name of GROUPS.keys()) {
    if (name.length < 4) continue;
    add(name, name);
    for (let i = 0; i < name.length; i++) add(name.slice(0, i) + name.slice(i + 1), name);
  }
  return index;
})();

function withinOneEdit(a: string, b: string): boolean {
  if (Math.abs(a.length - b.length) > 1) return false;
  let i = 0;
  while (i < a.length && i < b.length && a[i] === b[i]) i++;
  if (a.length === b.length) {
    if (a.slice(i + 1) === b.slice(i + 1)) return true;
    return a[i] === b[i + 1] && a[i + 1] === b[i] && a.slice(i + 2) === b.slice(i + 2);
  }
  return a.length > b.length ? a.slice(i + 1) === b.slice(i) : a.slice(i) === b.slice(i + 1);
}

/** The formal names a normalized given name may stand for; empty for names the table does not know. */
export function nicknameGroups(name: string): readonly string[] {
  return GROUPS.get(name) ?? NONE;
}

/**
 * The formal names of a name the table does not know but that is one typing slip from names it does (JENNIER →
 * JENNIFER); for a known name, its own groups. Short names are left alone: one slip turns TOM into TIM.
 */
const nearMemo = new Map<string, readonly string[]>();

export function nearNicknameGroups(name: string): readonly string[] {
  const known = GROUPS.get(name);
  if (known) return known;
  if (name.length < 4) return NONE;
  let groups = nearMemo.get(name);
  if (groups === undefined) {
    // Bounded like the phonetic memo: dropped whole past 100,000 names.
    if (nearMemo.size >= 100_000) nearMemo.clear();
    groups = findNearGroups(name);
    nearMemo.set(name, groups);
  }
  return groups;
}

function findNearGroups(name: string): readonly string[] {
  const near = new Set<string>();
  const forms = [name];
  for (let i = 0; i < name.length; i++) forms.push(name.slice(0, i) + name.slice(i + 1));
  for (const form of forms) {
    for (const candidate of BY_DELETION.get(form) ?? NONE) {
      if (withinOneEdit(name, candidate)) for (const g of GROUPS.get(candidate)!) near.add(g);
    }
  }
  return near.size > 0 ? [...near] : NONE;
}

/** Nicknames of a formal name (for generating test data): every name whose groups include it, itself excluded. */
export function nicknamesOf(formal: string): string[] {
  const out: string[] = [];
  for (const [name, groups] of GROUPS) if (name !== formal && groups.includes(formal)) out.push(name);
  return out;
}

/** True when the two names can stand for the same formal name: Bill and William, Bill and Will, Liz and Beth. */
export function sameNicknameGroup(a: readonly string[], b: readonly string[]): boolean {
  for (const x of a) if (b.includes(x)) return true;
  return false;
}

/** How many name → formal name pairs the table holds (reported by tests, so a shrinking table is noticed). */
export function nicknamePairCount(): number {
  let n = 0;
  for (const [name, groups] of GROUPS) for (const g of groups) if (g !== name) n++;
  return n;
}
