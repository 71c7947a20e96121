#!/usr/bin/env python3
"""Writes RefusalTexts.sr-Cyrl.resx from RefusalTexts.sr-Latn.resx (issue 15).

Serbian Latin is transliterated letter by letter (lj, nj, dž are one letter each). Kept as they are: {holes} and
{Placeholders}, 'quoted values', (GET /…) paths, and code words — anything with an underscore, digit, '/', '@', or a
capital after its first letter (personId, ETag, If-Match), all-capital abbreviations (API, ISO), and the codes below.

    python3 tools/translations/latin-to-cyrillic.py
"""
import pathlib
import re
import xml.etree.ElementTree as ET
from xml.sax.saxutils import escape, quoteattr

ROOT = pathlib.Path(__file__).resolve().parents[2] / "src" / "ReferralNetwork.Api" / "Resources"
PAIRS = [("Lj", "Љ"), ("LJ", "Љ"), ("lj", "љ"), ("Nj", "Њ"), ("NJ", "Њ"), ("nj", "њ"), ("Dž", "Џ"), ("DŽ", "Џ"), ("dž", "џ")]
SINGLE = dict(zip("ABVGDĐEŽZIJKLMNOPRSTĆUFHCČŠabvgdđežzijklmnoprstćufhcčš", "АБВГДЂЕЖЗИЈКЛМНОПРСТЋУФХЦЧШабвгдђежзијклмнопрстћуфхцчш"))
KEEP = set("inbox outbox observing escalated mine accepted in-progress on-hold caseworker supervisor auditor org_admin partner_system "
           "network_admin webhook Webhook ASCII API ISO BCP sr ar fa uk AF SY UA a-z alpha-2 v".split())
TOKEN = re.compile(r"\{[^}]*\}|'[^']*'|\((?:GET|POST)[^)]*\)|(?:GET|POST) /\S+|[A-Za-zČĆŽŠĐčćžšđ][A-Za-zČĆŽŠĐčćžšđ0-9_@./-]*")
ABBREVIATIONS = {"CSR": "ЦСР"}


def letters(word):
    out, i = "", 0
    while i < len(word):
        for latin, cyrillic in PAIRS:
            if word.startswith(latin, i):
                out += cyrillic
                i += len(latin)
                break
        else:
            out += SINGLE.get(word[i], word[i])
            i += 1
    return out


def cyrillic(text):
    result, position = [], 0
    for match in TOKEN.finditer(text):
        result.append(text[position:match.start()])
        token, position = match.group(0), match.end()
        if token[0] in "{'(" or token.startswith(("GET", "POST")):
            result.append(token)
            continue
        core = token.rstrip(".")
        tail = token[len(core):]
        if core in ABBREVIATIONS:
            result.append(ABBREVIATIONS[core] + tail)
        elif (core in KEEP or any(c in core for c in "_@/0123456789") or any(c.isupper() for c in core[1:])
              or (core.isupper() and len(core) > 1)):
            result.append(token)
        else:
            result.append(letters(core) + tail)
    result.append(text[position:])
    return "".join(result)


def main():
    latin = ET.parse(ROOT / "RefusalTexts.sr-Latn.resx").getroot()
    head = (ROOT / "RefusalTexts.resx").read_text(encoding="utf-8").replace("</root>\n", "")
    lines = [head]
    for data in latin.findall("data"):
        name, value = data.get("name"), data.find("value").text or ""
        lines.append(f'  <data name={quoteattr(name)} xml:space="preserve"><value>{escape(cyrillic(value))}</value></data>\n')
    lines.append("</root>\n")
    (ROOT / "RefusalTexts.sr-Cyrl.resx").write_text("".join(lines), encoding="utf-8")


if __name__ == "__main__":
    main()
