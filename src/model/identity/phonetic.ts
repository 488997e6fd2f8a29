/**
 * A NYSIIS-style phonetic key (New York State Identification and Intelligence System, 1970), written from the
 * published rules: it maps spellings that sound alike (Smith/Smyth, Knight/Night, Phillips/Filips, Schmidt/Smit) to one
 * key, and keeps the first letter. Used for blocking, where a key that survives a misspelling finds the pair at all.
 * Input is a normalized name (letters A–Z); anything else is ignored.
 */
// Y inside a name sounds as a vowel (SMYTH, LYNN); the published rules leave it alone, which splits SMITH from SMYTH.
const VOWELS = new Set(['A', 'E', 'I', 'O', 'U', 'Y']);
const isVowel = (c: string | undefined) => c !== undefined && VOWELS.has(c);

const PREFIXES: readonly [string, string][] = [['MAC', 'MCC'], ['KN', 'NN'], ['K', 'C'], ['PH', 'FF'], ['PF', 'FF'], ['SCH', 'SSS']];
const SUFFIXES: readonly [string, string][] = [['EE', 'Y'], ['IE', 'Y'], ['DT', 'D'], ['RT', 'D'], ['RD', 'D'], ['NT', 'D'], ['ND', 'D']];

/**
 * Names repeat (a few thousand cover most of a population), so keys are remembered; the memo is dropped whole when it
 * grows past a bound, which keeps it small without bookkeeping and changes no answer.
 */
const memo = new Map<string, string>();
const MEMO_LIMIT = 100_000;

export function phoneticKey(name: string): string {
  let key = memo.get(name);
  if (key === undefined) {
    if (memo.size >= MEMO_LIMIT) memo.clear();
    key = computeKey(name);
    memo.set(name, key);
  }
  return key;
}

function computeKey(name: string): string {
  let s = name.replace(/[^A-Z]/g, '');
  if (s.length === 0) return '';
  for (const [from, to] of PREFIXES) {
    if (s.startsWith(from)) {
      s = to + s.slice(from.length);
      break;
    }
  }
  for (const [from, to] of SUFFIXES) {
    if (s.length > from.length && s.endsWith(from)) {
      s = s.slice(0, -from.length) + to;
      break;
    }
  }
  const chars = s.split('');
  let key = chars[0]!;
  for (let i = 1; i < chars.length; ) {
    const c = chars[i]!;
    const next = chars[i + 1];
    let replacement: string;
    let width = 1;
    if (c === 'E' && next === 'V') {
      replacement = 'AF';
      width = 2;
    } else if (isVowel(c)) replacement = 'A';
    else if (c === 'Q') replacement = 'G';
    else if (c === 'Z') replacement = 'S';
    else if (c === 'M') replacement = 'N';
    else if (c === 'K') {
      replacement = next === 'N' ? 'N' : 'C';
      width = next === 'N' ? 2 : 1;
    } else if (c === 'S' && next === 'C' && chars[i + 2] === 'H') {
      replacement = 'SSS';
      width = 3;
    } else if (c === 'P' && next === 'H') {
      replacement = 'FF';
      width = 2;
    } else if (c === 'H' && (!isVowel(chars[i - 1]) || !isVowel(next))) replacement = chars[i - 1]!;
    else if (c === 'W' && isVowel(chars[i - 1])) replacement = chars[i - 1]!;
    else replacement = c;
    // The rules rewrite the name as they go, so later letters see the rewritten neighbours.
    for (let k = 0; k < width; k++) chars[i + k] = replacement[Math.min(k, replacement.length - 1)]!;
    for (const r of replacement) if (key[key.length - 1] !== r) key += r;
    i += width;
  }
  if (key.length > 1 && key.endsWith('S')) key = key.slice(0, -1);
  if (key.length > 2 && key.endsWith('AY')) key = `${key.slice(0, -2)}Y`;
  if (key.length > 1 && key.endsWith('A')) key = key.slice(0, -1);
  return key;
}
