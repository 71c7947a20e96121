// Serbian Latin → Cyrillic, letter by letter (lj, nj, dž are one letter each): the same rules as
// tools/translations/latin-to-cyrillic.py, which writes the API's Cyrillic refusal texts. Kept as they are: {holes},
// 'quoted values', and code words — anything with an underscore, digit, '@', or a capital after its first letter (personId, ETag, API,
// RN-2026-…), and the codes below. Unlike there, '/' splits words: the client says "dao/la", not paths.
const pairs = [['Lj', 'Љ'], ['LJ', 'Љ'], ['lj', 'љ'], ['Nj', 'Њ'], ['NJ', 'Њ'], ['nj', 'њ'], ['Dž', 'Џ'], ['DŽ', 'Џ'], ['dž', 'џ']];
const latin = 'ABVGDĐEŽZIJKLMNOPRSTĆUFHCČŠabvgdđežzijklmnoprstćufhcčš';
const cyrillic = 'АБВГДЂЕЖЗИЈКЛМНОПРСТЋУФХЦЧШабвгдђежзијклмнопрстћуфхцчш';
const single = new Map([...latin].map((letter, i) => [letter, cyrillic[i]]));
const keep = new Set(('inbox outbox observing escalated mine caseworker supervisor auditor org_admin partner_system network_admin '
  + 'ReferralNetwork ASCII API ISO BCP QR TOTP sr ar fa uk ps AF SY UA v rn_').split(' '));
const abbreviations = new Map([['CSR', 'ЦСР']]);
const token = /\{[^}]*\}|'[^']*'|[A-Za-zČĆŽŠĐčćžšđ][A-Za-zČĆŽŠĐčćžšđ0-9_@.-]*/g;

function letters(word) {
  let out = '';
  for (let i = 0; i < word.length;) {
    const pair = pairs.find(([from]) => word.startsWith(from, i));
    if (pair) { out += pair[1]; i += pair[0].length; } else { out += single.get(word[i]) ?? word[i]; i += 1; }
  }
  return out;
}

const isCodeWord = (core) => keep.has(core) || /[_@0-9]/.test(core) || /[A-ZČĆŽŠĐ]/.test(core.slice(1));

/** The Cyrillic of one Serbian Latin text. */
export function toCyrillic(text) {
  return text.replace(token, (match) => {
    if (match[0] === '{' || match[0] === '\'') return match;
    const core = match.replace(/\.+$/, '');
    const tail = match.slice(core.length);
    if (abbreviations.has(core)) return abbreviations.get(core) + tail;
    return isCodeWord(core) ? match : letters(core) + tail;
  });
}
